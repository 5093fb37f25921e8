/** Starts a session-auth server process and waits for its start-up line to learn the port. */
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "..", "..");

/**
 * How much more reluctant than usual JavaScriptCore's JIT is until the server listens, or until
 * it loads a data file large enough to be worth compiling (src/jit-policy.ts): 1k users load
 * with no JIT compiler running: about 3 ms less to the first answer.
 */
const START_UP_JIT_POLICY = 1000;

/**
 * How the session-auth executable is built (`npm run build`, the release, the benchmarks): one
 * file that reads neither a .env (the program reads its own) nor a bunfig.toml where it is started
 * (whose preload would run code inside the server), and whose JIT waits until it listens.
 */
export const SERVER_BUILD_FLAGS = ["--compile", "--minify", "--bytecode", `--compile-jit-policy=${START_UP_JIT_POLICY}`, "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig"] as const;

/** The server from this checkout's source, run by the current Bun. */
export const SOURCE_COMMAND = [process.execPath, join(ROOT, "src", "main.ts")];

/** A port nothing listens on right now. */
export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

export interface ServerProcess {
  process: ReturnType<typeof Bun.spawn>;
  /** `http://127.0.0.1:PORT` */
  base: string;
}

/**
 * Runs `command` on 127.0.0.1 and a free port (or `port`); rejects if it exits or says nothing for 10 s.
 * With `logFile`, the access log goes to that file (as it would in production) instead of
 * through a pipe this process must keep draining.
 */
export async function spawnServer(command: readonly string[], env: Record<string, string>, options: { logFile?: string; port?: number } = {}): Promise<ServerProcess> {
  const childEnv = { PATH: process.env.PATH ?? "", ...env, API_HOST: "127.0.0.1", API_PORT: String(options.port ?? 0) };
  if (options.logFile) return spawnLoggingToFile(command, childEnv, options.logFile);
  const child = Bun.spawn([...command], {
    env: childEnv,
    stdout: "pipe",
    stderr: "pipe",
  });
  const stdout = child.stdout as ReadableStream<Uint8Array>;
  const reader = stdout.getReader();
  const decoder = new TextDecoder();
  let output = "";
  const deadline = Date.now() + 10_000;
  let port: string | undefined;
  while (!(port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(output)?.[1])) {
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not start:\n${output}`);
    }
    const { value, done } = await reader.read();
    if (done) throw new Error(`the server exited at start-up:\n${output}${await new Response(child.stderr as ReadableStream).text()}`);
    output += decoder.decode(value);
  }
  reader.releaseLock();
  // Keep draining the access log so that the pipe never fills up.
  void stdout.pipeTo(new WritableStream()).catch(() => {});
  return { process: child, base: `http://127.0.0.1:${port}` };
}

async function spawnLoggingToFile(command: readonly string[], env: Record<string, string>, logFile: string): Promise<ServerProcess> {
  const child = Bun.spawn([...command], { env, stdout: Bun.file(logFile), stderr: "inherit" });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(await Bun.file(logFile).text().catch(() => ""))?.[1];
    if (port) return { process: child, base: `http://127.0.0.1:${port}` };
    if (child.exitCode !== null) throw new Error(`the server exited at start-up; see ${logFile}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server did not start; see ${logFile}`);
    }
    await Bun.sleep(5);
  }
}
