/**
 * Crash soak: a server process takes a stream of user creations and logins (session_db_auth),
 * is killed with SIGKILL at a random moment, and is restarted on the same data folder; every
 * write that got a 2xx before the kill must still be there. Prints
 * `N kills, 0 lost acknowledged writes`.
 *
 *   bun scripts/crash-soak.ts [KILLS=50] [--binary dist/session-auth]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerProcess, SOURCE_COMMAND, spawnServer } from "./lib/spawn-server.ts";

const WORKERS = 6;
const ADMIN = { email: "admin@crash.test", password: "admin-pw" };

export interface SoakOptions {
  kills: number;
  /** The server command; default: this checkout's source run by Bun. */
  command?: string[];
  /** Writes per worker per round at most (the loop is bounded even if the kill comes late). */
  maxWritesPerWorker?: number;
  log?: (line: string) => void;
}

export interface SoakResult {
  kills: number;
  acknowledged: number;
  lost: string[];
}

interface Acknowledged {
  emails: string[];
  sessions: string[];
}

export async function crashSoak(options: SoakOptions): Promise<SoakResult> {
  const command = options.command ?? SOURCE_COMMAND;
  const dataDir = mkdtempSync(join(tmpdir(), "session-auth-crash-"));
  const env = {
    PATH: process.env.PATH ?? "",
    AUTH_TYPE: "session_db_auth",
    DATA_DIR: dataDir,
    // Small journals, so that kills also land in the middle of compactions.
    JOURNAL_COMPACT_BYTES: "4096",
  };
  const acknowledged: Acknowledged = { emails: [], sessions: [] };
  const lost: string[] = [];
  let server: ServerProcess | null = null;
  try {
    const created = Bun.spawnSync([...command, "users", "create", "--email", ADMIN.email, "--password", ADMIN.password], { env, stdout: "pipe", stderr: "pipe" });
    if (created.exitCode !== 0) throw new Error(`could not create the admin user: ${created.stderr.toString()}`);
    server = await spawnServer(command, env);
    for (let round = 0; round < options.kills; round++) {
      await writeUntilKilled(server, acknowledged, options.maxWritesPerWorker ?? 200);
      server = await spawnServer(command, env);
      const missing = await verify(server.base, acknowledged);
      lost.push(...missing);
      options.log?.(`kill ${round + 1}: ${acknowledged.emails.length} users and ${acknowledged.sessions.length} sessions acknowledged so far, ${missing.length} lost`);
      if (missing.length > 0) break;
    }
  } finally {
    if (server) {
      server.process.kill("SIGTERM");
      await server.process.exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
  return { kills: options.kills, acknowledged: acknowledged.emails.length + acknowledged.sessions.length, lost };
}

async function login(base: string): Promise<string | null> {
  const response = await fetch(`${base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams(ADMIN) });
  if (response.status !== 200) return null;
  return /_my_session_id=([^;]+)/.exec(response.headers.get("set-cookie") ?? "")?.[1] ?? null;
}

/** Workers create users and log in until the server is killed at a random moment. */
async function writeUntilKilled(server: ServerProcess, acknowledged: Acknowledged, maxWrites: number): Promise<void> {
  const cookie = await login(server.base);
  if (!cookie) throw new Error("the admin could not log in");
  const worker = async (id: number) => {
    for (let i = 0; i < maxWrites; i++) {
      try {
        // Half the workers start with a login, so that every round has both kinds of write.
        if ((i + id) % 2 === 0) {
          const email = `u-${crypto.randomUUID()}@crash.test`;
          const response = await fetch(`${server.base}/api/v1/users`, {
            method: "POST",
            headers: { "content-type": "application/json", cookie: `_my_session_id=${cookie}` },
            body: JSON.stringify({ email, password: `pw-secret-${id}` }),
          });
          await response.arrayBuffer();
          if (response.status === 201) acknowledged.emails.push(email);
        } else {
          const session = await login(server.base);
          if (session) acknowledged.sessions.push(session);
        }
      } catch {
        return; // The server is gone: whatever was in flight was never acknowledged.
      }
    }
  };
  const workers = Array.from({ length: WORKERS }, (_, id) => worker(id));
  await Bun.sleep(50 + Math.floor(Math.random() * 400));
  server.process.kill("SIGKILL");
  await server.process.exited;
  await Promise.all(workers);
}

/** Every acknowledged user is listed and every acknowledged session still opens /users/me. */
async function verify(base: string, acknowledged: Acknowledged): Promise<string[]> {
  const cookie = await login(base);
  if (!cookie) return ["the admin user"];
  const response = await fetch(`${base}/api/v1/users`, { headers: { cookie: `_my_session_id=${cookie}` } });
  const listed = new Set(((await response.json()) as { email: string }[]).map((user) => user.email));
  const missing = acknowledged.emails.filter((email) => !listed.has(email)).map((email) => `user ${email}`);
  for (let i = 0; i < acknowledged.sessions.length; i += 32) {
    const batch = acknowledged.sessions.slice(i, i + 32);
    const statuses = await Promise.all(
      batch.map(async (session) => {
        const me = await fetch(`${base}/api/v1/users/me`, { headers: { cookie: `_my_session_id=${session}` } });
        await me.arrayBuffer();
        return me.status;
      }),
    );
    statuses.forEach((status, j) => {
      if (status !== 200) missing.push(`session #${i + j} (status ${status})`);
    });
  }
  return missing;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const binaryAt = args.indexOf("--binary");
  const command = binaryAt === -1 ? undefined : [join(process.cwd(), args[binaryAt + 1]!)];
  const kills = Number(args.find((arg, i) => /^\d+$/.test(arg) && args[i - 1] !== "--binary") ?? 50);
  const result = await crashSoak({ kills, command, log: (line) => console.error(line) });
  for (const item of result.lost.slice(0, 20)) console.error(`lost: ${item}`);
  console.log(`${result.kills} kills, ${result.lost.length} lost acknowledged writes (${result.acknowledged} acknowledged)`);
  process.exit(result.lost.length === 0 ? 0 : 1);
}
