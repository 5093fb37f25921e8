/**
 * `npm start` (package.json, scripts/start.sh) in a copy of the project: the server it leaves
 * running is the process npm started (signals reach it), and the npm script overrides no
 * setting a `.env` makes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { cpSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/spawn-server.ts";
import { tempDir } from "../helpers.ts";

const START: string = (await Bun.file(join(ROOT, "package.json")).json()).scripts.start;
let project = "";
/** Every process of every run, killed at the end if a test left one behind. */
const started = new Set<number>();

beforeAll(() => {
  project = join(tempDir(), "project");
  mkdirSync(project);
  for (const entry of ["src", "scripts", "package.json", "tsconfig.json"]) cpSync(join(ROOT, entry), join(project, entry), { recursive: true });
  symlinkSync(join(ROOT, "node_modules"), join(project, "node_modules"));
});

afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone already
    }
  }
});

/** The processes below `pid`, children first seen now. */
function descendants(pid: number): number[] {
  const children = Bun.spawnSync(["pgrep", "-P", String(pid)]).stdout.toString().split("\n").filter(Boolean).map(Number);
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** Runs `command` in the project and waits (builds included) for the start-up line. */
async function start(command: string[], env: Record<string, string> = {}) {
  const child = Bun.spawn(command, {
    cwd: project,
    env: { PATH: `${join(project, "node_modules", ".bin")}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? "/root", API_HOST: "127.0.0.1", API_PORT: "0", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  started.add(child.pid);
  const reader = (child.stdout as ReadableStream<Uint8Array>).getReader();
  let output = "";
  let line: RegExpExecArray | null = null;
  while (!(line = /listening on (http:\/\/127\.0\.0\.1:\d+) \(auth: (\w+)/.exec(output))) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`no start-up line:\n${output}${await new Response(child.stderr as ReadableStream).text()}`);
    output += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void (child.stdout as ReadableStream).pipeTo(new WritableStream()).catch(() => {});
  for (const pid of descendants(child.pid)) started.add(pid);
  return { child, url: line[1]!, auth: line[2]! };
}

const answers = (url: string) =>
  fetch(`${url}/api/v1/status`)
    .then((response) => response.status === 200)
    .catch(() => false);

test("SIGTERM to npm start stops the server: the script's shell became the binary", async () => {
  const server = await start(["npm", "start", "--silent"], { DATA_DIR: tempDir() });
  expect(server.auth).toBe("session_auth");
  expect(await answers(server.url)).toBe(true);
  server.child.kill("SIGTERM");
  await server.child.exited;
  // Whatever npm did, nothing it started may still serve.
  let serving = true;
  for (let i = 0; i < 50 && serving; i++) {
    serving = await answers(server.url);
    if (serving) await Bun.sleep(100);
  }
  expect(serving).toBe(false);
}, 120_000);

test("the script's own process is the server once it runs", async () => {
  const server = await start(["sh", "-c", START], { DATA_DIR: tempDir() });
  expect(descendants(server.child.pid)).toEqual([]);
  server.child.kill("SIGTERM");
  expect(await server.child.exited).toBe(0);
  expect(await answers(server.url)).toBe(false);
}, 120_000);

test("AUTH_TYPE from the project folder's .env, or from dist/.env, is not overridden; the environment wins over both", async () => {
  const cases: [string, string, Record<string, string>, string][] = [
    ["AUTH_TYPE=basic_auth\n", "", {}, "basic_auth"],
    ["", "AUTH_TYPE=session_exp_auth\n", {}, "session_exp_auth"],
    ["AUTH_TYPE=basic_auth\n", "AUTH_TYPE=session_exp_auth\n", {}, "basic_auth"],
    ["AUTH_TYPE=basic_auth\n", "AUTH_TYPE=session_exp_auth\n", { AUTH_TYPE: "session_db_auth" }, "session_db_auth"],
  ];
  try {
    for (const [projectEnv, distEnv, env, expected] of cases) {
      writeFileSync(join(project, ".env"), `${projectEnv}DATA_DIR=${tempDir()}\n`);
      mkdirSync(join(project, "dist"), { recursive: true });
      writeFileSync(join(project, "dist", ".env"), distEnv);
      const server = await start(["sh", "-c", START], env);
      server.child.kill("SIGTERM");
      await server.child.exited;
      expect([projectEnv, distEnv, env, server.auth]).toEqual([projectEnv, distEnv, env, expected]);
    }
  } finally {
    for (const file of [join(project, ".env"), join(project, "dist", ".env")]) if (existsSync(file)) writeFileSync(file, "");
  }
}, 240_000);
