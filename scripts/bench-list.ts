/**
 * GET /api/v1/users under load: the binary with 200k users (JSON files), 8 listings at once,
 * while /api/v1/status is asked every 20 ms. Prints the server's RSS idle and at its peak during
 * the listings, and /status latency during them beside /status alone (the baseline, same run).
 *
 *   npm run bench:list            (BENCH_USERS=200000, BENCH_PARALLEL=8)
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeUsers } from "./lib/seed-data.ts";
import { ROOT, spawnServer } from "./lib/spawn-server.ts";

const USERS = Number(process.env.BENCH_USERS ?? 200_000);
const PARALLEL = Number(process.env.BENCH_PARALLEL ?? 8);
const BINARY = join(ROOT, "dist", "session-auth");

const build = Bun.spawnSync(["bun", "run", "build"], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
if (build.exitCode !== 0) throw new Error("build failed");

const dir = mkdtempSync(join(tmpdir(), "session-auth-bench-list-"));
await writeUsers(dir, USERS);
const server = await spawnServer([BINARY], { DATA_DIR: dir });
const pid = server.process.pid;
const rssMiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

/** /status latencies (ms) while `during` runs, one probe every 20 ms. */
async function statusLatencies(during: Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  let running = true;
  void during.finally(() => (running = false));
  while (running) {
    const started = performance.now();
    await (await fetch(`${server.base}/api/v1/status`)).text();
    samples.push(performance.now() - started);
    await Bun.sleep(20);
  }
  return samples;
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

try {
  await (await fetch(`${server.base}/api/v1/users`)).arrayBuffer(); // warm: every record's JSON made once
  Bun.gc(true);
  const idle = rssMiB();
  const baseline = await statusLatencies(Bun.sleep(2000));
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 50);
  const started = performance.now();
  const listings = Promise.all(Array.from({ length: PARALLEL }, async () => (await (await fetch(`${server.base}/api/v1/users`)).arrayBuffer()).byteLength));
  const loaded = await statusLatencies(listings);
  const bytes = (await listings).reduce((sum, size) => sum + size, 0);
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  console.log(`${USERS.toLocaleString("en")} users, ${PARALLEL} listings at once: ${(bytes / PARALLEL / 2 ** 20).toFixed(1)} MiB each, all done in ${seconds.toFixed(2)} s`);
  console.log(`RSS: ${idle.toFixed(0)} MiB idle, ${peak.toFixed(0)} MiB at the peak of the listings (+${(peak - idle).toFixed(0)} MiB)`);
  console.log(`/status during the listings: p50 ${percentile(loaded, 0.5).toFixed(2)} ms, max ${Math.max(...loaded).toFixed(2)} ms (${loaded.length} probes)`);
  console.log(`/status alone (baseline):     p50 ${percentile(baseline, 0.5).toFixed(2)} ms, max ${Math.max(...baseline).toFixed(2)} ms (${baseline.length} probes)`);
} finally {
  server.process.kill("SIGTERM");
  await server.process.exited;
  rmSync(dir, { recursive: true, force: true });
}
