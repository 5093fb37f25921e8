/** Writes large data files in the original format quickly, for benchmarks. */
import { closeSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { sessionKey } from "../../src/auth/session-auth.ts";
import { formatTimestamp } from "../../src/domain/base.ts";
import { hashPassword } from "../../src/domain/password.ts";
import type { UserRecord } from "../../src/domain/user.ts";
import type { UserSessionRecord } from "../../src/domain/user-session.ts";

/** Streams `{"id": record, …}` to `path` in 1 MiB chunks. */
function writeObjectFile(path: string, count: number, recordAt: (index: number) => { id: string }): void {
  const fd = openSync(path, "w");
  let chunk = "{";
  for (let i = 0; i < count; i++) {
    const record = recordAt(i);
    chunk += `${i === 0 ? "" : ", "}${JSON.stringify(record.id)}: ${JSON.stringify(record)}`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  writeSync(fd, `${chunk}}`);
  closeSync(fd);
}

export interface SeededUser {
  id: string;
  email: string;
  password: string;
}

/**
 * `.db_User.json` with `count` users; all share one real argon2id hash (hashing a million
 * passwords would take hours), and the first is returned with its password.
 */
export async function writeUsers(dataDir: string, count: number): Promise<SeededUser> {
  const password = "bench-password";
  const hash = await hashPassword(password);
  const now = formatTimestamp(Date.now());
  const first: SeededUser = { id: crypto.randomUUID(), email: "user0@bench.test", password };
  writeObjectFile(join(dataDir, ".db_User.json"), count, (i): UserRecord => ({
    id: i === 0 ? first.id : crypto.randomUUID(),
    created_at: now,
    updated_at: now,
    email: `user${i}@bench.test`,
    _password: hash,
    first_name: `First${i}`,
    last_name: null,
  }));
  return first;
}

/**
 * `.db_UserSession.json` with `count` sessions of `userId`, in the original's five fields, each
 * with an id from `sessionId`; returns the first few cookie values. With `keysFile`, every
 * session key is written there too, one per line.
 */
export function writeSessions(dataDir: string, count: number, userId: () => string, keep = 10_000, keysFile?: string, sessionId: () => string = () => crypto.randomUUID()): string[] {
  const now = formatTimestamp(Date.now());
  const cookies: string[] = [];
  const keys = keysFile === undefined ? null : openSync(keysFile, "w");
  let pendingKeys = "";
  writeObjectFile(join(dataDir, ".db_UserSession.json"), count, (i): UserSessionRecord => {
    const cookie = crypto.randomUUID();
    if (cookies.length < keep) cookies.push(cookie);
    const key = sessionKey(cookie);
    if (keys !== null) {
      pendingKeys += `${key}\n`;
      if (pendingKeys.length > 1 << 20 || i === count - 1) {
        writeSync(keys, pendingKeys);
        pendingKeys = "";
      }
    }
    return { id: sessionId(), created_at: now, updated_at: now, user_id: userId(), session_id: key };
  });
  if (keys !== null) closeSync(keys);
  return cookies;
}
