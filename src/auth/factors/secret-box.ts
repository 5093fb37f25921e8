/**
 * Secrets at rest: AES-256-GCM with a key from SECRET_KEY (64 hex characters) or, without it, a
 * key file `.totp.key` (mode 0600) made in the data folder on first use. Two keys are derived
 * from it by HKDF (RFC 5869), one to seal TOTP secrets and one to key the HMAC that recovery
 * codes are stored as, so that neither use can stand in for the other.
 */
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { joinPath } from "../../file-paths.ts";

export const KEY_FILE = ".totp.key";

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
/** NIST SP 800-38D §8.2.2: a random 96-bit IV per message; far fewer than 2^32 messages per key. */
const IV_BYTES = 12;
const VERSION = "v1";

export class SecretKeyError extends Error {
  override name = "SecretKeyError";
}

/** The 32 key bytes of SECRET_KEY's 64 hex characters; SecretKeyError otherwise. */
export function parseSecretKey(hex: string, source = "SECRET_KEY"): Uint8Array<ArrayBuffer> {
  const text = hex.trim();
  if (!HEX_KEY.test(text)) throw new SecretKeyError(`${source} must be 64 hexadecimal characters (32 bytes), as \`openssl rand -hex 32\` prints`);
  return new Uint8Array(Buffer.from(text, "hex"));
}

/**
 * The key in `dataDir/.totp.key`, made now if there is none. The new key is written to a file of
 * its own and linked into place, so that two processes starting together end up with one key and
 * neither ever reads a half-written file.
 */
export function keyFromFile(dataDir: string): Uint8Array<ArrayBuffer> {
  const path = joinPath(dataDir, KEY_FILE);
  try {
    return parseSecretKey(readFileSync(path, "utf8"), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const temp = `${path}.${process.pid}.${crypto.randomUUID()}`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    writeSync(fd, `${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex")}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
  } catch (error) {
    // Another process made it first: its key is the one.
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  } finally {
    unlinkSync(temp);
  }
  return parseSecretKey(readFileSync(path, "utf8"), path);
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

export class SecretBox {
  private constructor(
    private readonly sealKey: CryptoKey,
    private readonly macKey: CryptoKey,
  ) {}

  static async fromKey(key: Uint8Array<ArrayBuffer>): Promise<SecretBox> {
    if (key.length !== 32) throw new SecretKeyError("the secret key must be 32 bytes");
    const master = await crypto.subtle.importKey("raw", key, "HKDF", false, ["deriveKey"]);
    const hkdf = (info: string) => ({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode(info) });
    const [sealKey, macKey] = await Promise.all([
      crypto.subtle.deriveKey(hkdf("session-auth totp secret"), master, { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]),
      crypto.subtle.deriveKey(hkdf("session-auth recovery code"), master, { name: "HMAC", hash: "SHA-256", length: 256 }, false, ["sign"]),
    ]);
    return new SecretBox(sealKey, macKey);
  }

  /**
   * `v1.<iv>.<ciphertext and tag>`, base64url. `context` (the user's id) is authenticated with
   * it: a sealed secret copied onto another user's record does not open there.
   */
  async seal(plain: Uint8Array<ArrayBuffer>, context: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: encoder.encode(context) }, this.sealKey, plain);
    return `${VERSION}.${base64url(iv)}.${base64url(new Uint8Array(sealed))}`;
  }

  /** The plain bytes, or null when the text was not sealed by this key for this context. */
  async open(sealed: string, context: string): Promise<Uint8Array<ArrayBuffer> | null> {
    const [version, iv, body, extra] = sealed.split(".");
    if (version !== VERSION || iv === undefined || body === undefined || extra !== undefined) return null;
    try {
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: Buffer.from(iv, "base64url"), additionalData: encoder.encode(context) }, this.sealKey, Buffer.from(body, "base64url"));
      return new Uint8Array(plain);
    } catch {
      return null;
    }
  }

  /** HMAC-SHA-256 of a text, hex: what a recovery code is stored as (worthless without the key). */
  async mac(text: string): Promise<string> {
    return Buffer.from(await crypto.subtle.sign("HMAC", this.macKey, encoder.encode(text))).toString("hex");
  }
}

/**
 * The box for these settings, made when first needed (the key file is created only when a
 * secret is first sealed or opened): SECRET_KEY when set, else `.totp.key` in the data folder.
 */
export function secretBoxLoader(settings: { secretKey: string | null; dataDir: string }): () => Promise<SecretBox> {
  let box: Promise<SecretBox> | null = null;
  return () => {
    box ??= Promise.resolve()
      .then(() => SecretBox.fromKey(settings.secretKey !== null ? parseSecretKey(settings.secretKey) : keyFromFile(settings.dataDir)))
      .catch((error: unknown) => {
        box = null;
        throw error;
      });
    return box;
  };
}
