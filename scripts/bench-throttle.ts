/**
 * The in-memory login throttle under a flood: 100k failed attempts from 100k client addresses,
 * each also at an account. Prints this process's RSS idle (the baseline), after the flood, and
 * once the windows have ended and the sweep ran, with what each kind of count says it holds.
 *
 *   npm run bench:throttle        (BENCH_FAILURES=100000)
 */
import { LoginThrottle } from "../src/auth/throttle.ts";
import { MemoryAttemptCounters } from "../src/storage/attempt-counters.ts";

const FAILURES = Number(process.env.BENCH_FAILURES ?? 100_000);
const rssMiB = () => process.memoryUsage().rss / 2 ** 20;
const settle = () => {
  Bun.gc(true);
  return rssMiB();
};

let now = Date.now();
const counters = new MemoryAttemptCounters();
const throttle = new LoginThrottle({ perClient: { maxFailures: 100, windowSeconds: 900 }, perAccount: { maxFailures: 10, windowSeconds: 900 }, clock: () => now, counters });
const idle = settle();
const started = performance.now();
for (let i = 0; i < FAILURES; i++) {
  await throttle.takeClient(`2001:db8::${i.toString(16)}:${(i * 7919).toString(16)}`);
  await throttle.takeAccount(crypto.randomUUID()).catch(() => {});
}
const floodMs = performance.now() - started;
const flooded = settle();
const held = { client: counters.sizeOf("client"), account: counters.sizeOf("account") };
now += 900_000;
const swept = await throttle.sweep();
const after = settle();
const holds = ({ keys, bytes }: { keys: number; bytes: number }) => `${keys.toLocaleString("en")} keys, ~${(bytes / 2 ** 20).toFixed(1)} MiB by their estimate`;
console.log(`${FAILURES.toLocaleString("en")} failures in ${floodMs.toFixed(0)} ms: clients ${holds(held.client)} (budget 16 MiB), accounts ${holds(held.account)} (budget 16 MiB)`);
console.log(`RSS: ${idle.toFixed(0)} MiB idle (baseline), ${flooded.toFixed(0)} MiB after the flood, ${after.toFixed(0)} MiB after the windows ended and the sweep dropped ${swept.toLocaleString("en")} keys`);
