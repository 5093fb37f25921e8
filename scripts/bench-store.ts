/**
 * Store benchmark: UserSession stores of 1k, 100k and 1M records (each size in its own process,
 * for a clean RSS). For each: start-up load time, create-session and lookup throughput and p99,
 * file size and RSS; each beside a baseline measured in the same run on the same files:
 * JSON.parse of the snapshot (load), a bare fsync'd append of the same line (create) and a
 * bare Map.get (lookup).
 *
 * Then a small user store (1k users) whose data file is kept current (rewritten after each burst
 * of writes), beside the same store with the journal only.
 *
 * Then the load of a million sessions by the shape of their ids (and their users' ids):
 * sequential and UUIDv7 ids beside random ones measured in the same run, each load in a process
 * of its own, the shapes taking turns, best of five rounds.
 *
 *   bun scripts/bench-store.ts [SIZES=1000,100000,1000000]
 *   bun scripts/bench-store.ts ids [SIZE=1000000]     the load by id shape only
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sessionKey } from "../src/auth/session-auth.ts";
import { formatTimestamp } from "../src/domain/base.ts";
import { openUserStore } from "../src/storage/user-store.ts";
import { JsonFileSessionStore } from "../src/storage/json-file/session-store.ts";
import type { UserSessionRecord } from "../src/domain/user-session.ts";
import { ID_SHAPES, type IdShape } from "./lib/id-shapes.ts";
import { writeSessions } from "./lib/seed-data.ts";

const CREATES = 2000;
const CONCURRENT_CREATES = 4000;
const LOOKUPS = 200_000;

interface Row {
  size: number;
  loadMs: number;
  parseMs: number;
  createOps: number;
  createP99: number;
  appendOps: number;
  appendP99: number;
  batchedOps: number;
  lookupOps: number;
  lookupP99Us: number;
  mapOps: number;
  fileMb: number;
  rssMb: number;
  closeMs: number;
}

function sessionRecord(now: string): UserSessionRecord {
  return { id: crypto.randomUUID(), created_at: now, updated_at: now, user_id: crypto.randomUUID(), session_id: sessionKey(crypto.randomUUID()) };
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(size: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), "session-auth-bench-store-"));
  try {
    const snapshotPath = join(dir, ".db_UserSession.json");
    const keys = writeSessions(dir, size, () => crypto.randomUUID()).map(sessionKey);

    let started = performance.now();
    JSON.parse(readFileSync(snapshotPath, "utf8"));
    const parseMs = performance.now() - started;
    Bun.gc(true);

    started = performance.now();
    const store = JsonFileSessionStore.open(dir);
    const loadMs = performance.now() - started;
    Bun.gc(true);
    const rssMb = process.memoryUsage().rss / 2 ** 20;

    // Lookups by session_id, and the bare Map they stand on.
    const lookupSamples: number[] = [];
    started = performance.now();
    for (let i = 0; i < LOOKUPS; i++) {
      const t = performance.now();
      const found = await store.findByKey(keys[i % keys.length]!);
      lookupSamples.push(performance.now() - t);
      if (!found) throw new Error("lookup missed");
    }
    const lookupOps = LOOKUPS / ((performance.now() - started) / 1000);
    const bare = new Map(keys.map((key) => [key, key]));
    started = performance.now();
    let hits = 0;
    for (let i = 0; i < LOOKUPS; i++) if (bare.get(keys[i % keys.length]!)) hits++;
    const mapOps = hits / ((performance.now() - started) / 1000);

    // Creates, one at a time (each waits for its fsync), and the bare append they stand on.
    const now = formatTimestamp(Date.now());
    const createSamples: number[] = [];
    started = performance.now();
    for (let i = 0; i < CREATES; i++) {
      const t = performance.now();
      await store.create(sessionRecord(now));
      createSamples.push(performance.now() - t);
    }
    const createOps = CREATES / ((performance.now() - started) / 1000);

    const bareFd = openSync(join(dir, "bare.journal"), "a");
    const appendSamples: number[] = [];
    started = performance.now();
    for (let i = 0; i < CREATES; i++) {
      const t = performance.now();
      writeSync(bareFd, `${JSON.stringify({ op: "put", record: sessionRecord(now) })}\n`);
      fsyncSync(bareFd);
      appendSamples.push(performance.now() - t);
    }
    const appendOps = CREATES / ((performance.now() - started) / 1000);
    closeSync(bareFd);

    // Many creates in flight at once share appends.
    started = performance.now();
    await Promise.all(Array.from({ length: CONCURRENT_CREATES }, () => store.create(sessionRecord(now))));
    const batchedOps = CONCURRENT_CREATES / ((performance.now() - started) / 1000);

    const fileMb = (statSync(snapshotPath).size + statSync(`${snapshotPath}.journal`).size) / 2 ** 20;
    started = performance.now();
    await store.close();
    const closeMs = performance.now() - started;
    return {
      size,
      loadMs,
      parseMs,
      createOps,
      createP99: percentile(createSamples, 99),
      appendOps,
      appendP99: percentile(appendSamples, 99),
      batchedOps,
      lookupOps,
      lookupP99Us: percentile(lookupSamples, 99) * 1000,
      mapOps,
      fileMb,
      rssMb,
      closeMs,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LIVE_USERS = 1000;
const LIVE_SECONDS = 3;

interface LiveRow {
  liveOps: number;
  journalOps: number;
  rewrites: number;
  fileKb: number;
}

/** Sequential fsync'd updates of a 1k-user store for a few seconds, data file current or not. */
async function measureLive(): Promise<LiveRow> {
  const run = async (liveFileMaxBytes: number) => {
    const dir = mkdtempSync(join(tmpdir(), "session-auth-bench-live-"));
    try {
      const seed = openUserStore(dir, { liveFileMaxBytes: 0 });
      const now = formatTimestamp(Date.now());
      const ids: string[] = [];
      for (let i = 0; i < LIVE_USERS; i++) {
        const id = crypto.randomUUID();
        ids.push(id);
        void seed.save({ id, created_at: now, updated_at: now, email: `user${i}@bench.test`, _password: "0".repeat(64), first_name: "First", last_name: "Last" });
      }
      await seed.close();
      const dataFile = join(dir, ".db_User.json");
      const store = openUserStore(dir, { liveFileMaxBytes });
      // Inode numbers are reused once a replaced file is gone; with the mtime they tell files apart.
      const version = () => {
        const { ino, mtimeMs } = statSync(dataFile);
        return `${ino}:${mtimeMs}`;
      };
      const inodes = new Set<string>([version()]);
      let writes = 0;
      const started = performance.now();
      while (performance.now() - started < LIVE_SECONDS * 1000) {
        await store.update(ids[writes % ids.length]!, { last_name: `Last ${writes}` });
        // A server returns to the event loop between requests; so does this loop, in both runs.
        await new Promise((resolve) => setImmediate(resolve));
        writes += 1;
        if (writes % 20 === 0) inodes.add(version());
      }
      const ops = writes / ((performance.now() - started) / 1000);
      const fileKb = statSync(dataFile).size / 1024;
      await store.close();
      return { ops, rewrites: inodes.size - 1, fileKb };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const journal = await run(0);
  const live = await run(4 << 20);
  return { liveOps: live.ops, journalOps: journal.ops, rewrites: live.rewrites, fileKb: live.fileKb };
}

const ID_ROUNDS = 5;

/** The load of the sessions in `dir`, in ms. */
function loadOnce(dir: string, size: number): number {
  const started = performance.now();
  const store = JsonFileSessionStore.open(dir);
  const ms = performance.now() - started;
  if (store.count() !== size) throw new Error(`loaded ${store.count()} of ${size} sessions`);
  return ms;
}

/**
 * A file of `size` sessions for each shape of ids (their users' ids of the same shape), then
 * rounds of one load of each in a fresh process, the shapes taking turns so that each sees the
 * machine as busy as the others: the best load of each.
 */
function idShapeRows(size: number): void {
  const shapes = Object.keys(ID_SHAPES) as IdShape[];
  const dirs = new Map<IdShape, string>();
  try {
    for (const shape of shapes) {
      const dir = mkdtempSync(join(tmpdir(), "session-auth-bench-ids-"));
      dirs.set(shape, dir);
      writeSessions(dir, size, ID_SHAPES[shape].make(), 1, undefined, ID_SHAPES[shape].make());
    }
    const best = new Map<IdShape, number>(shapes.map((shape) => [shape, Number.POSITIVE_INFINITY]));
    for (let round = 0; round < ID_ROUNDS; round++) {
      for (const shape of shapes) {
        const child = Bun.spawnSync([process.execPath, import.meta.path, "--load", dirs.get(shape)!, String(size)], { stdout: "pipe", stderr: "inherit" });
        if (child.exitCode !== 0) throw new Error(`load of ${shape} ids failed`);
        best.set(shape, Math.min(best.get(shape)!, Number(child.stdout.toString())));
      }
    }
    const random = best.get("random")!;
    console.log(`
load of ${sizeName(size)} sessions by the shape of their ids and their users' ids (best of ${ID_ROUNDS} rounds, each load in a fresh process):`);
    const width = Math.max(...shapes.map((shape) => ID_SHAPES[shape].name.length));
    for (const [shape, ms] of best) {
      const beside = shape === "random" ? "(the baseline)" : `(${fmt(ms / random, 2)}x random)`;
      console.log(`  ${ID_SHAPES[shape].name.padEnd(width)}  ${fmt(ms).padStart(6)} ms ${beside}`);
    }
  } finally {
    for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const sizeName = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));

if (process.argv[2] === "--child") {
  console.log(JSON.stringify(await measure(Number(process.argv[3]))));
} else if (process.argv[2] === "--live") {
  console.log(JSON.stringify(await measureLive()));
} else if (process.argv[2] === "--load") {
  console.log(loadOnce(process.argv[3]!, Number(process.argv[4])));
} else if (process.argv[2] === "ids") {
  idShapeRows(Number(process.argv[3] ?? 1_000_000));
} else {
  const sizes = (process.argv[2] ?? "1000,100000,1000000").split(",").map(Number);
  const rows: Row[] = [];
  for (const size of sizes) {
    const child = Bun.spawnSync([process.execPath, import.meta.path, "--child", String(size)], { stdout: "pipe", stderr: "inherit" });
    if (child.exitCode !== 0) throw new Error(`benchmark of ${size} failed`);
    rows.push(JSON.parse(child.stdout.toString()));
  }
  const table = [
    ["sessions", "load ms (JSON.parse)", "create/s (bare append)", "create p99 ms (bare)", "batched create/s", "lookup/s (bare Map)", "lookup p99 µs", "file MiB", "RSS MiB", "close ms"],
    ...rows.map((r) => [
      sizeName(r.size),
      `${fmt(r.loadMs)} (${fmt(r.parseMs)})`,
      `${fmt(r.createOps)} (${fmt(r.appendOps)})`,
      `${fmt(r.createP99, 2)} (${fmt(r.appendP99, 2)})`,
      fmt(r.batchedOps),
      `${fmt(r.lookupOps)} (${fmt(r.mapOps)})`,
      fmt(r.lookupP99Us, 1),
      fmt(r.fileMb, 1),
      fmt(r.rssMb),
      fmt(r.closeMs),
    ]),
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const [i, row] of table.entries()) {
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`);
    if (i === 0) console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  }
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  console.log(`\ncreate p99 at ${sizeName(last.size)} is ${fmt(last.createP99 / first.createP99, 2)}x its p99 at ${sizeName(first.size)}`);
  const liveChild = Bun.spawnSync([process.execPath, import.meta.path, "--live"], { stdout: "pipe", stderr: "inherit" });
  if (liveChild.exitCode !== 0) throw new Error("benchmark of the live data file failed");
  const live = JSON.parse(liveChild.stdout.toString()) as LiveRow;
  console.log(
    `${sizeName(LIVE_USERS)} users (${fmt(live.fileKb)} KiB), data file kept current: ${fmt(live.liveOps)} updates/s, ${fmt(live.rewrites)} rewrites in ${LIVE_SECONDS} s (journal only: ${fmt(live.journalOps)} updates/s)`,
  );
  idShapeRows(Math.max(...sizes));
}
