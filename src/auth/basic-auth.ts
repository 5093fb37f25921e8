/** `BasicAuth`: the user named by an `Authorization: Basic base64(email:password)` header. */
import { verifyAgainstDummy } from "../models/password.ts";
import { checkUserPassword, type UserRecord } from "../models/user.ts";
import { Auth } from "./auth.ts";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export class BasicAuth extends Auth {
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

  /** The user with this email and password, or null. */
  async userObjectFromCredentials(userEmail: unknown, userPwd: unknown): Promise<UserRecord | null> {
    if (typeof userEmail !== "string" || typeof userPwd !== "string") return null;
    const { users, clock } = this.options;
    const candidates = await users.search({ email: userEmail });
    if (candidates.length === 0) await verifyAgainstDummy(userPwd);
    for (const user of candidates) {
      if (await checkUserPassword(users, user, userPwd, clock)) return user;
    }
    return null;
  }

  override async currentUser(request: Request | null | undefined): Promise<UserRecord | null> {
    const [email, password] = this.credentials(request);
    return this.userObjectFromCredentials(email, password);
  }

  /** [email, password] from the request's Authorization header, or [null, null]. */
  credentials(request: Request | null | undefined): [string, string] | [null, null] {
    const base64 = this.extractBase64AuthorizationHeader(this.authorizationHeader(request));
    return this.extractUserCredentials(this.decodeBase64AuthorizationHeader(base64));
  }
}
