/**
 * The request path against another commit's: this tree's binary (or `<other>`'s) and one built from `<commit>`,
 * on copies of the same data, under the same wrk load, in the same rounds (servers on one core,
 * wrk on the other; each round starts with the other binary, so that drift of a shared machine
 * falls on both). Prints each fast workload's req/s and server CPU per request for both, and the
 * median of the rounds' ratios, against a target of 98% (no workload more than 2% slower).
 *
 *   npm run bench:compare -- <commit> [<other>]   (BENCH_ROUNDS=7, BENCH_SECONDS=2, BENCH_CONNECTIONS=32)
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeSessions, writeUsers } from "./lib/seed-data.ts";
import { ROOT, SERVER_BUILD_FLAGS, type ServerProcess, spawnServer } from "./lib/spawn-server.ts";
import { CONNECTIONS, fmt, median, PIN, printTable, PROXY_HEADERS, requireWrk, type Run, type Workload, wrk } from "./lib/wrk.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const TARGET = 0.98;

function build(checkout: string, outfile: string, flags: readonly string[] = SERVER_BUILD_FLAGS): void {
  const result = Bun.spawnSync([process.execPath, "build", "src/main.ts", ...flags, "--outfile", outfile], { cwd: checkout, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`the build in ${checkout} failed: ${result.stderr}`);
}

/**
 * The flags a checkout builds itself with (its `npm run build`), so that a commit runs as it
 * shipped: one from before the JIT policy was reset once listening must not get the policy.
 */
function buildFlagsOf(checkout: string): string[] {
  const script = String((JSON.parse(readFileSync(join(checkout, "package.json"), "utf8")) as { scripts: { build: string } }).scripts.build);
  const words = script.split(/\s+/);
  return words.slice(words.indexOf("src/main.ts") + 1, words.indexOf("--outfile"));
}

/** The binary of `commit`, built in a worktree of its own (removed after), with this tree's node_modules. */
function buildCommit(commit: string, outfile: string, scratch: string): void {
  const checkout = join(scratch, `checkout-${commit.replace(/[^\w.-]/g, "_")}`);
  const git = (...args: string[]) => {
    const result = Bun.spawnSync(["git", ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${result.stderr}`);
  };
  git("worktree", "add", "--detach", checkout, commit);
  try {
    symlinkSync(join(ROOT, "node_modules"), join(checkout, "node_modules"));
    build(checkout, outfile, buildFlagsOf(checkout));
  } finally {
    git("worktree", "remove", "--force", checkout);
  }
}

interface Servers {
  session: ServerProcess;
  db: ServerProcess;
  basic: ServerProcess;
  /** The session_auth server's cookie (each process has its own sessions). */
  cookie: string;
}

async function startServers(binary: string, plain: string, withSessions: string, logs: string, name: string, user: { email: string; password: string }): Promise<Servers> {
  const noLimits = { LOGIN_MAX_FAILURES_PER_CLIENT: "0", LOGIN_MAX_FAILURES_PER_ACCOUNT: "0" };
  const start = (dir: string, authType: string) => spawnServer([...PIN.server, binary], { DATA_DIR: dir, AUTH_TYPE: authType, ...noLimits }, { logFile: join(logs, `${name}-${authType}.log`) });
  const session = await start(plain, "session_auth");
  const db = await start(withSessions, "session_db_auth");
  const basic = await start(plain, "basic_auth");
  const login = await fetch(`${session.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams(user) });
  const cookie = /_my_session_id=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1];
  if (cookie === undefined) throw new Error(`${name}: the login failed (${login.status})`);
  return { session, db, basic, cookie };
}

function workloads(servers: Servers, dbCookie: string, basicHeader: string): Workload[] {
  const { session, db, basic, cookie } = servers;
  const me = "/api/v1/users/me";
  const verify = "/api/v1/auth/verify";
  return [
    { name: "GET /api/v1/status", target: () => session, path: "/api/v1/status", expectStatus: 200 },
    { name: "GET /users/me, session_auth", target: () => session, path: me, headers: { Cookie: `_my_session_id=${cookie}` }, expectStatus: 200 },
    { name: "GET /users/me, session_db_auth, 100k sessions", target: () => db, path: me, headers: { Cookie: `_my_session_id=${dbCookie}` }, expectStatus: 200 },
    { name: "GET /users/me, invalid cookie (403)", target: () => session, path: me, headers: { Cookie: "_my_session_id=5d0b6c1e-0000-4000-8000-000000000000" }, expectStatus: 403 },
    { name: "GET /users/me, no credentials (401)", target: () => session, path: me, expectStatus: 401 },
    { name: "GET /users/me, basic_auth", target: () => basic, path: me, headers: { Authorization: basicHeader }, expectStatus: 200 },
    { name: "GET /auth/verify, session_auth (200)", target: () => session, path: verify, headers: { Cookie: `_my_session_id=${cookie}` }, expectStatus: 200 },
    { name: "GET /auth/verify, no cookie (401)", target: () => session, path: verify, expectStatus: 401 },
    { name: "GET /auth/verify, session_db_auth, 100k sessions", target: () => db, path: verify, headers: { Cookie: `_my_session_id=${dbCookie}` }, expectStatus: 200 },
    { name: "GET /auth/verify, session_auth, X-Forwarded-* (200)", target: () => session, path: verify, headers: { Cookie: `_my_session_id=${cookie}`, ...PROXY_HEADERS }, expectStatus: 200 },
  ];
}

async function check(workload: Workload): Promise<void> {
  const response = await fetch(`${workload.target().base}${workload.path}`, { headers: workload.headers });
  await response.arrayBuffer();
  if (response.status !== workload.expectStatus) throw new Error(`${workload.name}: status ${response.status}, expected ${workload.expectStatus}`);
}

async function main(): Promise<void> {
  const [commit, other] = process.argv.slice(2);
  if (!commit) {
    console.error("usage: npm run bench:compare -- <commit> [<other>]   (the commit to measure this tree, or <other>, against)");
    process.exit(2);
  }
  requireWrk();
  const scratch = mkdtempSync(join(tmpdir(), "session-auth-compare-"));
  const running: ServerProcess[] = [];
  try {
    const [baseBinary, thisBinary] = [join(scratch, "base"), join(scratch, "this")];
    buildCommit(commit, baseBinary, scratch);
    if (other === undefined) build(ROOT, thisBinary);
    else buildCommit(other, thisBinary, scratch);
    Bun.spawnSync(["sync"]);

    // One set of data, a copy for each binary: neither sees the other's writes.
    const seed = join(scratch, "data");
    mkdirSync(seed);
    const user = await writeUsers(seed, 1000);
    const withSessionsSeed = join(scratch, "data-sessions");
    cpSync(seed, withSessionsSeed, { recursive: true });
    const [dbCookie] = writeSessions(withSessionsSeed, 100_000, () => user.id, 1);
    const logs = join(scratch, "logs");
    mkdirSync(logs);
    const copy = (from: string, name: string) => {
      cpSync(from, join(scratch, name), { recursive: true });
      return join(scratch, name);
    };
    const credentials = { email: user.email, password: user.password };
    const base = await startServers(baseBinary, copy(seed, "base-plain"), copy(withSessionsSeed, "base-sessions"), logs, "base", credentials);
    running.push(base.session, base.db, base.basic);
    const ours = await startServers(thisBinary, copy(seed, "this-plain"), copy(withSessionsSeed, "this-sessions"), logs, "this", credentials);
    running.push(ours.session, ours.db, ours.basic);

    const basicHeader = `Basic ${Buffer.from(`${user.email}:${user.password}`).toString("base64")}`;
    const pairs = workloads(base, dbCookie!, basicHeader).map((workload, i) => [workload, workloads(ours, dbCookie!, basicHeader)[i]!] as const);
    const results = pairs.map((): { base: Run[]; ours: Run[] } => ({ base: [], ours: [] }));
    for (const [a, b] of pairs) {
      await Promise.all([check(a), check(b)]);
      // Both compiled and warm before the first measured run.
      await wrk(a.target(), a, 1);
      await wrk(b.target(), b, 1);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, [a, b]] of pairs.entries()) {
        const turns: [Run[], Workload][] = [[results[i]!.base, a], [results[i]!.ours, b]];
        if (round % 2 === 1) turns.reverse();
        for (const [runs, workload] of turns) runs.push(await wrk(workload.target(), workload, SECONDS));
      }
      console.error(`round ${round + 1} of ${ROUNDS} done`);
    }

    const rows = pairs.map(([workload], i) => {
      const { base: baseRuns, ours: ourRuns } = results[i]!;
      const rpsRatio = median(ourRuns.map((run, round) => run.rps / baseRuns[round]!.rps));
      const cpuRatio = median(ourRuns.map((run, round) => run.cpuUs / baseRuns[round]!.cpuUs));
      return [
        workload.name,
        fmt(median(baseRuns.map((run) => run.rps))),
        fmt(median(ourRuns.map((run) => run.rps))),
        `${fmt(rpsRatio * 100, 1)}% (${rpsRatio >= TARGET ? "met" : "MISSED"} ${TARGET * 100}%)`,
        `${fmt(median(baseRuns.map((run) => run.cpuUs)), 1)} µs`,
        `${fmt(median(ourRuns.map((run) => run.cpuUs)), 1)} µs`,
        `${fmt(cpuRatio * 100, 1)}%`,
      ];
    });
    const short = (rev: string) => Bun.spawnSync(["git", "rev-parse", "--short", rev], { cwd: ROOT }).stdout.toString().trim();
    const [a, b] = [short(commit), other === undefined ? "this" : short(other)];
    printTable(["workload", `${a} req/s`, `${b} req/s`, `${b} / ${a}`, `${a} CPU/req`, `${b} CPU/req`, `CPU ${b} / ${a}`], rows);
    const placement = PIN.server.length > 0 ? "servers on core 0, wrk on core 1" : "unpinned (taskset or a second core missing)";
    console.log(`\nwrk -t1 -c${CONNECTIONS}, ${SECONDS} s per run, ${ROUNDS} rounds, ${placement}; medians; ratios: the median of the rounds' ratios`);
  } finally {
    for (const server of running) server.process.kill();
    await Promise.all(running.map((server) => server.process.exited));
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
