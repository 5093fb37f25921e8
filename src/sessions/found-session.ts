/** A live session as the strategies and routes see it, read from a stored record once. */
import type { UserSessionRecord } from "../domain/user-session.ts";
import { latestMomentOf } from "../domain/session-time.ts";
import { type Factor, storedFactors } from "./factors.ts";

export interface NewSessionOptions {
  /** passwordFingerprint of the user as the login checked them: the session ends when it changes. */
  fingerprint?: string;
  /** Where the login came from, for the owner's list of sessions. */
  clientAddress?: string | null;
  userAgent?: string | null;
  /** What the sign-in proved; a password when not given. */
  factors?: readonly Factor[];
}

/** A live session, whichever store keeps it. */
export interface FoundSession {
  /** The stored record's id: how the session is found again to end it. */
  key: string;
  /** The id its owner sees and ends it by: never the cookie value nor its hash. */
  publicId: string;
  userId: string;
  /** passwordFingerprint of the hash checked at login; null for sessions that predate it. */
  fingerprint: string | null;
  /** Epoch milliseconds; the latest moment each can have been, as stored. */
  createdAt: number;
  lastUsedAt: number;
  clientAddress: string | null;
  userAgent: string | null;
  /** What the sign-in that made it proved. */
  factors: readonly Factor[];
}

/** Session ids are kept only as SHA-256, so memory and files never hold a usable cookie. */
export function sessionKey(sessionId: string): string {
  return Bun.SHA256.hash(sessionId, "hex");
}

/** The longest user agent a session keeps: enough to tell one browser from another. */
const USER_AGENT_LENGTH = 120;

/** A user agent as a session keeps it: printable characters only, shortened. */
export function shortUserAgent(userAgent: string | null | undefined): string | null {
  if (!userAgent) return null;
  const printable = userAgent.replace(/[^\x20-\x7e]/g, "").trim();
  if (printable === "") return null;
  return printable.length > USER_AGENT_LENGTH ? `${printable.slice(0, USER_AGENT_LENGTH - 1)}…` : printable;
}

/**
 * Stored records are frozen and the stores hand the same object out again: a session in use is
 * read once, not on every request.
 */
const read = new WeakMap<UserSessionRecord, FoundSession>();

export function foundSession(record: UserSessionRecord): FoundSession {
  let session = read.get(record);
  if (session === undefined) {
    session = {
      key: record.id,
      publicId: record.id,
      userId: record.user_id,
      fingerprint: record.password_fingerprint ?? null,
      createdAt: latestMomentOf(record.created_at),
      lastUsedAt: latestMomentOf(record.last_used_at ?? record.created_at),
      clientAddress: record.client_address ?? null,
      userAgent: record.user_agent ?? null,
      factors: storedFactors(record.factors),
    };
    if (Object.isFrozen(record)) read.set(record, session);
  }
  return session;
}
