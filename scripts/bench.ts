/**
 * HTTP benchmark: session-auth (the compiled binary) against a ceiling measured in the same run,
 * bare Bun.serve answering the same bytes (scripts/lib/ceiling-server.ts). Each workload is
 * interleaved with its ceiling for several rounds under wrk; the table gives medians, and the
 * ratio is the median of each round's ratio, so that drift of a shared machine between rounds
 * falls on both sides. With two or more cores, servers run on the first and wrk on the second,
 * so that neither steals the other's core. A floor row (scripts/lib/floor-server.ts) shows what
 * the work any implementation must do for /users/me costs by itself. Also prints start-up time
 * to a first answer and RSS idle, with 100k and with 1M sessions, and requests through nginx with
 * and without its auth_request to session-auth.
 *
 *   npm run bench            (BENCH_ROUNDS=5, BENCH_SECONDS=2, BENCH_CONNECTIONS=32;
 *                             BENCH_ONLY=text runs only the workloads whose name holds it)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashPassword } from "../src/models/password.ts";
import { writeSessions, writeUsers } from "./lib/seed-data.ts";
import { fillExample, NGINX, startProxy, waitForPort } from "./lib/proxies.ts";
import { freePort, ROOT, type ServerProcess, spawnServer } from "./lib/spawn-server.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const BINARY = join(ROOT, "dist", "session-auth");
const CEILING = join(ROOT, "dist", "bench-ceiling");
const FLOOR = join(ROOT, "dist", "bench-floor");
const PIN = cpuPinning();

interface Workload {
  name: string;
  target: () => ServerProcess;
  path: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  expectStatus: number;
  /** The ceiling pays one password verify per request (login). */
  verify?: { password: string; hash: string };
  /** Share of the ceiling's req/s this workload must reach. */
  target_ratio?: number;
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU time (user + system) per request, in µs. */
  cpuUs: number;
}

/**
 * Servers on the first core and wrk on the second, when there are two and taskset can place
 * them. A server is started on its core rather than moved there, so that the threads Bun
 * sizes by the cores it may use at start are sized for the one core it gets. Logins are
 * measured on every core, server and ceiling alike: they hash on Bun's thread pool, and their
 * measure is the hashing the machine can do.
 */
function cpuPinning(): { server: string[]; load: string[] } {
  const placeable = (cpu: number) => Bun.which("taskset") !== null && Bun.spawnSync(["taskset", "-c", String(cpu), "true"]).exitCode === 0;
  if (navigator.hardwareConcurrency < 2 || !placeable(0) || !placeable(1)) return { server: [], load: [] };
  return { server: ["taskset", "-c", "0"], load: ["taskset", "-c", "1"] };
}

/** CPU time a process has used so far, in µs (from /proc; NaN where there is none). */
function cpuTimeUs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}
const CLOCK_TICKS = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;

function requireWrk(): void {
  if (Bun.which("wrk")) return;
  console.error("wrk is not installed. On Debian or Ubuntu: sudo apt-get install wrk (macOS: brew install wrk)");
  process.exit(2);
}

function build(): void {
  for (const [entry, out, extra] of [
    ["src/main.ts", BINARY, ["--minify", "--bytecode", "--no-compile-autoload-dotenv"]],
    ["scripts/lib/ceiling-server.ts", CEILING, ["--minify", "--bytecode"]],
    ["scripts/lib/floor-server.ts", FLOOR, ["--minify", "--bytecode"]],
  ] as const) {
    const result = Bun.spawnSync([process.execPath, "build", entry, "--compile", ...extra, "--outfile", out], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`build of ${entry} failed: ${result.stderr}`);
  }
  // The new executables (over 100 MB each) are written out now rather than during the start-up
  // measurement: right after a build, that writing added about 3 ms to both start-up figures.
  Bun.spawnSync(["sync"]);
}

/**
 * Runs wrk once and reads req/s and the 50th and 99th percentile latencies (ms). Asynchronous,
 * so that this process keeps draining the servers' access logs meanwhile.
 */
async function wrk(server: ServerProcess, workload: Workload, seconds: number): Promise<Run> {
  const script = join(tmpdir(), `session-auth-bench-${process.pid}.lua`);
  const lines = [`wrk.method = "${workload.method ?? "GET"}"`];
  for (const [name, value] of Object.entries(workload.headers ?? {})) lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  if (workload.body !== undefined) lines.push(`wrk.body = ${JSON.stringify(workload.body)}`);
  writeFileSync(script, `${lines.join("\n")}\n`);
  const cpuBefore = cpuTimeUs(server.process.pid);
  const child = Bun.spawn([...PIN.load, "wrk", "-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--latency", "-s", script, `${server.base}${workload.path}`], { stdout: "pipe", stderr: "pipe" });
  const [out, err] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
  const cpuUsed = cpuTimeUs(server.process.pid) - cpuBefore;
  rmSync(script, { force: true });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const latency = (p: string) => toMs(new RegExp(`\\s${p}%\\s+([\\d.]+)(us|ms|s)`).exec(out));
  if (!Number.isFinite(rps)) throw new Error(`wrk failed:\n${out}${err}`);
  if (/Socket errors/.test(out)) console.error(`note: ${workload.name}: ${/Socket errors.*/.exec(out)?.[0]}`);
  return { rps, p50: latency("50"), p99: latency("99"), cpuUs: cpuUsed / requests };
}

function toMs(match: RegExpExecArray | null): number {
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The exact response the workload gets, for the ceiling to replay. */
async function capture(base: string, workload: Workload) {
  const response = await fetch(`${base}${workload.path}`, { method: workload.method ?? "GET", headers: workload.headers, body: workload.body });
  const body = await response.text();
  if (response.status !== workload.expectStatus) throw new Error(`${workload.name}: status ${response.status}, expected ${workload.expectStatus}: ${body}`);
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!["date", "content-length"].includes(name)) headers[name] = value;
  });
  return { status: response.status, headers, body };
}

async function rssMb(pid: number): Promise<number> {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/**
 * Milliseconds from spawning each command to its first answer on /api/v1/status, median of
 * `runs`; the commands take turns, so that a busy moment of the machine falls on both.
 */
async function startUps(commands: { command: string[]; env: Record<string, string> }[], runs = 25): Promise<number[]> {
  const times = commands.map((): number[] => []);
  for (let i = 0; i < runs; i++) {
    for (const [c, { command, env }] of commands.entries()) times[c]!.push(await startUp(command, env));
  }
  return times.map(median);
}

/** Milliseconds from spawning `command` to its first answer on /api/v1/status. */
async function startUp(command: string[], env: Record<string, string>): Promise<number> {
  const port = freePort();
  const started = performance.now();
  const child = Bun.spawn(command, { env: { ...env, API_HOST: "127.0.0.1", API_PORT: String(port) }, stdout: "ignore", stderr: "ignore" });
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/status`);
      await response.arrayBuffer();
      const elapsed = performance.now() - started;
      child.kill();
      await child.exited;
      return elapsed;
    } catch {
      if (performance.now() - started > 10_000) {
        child.kill();
        throw new Error(`${command[0]} did not answer`);
      }
      await Bun.sleep(0.2);
    }
  }
}

async function main(): Promise<void> {
  requireWrk();
  build();
  const dirs = [mkdtempSync(join(tmpdir(), "session-auth-bench-")), mkdtempSync(join(tmpdir(), "session-auth-bench-"))];
  const servers: ServerProcess[] = [];
  try {
    // Start-up first, while nothing else of the benchmark runs.
    const startDir = mkdtempSync(join(tmpdir(), "session-auth-bench-"));
    dirs.push(startDir);
    await writeUsers(startDir, 1000);
    const [ours, ceiling] = await startUps([
      { command: [BINARY], env: { DATA_DIR: startDir, AUTH_TYPE: "session_auth" } },
      { command: [CEILING], env: {} },
    ]);
    const startUpMs = { ours: ours!, ceiling: ceiling! };

    const [plain, withSessions] = dirs as [string, string];
    const user = await writeUsers(plain, 1000);
    const dbUser = await writeUsers(withSessions, 1000);
    const [dbCookie] = writeSessions(withSessions, 100_000, () => dbUser.id, 1);

    const noLimits = { LOGIN_MAX_FAILURES_PER_CLIENT: "0", LOGIN_MAX_FAILURES_PER_ACCOUNT: "0" };
    // Access logs go to files, as in production, not through pipes this process would drain;
    // outside the data folders, whose watchers would otherwise wake at every write of a log.
    const logDir = mkdtempSync(join(tmpdir(), "session-auth-bench-logs-"));
    dirs.push(logDir);
    const log = (name: string) => ({ logFile: join(logDir, `${name}.log`) });
    const sessionServer = await spawnServer([...PIN.server, BINARY], { DATA_DIR: plain, AUTH_TYPE: "session_auth", ...noLimits }, log("session"));
    const loginServer = await spawnServer([BINARY], { DATA_DIR: plain, AUTH_TYPE: "session_auth", ...noLimits }, log("login"));
    const dbServer = await spawnServer([...PIN.server, BINARY], { DATA_DIR: withSessions, AUTH_TYPE: "session_db_auth", ...noLimits }, log("db"));
    const basicServer = await spawnServer([...PIN.server, BINARY], { DATA_DIR: plain, AUTH_TYPE: "basic_auth", ...noLimits }, log("basic"));
    servers.push(sessionServer, loginServer, dbServer, basicServer);
    const dbMe: Omit<Workload, "name" | "target"> = { path: "/api/v1/users/me", headers: { Cookie: `_my_session_id=${dbCookie}` }, expectStatus: 200 };
    const floorServer = await spawnServer(
      [...PIN.server, FLOOR],
      { CEILING_RESPONSE: JSON.stringify(await capture(dbServer.base, { name: "floor", target: () => dbServer, ...dbMe })), FLOOR_COOKIE: `_my_session_id=${dbCookie}`, FLOOR_SESSIONS: "100000" },
      log("floor"),
    );
    const dbVerify: Omit<Workload, "name" | "target"> = { path: "/api/v1/auth/verify", headers: { Cookie: `_my_session_id=${dbCookie}` }, expectStatus: 200 };
    const verifyFloor = await spawnServer(
      [...PIN.server, FLOOR],
      { CEILING_RESPONSE: JSON.stringify(await capture(dbServer.base, { name: "verify floor", target: () => dbServer, ...dbVerify })), FLOOR_COOKIE: `_my_session_id=${dbCookie}`, FLOOR_SESSIONS: "100000" },
      log("verify-floor"),
    );
    servers.push(floorServer, verifyFloor);
    const login = await fetch(`${sessionServer.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: user.email, password: user.password }) });
    const cookie = /_my_session_id=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")![1]!;
    const hash = await hashPassword(user.password);

    const workloads: Workload[] = [
      { name: "GET /api/v1/status", target: () => sessionServer, path: "/api/v1/status", expectStatus: 200, target_ratio: 0.9 },
      { name: "GET /users/me, session_auth", target: () => sessionServer, path: "/api/v1/users/me", headers: { Cookie: `_my_session_id=${cookie}` }, expectStatus: 200, target_ratio: 0.85 },
      { name: "GET /users/me, session_db_auth, 100k sessions", target: () => dbServer, ...dbMe, target_ratio: 0.85 },
      { name: "  floor: the same, only the work it needs", target: () => floorServer, ...dbMe },
      { name: "GET /users/me, invalid cookie (403)", target: () => sessionServer, path: "/api/v1/users/me", headers: { Cookie: `_my_session_id=${crypto.randomUUID()}` }, expectStatus: 403 },
      { name: "GET /users/me, no credentials (401)", target: () => sessionServer, path: "/api/v1/users/me", expectStatus: 401 },
      { name: "GET /users/me, basic_auth", target: () => basicServer, path: "/api/v1/users/me", headers: { Authorization: `Basic ${Buffer.from(`${user.email}:${user.password}`).toString("base64")}` }, expectStatus: 200 },
      // What a reverse proxy asks before every request to the app it guards.
      { name: "GET /auth/verify, session_auth (200)", target: () => sessionServer, path: "/api/v1/auth/verify", headers: { Cookie: `_my_session_id=${cookie}` }, expectStatus: 200 },
      { name: "GET /auth/verify, no cookie (401)", target: () => sessionServer, path: "/api/v1/auth/verify", expectStatus: 401 },
      { name: "GET /auth/verify, session_db_auth, 100k sessions", target: () => dbServer, ...dbVerify },
      { name: "  floor: the same verify, only the work it needs", target: () => verifyFloor, ...dbVerify },
      {
        name: "POST /auth_session/login",
        target: () => loginServer,
        path: "/api/v1/auth_session/login",
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email: user.email, password: user.password }).toString(),
        expectStatus: 200,
        verify: { password: user.password, hash },
        target_ratio: 0.95,
      },
    ];

    const only = process.env.BENCH_ONLY;
    if (only) workloads.splice(0, workloads.length, ...workloads.filter((workload) => workload.name.includes(only)));
    const results = new Map<string, { ours: Run[]; ceiling: Run[] }>();
    // Logins get rounds of their own, after the rest, so that their minutes of hashing on every
    // core do not fall between the fast workloads' runs.
    const phases = [workloads.filter((workload) => !workload.verify), workloads.filter((workload) => workload.verify)];
    for (const phase of phases) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const workload of phase) {
          const seconds = workload.verify ? SECONDS * 2 : SECONDS;
          const response = await capture(workload.target().base, workload);
          const ceiling = await spawnCeiling(response, workload.verify);
          const entry = results.get(workload.name) ?? { ours: [], ceiling: [] };
          // Alternate which goes first, so that drift on a shared machine falls on both alike.
          if (round % 2 === 0) {
            entry.ceiling.push(await wrk(ceiling, workload, seconds));
            entry.ours.push(await wrk(workload.target(), workload, seconds));
          } else {
            entry.ours.push(await wrk(workload.target(), workload, seconds));
            entry.ceiling.push(await wrk(ceiling, workload, seconds));
          }
          results.set(workload.name, entry);
          ceiling.process.kill();
          await ceiling.process.exited;
        }
        if (phase.length > 0) console.error(`${phase[0]!.verify ? "login" : "fast"} round ${round + 1} of ${ROUNDS} done`);
      }
    }

    const rows = workloads.map((workload) => {
      const { ours, ceiling } = results.get(workload.name)!;
      const rps = median(ours.map((r) => r.rps));
      const ceilingRps = median(ceiling.map((r) => r.rps));
      const ratio = median(ours.map((run, round) => run.rps / ceiling[round]!.rps));
      const verdict = workload.target_ratio === undefined ? "" : ratio >= workload.target_ratio ? ` (target ${workload.target_ratio * 100}%: met)` : ` (target ${workload.target_ratio * 100}%: MISSED)`;
      return [
        workload.name,
        fmt(rps),
        `${fmt(median(ours.map((r) => r.p50)), 2)} ms`,
        `${fmt(median(ours.map((r) => r.p99)), 2)} ms`,
        `${fmt(median(ours.map((r) => r.cpuUs)), 1)} µs`,
        fmt(ceilingRps),
        `${fmt(median(ceiling.map((r) => r.p99)), 2)} ms`,
        `${fmt(median(ceiling.map((r) => r.cpuUs)), 1)} µs`,
        `${fmt(ratio * 100, 1)}%${verdict}`,
      ];
    });
    printTable(["workload", "req/s", "p50", "p99", "CPU/req", "ceiling req/s", "ceiling p99", "ceiling CPU/req", "ratio to ceiling"], rows);
    const placement = PIN.server.length > 0 ? "servers on core 0 (login: every core), wrk on core 1" : "unpinned (taskset or a second core missing)";
    console.log(`\nwrk -t1 -c${CONNECTIONS}, ${SECONDS} s per run (login ${SECONDS * 2} s), ${ROUNDS} rounds, ${placement}; medians, ratio = median of the rounds' ratios; CPU/req: the server's user + system time per request`);
    console.log("ceiling: bare Bun.serve with the same response (login: plus one Bun.password.verify); floor: scripts/lib/floor-server.ts");

    if (!only || "proxy".includes(only) || only.includes("proxy")) await proxyRow(sessionServer, cookie);

    console.log(`\nstart-up to first answer, 1k users: ${fmt(startUpMs.ours, 1)} ms median (bare Bun.serve binary: ${fmt(startUpMs.ceiling, 1)} ms)`);

    // Memory.
    const idle = await rssMb(sessionServer.process.pid);
    const with100k = await rssMb(dbServer.process.pid);
    for (const server of servers.splice(0)) {
      server.process.kill();
      await server.process.exited;
    }
    const millionDir = mkdtempSync(join(tmpdir(), "session-auth-bench-"));
    dirs.push(millionDir);
    const millionUser = await writeUsers(millionDir, 1);
    writeSessions(millionDir, 1_000_000, () => millionUser.id, 0);
    const started = performance.now();
    const million = await spawnServer([BINARY], { DATA_DIR: millionDir, AUTH_TYPE: "session_db_auth" }, log("million"));
    const millionStart = performance.now() - started;
    servers.push(million);
    console.log(`RSS: ${fmt(idle)} MiB idle (1k users), ${fmt(with100k)} MiB with 100k sessions, ${fmt(await rssMb(million.process.pid))} MiB with 1M sessions (start-up with 1M sessions: ${fmt(millionStart / 1000, 1)} s)`);
  } finally {
    for (const server of servers) {
      server.process.kill();
      await server.process.exited;
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Requests per second to an app through nginx with `auth_request` against session-auth (the
 * documented examples/nginx.conf), beside the same nginx and app without it, in the same rounds.
 * The app is the ceiling binary answering a small page; nginx, the app and session-auth share the
 * server core, wrk has the other.
 */
async function proxyRow(sessionAuth: ServerProcess, cookie: string): Promise<void> {
  if (!NGINX) {
    console.log("\nthrough nginx: not measured (nginx is not installed)");
    return;
  }
  const app = await spawnServer([...PIN.server, CEILING], { CEILING_RESPONSE: JSON.stringify({ status: 200, headers: { "content-type": "text/plain" }, body: "the app\n" }) });
  const runs = { guarded: [] as Run[], open: [] as Run[] };
  const started: { process: ReturnType<typeof Bun.spawn>; dir: string }[] = [];
  try {
    const proxies = {} as Record<keyof typeof runs, ServerProcess>;
    for (const kind of ["guarded", "open"] as const) {
      const dir = mkdtempSync(join(tmpdir(), "session-auth-bench-nginx-"));
      const [appPort, authPort] = [freePort(), freePort()];
      let config = fillExample("nginx.conf", {
        DIR: dir,
        APP_PORT: String(appPort),
        AUTH_PORT: String(authPort),
        SESSION_AUTH: sessionAuth.base.replace("http://", ""),
        APP: app.base.replace("http://", ""),
        LOGIN: `http://127.0.0.1:${authPort}/`,
      });
      // The same nginx without the check: its auth_request lines, and what they set, taken out.
      if (kind === "open") config = config.replace(/^\s*(auth_request|error_page 401|proxy_set_header Remote-).*$/gm, "");
      const process = startProxy("nginx", dir, config, PIN.server);
      started.push({ process, dir });
      await waitForPort(appPort);
      proxies[kind] = { process, base: `http://127.0.0.1:${appPort}` };
    }
    const workload: Workload = { name: "through nginx", target: () => proxies.guarded, path: "/", headers: { Cookie: `_my_session_id=${cookie}` }, expectStatus: 200 };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? (["guarded", "open"] as const) : (["open", "guarded"] as const);
      for (const kind of order) runs[kind].push(await wrk(proxies[kind], workload, SECONDS));
    }
    const ratio = median(runs.guarded.map((run, round) => run.rps / runs.open[round]!.rps));
    console.log(`\nthrough nginx (examples/nginx.conf, a signed-in request to a small app): ${fmt(median(runs.guarded.map((r) => r.rps)))} req/s with auth_request against session-auth, ${fmt(median(runs.open.map((r) => r.rps)))} req/s without it: ${fmt(ratio * 100, 1)}%`);
  } finally {
    for (const { process, dir } of started) {
      process.kill("SIGTERM");
      await process.exited;
      rmSync(dir, { recursive: true, force: true });
    }
    app.process.kill();
    await app.process.exited;
  }
}

function spawnCeiling(response: { status: number; headers: Record<string, string>; body: string }, verify?: { password: string; hash: string }): Promise<ServerProcess> {
  const env: Record<string, string> = { CEILING_RESPONSE: JSON.stringify(response) };
  if (verify) {
    env.CEILING_VERIFY_HASH = verify.hash;
    env.CEILING_VERIFY_PASSWORD = verify.password;
  }
  return spawnServer(verify ? [CEILING] : [...PIN.server, CEILING], env);
}

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function printTable(header: string[], rows: string[][]): void {
  const table = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...table.map((row) => row[c]!.length)));
  for (const [i, row] of table.entries()) {
    console.log(`| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`);
    if (i === 0) console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  }
}

await main();
