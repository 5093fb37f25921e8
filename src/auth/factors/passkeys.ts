/**
 * Passkeys for the API: the options a browser needs to make or use one, the ceremonies checked
 * (webauthn/), the records kept (PasskeyStore), and the two ways a passkey signs someone in:
 * alone, with user verification (it then counts as both factors), or as the second factor after
 * a password (`PasskeyFactor`). Security events are log lines with an `event` field and never a
 * key, signature, challenge or session id.
 */
import { formatTimestamp, newBaseRecord, type Clock } from "../../domain/base.ts";
import { passkeyNameProblem, type PasskeyRecord, userHandle } from "../../domain/passkey.ts";
import { FIELD_LIMITS, storable, type UserRecord } from "../../domain/user.ts";
import type { Config } from "../../config.ts";
import { ownOrigin } from "../../http/cross-site.ts";
import { HttpError } from "../../http/responses.ts";
import type { Logger } from "../../logger.ts";
import { andThen, type MaybePromise } from "../../maybe-promise.ts";
import type { ChallengeStore } from "../../storage/challenge-store.ts";
import type { PasskeyStore } from "../../storage/passkey-store.ts";
import { type ReadOptions, UniqueConstraintError } from "../../storage/record-store.ts";
import type { UserStore } from "../../storage/user-store.ts";
import { CHALLENGE_TTL_MS, Challenges } from "./passkey-challenges.ts";
import type { LoginContext, SecondFactor } from "./second-factor.ts";
import { readAssertion, verifyAssertion } from "./webauthn/authentication.ts";
import { SUPPORTED_ALGORITHMS } from "./webauthn/cose.ts";
import { WebAuthnError } from "./webauthn/errors.ts";
import { readRegistration, verifyRegistration } from "./webauthn/registration.ts";

export type PasskeySettings = Pick<Config, "webauthnRpId" | "cookieDomain" | "allowedOrigins" | "trustProxy">;

/** A user may keep this many; more is refused (each is a record anyone signed in could add). */
export const MAX_PASSKEYS_PER_USER = 32;
const RP_NAME = "session-auth";

export const PASSKEY_REFUSED = "passkey refused";

export class Passkeys {
  readonly challenges: Challenges;

  constructor(
    readonly store: PasskeyStore,
    challenges: ChallengeStore,
    private readonly users: UserStore,
    private readonly settings: PasskeySettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.challenges = new Challenges(challenges, clock);
  }

  /** WEBAUTHN_RP_ID, else COOKIE_DOMAIN, else the host the browser named. */
  rpId(request: Request): string {
    const configured = this.settings.webauthnRpId ?? this.settings.cookieDomain;
    if (configured !== null) return configured;
    const origin = ownOrigin(request, this.settings.trustProxy);
    if (origin === null) throw new HttpError(400, "no Host header: the passkey's RP ID cannot be told (set WEBAUTHN_RP_ID)");
    return new URL(origin).hostname.replace(/^\[|\]$/g, "");
  }

  /** This server's own origin as the browser sees it, and ALLOWED_ORIGINS. */
  origins(request: Request): ReadonlySet<string> {
    const origins = new Set(this.settings.allowedOrigins);
    const own = ownOrigin(request, this.settings.trustProxy);
    if (own !== null) origins.add(own);
    return origins;
  }

  /** Read fresh: a passkey added or removed by another process a moment ago counts. */
  async list(userId: string): Promise<PasskeyRecord[]> {
    const found = await this.store.search({ user_id: userId }, { fresh: true });
    return [...found].sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  /**
   * Whether the user has a passkey; at once where the store holds its records in memory. A login
   * reads `fresh`, as it does the one-time codes: right after a passkey was added in another
   * process, it asks for it. Per-request checks (Basic) take what this process has seen.
   */
  enrolled(userId: string, options: ReadOptions = {}): MaybePromise<boolean> {
    return andThen(this.store.search({ user_id: userId }, options), (found) => found.length > 0);
  }

  /** Creation options in the WebAuthn JSON form (`PublicKeyCredentialCreationOptionsJSON`). */
  async creationOptions(user: UserRecord, request: Request): Promise<Record<string, unknown>> {
    const existing = await this.list(user.id);
    const name = user.email ?? user.id;
    const displayName = [user.first_name, user.last_name].filter(Boolean).join(" ") || name;
    return {
      challenge: await this.challenges.issue("register", user.id),
      rp: { id: this.rpId(request), name: RP_NAME },
      user: { id: userHandle(user.id), name, displayName },
      pubKeyCredParams: SUPPORTED_ALGORITHMS.map((alg) => ({ type: "public-key", alg })),
      timeout: CHALLENGE_TTL_MS,
      excludeCredentials: existing.map(descriptor),
      authenticatorSelection: { residentKey: "required", requireResidentKey: true, userVerification: "required" },
      attestation: "none",
    };
  }

  /** Registers the credential of `body` (a `toJSON()`, with an optional `name`) for `user`. */
  async register(user: UserRecord, body: unknown, request: Request): Promise<PasskeyRecord> {
    const name = body !== null && typeof body === "object" ? (body as Record<string, unknown>).name : undefined;
    if (name !== undefined) {
      const problem = passkeyNameProblem(name);
      if (problem !== null) throw new HttpError(400, problem);
    }
    const existing = await this.list(user.id);
    if (existing.length >= MAX_PASSKEYS_PER_USER) throw new HttpError(409, `at most ${MAX_PASSKEYS_PER_USER} passkeys per user`);
    const verified = await this.ceremony(user.id, "register", async () => {
      const registration = readRegistration(body);
      const issued = await this.challenges.take(registration.clientData.challenge, "register");
      // A challenge issued to someone else is as good as none (§7.1 step 8).
      const challenge = issued !== null && issued.userId === user.id ? registration.clientData.challenge : "";
      return verifyRegistration(registration, { challenge, origins: this.origins(request), rpId: this.rpId(request), requireUserVerification: true, algorithms: SUPPORTED_ALGORITHMS });
    });
    const record: PasskeyRecord = {
      ...newBaseRecord(this.clock),
      user_id: user.id,
      credential_id: verified.credentialId,
      public_key: verified.publicKey,
      algorithm: verified.algorithm,
      sign_count: verified.signCount,
      name: typeof name === "string" ? name.trim() : `Passkey ${existing.length + 1}`,
      transports: verified.transports.join(","),
      backup_eligible: verified.backupEligible,
      backup_state: verified.backupState,
      user_verified: verified.userVerified,
      aaguid: verified.aaguid,
    };
    try {
      await this.store.save(record);
    } catch (error) {
      // §7.1 step 26: a credential id is registered once, for one user.
      if (error instanceof UniqueConstraintError) {
        this.logger.info("passkey refused: credential already registered", { event: "factor.failed", factor: "passkey", user_id: user.id, reason: "7.1 step 26" });
        throw new HttpError(409, "this passkey is registered already");
      }
      throw error;
    }
    this.logger.info("passkey added", { event: "factor.added", factor: "passkey", user_id: user.id, passkey_id: record.id });
    return record;
  }

  async rename(userId: string, id: string, name: unknown): Promise<PasskeyRecord> {
    const problem = passkeyNameProblem(name);
    if (problem !== null) throw new HttpError(400, problem);
    const own = await this.own(userId, id);
    const updated = await this.store.update(own.id, { name: (name as string).trim(), updated_at: formatTimestamp(this.clock()) }, { expect: { user_id: userId } });
    if (updated === null) throw new HttpError(404, "Not found");
    return updated;
  }

  async remove(userId: string, id: string, actor = "user"): Promise<void> {
    const own = await this.own(userId, id);
    if (!(await this.store.remove(own.id))) throw new HttpError(404, "Not found");
    this.logger.info("passkey removed", { event: "factor.removed", factor: "passkey", user_id: userId, passkey_id: own.id, actor });
  }

  /** One of the user's passkeys by its id; another user's is not found, as an unknown one. */
  private async own(userId: string, id: string): Promise<PasskeyRecord> {
    const found = await this.store.get(id);
    if (found === null || found.user_id !== userId) throw new HttpError(404, "Not found");
    return found;
  }

  /**
   * Request options (`PublicKeyCredentialRequestOptionsJSON`). With an email, the challenge is
   * bound to the one user it names and lists their passkeys; an email that names no one (or
   * several) gets the same answer with none listed, and no passkey answers its challenge.
   */
  async requestOptions(email: unknown, request: Request): Promise<Record<string, unknown>> {
    let userId: string | null = null;
    let allow: PasskeyRecord[] = [];
    if (typeof email === "string" && email !== "") {
      const candidates = storable(email, FIELD_LIMITS.email) === null ? await this.users.search({ email }) : [];
      userId = candidates.length === 1 ? candidates[0]!.id : "";
      if (userId !== "") allow = await this.list(userId);
    }
    return {
      challenge: await this.challenges.issue("login", userId),
      rpId: this.rpId(request),
      timeout: CHALLENGE_TTL_MS,
      userVerification: "required",
      allowCredentials: allow.map(descriptor),
    };
  }

  /**
   * Checks an assertion (a `toJSON()` object, or its JSON text) answering a login challenge;
   * with `userId`, only that user's passkeys are accepted and the challenge must have been
   * issued for them. Records the new counter. HttpError 401 when refused.
   */
  async authenticate(body: unknown, request: Request, options: { userId: string | null; requireUserVerification: boolean }): Promise<{ user: UserRecord; passkey: PasskeyRecord; userVerified: boolean }> {
    // Who the assertion turned out to be about, for the log line of a refusal.
    let subject: PasskeyRecord | null = null;
    return this.ceremony(options.userId, "login", async () => {
      const assertion = readAssertion(typeof body === "string" ? parseJsonText(body) : body);
      const issued = await this.challenges.take(assertion.clientData.challenge, "login");
      // §7.2 step 11: unknown, used, expired, or issued for another user (or for an email that named no one).
      const boundElsewhere = issued !== null && (issued.userId === "" || (options.userId !== null && issued.userId !== options.userId));
      const challenge = issued === null || boundElsewhere ? "" : assertion.clientData.challenge;
      const forUser = options.userId ?? (issued?.userId || null);
      const listed = (await this.store.search({ credential_id: assertion.credentialId }, { fresh: true }))[0] ?? null;
      // As stored now, another process's changes included: a removal, the last counter.
      const found = listed === null ? null : await this.store.get(listed.id, { fresh: true });
      // §7.2 step 6: the credential is known and belongs to the user identified before, if any.
      if (found === null || (forUser !== null && found.user_id !== forUser)) throw new WebAuthnError("7.2 step 6", "this passkey is not registered for this account");
      subject = found;
      const verified = await verifyAssertion(
        assertion,
        {
          challenge,
          origins: this.origins(request),
          rpId: this.rpId(request),
          requireUserVerification: options.requireUserVerification,
          allowCredentials: [],
          userHandle: userHandle(found.user_id),
          userIdentified: forUser !== null,
        },
        { credentialId: found.credential_id, publicKey: found.public_key, signCount: found.sign_count },
      );
      const user = await this.users.get(found.user_id, { fresh: true });
      if (user === null) throw new WebAuthnError("7.2 step 6", "this passkey's account is gone");
      // §7.2 step 24, as compare-and-set: of two sign-ins with one counter value, one is refused.
      const counting = verified.signCount !== 0 || found.sign_count !== 0;
      const now = formatTimestamp(this.clock());
      const updated = await this.store.update(found.id, { sign_count: verified.signCount, backup_state: verified.backupState, last_used_at: now, updated_at: now }, counting ? { expect: { sign_count: found.sign_count } } : {});
      if (updated === null) throw new WebAuthnError("7.2 step 22", "signature counter did not increase: possible cloned authenticator");
      this.logger.info("passkey accepted", { event: "factor.ok", factor: "passkey", user_id: user.id, passkey_id: found.id, user_verified: verified.userVerified });
      return { user, passkey: updated, userVerified: verified.userVerified };
    }, () => subject);
  }

  /** Runs a ceremony; a WebAuthnError becomes a 401 (400 for a malformed body) and a log line naming the step. */
  private async ceremony<T>(userId: string | null, kind: "register" | "login", run: () => Promise<T>, subject: () => PasskeyRecord | null = () => null): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!(error instanceof WebAuthnError)) throw error;
      const fields: Record<string, unknown> = { event: "factor.failed", factor: "passkey", ceremony: kind, reason: `${error.step}: ${error.message}` };
      const passkey = subject();
      if (userId || passkey) fields.user_id = userId || passkey!.user_id;
      if (passkey) fields.passkey_id = passkey.id;
      if (error.step === "7.2 step 22") this.logger.warn(`passkey refused: possible cloned authenticator`, fields);
      else this.logger.info(`passkey refused (${error.step}): ${error.message}`, fields);
      const malformed = /^7\.[12] steps? (3|5-6|7|8-9)$/.test(error.step);
      throw new HttpError(malformed ? 400 : 401, `${PASSKEY_REFUSED}: ${error.message}`);
    }
  }
}

function descriptor(passkey: PasskeyRecord): Record<string, unknown> {
  const transports = passkey.transports ? passkey.transports.split(",") : [];
  return { type: "public-key", id: passkey.credential_id, ...(transports.length > 0 ? { transports } : {}) };
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** The passkey as a second factor after the password: an assertion in the `passkey` field. */
export class PasskeyFactor implements SecondFactor {
  readonly name = "passkey";
  constructor(private readonly passkeys: Passkeys) {}

  async enrolled(userId: string): Promise<boolean> {
    return this.passkeys.enrolled(userId, { fresh: true });
  }

  async check(user: UserRecord, fields: Record<string, unknown>, { request, report }: LoginContext): Promise<"ok" | "wrong" | "absent"> {
    const answer = fields.passkey;
    if (answer === undefined || answer === null || answer === "") return "absent";
    try {
      // User verification is not needed here: the password was the other factor.
      await this.passkeys.authenticate(answer, request, { userId: user.id, requireUserVerification: false });
      report("passkey");
      return "ok";
    } catch (error) {
      if (error instanceof HttpError) return "wrong";
      throw error;
    }
  }
}

