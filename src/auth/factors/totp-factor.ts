/**
 * The one-time-code factor over its store: enrolment (a pending secret, confirmed by a first
 * code), the check at login (a current code, or an unused recovery code), removal and new
 * recovery codes. Every use of a code is a compare-and-set on the stored record, so that of two
 * requests (or processes) with one code, one wins and the other finds it used.
 */
import { type Clock, formatTimestamp, parseTimestamp } from "../../domain/base.ts";
import { andThen, type MaybePromise } from "../../maybe-promise.ts";
import { isMultiFactor } from "../../sessions/factors.ts";
import type { FoundSession } from "../../sessions/found-session.ts";
import type { UserRecord } from "../../domain/user.ts";
import { totpEnabled, type UserTotpRecord } from "../../domain/user-totp.ts";
import type { UserTotpStore } from "../../storage/user-totp-store.ts";
import { joinHashes, newRecoveryCodes, normalizeRecoveryCode, splitHashes, withoutHash } from "./recovery-codes.ts";
import type { LoginContext, SecondFactor, SecondFactorResult } from "./second-factor.ts";
import type { SecretBox } from "./secret-box.ts";
import { base32Encode, newSecret, normalizeCode, otpauthUri, verifyTotp } from "./totp.ts";

export interface TotpFactorOptions {
  store: UserTotpStore;
  /** The key, loaded (or made) when first needed. */
  box: () => Promise<SecretBox>;
  clock: Clock;
  /** TOTP_ISSUER: the name authenticator apps show. */
  issuer: string;
}

/** How often a code's use starts again when another request changed the record meanwhile. */
const ATTEMPTS = 5;

export type CodeKind = "totp" | "recovery_code";

/** Why an enrolment step cannot go on (the route's 4xx). */
export class TotpStateError extends Error {
  override name = "TotpStateError";
  constructor(readonly reason: "enabled" | "not-pending" | "not-enabled") {
    super(reason === "enabled" ? "a second factor is on already" : reason === "not-pending" ? "no enrolment pending" : "no second factor is on");
  }
}

export class TotpFactor implements SecondFactor {
  readonly name = "totp";

  constructor(private readonly options: TotpFactorOptions) {}

  private now(): string {
    return formatTimestamp(this.options.clock());
  }

  private async record(userId: string): Promise<UserTotpRecord | null> {
    return this.options.store.get(userId, { fresh: true });
  }

  async enrolled(userId: string): Promise<boolean> {
    return totpEnabled(await this.record(userId));
  }

  /**
   * Whether a session of the user's stands for what the user has: any session while the factor is
   * off; one that proved a second factor; or one made in a second before the one the factor was
   * turned on in (its user proved then all they had). Sessions are stored to the second, so one of
   * that very second may have come after: it does not stand (the enrolling session itself is
   * replaced by one proving the code it confirmed with). The session is looked up (`session()`)
   * only for a user with the factor on; at once when the stores can answer at once.
   */
  sessionPassed(userId: string, session: () => MaybePromise<Pick<FoundSession, "factors" | "createdAt"> | null>): MaybePromise<boolean> {
    return andThen(this.options.store.get(userId), (record) => {
      if (record === null || !totpEnabled(record)) return true;
      return andThen(session(), (found) => {
        if (found === null || isMultiFactor(found.factors)) return true;
        return Math.floor(found.createdAt / 1000) < Math.floor(parseTimestamp(record.enabled_at) / 1000);
      });
    });
  }

  async check(user: UserRecord, fields: Record<string, unknown>, context: LoginContext): Promise<SecondFactorResult> {
    const code = fields.code;
    if (typeof code !== "string" || normalizeCode(code) === "") return "absent";
    const used = await this.useCode(user.id, code, { recovery: true });
    if (used === null) return "wrong";
    context.report(used);
    return "ok";
  }

  /** Whether the factor is on, and whether an enrolment waits for its first code. */
  async status(userId: string): Promise<{ enabled: boolean; pending: boolean }> {
    const record = await this.record(userId);
    return { enabled: totpEnabled(record), pending: record !== null && record.pending_secret !== null };
  }

  /** The otpauth URI of the pending secret (for its QR code); null when none is pending or it does not open. */
  async pendingUri(user: UserRecord): Promise<string | null> {
    const record = await this.record(user.id);
    if (record === null || record.pending_secret === null) return null;
    const secret = await (await this.options.box()).open(record.pending_secret, user.id);
    return secret === null ? null : otpauthUri({ issuer: this.options.issuer, account: user.email ?? user.id, secret: base32Encode(secret) });
  }

  /** A new pending secret for `user` (replacing one that was pending) and its otpauth URI. */
  async begin(user: UserRecord): Promise<{ secret: string; uri: string }> {
    const { store, issuer } = this.options;
    const box = await this.options.box();
    const secret = newSecret();
    const sealed = await box.seal(secret, user.id);
    const record = await this.record(user.id);
    if (totpEnabled(record)) throw new TotpStateError("enabled");
    const now = this.now();
    if (record === null) {
      await store.save({ id: user.id, created_at: now, updated_at: now, secret: null, pending_secret: sealed, enabled_at: null, last_step: null, recovery_codes: null });
    } else if ((await store.update(user.id, { pending_secret: sealed, updated_at: now }, { expect: { secret: null } })) === null) {
      throw new TotpStateError("enabled");
    }
    const encoded = base32Encode(secret);
    return { secret: encoded, uri: otpauthUri({ issuer, account: user.email ?? user.id, secret: encoded }) };
  }

  /**
   * Turns the factor on when `code` is current for the pending secret; resolves with the ten
   * recovery codes (shown once), or null for a wrong code. The step it matched counts as used.
   */
  async confirm(user: UserRecord, code: string): Promise<string[] | null> {
    const box = await this.options.box();
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const record = await this.record(user.id);
      if (totpEnabled(record)) throw new TotpStateError("enabled");
      if (record === null || record.pending_secret === null) throw new TotpStateError("not-pending");
      const secret = await box.open(record.pending_secret, user.id);
      if (secret === null) return null;
      const step = await verifyTotp(secret, code, { now: this.options.clock(), lastStep: record.last_step });
      if (step === null) return null;
      const codes = newRecoveryCodes();
      const hashes = await Promise.all(codes.map((each) => box.mac(normalizeRecoveryCode(each)!)));
      const now = this.now();
      const changes = { secret: record.pending_secret, pending_secret: null, enabled_at: now, last_step: step, recovery_codes: joinHashes(hashes), updated_at: now };
      if (await this.options.store.update(user.id, changes, { expect: { pending_secret: record.pending_secret, secret: null } })) return codes;
    }
    return null;
  }

  /**
   * Uses a code of the user's: a current one-time code (its step then used, and every earlier
   * one) or, when `recovery` allows, an unused recovery code (then gone). Resolves with which it
   * was, or null when it was neither (or the factor is off).
   */
  async useCode(userId: string, code: string, { recovery }: { recovery: boolean }): Promise<CodeKind | null> {
    const box = await this.options.box();
    const typed = normalizeCode(code);
    const isTotp = /^[0-9]+$/.test(typed);
    const recoveryCode = isTotp || !recovery ? null : normalizeRecoveryCode(code);
    if (!isTotp && recoveryCode === null) return null;
    const recoveryHash = recoveryCode === null ? null : await box.mac(recoveryCode);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const record = await this.record(userId);
      if (record === null || !totpEnabled(record)) return null;
      const now = this.now();
      if (recoveryHash !== null) {
        const rest = withoutHash(splitHashes(record.recovery_codes), recoveryHash);
        if (rest === null) return null;
        if (await this.options.store.update(userId, { recovery_codes: joinHashes(rest), updated_at: now }, { expect: { recovery_codes: record.recovery_codes } })) return "recovery_code";
        continue;
      }
      const secret = await box.open(record.secret!, userId);
      if (secret === null) return null;
      const step = await verifyTotp(secret, typed, { now: this.options.clock(), lastStep: record.last_step });
      if (step === null) return null;
      // RFC 6238 §5.2: the step is used only if no other request used it (or a later one) meanwhile.
      if (await this.options.store.update(userId, { last_step: step, updated_at: now }, { expect: { last_step: record.last_step } })) return "totp";
    }
    return null;
  }

  /** Turns the factor off when `code` (one-time or recovery) is right; false when it is not. */
  async remove(user: UserRecord, code: string): Promise<boolean> {
    if (!(await this.enrolled(user.id))) throw new TotpStateError("not-enabled");
    if ((await this.useCode(user.id, code, { recovery: true })) === null) return false;
    await this.options.store.remove(user.id);
    return true;
  }

  /** Ten new recovery codes when `code` is a current one-time code (the old set stops working); null when it is not. */
  async renewRecoveryCodes(user: UserRecord, code: string): Promise<string[] | null> {
    if (!(await this.enrolled(user.id))) throw new TotpStateError("not-enabled");
    if ((await this.useCode(user.id, code, { recovery: false })) === null) return null;
    const box = await this.options.box();
    const codes = newRecoveryCodes();
    const hashes = await Promise.all(codes.map((each) => box.mac(normalizeRecoveryCode(each)!)));
    // Null when the factor was removed meanwhile: there is nothing to give codes for.
    return (await this.options.store.update(user.id, { recovery_codes: joinHashes(hashes), updated_at: this.now() })) ? codes : null;
  }

  /** An administrator's reset: the factor (on or pending) is gone; true if there was one. */
  reset(userId: string): Promise<boolean> {
    return this.options.store.remove(userId);
  }
}
