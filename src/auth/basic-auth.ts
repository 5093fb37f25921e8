/** `BasicAuth`: the user named by an `Authorization: Basic base64(email:password)` header. */
import { andThen, type MaybePromise } from "../maybe-promise.ts";
import type { UserRecord } from "../domain/user.ts";
import { Auth, type AuthOptions } from "./auth.ts";

/** How many verified headers are remembered, and for how long. */
export const VERIFIED_CACHE_SIZE = 10_000;
export const VERIFIED_CACHE_TTL_MS = 5 * 60 * 1000;

interface Verified {
  userId: string;
  /** The stored hash the password was checked against: a changed password misses. */
  passwordHash: string | null;
  expiresAt: number;
}

/** The cache's key: a verified header's SHA-256, so that memory holds no password. */
function verifiedKey(header: string): string {
  return Bun.SHA256.hash(header, "hex");
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** The hold of a check whose user has a second factor, when the server knows of second factors. */
function secondFactorHold({ hasSecondFactor }: AuthOptions): ((user: UserRecord) => Promise<boolean>) | undefined {
  return hasSecondFactor ? async (user) => hasSecondFactor(user.id) : undefined;
}

/** The user of a header verified lately, unless a second factor was turned on since: a password alone no longer does. */
function withoutSecondFactor({ hasSecondFactor }: AuthOptions, user: UserRecord): MaybePromise<UserRecord | null> {
  return hasSecondFactor ? andThen(hasSecondFactor(user.id), (has) => (has ? null : user)) : user;
}

export class BasicAuth extends Auth {
  /**
   * Headers whose password was verified lately, by SHA-256 of the header. Basic credentials come
   * with every request, and an argon2 verify each time would cap a client at a few dozen requests
   * a second. An entry stands only while the user keeps the hash it was verified against.
   */
  private readonly verified = new Map<string, Verified>();

  /** The part after `Basic `, or null. */
  extractBase64AuthorizationHeader(authorizationHeader: unknown): string | null {
    if (typeof authorizationHeader !== "string" || !authorizationHeader.startsWith("Basic ")) return null;
    return authorizationHeader.slice(6);
  }

  /** The decoded text, or null unless it is valid base64 of valid UTF-8. */
  decodeBase64AuthorizationHeader(base64AuthorizationHeader: unknown): string | null {
    if (typeof base64AuthorizationHeader !== "string" || !BASE64.test(base64AuthorizationHeader)) return null;
    try {
      return strictUtf8.decode(Buffer.from(base64AuthorizationHeader, "base64"));
    } catch {
      return null;
    }
  }

  /** [email, password], split at the first `:` so that passwords may hold `:`; else [null, null]. */
  extractUserCredentials(decodedBase64AuthorizationHeader: unknown): [string, string] | [null, null] {
    if (typeof decodedBase64AuthorizationHeader !== "string") return [null, null];
    const colon = decodedBase64AuthorizationHeader.indexOf(":");
    if (colon === -1) return [null, null];
    return [decodedBase64AuthorizationHeader.slice(0, colon), decodedBase64AuthorizationHeader.slice(colon + 1)];
  }

  /** The user with this email and password, or null; `client` (when known) is throttled as logins are. */
  async userObjectFromCredentials(userEmail: unknown, userPwd: unknown, client: string | null = null): Promise<UserRecord | null> {
    if (typeof userEmail !== "string" || typeof userPwd !== "string") return null;
    // A user with a second factor is refused, the attempt counted: Basic cannot carry the code.
    const { user, held } = await this.credentialsCheck.check(userEmail, userPwd, client, { hold: secondFactorHold(this.options) });
    return held === undefined ? user : null;
  }

  /**
   * Basic credentials are a password check on every request, so they are throttled like logins
   * (ThrottledError past the limit). A header verified lately is answered from the cache, without
   * a password check, a count or waiting when the store can answer at once.
   */
  override currentUser(request: Request | null | undefined, client: string | null = null): MaybePromise<UserRecord | null> {
    const header = this.authorizationHeader(request);
    if (header === null) return null;
    const key = verifiedKey(header);
    const cached = this.verified.get(key);
    if (cached === undefined || cached.expiresAt <= this.options.clock()) return this.verify(request, key, client);
    return andThen(this.options.users.get(cached.userId), (user) => (user !== null && user._password === cached.passwordHash ? withoutSecondFactor(this.options, user) : this.verify(request, key, client)));
  }

  /** [email, password] from the request's Authorization header, or [null, null]. */
  credentials(request: Request | null | undefined): [string, string] | [null, null] {
    const base64 = this.extractBase64AuthorizationHeader(this.authorizationHeader(request));
    return this.extractUserCredentials(this.decodeBase64AuthorizationHeader(base64));
  }

  /** Checks the password and remembers the header if it matched; a header naming no one counts against the client. */
  private async verify(request: Request | null | undefined, key: string, client: string | null): Promise<UserRecord | null> {
    this.verified.delete(key);
    const [email, password] = this.credentials(request);
    if (email === null) {
      await this.credentialsCheck.failed(client);
      return null;
    }
    const user = await this.userObjectFromCredentials(email, password, client);
    if (user) {
      this.verified.set(key, { userId: user.id, passwordHash: user._password, expiresAt: this.options.clock() + VERIFIED_CACHE_TTL_MS });
      if (this.verified.size > VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    }
    return user;
  }
}
