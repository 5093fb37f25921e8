import { describe, expect, spyOn, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../src/config.ts";
import { StoreLoadError } from "../src/storage/record-store.ts";
import { createLogger, silentLogger } from "../src/logger.ts";
import { startServer } from "../src/app/start.ts";
import { freePort, SOURCE_COMMAND, spawnServer } from "../scripts/lib/spawn-server.ts";
import { runCli } from "../src/cli.ts";
import { captureIo } from "./cli/io.ts";
import { backendEnv, tempDir, testConfig } from "./helpers.ts";

describe("through a real socket on 127.0.0.1", () => {
  test("serves, logs one line per request without secrets, and stops", async () => {
    let text = "";
    const logger = createLogger("text", { out: (t) => void (text += t), err: (t) => void (text += t) });
    const running = startServer(testConfig({ AUTH_TYPE: "session_auth" }), { logger });
    try {
      expect(running.url).toStartWith("http://127.0.0.1:");
      const status = await fetch(`${running.url}/api/v1/status`);
      expect(status.status).toBe(200);
      expect(await status.json()).toEqual({ status: "OK" });
      await fetch(`${running.url}/api/v1/users?token=secret-query`, { headers: { Cookie: "_my_session_id=secret-cookie", Authorization: "Basic c2VjcmV0" } });
      await fetch(`${running.url}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "a@b", password: "secret-password" }) });
    } finally {
      await running.stop();
    }
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^session-auth listening on http:\/\/127\.0\.0\.1:\d+ \(auth: session_auth, data: .+\)$/);
    const time = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";
    expect(lines.filter((l) => new RegExp(`^${time} 127\\.0\\.0\\.1 GET /api/v1/status 200 \\d+(\\.\\d)?ms$`).test(l))).toHaveLength(1);
    expect(lines.filter((l) => new RegExp(`^${time} 127\\.0\\.0\\.1 GET /api/v1/users 403 `).test(l))).toHaveLength(1);
    const all = lines.join("\n");
    for (const secret of ["secret-query", "secret-cookie", "c2VjcmV0", "secret-password"]) expect(all).not.toContain(secret);
  });

  test("LOG_FORMAT=json: one JSON object per line, with the same fields and no secrets", async () => {
    let text = "";
    const logger = createLogger("json", { out: (t) => void (text += t), err: (t) => void (text += t) });
    const running = startServer(testConfig({ AUTH_TYPE: "basic_auth", LOG_FORMAT: "json" }), { logger });
    try {
      await fetch(`${running.url}/api/v1/users/me?token=secret-query`, { headers: { Authorization: "Basic c2VjcmV0OnNlY3JldA==" } });
    } finally {
      await running.stop();
    }
    const entries = text.trimEnd().split("\n").map((line) => JSON.parse(line));
    expect(entries[0]).toMatchObject({ level: "info", event: "listening", auth: "basic_auth" });
    expect(entries[1]).toMatchObject({ level: "info", client: "127.0.0.1", method: "GET", path: "/api/v1/users/me", status: 403 });
    expect(typeof entries[1].duration_ms).toBe("number");
    expect(Date.parse(entries[1].time)).toBeGreaterThan(0);
    expect(text).not.toContain("secret");
    expect(text).not.toContain("c2VjcmV0");
  });

  test("a body over the limit is refused with a JSON 413 over the wire", async () => {
    const running = startServer(testConfig({ MAX_BODY_BYTES: "1024" }), { logger: silentLogger });
    try {
      const response = await fetch(`${running.url}/api/v1/users`, { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(100_000) });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({ error: "Request body too large" });
      expect((await fetch(`${running.url}/api/v1/status`)).status).toBe(200);
    } finally {
      await running.stop();
    }
  });

  test("headers over 16 KiB are refused (431) and the server goes on", async () => {
    const running = startServer(testConfig(), { logger: silentLogger });
    try {
      const response = await fetch(`${running.url}/api/v1/status`, { headers: { "x-big": "a".repeat(20_000) } });
      expect(response.status).toBe(431);
      expect((await fetch(`${running.url}/api/v1/status`)).status).toBe(200);
    } finally {
      await running.stop();
    }
  });

  /** Sends raw bytes on a new connection; resolves with what came back before the server closed it (or `waitMs` passed). */
  async function raw(url: string, bytes: string, options: { closeAfterSend?: boolean; waitMs?: number } = {}): Promise<string> {
    const { port } = new URL(url);
    let received = "";
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port: Number(port),
      socket: { data: (_socket, data) => void (received += data.toString()), close: () => done(), error: () => done() },
    });
    socket.write(bytes);
    if (options.closeAfterSend) socket.end();
    await Promise.race([finished, Bun.sleep(options.waitMs ?? 2000)]);
    socket.end();
    return received;
  }

  test("a request without Host (HTTP/1.0, health checkers) or with an absolute target keeps its path", async () => {
    const running = startServer(testConfig({ AUTH_TYPE: "basic_auth" }), { logger: silentLogger });
    try {
      const bare = await raw(running.url, "GET /api/v1/status HTTP/1.0\r\n\r\n");
      expect(bare).toStartWith("HTTP/1.1 200");
      expect(bare).toContain('"status": "OK"');
      expect(await raw(running.url, "GET /x/api/v1/status HTTP/1.0\r\n\r\n")).toStartWith("HTTP/1.1 401");
      const absolute = await raw(running.url, `GET ${running.url}/api/v1/status HTTP/1.1\r\nHost: elsewhere\r\nConnection: close\r\n\r\n`);
      expect(absolute).toStartWith("HTTP/1.1 200");
    } finally {
      await running.stop();
    }
  });

  test("every 413 is the JSON one with its log line, however large the declared body", async () => {
    let text = "";
    const logger = createLogger("text", { out: (t) => void (text += t), err: (t) => void (text += t) });
    const running = startServer(testConfig(), { logger });
    try {
      for (const size of [70_000, 2 * 1024 * 1024, 10 * 1024 * 1024 * 1024]) {
        const answer = await raw(running.url, `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n{}`);
        expect(answer).toStartWith("HTTP/1.1 413");
        expect(answer).toContain('"error": "Request body too large"');
      }
      expect((await fetch(`${running.url}/api/v1/status`)).status).toBe(200);
    } finally {
      await running.stop();
    }
    expect(text.match(/ POST \/api\/v1\/users 413 /g)).toHaveLength(3);
  });

  test("a body that stops arriving is a 400 in the log, never a 500 or an internal error", async () => {
    let text = "";
    const logger = createLogger("text", { out: (t) => void (text += t), err: (t) => void (text += t) });
    const running = startServer(testConfig(), { logger });
    try {
      await raw(running.url, `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"email": "a@b"`, { closeAfterSend: true, waitMs: 500 });
      for (let i = 0; i < 40 && !/ POST \/api\/v1\/users \d{3} /.test(text); i++) await Bun.sleep(50);
      logger.flush?.();
    } finally {
      await running.stop();
    }
    expect(text).toMatch(/ POST \/api\/v1\/users 400 /);
    expect(text).not.toContain("internal error");
  });

  test.skipIf(!process.env.TEST_REDIS_URL)("the start-up line names every backend: sessions in Redis with users in the data folder", async () => {
    let text = "";
    const logger = createLogger("text", { out: (t) => void (text += t), err: (t) => void (text += t) });
    const running = startServer(testConfig({ AUTH_TYPE: "session_db_auth", REDIS_URL: process.env.TEST_REDIS_URL!, REDIS_PREFIX: `t_${crypto.randomUUID()}:` }), { logger });
    await running.stop();
    expect(text.split("\n")[0]).toMatch(/\(auth: session_db_auth, data: .+; users: json files, sessions: redis, login attempts: redis\)$/);
  });

  test.skipIf(!process.env.TEST_DATABASE_URL)("REUSE_PORT=1: two instances on PostgreSQL share one port, and both answer", async () => {
    const env = { AUTH_TYPE: "basic_auth", REUSE_PORT: "1", ...backendEnv("postgres", tempDir()) };
    const answered = [0, 0];
    const counting = (i: number) => ({ ...silentLogger, request: () => void (answered[i]! += 1) });
    const first = startServer(testConfig(env), { logger: counting(0) });
    const second = startServer(testConfig({ ...env, API_PORT: String(first.server.port) }), { logger: counting(1) });
    try {
      expect(second.server.port).toBe(first.server.port);
      const statuses = await Promise.all(Array.from({ length: 40 }, () => fetch(`${first.url}/api/v1/status`, { headers: { Connection: "close" } }).then((r) => r.status)));
      expect(statuses.every((status) => status === 200)).toBe(true);
      // The kernel spreads new connections over both (by their source ports).
      expect(answered[0]! + answered[1]!).toBe(40);
      expect(Math.min(...answered)).toBeGreaterThan(0);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  test("a port in use is a configuration error", () => {
    const first = startServer(testConfig(), { logger: silentLogger });
    try {
      const port = String(first.server.port);
      expect(() => startServer(testConfig({ API_PORT: port }), { logger: silentLogger })).toThrow(ConfigError);
    } finally {
      void first.stop();
    }
  });

  test("a port in use on an address of this machine is named as such, not blamed on API_HOST", () => {
    const first = startServer(testConfig({ API_HOST: "127.0.0.1" }), { logger: silentLogger });
    try {
      const port = first.server.port;
      expect(() => startServer(testConfig({ API_HOST: "127.0.0.1", API_PORT: String(port) }), { logger: silentLogger })).toThrow(new RegExp(`^cannot listen on 127\\.0\\.0\\.1:${port}: (?!API_HOST)`));
    } finally {
      void first.stop();
    }
  });

  test("a name that does not resolve, with a port of its own: API_HOST is blamed, whatever code Bun's error carries", () => {
    const port = freePort();
    for (const code of [undefined, "ENOENT", "EINVAL"]) {
      const serve = spyOn(Bun, "serve").mockImplementation(() => {
        throw Object.assign(new Error(code ? `${code}: some words, listen` : `Failed to start server. Is port ${port} in use?`), { code });
      });
      try {
        expect(() => startServer(testConfig({ API_HOST: "not-a-host.invalid", API_PORT: String(port) }), { logger: silentLogger })).toThrow(
          `cannot listen on not-a-host.invalid:${port}: API_HOST is not an address of this machine`,
        );
        // The first call listens as asked; the second tries a free port of the same address.
        expect(serve.mock.calls.map(([options]) => [options.hostname, options.port])).toEqual([["not-a-host.invalid", port], ["not-a-host.invalid", 0]]);
      } finally {
        serve.mockRestore();
      }
    }
  });

  // What Bun says depends on the resolver and on the last system call: EINVAL, ENOENT, none…
  for (const code of ["EADDRNOTAVAIL", "ENOENT", "EINVAL", "ENOTFOUND"]) {
    test(`a listen error ${code} says API_HOST is no address of this machine`, () => {
      const serve = spyOn(Bun, "serve").mockImplementation(() => {
        throw Object.assign(new Error(`${code}: some words, listen`), { code, syscall: "listen" });
      });
      try {
        expect(() => startServer(testConfig({ API_HOST: "somewhere.example" }), { logger: silentLogger })).toThrow(
          "cannot listen on somewhere.example:0: API_HOST is not an address of this machine (an IP address such as 127.0.0.1 or 0.0.0.0, or a name that resolves to one)",
        );
      } finally {
        serve.mockRestore();
      }
    });
  }

  test("a corrupt data file stops start-up and is left as it was", () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".db_User.json"), "{oops");
    expect(() => startServer(testConfig({}, dir), { logger: silentLogger })).toThrow(StoreLoadError);
    expect(readFileSync(join(dir, ".db_User.json"), "utf8")).toBe("{oops");
  });

  test("once listening, the JIT's policy is the usual one again (the executable starts with a reluctant JIT)", () => {
    const log: string[] = [];
    const policy = spyOn(Bun.unsafe, "setJITPolicy").mockImplementation((scale) => void log.push(`policy ${scale}`));
    try {
      const running = startServer(testConfig(), { logger: createLogger("text", { out: (text) => log.push(`line ${text.trim()}`), err: () => {} }) });
      void running.stop();
    } finally {
      policy.mockRestore();
    }
    expect(log.map((entry) => entry.replace(/ on .*/, ""))).toEqual(["line session-auth listening", "policy 1"]);
  });

  test("a data file that stops start-up leaves its port free: the server listens before it loads, and stops listening", () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".db_User.json"), "{oops");
    const port = freePort();
    const serve = spyOn(Bun, "serve");
    try {
      expect(() => startServer(testConfig({ API_PORT: String(port) }, dir), { logger: silentLogger })).toThrow(StoreLoadError);
      expect(serve).toHaveBeenCalledTimes(1);
    } finally {
      serve.mockRestore();
    }
    const again = startServer(testConfig({ API_PORT: String(port) }), { logger: silentLogger });
    expect(again.server.port).toBe(port);
    void again.stop();
  });
});

describe("USERS_API=open in front of several users", () => {
  const warningsOf = async (env: Record<string, string>, users: number) => {
    const dir = tempDir();
    for (let i = 0; i < users; i++) await runCli(["users", "create", "--email", `u${i}@hbtn.io`, "--password", "long enough"], { DATA_DIR: dir }, captureIo().io);
    let text = "";
    const logger = createLogger("text", { out: (t) => void (text += t), err: (t) => void (text += t) });
    const running = startServer(testConfig(env, dir), { logger });
    await running.stop();
    return text.split("\n").filter((line) => line.includes("USERS_API"));
  };

  test("a session AUTH_TYPE with more than one user says at start-up, in one line, that every signed-in user may delete every other", async () => {
    const lines = await warningsOf({ AUTH_TYPE: "session_db_auth" }, 2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("every signed-in user may delete every other");
    expect(lines[0]).toContain("USERS_API=admin");
  });

  test("in JSON logs the line is level warn: a setting that works but may not mean what was meant", async () => {
    const dir = tempDir();
    for (let i = 0; i < 2; i++) await runCli(["users", "create", "--email", `u${i}@hbtn.io`, "--password", "long enough"], { DATA_DIR: dir }, captureIo().io);
    let text = "";
    const logger = createLogger("json", { out: (t) => void (text += t), err: (t) => void (text += t) });
    const running = startServer(testConfig({ AUTH_TYPE: "session_auth" }, dir), { logger });
    await running.stop();
    const lines = text.split("\n").filter((line) => line.includes("USERS_API")).map((line) => JSON.parse(line) as { level: string });
    expect(lines.map((line) => line.level)).toEqual(["warn"]);
  });

  test("no such line with USERS_API=admin, with one user, or without a session AUTH_TYPE", async () => {
    expect(await warningsOf({ AUTH_TYPE: "session_auth", USERS_API: "admin" }, 2)).toEqual([]);
    expect(await warningsOf({ AUTH_TYPE: "session_auth" }, 1)).toEqual([]);
    expect(await warningsOf({}, 2)).toEqual([]);
  });
});

describe("the process", () => {
  const run = (env: Record<string, string>, args: string[] = []) =>
    Bun.spawnSync([...SOURCE_COMMAND, ...args], { env: { PATH: process.env.PATH ?? "", API_HOST: "127.0.0.1", API_PORT: "0", ...env }, stdout: "pipe", stderr: "pipe" });

  test("an unknown AUTH_TYPE is refused at start-up with the valid values, exit 2", () => {
    const result = run({ AUTH_TYPE: "magic", DATA_DIR: tempDir() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toContain("auth, basic_auth, session_auth, session_exp_auth, session_db_auth");
  });

  test("a FORWARD_AUTH_LOGIN_URL that a browser must not be sent to stops start-up with one line, exit 2", () => {
    for (const url of ["https://evil.example/", "javascript:alert(1)"]) {
      // A server that starts anyway is stopped after a few seconds rather than left running.
      const env = { PATH: process.env.PATH ?? "", API_HOST: "127.0.0.1", API_PORT: "0", AUTH_TYPE: "session_auth", COOKIE_DOMAIN: "example.test", FORWARD_AUTH_LOGIN_URL: url, DATA_DIR: tempDir() };
      const result = Bun.spawnSync([...SOURCE_COMMAND], { env, stdout: "pipe", stderr: "pipe", timeout: 2000 });
      expect([url, result.exitCode]).toEqual([url, 2]);
      const lines = result.stderr.toString().trimEnd().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toStartWith("session-auth: FORWARD_AUTH_LOGIN_URL");
      expect(result.stdout.toString()).not.toContain("listening");
    }
  });

  test("an API_HOST that is no address of this machine: exit 2 with a message that says so", () => {
    const result = run({ API_HOST: "not-a-host.invalid", DATA_DIR: tempDir() });
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toContain("API_HOST is not an address of this machine");
    expect(result.stderr.toString()).not.toContain("ENOENT");
  });

  test("a SESSION_DURATION that means 'never expire' starts the server with one warning line", async () => {
    const server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: tempDir(), AUTH_TYPE: "session_exp_auth", SESSION_DURATION: "3600s" });
    server.process.kill("SIGTERM");
    await server.process.exited;
    const stderr = await new Response(server.process.stderr as ReadableStream).text();
    expect(stderr.trim().split("\n")).toEqual(['warning: SESSION_DURATION="3600s" is not a positive whole number of seconds, so sessions never expire (the original\'s rule)']);
  });

  test("LOG_FORMAT=json: that warning is one JSON line at level warn, on standard error", async () => {
    const server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: tempDir(), AUTH_TYPE: "session_exp_auth", SESSION_DURATION: "1h", LOG_FORMAT: "json" });
    server.process.kill("SIGTERM");
    await server.process.exited;
    const lines = (await new Response(server.process.stderr as ReadableStream).text()).trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "warn",
      event: "config-warning",
      message: 'warning: SESSION_DURATION="1h" is not a positive whole number of seconds, so sessions never expire (the original\'s rule)',
    });
  });

  test("a corrupt data file: exit 1, the message names the file", () => {
    const dir = tempDir();
    writeFileSync(join(dir, ".db_User.json"), "[1, 2");
    const result = run({ DATA_DIR: dir });
    expect(result.exitCode).toBe(1);
    expect(result.stderr.toString()).toContain(join(dir, ".db_User.json"));
  });

  test("SIGTERM lets in-flight requests finish, flushes their writes, exits 0", async () => {
    const dir = tempDir();
    expect(run({ DATA_DIR: dir }, ["users", "create", "--email", "a@b.c", "--password", "pw-secret"]).exitCode).toBe(0);
    const env = { DATA_DIR: dir, AUTH_TYPE: "session_db_auth", LOG_FORMAT: "json" };
    const server = await spawnServer(SOURCE_COMMAND, env);
    const logins = Array.from({ length: 8 }, () =>
      fetch(`${server.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "a@b.c", password: "pw-secret" }) }),
    );
    await Bun.sleep(5);
    const stopping = performance.now();
    server.process.kill("SIGTERM");
    const responses = await Promise.all(logins);
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(await server.process.exited).toBe(0);
    expect(performance.now() - stopping).toBeLessThan(10_000);
    const cookies = responses.map((r) => /_my_session_id=([^;]+)/.exec(r.headers.get("set-cookie") ?? "")![1]);
    const restarted = await spawnServer(SOURCE_COMMAND, env);
    try {
      for (const cookie of cookies) expect((await fetch(`${restarted.base}/api/v1/users/me`, { headers: { cookie: `_my_session_id=${cookie}` } })).status).toBe(200);
    } finally {
      restarted.process.kill("SIGTERM");
      await restarted.process.exited;
    }
  });

  test("SIGTERM stops the server cleanly with exit 0", async () => {
    const server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: tempDir() });
    expect((await fetch(`${server.base}/api/v1/status`)).status).toBe(200);
    server.process.kill("SIGTERM");
    expect(await server.process.exited).toBe(0);
  });
});
