/**
 * HTTP fuzzing of the running binary on 127.0.0.1: a bounded stream of random requests
 * (through fetch) and malformed ones (through a raw socket) at a server under session_db_auth.
 * Afterwards the server must still be up, must never have answered 5xx, and its data must be
 * intact (the seeded user and session work; the user count is what the 201s say; a restart
 * reads the files back). Prints `N requests, 0 5xx, 0 crashes, data intact`.
 *
 * Bun's HTTP parser answers some raw requests before the application sees them: 505 for a
 * request line it cannot read (an unknown version, a garbage method), 431 for huge headers,
 * 400 for broken framing. Raw requests answered 400, 431 or 505 are counted apart, by status;
 * the application itself only ever answers 500 among the 5xx, so a 505 is never its own.
 *
 *   bun scripts/fuzz-http.ts [REQUESTS=100000] [--binary dist/session-auth] [--seed N]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Credentials, hostileRequest, malformedRequest } from "./lib/hostile-requests.ts";
import { Random } from "./lib/random.ts";
import { ROOT, type ServerProcess, spawnServer } from "./lib/spawn-server.ts";

const CONCURRENCY = 16;
const ADMIN = { email: "admin@fuzz.test", password: "fuzz-admin-pw" };

export interface FuzzResult {
  requests: number;
  serverErrors: string[];
  /** Malformed raw requests answered 400, 431 or 505, by status. */
  parserRefusals: Record<number, number>;
  crashes: number;
  dataIntact: boolean;
  seed: number;
}

export async function fuzzHttp(options: { requests: number; binary?: string; seed?: number }): Promise<FuzzResult> {
  const binary = options.binary ?? join(ROOT, "dist", "session-auth");
  const random = new Random(options.seed);
  const dataDir = mkdtempSync(join(tmpdir(), "session-auth-fuzz-"));
  const env = { AUTH_TYPE: "session_db_auth", DATA_DIR: dataDir };
  const serverErrors: string[] = [];
  const parserRefusals: Record<number, number> = {};
  let crashes = 0;
  let created = 0;
  let server: ServerProcess | null = null;
  try {
    const admin = Bun.spawnSync([binary, "users", "create", "--email", ADMIN.email, "--password", ADMIN.password], { env: { DATA_DIR: dataDir }, stdout: "pipe", stderr: "pipe" });
    if (admin.exitCode !== 0) throw new Error(`cannot create the admin user: ${admin.stderr}`);
    const userId = admin.stdout.toString().trim();
    server = await spawnServer([binary], env);
    const port = Number(new URL(server.base).port);
    const login = await fetch(`${server.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams(ADMIN) });
    const sessionId = /_my_session_id=([^;]+)/.exec(login.headers.get("set-cookie") ?? "")?.[1];
    if (!sessionId) throw new Error("the admin could not log in");
    const credentials: Credentials = { sessionId, sessionName: "_my_session_id", userId };

    let sent = 0;
    const worker = async () => {
      while (sent < options.requests) {
        sent += 1;
        if (random.chance(0.1)) {
          const raw = malformedRequest(random);
          const status = await sendRaw(port, raw);
          if (status === 505 || status === 431 || status === 400) parserRefusals[status] = (parserRefusals[status] ?? 0) + 1;
          else if (status !== null && status >= 500) serverErrors.push(`${status} for raw ${JSON.stringify(raw.slice(0, 80))}`);
          continue;
        }
        const request = hostileRequest(random, server!.base, credentials);
        try {
          const response = await fetch(request, { redirect: "manual" });
          await response.arrayBuffer();
          if (response.status >= 500) serverErrors.push(`${response.status} for ${request.method} ${request.url}`);
          if (response.status === 201) created += 1;
        } catch {
          if (server!.process.exitCode !== null) return;
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (server.process.exitCode !== null) crashes += 1;

    const dataIntact = crashes === 0 && (await intact(server.base, sessionId, 1 + created));
    server.process.kill("SIGTERM");
    await server.process.exited;
    server = await spawnServer([binary], env);
    const intactAfterRestart = await intact(server.base, sessionId, 1 + created);
    return { requests: options.requests, serverErrors, parserRefusals, crashes, dataIntact: dataIntact && intactAfterRestart, seed: random.seed };
  } finally {
    if (server) {
      server.process.kill("SIGTERM");
      await server.process.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The admin's session still names the admin, and the user count is the expected one. */
async function intact(base: string, sessionId: string, users: number): Promise<boolean> {
  const cookie = { cookie: `_my_session_id=${sessionId}` };
  const me = await fetch(`${base}/api/v1/users/me`, { headers: cookie });
  const stats = await fetch(`${base}/api/v1/stats`, { headers: cookie });
  if (me.status !== 200 || stats.status !== 200) return false;
  return ((await me.json()) as { email: string }).email === ADMIN.email && ((await stats.json()) as { users: number }).users === users;
}

/** Sends bytes, returns the status of the first response line, or null if none came. */
function sendRaw(port: number, bytes: string): Promise<number | null> {
  return new Promise((resolve) => {
    let received = "";
    const socket = connect(port, "127.0.0.1", () => socket.end(bytes));
    const done = () => {
      socket.destroy();
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1];
      resolve(status ? Number(status) : null);
    };
    socket.setTimeout(2000, done);
    socket.on("data", (chunk) => {
      received += chunk.toString("latin1");
    });
    socket.on("close", done);
    socket.on("error", done);
  });
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at === -1 ? undefined : args[at + 1];
  };
  const binary = option("--binary");
  const seed = option("--seed");
  const requests = Number(args.find((arg, i) => /^\d+$/.test(arg) && !["--binary", "--seed"].includes(args[i - 1] ?? "")) ?? 100_000);
  const result = await fuzzHttp({ requests, binary: binary && join(process.cwd(), binary), seed: seed === undefined ? undefined : Number(seed) });
  for (const error of result.serverErrors.slice(0, 20)) console.error(error);
  const refusals = Object.entries(result.parserRefusals).map(([status, count]) => `${count}×${status}`).join(", ");
  console.log(`malformed raw requests refused: ${refusals || "none"} (505 and 431 come from Bun's HTTP parser) (seed ${result.seed})`);
  console.log(`${result.requests} requests, ${result.serverErrors.length} 5xx, ${result.crashes} crashes, ${result.dataIntact ? "data intact" : "DATA NOT INTACT"}`);
  process.exit(result.serverErrors.length === 0 && result.crashes === 0 && result.dataIntact ? 0 : 1);
}
