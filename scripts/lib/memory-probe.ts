/**
 * The benchmark's memory baselines, each in a process of its own, printed as one JSON line
 * {ms, rssMiB} after a full garbage collection:
 *
 *   bun scripts/lib/memory-probe.ts parse <data file>      JSON.parse of the whole file, kept
 *   bun scripts/lib/memory-probe.ts map <keys file>        a bare Map of the keys (one per line) → index
 *   bun scripts/lib/memory-probe.ts session_auth <count>   session_auth with that many sessions in memory
 */
import { readFileSync } from "node:fs";
import { SessionAuth } from "../../src/auth/session-auth.ts";
import { systemClock } from "../../src/domain/base.ts";
import type { UserStore } from "../../src/storage/user-store.ts";

const [mode, argument = ""] = process.argv.slice(2);
const started = performance.now();
let kept: unknown;
if (mode === "parse") {
  kept = JSON.parse(readFileSync(argument, "utf8"));
} else if (mode === "map") {
  const keys = new Map<string, number>();
  let index = 0;
  for (const key of readFileSync(argument, "latin1").split("\n")) if (key !== "") keys.set(key, index++);
  kept = keys;
} else if (mode === "session_auth") {
  // The sessions the server keeps: made by the same code, with what a login gives them.
  const auth = new SessionAuth({ users: {} as UserStore, sessionName: "_my_session_id", sessionDuration: 0, clock: systemClock });
  const users = Array.from({ length: 1000 }, () => crypto.randomUUID());
  for (let i = 0; i < Number(argument); i++) {
    await auth.createSession(users[i % users.length], { fingerprint: "0123456789abcdef0123456789abcdef", clientAddress: `10.0.${(i >> 8) & 255}.${i & 255}`, userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0" });
  }
  kept = auth;
} else {
  console.error("usage: memory-probe.ts parse <file> | map <keys file> | session_auth <count>");
  process.exit(2);
}
const ms = performance.now() - started;
Bun.gc(true);
const rssMiB = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1]) / 1024;
console.log(JSON.stringify({ ms, rssMiB, kept: kept !== undefined }));
