/**
 * A software authenticator for tests: Web Crypto key pairs (ES256, EdDSA, RS256) that answer
 * creation and request options with what a browser's `PublicKeyCredential.toJSON()` gives, with
 * knobs to make each answer wrong in one chosen way.
 */
import { toBase64url } from "../../../../src/auth/factors/webauthn/base64url.ts";

export type CborIn = number | string | boolean | null | Uint8Array | CborIn[] | Map<number | string, CborIn>;

function head(major: number, value: number): number[] {
  if (value < 24) return [(major << 5) | value];
  if (value < 0x100) return [(major << 5) | 24, value];
  if (value < 0x10000) return [(major << 5) | 25, value >> 8, value & 0xff];
  return [(major << 5) | 26, (value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff];
}

export function encodeCbor(value: CborIn): Uint8Array<ArrayBuffer> {
  const out: number[] = [];
  const put = (v: CborIn): void => {
    if (typeof v === "number") out.push(...(v >= 0 ? head(0, v) : head(1, -1 - v)));
    else if (typeof v === "string") {
      const bytes = new TextEncoder().encode(v);
      out.push(...head(3, bytes.length), ...bytes);
    } else if (v instanceof Uint8Array) out.push(...head(2, v.length), ...v);
    else if (v === false) out.push(0xf4);
    else if (v === true) out.push(0xf5);
    else if (v === null) out.push(0xf6);
    else if (Array.isArray(v)) {
      out.push(...head(4, v.length));
      for (const item of v) put(item);
    } else {
      out.push(...head(5, v.size));
      for (const [k, item] of v) {
        put(k);
        put(item);
      }
    }
  };
  put(value);
  return new Uint8Array(out);
}

export type Algorithm = -7 | -8 | -257;

async function sha256(data: Uint8Array | string): Promise<Uint8Array<ArrayBuffer>> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new Uint8Array(bytes)));
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** raw r‖s → DER, as authenticators send ES256 signatures. */
export function rawToDer(raw: Uint8Array): Uint8Array<ArrayBuffer> {
  const integer = (bytes: Uint8Array) => {
    let i = 0;
    while (i < bytes.length - 1 && bytes[i] === 0) i++;
    let value = bytes.slice(i);
    if (value[0]! & 0x80) value = concat(new Uint8Array([0]), value);
    return concat(new Uint8Array([0x02, value.length]), value);
  };
  const body = concat(integer(raw.slice(0, 32)), integer(raw.slice(32)));
  return concat(new Uint8Array([0x30, body.length]), body);
}

export interface Flags {
  up?: boolean;
  uv?: boolean;
  be?: boolean;
  bs?: boolean;
}

function flagByte(flags: Flags, at: boolean): number {
  return (flags.up === false ? 0 : 0x01) | (flags.uv === false ? 0 : 0x04) | (flags.be ? 0x08 : 0) | (flags.bs ? 0x10 : 0) | (at ? 0x40 : 0);
}

export interface CeremonyKnobs {
  origin?: string;
  type?: string;
  challenge?: string;
  rpId?: string;
  flags?: Flags;
  signCount?: number;
  crossOrigin?: boolean;
  topOrigin?: string;
  /** Flip one bit of the signature. */
  badSignature?: boolean;
  userHandle?: string | null;
  fmt?: string;
  attStmt?: Map<number | string, CborIn>;
}

export class SoftAuthenticator {
  signCount = 0;
  private constructor(
    readonly algorithm: Algorithm,
    readonly credentialId: Uint8Array<ArrayBuffer>,
    private readonly privateKey: CryptoKey,
    readonly cosePublicKey: Uint8Array<ArrayBuffer>,
    /** Whether it counts signatures (many passkey providers send 0 always). */
    readonly counts: boolean,
  ) {}

  static async create(algorithm: Algorithm = -7, options: { counts?: boolean; credentialId?: Uint8Array } = {}): Promise<SoftAuthenticator> {
    const credentialId = new Uint8Array(options.credentialId ?? crypto.getRandomValues(new Uint8Array(16)));
    let pair: CryptoKeyPair;
    let cose: Map<number, CborIn>;
    if (algorithm === -7) {
      pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
      const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
      cose = new Map<number, CborIn>([[1, 2], [3, -7], [-1, 1], [-2, raw.slice(1, 33)], [-3, raw.slice(33)]]);
    } else if (algorithm === -8) {
      pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as unknown as CryptoKeyPair;
      const raw = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
      cose = new Map<number, CborIn>([[1, 1], [3, -8], [-1, 6], [-2, raw]]);
    } else {
      pair = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
      const jwk = await crypto.subtle.exportKey("jwk", pair.publicKey);
      cose = new Map<number, CborIn>([[1, 3], [3, -257], [-1, new Uint8Array(Buffer.from(jwk.n!, "base64url"))], [-2, new Uint8Array(Buffer.from(jwk.e!, "base64url"))]]);
    }
    return new SoftAuthenticator(algorithm, credentialId, pair.privateKey, encodeCbor(cose), options.counts ?? true);
  }

  get id(): string {
    return toBase64url(this.credentialId);
  }

  private async sign(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
    if (this.algorithm === -7) return rawToDer(new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, this.privateKey, data)));
    if (this.algorithm === -8) return new Uint8Array(await crypto.subtle.sign({ name: "Ed25519" }, this.privateKey, data));
    return new Uint8Array(await crypto.subtle.sign({ name: "RSASSA-PKCS1-v1_5" }, this.privateKey, data));
  }

  private clientData(type: string, challenge: string, origin: string, knobs: CeremonyKnobs): Uint8Array<ArrayBuffer> {
    const data: Record<string, unknown> = { type: knobs.type ?? type, challenge: knobs.challenge ?? challenge, origin: knobs.origin ?? origin };
    if (knobs.crossOrigin !== undefined) data.crossOrigin = knobs.crossOrigin;
    if (knobs.topOrigin !== undefined) data.topOrigin = knobs.topOrigin;
    return new Uint8Array(new TextEncoder().encode(JSON.stringify(data)));
  }

  private nextCount(knobs: CeremonyKnobs): number {
    if (knobs.signCount !== undefined) return knobs.signCount;
    if (!this.counts) return 0;
    return ++this.signCount;
  }

  /** The `toJSON()` of a credential made for these creation options. */
  async register(options: { challenge: string; rp: { id: string } }, origin: string, knobs: CeremonyKnobs = {}): Promise<Record<string, unknown>> {
    const clientDataJSON = this.clientData("webauthn.create", options.challenge, origin, knobs);
    const rpIdHash = await sha256(knobs.rpId ?? options.rp.id);
    const count = new Uint8Array(4);
    new DataView(count.buffer).setUint32(0, knobs.signCount ?? 0);
    const idLength = new Uint8Array([this.credentialId.length >> 8, this.credentialId.length & 0xff]);
    const authData = concat(rpIdHash, new Uint8Array([flagByte(knobs.flags ?? {}, true)]), count, new Uint8Array(16), idLength, this.credentialId, this.cosePublicKey);
    const attestationObject = encodeCbor(new Map<string, CborIn>([["fmt", knobs.fmt ?? "none"], ["attStmt", knobs.attStmt ?? new Map()], ["authData", authData]]));
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
      response: { clientDataJSON: toBase64url(clientDataJSON), attestationObject: toBase64url(attestationObject), transports: ["internal"] },
    };
  }

  /** The `toJSON()` of an assertion answering these request options. */
  async authenticate(options: { challenge: string; rpId: string }, origin: string, userHandle: string | null, knobs: CeremonyKnobs = {}): Promise<Record<string, unknown>> {
    const clientDataJSON = this.clientData("webauthn.get", options.challenge, origin, knobs);
    const count = new Uint8Array(4);
    new DataView(count.buffer).setUint32(0, this.nextCount(knobs));
    const authData = concat(await sha256(knobs.rpId ?? options.rpId), new Uint8Array([flagByte(knobs.flags ?? {}, false)]), count);
    const signature = await this.sign(concat(authData, await sha256(clientDataJSON)));
    if (knobs.badSignature) signature[signature.length - 1]! ^= 0x01;
    const handle = knobs.userHandle === undefined ? userHandle : knobs.userHandle;
    return {
      id: this.id,
      rawId: this.id,
      type: "public-key",
      authenticatorAttachment: "platform",
      clientExtensionResults: {},
      response: { clientDataJSON: toBase64url(clientDataJSON), authenticatorData: toBase64url(authData), signature: toBase64url(signature), ...(handle === null ? {} : { userHandle: handle }) },
    };
  }
}
