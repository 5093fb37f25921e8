/**
 * HTTP benchmark: session-auth (the compiled binary) against two servers measured in the same
 * run: a ceiling, bare Bun.serve answering the same bytes (scripts/lib/ceiling-server.ts), and a
 * floor, the same answer after only the work the workload needs (scripts/lib/floor-server.ts:
 * client address, headers, SHA-256 of the credential, a lookup, the access log). Each workload
 * takes turns with its ceiling and floor for several rounds under wrk; the table gives medians,
 * and each ratio is the median of the rounds' ratios, so that drift of a shared machine between
 * rounds falls on all three. With two or more cores, servers run on the first and wrk on the
 * second. Also prints start-up time to a first answer, RSS, a million stored sessions beside
 * JSON.parse of their file and a bare Map of their keys, session_auth with a million sessions in
 * memory, server CPU per request for one and two instances sharing a port (REUSE_PORT, on a
 * throwaway PostgreSQL and Redis), requests through nginx with and without auth_request, and
 * verify under a file of 100 access rules beside verify without rules.
 *
 *   npm run bench            (BENCH_ROUNDS=5, BENCH_SECONDS=2, BENCH_CONNECTIONS=32;
 *                             BENCH_ONLY=text runs only the workloads whose name holds it;
 *                             BENCH_ONLY=start-up only the start-up row, without wrk)
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "../src/app/compose.ts";
import { loadConfig } from "../src/config.ts";
import { hashPassword } from "../src/domain/password.ts";
import { silentLogger } from "../src/logger.ts";
import { writeSessions, writeUsers } from "./lib/seed-data.ts";
import { fillExample, NGINX, startProxy, waitForPort } from "./lib/proxies.ts";
import { freePort, ROOT, SERVER_BUILD_FLAGS, type ServerProcess, spawnServer } from "./lib/spawn-server.ts";
import { CONNECTIONS, fmt, median, PIN, printTable, PROXY_HEADERS, requireWrk, type Run, type Workload, wrk } from "./lib/wrk.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const BINARY = join(ROOT, "dist", "session-auth");
const CEILING = join(ROOT, "dist", "bench-ceiling");
const FLOOR = join(ROOT, "dist", "bench-floor");

const VERIFY_ROW = "GET /auth/verify, session_auth (200)";
const PROXIED_ROW = "GET /auth/verify, session_auth, X-Forwarded-* (200)";
const RULES_ROW = "GET /auth/verify, session_auth, X-Forwarded-*, 100 access rules (200)";
/** Share of verify's req/s without rules that verify under 100 rules must reach, in the same rounds. */
const RULES_TARGET = 0.9;

/**
 * 100 rules of every kind, none of which matches the benchmark's request but the last: exact and
 * wildcard hosts, path prefixes, expressions tested on every request, methods, networks, subjects.
 */
function hundredRules(): unknown {
  const rules: unknown[] = [];
  for (let i = 0; i < 99; i++) {
    switch (i % 5) {
      case 0:
        rules.push({ hosts: [`app${i}.example.com`], policy: "one_factor" });
        break;
      case 1:
        rules.push({ hosts: [`*.team${i}.example.com`], paths: ["/admin", "/settings"], policy: "two_factor" });
        break;
      case 2:
        rules.push({ paths: [`^/api/v${i}/[a-z]+/[0-9]+\\.json$`], policy: "bypass" });
        break;
      case 3:
        rules.push({ paths: [`/internal${i}`], networks: ["10.0.0.0/8", "2001:db8::/32"], policy: "bypass" });
        break;
      default:
        rules.push({ hosts: [`ops${i}.example.com`], methods: ["POST", "DELETE"], subjects: [`group:ops${i}`, `user:admin${i}@example.com`], policy: "two_factor" });
    }
  }
  rules.push({ hosts: ["wiki.example.com", "*.wiki.example.com"], policy: "one_factor" });
  return { default_policy: "deny", rules };
}

/** Share of its floor's req/s a fast workload must reach; logins, of the bare-verify ceiling's. */
const FLOOR_TARGET = 0.97;
const LOGIN_TARGET = 0.95;
/** Share of the same server's req/s without metrics that it keeps with them. */
const METRICS_TARGET = 0.97;
const METRICS_OFF = "GET /users/me, session_auth";
const METRICS_ON = "GET /users/me, session_auth, METRICS=1";

function build(): void {
  for (const [entry, out, flags] of [
    ["src/main.ts", BINARY, SERVER_BUILD_FLAGS],
    ["scripts/lib/ceiling-server.ts", CEILING, ["--compile", "--minify", "--bytecode"]],
    ["scripts/lib/floor-server.ts", FLOOR, ["--compile", "--minify", "--bytecode"]],
  ] as const) {
    const result = Bun.spawnSync([process.execPath, "build", entry, ...flags, "--outfile", out], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`build of ${entry} failed: ${result.stderr}`);
  }
  // The new executables (over 100 MB each) are written out now rather than during the start-up
  // measurement: right after a build, that writing added about 3 ms to both start-up figures.
  Bun.spawnSync(["sync"]);
}

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

/**
 * Milliseconds from spawning `command` to its first answer on /api/v1/status: asked once the
 * process says it listens (a stream read, which costs the machine nothing meanwhile, unlike
 * polling the port, which slowed the starting server down), again each millisecond if refused.
 */
async function startUp(command: string[], env: Record<string, string>): Promise<number> {
  const port = freePort();
  const started = performance.now();
  const child = Bun.spawn(command, { env: { ...env, API_HOST: "127.0.0.1", API_PORT: String(port) }, stdout: "pipe", stderr: "ignore" });
  try {
    const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let output = "";
    while (!output.includes("listening on")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`${command[0]} exited before it listened`);
      output += decoder.decode(value);
    }
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/status`);
        await response.arrayBuffer();
        return performance.now() - started;
      } catch {
        if (performance.now() - started > 10_000) throw new Error(`${command[0]} did not answer`);
        await Bun.sleep(1);
      }
    }
  } finally {
    child.kill();
    await child.exited;
  }
}

/** Start-up to a first answer with 1k users, beside the bare Bun.serve binary's, in one line. */
async function startUpRow(dir: string): Promise<string> {
  await writeUsers(dir, 1000);
  const [ours, ceiling] = await startUps([
    { command: [BINARY], env: { DATA_DIR: dir, AUTH_TYPE: "session_auth" } },
    { command: [CEILING], env: {} },
  ]);
  return `start-up to first answer, 1k users: ${fmt(ours!, 1)} ms median (bare Bun.serve binary: ${fmt(ceiling!, 1)} ms; ${fmt(ours! / ceiling!, 2)}x)`;
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY;
  if (only === "start-up") {
    build();
    const dir = mkdtempSync(join(tmpdir(), "session-auth-bench-"));
    try {
      console.log(await startUpRow(dir));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  requireWrk();
  build();
  const dirs = [mkdtempSync(join(tmpdir(), "session-auth-bench-")), mkdtempSync(join(tmpdir(), "session-auth-bench-"))];
  const servers: ServerProcess[] = [];
  try {
    // Start-up first, while nothing else of the benchmark runs.
    const startDir = mkdtempSync(join(tmpdir(), "session-auth-bench-"));
    dirs.push(startDir);
    const startUpLine = await startUpRow(startDir);

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
    // The same strategy and users under 100 access rules, the request's own rule the last of them.
    const rulesDir = mkdtempSync(join(tmpdir(), "session-auth-bench-rules-"));
    dirs.push(rulesDir);
    const rulesFile = join(rulesDir, "rules.json");
    writeFileSync(rulesFile, JSON.stringify(hundredRules()));
    const rulesServer = await spawnServer([...PIN.server, BINARY], { DATA_DIR: plain, AUTH_TYPE: "session_auth", ACCESS_RULES: rulesFile, ...noLimits }, log("rules"));
    // The same server with the Prometheus metrics on: its row beside the one without them.
    const metricsServer = await spawnServer([...PIN.server, BINARY], { DATA_DIR: plain, AUTH_TYPE: "session_auth", METRICS: "1", ...noLimits }, log("metrics"));
    servers.push(sessionServer, loginServer, dbServer, basicServer, rulesServer, metricsServer);
    const dbMe: Omit<Workload, "name" | "target"> = { path: "/api/v1/users/me", headers: { Cookie: `_my_session_id=${dbCookie}` }, expectStatus: 200 };
    const dbVerify: Omit<Workload, "name" | "target"> = { path: "/api/v1/auth/verify", headers: { Cookie: `_my_session_id=${dbCookie}` }, expectStatus: 200 };
    const login = await fetch(`${sessionServer.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: user.email, password: user.password }) });
    const cookie = /_my_session_id=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")![1]!;
    const rulesLogin = await fetch(`${rulesServer.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: user.email, password: user.password }) });
    const rulesCookie = /_my_session_id=([^;]+)/.exec(rulesLogin.headers.get("set-cookie") ?? "")![1]!;
    const metricsLogin = await fetch(`${metricsServer.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: user.email, password: user.password }) });
    const metricsCookie = /_my_session_id=([^;]+)/.exec(metricsLogin.headers.get("set-cookie") ?? "")![1]!;
    const hash = await hashPassword(user.password);

    const basicHeader = `Basic ${Buffer.from(`${user.email}:${user.password}`).toString("base64")}`;
    const sessionFloor = { credential: `cookie:_my_session_id=${cookie}`, sessions: 0 };
    const dbFloor = { credential: `cookie:_my_session_id=${dbCookie}`, sessions: 100_000 };
    // The floor measured against a copy of itself that runs all along, as session-auth does: its
    // ratio would be 100% on a quiet machine, and how far it strays is the noise of this run.
    const floorCopy = await spawnFloor(await capture(dbServer.base, { name: "floor copy", target: () => dbServer, ...dbMe }), dbFloor);
    servers.push(floorCopy);
    const workloads: Workload[] = [
      { name: "GET /api/v1/status", target: () => sessionServer, path: "/api/v1/status", expectStatus: 200, floor: { credential: "none", sessions: 0 } },
      { name: METRICS_OFF, target: () => sessionServer, path: "/api/v1/users/me", headers: { Cookie: `_my_session_id=${cookie}` }, expectStatus: 200, floor: sessionFloor },
      { name: METRICS_ON, target: () => metricsServer, path: "/api/v1/users/me", headers: { Cookie: `_my_session_id=${metricsCookie}` }, expectStatus: 200, floor: { credential: `cookie:_my_session_id=${metricsCookie}`, sessions: 0 } },
      { name: "GET /users/me, session_db_auth, 100k sessions", target: () => dbServer, ...dbMe, floor: dbFloor },
      { name: "  noise: that floor against a copy of itself", target: () => floorCopy, ...dbMe, floor: dbFloor },
      { name: "GET /users/me, invalid cookie (403)", target: () => sessionServer, path: "/api/v1/users/me", headers: { Cookie: `_my_session_id=${crypto.randomUUID()}` }, expectStatus: 403, floor: sessionFloor },
      { name: "GET /users/me, no credentials (401)", target: () => sessionServer, path: "/api/v1/users/me", expectStatus: 401, floor: sessionFloor },
      { name: "GET /users/me, basic_auth", target: () => basicServer, path: "/api/v1/users/me", headers: { Authorization: basicHeader }, expectStatus: 200, floor: { credential: `authorization:${basicHeader}`, sessions: 0 } },
      // What a reverse proxy asks before every request to the app it guards.
      { name: VERIFY_ROW, target: () => sessionServer, path: "/api/v1/auth/verify", headers: { Cookie: `_my_session_id=${cookie}` }, expectStatus: 200, floor: sessionFloor },
      { name: "GET /auth/verify, no cookie (401)", target: () => sessionServer, path: "/api/v1/auth/verify", expectStatus: 401, floor: sessionFloor },
      { name: "GET /auth/verify, session_db_auth, 100k sessions", target: () => dbServer, ...dbVerify, floor: dbFloor },
      // The same question as a proxy asks it, without rules and under 100 of them.
      { name: PROXIED_ROW, target: () => sessionServer, path: "/api/v1/auth/verify", headers: { Cookie: `_my_session_id=${cookie}`, ...PROXY_HEADERS }, expectStatus: 200, floor: sessionFloor },
      {
        name: RULES_ROW,
        target: () => rulesServer,
        path: "/api/v1/auth/verify",
        headers: { Cookie: `_my_session_id=${rulesCookie}`, ...PROXY_HEADERS },
        expectStatus: 200,
        floor: { credential: `cookie:_my_session_id=${rulesCookie}`, sessions: 0 },
      },
      {
        name: "POST /auth_session/login",
        target: () => loginServer,
        path: "/api/v1/auth_session/login",
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ email: user.email, password: user.password }).toString(),
        expectStatus: 200,
        verify: { password: user.password, hash },
      },
    ];

    if (only) workloads.splice(0, workloads.length, ...workloads.filter((workload) => workload.name.includes(only)));
    const results = new Map<string, { ours: Run[]; ceiling: Run[]; floor: Run[] }>();
    // Logins get rounds of their own, after the rest, so that their minutes of hashing on every
    // core do not fall between the fast workloads' runs.
    const phases = [workloads.filter((workload) => !workload.verify), workloads.filter((workload) => workload.verify)];
    for (const phase of phases) {
      for (let round = 0; round < ROUNDS; round++) {
        for (const workload of phase) {
          const seconds = workload.verify ? SECONDS * 2 : SECONDS;
          const response = await capture(workload.target().base, workload);
          const ceiling = await spawnCeiling(response, workload.verify);
          const floor = workload.floor ? await spawnFloor(response, workload.floor) : null;
          // A fresh process answers more slowly until its code is compiled: the servers started for
          // this round are warmed up first, as session-auth, running all along, already is.
          for (const fresh of [ceiling, floor]) if (fresh && !workload.verify) await wrk(fresh, workload, 1);
          const entry = results.get(workload.name) ?? { ours: [], ceiling: [], floor: [] };
          // Each round starts with another of the three, so that drift on a shared machine falls on all alike.
          const turns: [Run[], ServerProcess][] = [[entry.ceiling, ceiling], [entry.ours, workload.target()]];
          if (floor) turns.push([entry.floor, floor]);
          for (let turn = 0; turn < turns.length; turn++) {
            const [runs, server] = turns[(turn + round) % turns.length]!;
            runs.push(await wrk(server, workload, seconds));
          }
          results.set(workload.name, entry);
          for (const spawned of [ceiling, floor]) {
            spawned?.process.kill();
            await spawned?.process.exited;
          }
        }
        if (phase.length > 0) console.error(`${phase[0]!.verify ? "login" : "fast"} round ${round + 1} of ${ROUNDS} done`);
      }
    }

    const percent = (ratio: number, target: number) => `${fmt(ratio * 100, 1)}% (${ratio >= target ? "met" : "MISSED"} ${target * 100}%)`;
    const rows = workloads.map((workload) => {
      const { ours, ceiling, floor } = results.get(workload.name)!;
      const ratio = (others: Run[]) => median(ours.map((run, round) => run.rps / others[round]!.rps));
      const toCeiling = ratio(ceiling);
      return [
        workload.name,
        fmt(median(ours.map((r) => r.rps))),
        `${fmt(median(ours.map((r) => r.p50)), 2)} ms`,
        `${fmt(median(ours.map((r) => r.p99)), 2)} ms`,
        `${fmt(median(ours.map((r) => r.cpuUs)), 1)} µs`,
        floor.length > 0 ? fmt(median(floor.map((r) => r.rps))) : "",
        floor.length > 0 ? `${fmt(median(floor.map((r) => r.cpuUs)), 1)} µs` : "",
        floor.length > 0 ? percent(ratio(floor), FLOOR_TARGET) : "",
        fmt(median(ceiling.map((r) => r.rps))),
        `${fmt(median(ceiling.map((r) => r.cpuUs)), 1)} µs`,
        workload.verify ? percent(toCeiling, LOGIN_TARGET) : `${fmt(toCeiling * 100, 1)}%`,
      ];
    });
    printTable(["workload", "req/s", "p50", "p99", "CPU/req", "floor req/s", "floor CPU/req", "ratio to floor", "ceiling req/s", "ceiling CPU/req", "ratio to ceiling"], rows);
    const placement = PIN.server.length > 0 ? "servers on core 0 (login: every core), wrk on core 1" : "unpinned (taskset or a second core missing)";
    console.log(`\nwrk -t1 -c${CONNECTIONS}, ${SECONDS} s per run (login ${SECONDS * 2} s), ${ROUNDS} rounds, ${placement}; medians, ratio = median of the rounds' ratios; CPU/req: the server's user + system time per request`);
    const on = results.get(METRICS_ON);
    const off = results.get(METRICS_OFF);
    if (on && off) {
      // Measured in the same rounds, one after the other: the median of the rounds' ratios.
      const ratio = median(on.ours.map((run, round) => run.rps / off.ours[round]!.rps));
      // CPU per request tells more than req/s on a busy machine: the time the server itself spent.
      const cpu = median(on.ours.map((run, round) => run.cpuUs / off.ours[round]!.cpuUs));
      console.log(`metrics on (METRICS=1) / off, GET /users/me under session_auth: ${percent(ratio, METRICS_TARGET)} of the requests a second; server CPU per request ${fmt(cpu * 100, 1)}% of off's`);
      const inProcess = inProcessMetricsCost();
      console.log(`  in process, without HTTP (App.handle of GET /api/v1/status, medians of 10 × 200k): ${fmt(inProcess.off, 2)} µs off, ${fmt(inProcess.on, 2)} µs on`);
    }
    console.log("ceiling: bare Bun.serve with the same response (login: plus one Bun.password.verify); floor: the same answer after only the work the workload needs (scripts/lib/floor-server.ts)");

    const withRules = results.get(RULES_ROW);
    const withoutRules = results.get(PROXIED_ROW);
    if (withRules && withoutRules) {
      const ratio = median(withRules.ours.map((run, round) => run.rps / withoutRules.ours[round]!.rps));
      const cpu = (runs: Run[]) => `${fmt(median(runs.map((r) => r.cpuUs)), 1)} µs`;
      console.log(`\naccess rules: verify under 100 rules (the request's own the last) ${fmt(median(withRules.ours.map((r) => r.rps)))} req/s (${cpu(withRules.ours)} CPU/req), the same request without rules ${fmt(median(withoutRules.ours.map((r) => r.rps)))} req/s (${cpu(withoutRules.ours)}): ${percent(ratio, RULES_TARGET)}`);
    }

    if (!only || "proxy".includes(only) || only.includes("proxy")) await proxyRow(sessionServer, cookie);
    if (!only || only.includes("reuse")) await reusePortRows(log);

    console.log(`\n${startUpLine}`);

    // Memory.
    const idle = await rssMb(sessionServer.process.pid);
    const with100k = await rssMb(dbServer.process.pid);
    for (const server of servers.splice(0)) {
      server.process.kill();
      await server.process.exited;
    }
    console.log(`RSS: ${fmt(idle)} MiB idle (1k users), ${fmt(with100k)} MiB with 100k stored sessions`);
    await millionSessions(servers, dirs, log);
  } finally {
    for (const server of servers) {
      server.process.kill();
      await server.process.exited;
    }
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the metrics add to one request in the app itself, without HTTP and wrk: the same
 * request through two in-process apps, one with METRICS=1, in alternating batches.
 */
function inProcessMetricsCost(): { off: number; on: number } {
  const make = (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "session-auth-bench-"));
    return { dir, app: App.create(loadConfig({ API_HOST: "127.0.0.1", API_PORT: "0", DATA_DIR: dir, ...env }, { compiled: false, execPath: "", cwd: dir }), { logger: silentLogger }) };
  };
  const apps = { off: make({}), on: make({ METRICS: "1" }) };
  const request = new Request("http://127.0.0.1/api/v1/status");
  const times = { off: [] as number[], on: [] as number[] };
  const count = 200_000;
  for (let round = 0; round < 10; round++) {
    for (const kind of ["off", "on"] as const) {
      const started = performance.now();
      for (let i = 0; i < count; i++) apps[kind].app.handle(request, "127.0.0.1");
      times[kind].push(((performance.now() - started) * 1000) / count);
    }
  }
  for (const { app, dir } of Object.values(apps)) {
    void app.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return { off: median(times.off), on: median(times.on) };
}

/**
 * REUSE_PORT=1: GET /users/me under session_db_auth on PostgreSQL (throwaway, from
 * scripts/dev-services.sh) with one instance on the port, then two; the server CPU per request
 * is the instances' user + system time together over the requests answered, so that what a
 * machine with more cores gains from more instances can be read from it. Both instances share
 * the server core here, so their req/s is not expected to grow on this machine.
 */
async function reusePortRows(log: (name: string) => { logFile: string }): Promise<void> {
  const servicesDir = mkdtempSync(join(tmpdir(), "session-auth-bench-services-"));
  const services = (action: "up" | "down") => Bun.spawnSync(["bash", join(ROOT, "scripts", "dev-services.sh"), action], { env: { ...process.env, SESSION_AUTH_SERVICES_DIR: servicesDir }, stdout: "pipe", stderr: "pipe" });
  const up = services("up");
  const databaseUrl = /DATABASE_URL=(\S+)/.exec(up.stdout.toString())?.[1];
  if (up.exitCode !== 0 || !databaseUrl) {
    console.log(`\nREUSE_PORT: not measured (no throwaway PostgreSQL: ${up.stderr.toString().trim().split("\n").pop()})`);
    services("down");
    rmSync(servicesDir, { recursive: true, force: true });
    return;
  }
  const redisUrl = /REDIS_URL=(\S+)/.exec(up.stdout.toString())?.[1];
  const instances: ServerProcess[] = [];
  try {
    const base = { AUTH_TYPE: "session_db_auth", DATABASE_URL: databaseUrl, REUSE_PORT: "1", LOGIN_MAX_FAILURES_PER_CLIENT: "0", LOGIN_MAX_FAILURES_PER_ACCOUNT: "0" };
    const created = Bun.spawnSync([BINARY, "users", "create", "--email", "reuse@bench.test", "--password", "bench-password"], { env: { PATH: process.env.PATH ?? "", ...base }, stdout: "pipe", stderr: "pipe" });
    if (created.exitCode !== 0) throw new Error(`users create failed: ${created.stderr}`);
    console.log(`\nREUSE_PORT=1, GET /users/me under session_db_auth, instances on the server core (PostgreSQL and Redis unpinned):`);
    const setups: [string, Record<string, string>][] = [["sessions in PostgreSQL", base]];
    if (redisUrl) setups.push(["sessions in Redis", { ...base, REDIS_URL: redisUrl }]);
    for (const [setup, [label, env]] of setups.entries()) {
      const port = freePort();
      const start = async (name: string) => {
        // A log file of its own per instance and setup: the start-up line is read from it.
        const instance = await spawnServer([...PIN.server, BINARY], env, { ...log(`reuse-${setup}-${name}`), port });
        instances.push(instance);
        return instance;
      };
      const first = await start("1");
      const login = await fetch(`${first.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "reuse@bench.test", password: "bench-password" }) });
      const cookie = /_my_session_id=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1];
      if (!cookie) throw new Error(`login failed: ${login.status}`);
      const workload: Workload = { name: "reuse", target: () => first, path: "/api/v1/users/me", headers: { Cookie: `_my_session_id=${cookie}` }, expectStatus: 200 };
      await capture(first.base, workload);
      const one: Run[] = [];
      for (let round = 0; round < ROUNDS; round++) one.push(await wrk(first, workload, SECONDS));
      const second = await start("2");
      const two: Run[] = [];
      for (let round = 0; round < ROUNDS; round++) two.push(await wrk(first, workload, SECONDS, [first, second]));
      const line = (runs: Run[]) => `${fmt(median(runs.map((r) => r.rps)))} req/s, ${fmt(median(runs.map((r) => r.cpuUs)), 1)} µs of server CPU per request`;
      console.log(`  ${label}, one instance:  ${line(one)}`);
      console.log(`  ${label}, two instances: ${line(two)} (both instances' CPU together)`);
      for (const instance of instances.splice(0)) {
        instance.process.kill();
        await instance.process.exited;
      }
    }
  } finally {
    for (const instance of instances) {
      instance.process.kill();
      await instance.process.exited;
    }
    services("down");
    rmSync(servicesDir, { recursive: true, force: true });
  }
}

/**
 * A million stored sessions in the original's file (session_db_auth on the JSON files): start-up
 * to the first answer and RSS once started, beside baselines of the same run, each in a process
 * of its own: JSON.parse of the file, a bare Map of the million session keys, and session_auth
 * holding a million sessions in memory.
 */
async function millionSessions(servers: ServerProcess[], dirs: string[], log: (name: string) => { logFile: string }): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "session-auth-bench-"));
  dirs.push(dir);
  const keysFile = join(dir, "keys.txt");
  const user = await writeUsers(dir, 1);
  const [cookie] = writeSessions(dir, 1_000_000, () => user.id, 1, keysFile);
  const fileMiB = statSync(join(dir, ".db_UserSession.json")).size / (1 << 20);
  const started = performance.now();
  const server = await spawnServer([BINARY], { DATA_DIR: dir, AUTH_TYPE: "session_db_auth" }, log("million"));
  servers.push(server);
  const me = await fetch(`${server.base}/api/v1/users/me`, { headers: { Cookie: `_my_session_id=${cookie}` } });
  await me.arrayBuffer();
  const startMs = performance.now() - started;
  if (me.status !== 200) throw new Error(`a session of the million: status ${me.status}`);
  const rss = await rssMb(server.process.pid);
  server.process.kill();
  await server.process.exited;
  const probe = (mode: string, argument: string) => {
    const result = Bun.spawnSync([process.execPath, join(ROOT, "scripts", "lib", "memory-probe.ts"), mode, argument], { stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`memory probe ${mode} failed: ${result.stderr}`);
    return JSON.parse(result.stdout.toString()) as { ms: number; rssMiB: number };
  };
  const parse = probe("parse", join(dir, ".db_UserSession.json"));
  const map = probe("map", keysFile);
  const inMemory = probe("session_auth", "1000000");
  console.log(`\n1M session_db_auth sessions in the JSON files (the original's format, ${fmt(fileMiB)} MiB): first answer ${fmt(startMs / 1000, 2)} s after start, RSS ${fmt(rss)} MiB (target: at most 2 s and 400 MiB)`);
  console.log(`  baselines: JSON.parse of the file ${fmt(parse.ms / 1000, 2)} s, RSS ${fmt(parse.rssMiB)} MiB; a bare Map of the 1M session keys ${fmt(map.ms / 1000, 2)} s, RSS ${fmt(map.rssMiB)} MiB`);
  console.log(`1M session_auth sessions in memory (no file): RSS ${fmt(inMemory.rssMiB)} MiB, made in ${fmt(inMemory.ms / 1000, 2)} s`);
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

function spawnFloor(response: { status: number; headers: Record<string, string>; body: string }, floor: { credential: string; sessions: number }): Promise<ServerProcess> {
  return spawnServer([...PIN.server, FLOOR], { CEILING_RESPONSE: JSON.stringify(response), FLOOR_CREDENTIAL: floor.credential, FLOOR_SESSIONS: String(floor.sessions) });
}

function spawnCeiling(response: { status: number; headers: Record<string, string>; body: string }, verify?: { password: string; hash: string }): Promise<ServerProcess> {
  const env: Record<string, string> = { CEILING_RESPONSE: JSON.stringify(response) };
  if (verify) {
    env.CEILING_VERIFY_HASH = verify.hash;
    env.CEILING_VERIFY_PASSWORD = verify.password;
  }
  return spawnServer(verify ? [CEILING] : [...PIN.server, CEILING], env);
}

await main();
