/** Shared test fixtures: throwaway data folders, apps built in-process, a clock tests can move. */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "bun:test";
import { type Config, loadConfig } from "../src/config.ts";
import { legacySha256 } from "../src/domain/password.ts";
import { type UserRecord } from "../src/domain/user.ts";
import { openUserStore } from "../src/storage/user-store.ts";
import { openStores } from "../src/storage/stores.ts";
import { silentLogger } from "../src/logger.ts";
import { App } from "../src/app/compose.ts";

const created: string[] = [];
// A module's afterAll belongs to whoever imported it first: tests/preload.ts, so that it runs
// once every test file is done and removes the folders of all of them.
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new empty folder, removed when the tests are done. */
export function tempDir(prefix = "session-auth-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export class FakeClock {
  constructor(public now = Date.UTC(2017, 9, 16, 4, 23, 4)) {}
  readonly read = () => this.now;
  advance(seconds: number): void {
    this.now += seconds * 1000;
  }
}

export function testConfig(env: Record<string, string> = {}, dataDir = tempDir()): Config {
  return loadConfig({ API_HOST: "127.0.0.1", API_PORT: "0", DATA_DIR: dataDir, ...env }, { compiled: false, execPath: "", cwd: dataDir });
}

export function testApp(env: Record<string, string> = {}, options: { dataDir?: string; clock?: FakeClock } = {}): App {
  return App.create(testConfig(env, options.dataDir ?? tempDir()), { clock: options.clock?.read, logger: silentLogger });
}

/** A user record written as the original program wrote them: SHA-256 password, `T` timestamps. */
export function legacyUser(email: string, password: string, id = crypto.randomUUID()): UserRecord {
  return {
    id,
    created_at: "2017-10-16T04:23:04",
    updated_at: "2017-10-16T04:23:04",
    email,
    _password: legacySha256(password),
    first_name: null,
    last_name: null,
  };
}

/** Writes users to `.db_User.json` in `dataDir` through the store. */
export async function seedUsers(dataDir: string, users: UserRecord[]): Promise<void> {
  const store = openUserStore(dataDir);
  for (const user of users) await store.save(user);
  await store.close();
}

export function basicHeader(email: string, password: string): string {
  return `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}`;
}

export interface Call {
  method?: string;
  headers?: Record<string, string>;
  body?: string | FormData;
  json?: unknown;
  form?: Record<string, string>;
  /** The peer address the request comes from. */
  client?: string;
}

/** Sends one request to an in-process app and returns status, headers and the parsed body. */
export async function call(app: App, path: string, options: Call = {}) {
  const headers = new Headers(options.headers);
  let body: string | FormData | undefined = options.body;
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  }
  if (options.form) {
    headers.set("content-type", "application/x-www-form-urlencoded");
    body = new URLSearchParams(options.form).toString();
  }
  const method = options.method ?? (body === undefined ? "GET" : "POST");
  const response = await app.handle(new Request(`http://127.0.0.1${path}`, { method, headers, body }), options.client ?? "127.0.0.1");
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: json as any };
}

/** The session id a login response set. */
export function sessionIdFrom(headers: Headers, name = "_my_session_id"): string {
  const cookie = headers.get("set-cookie") ?? "";
  const match = new RegExp(`^${name}=([^;]*)`).exec(cookie);
  if (!match) throw new Error(`no ${name} cookie in ${JSON.stringify(cookie)}`);
  return match[1]!;
}

/**
 * What is on disk for a model, read without the store's code: the snapshot, then every complete
 * journal line applied in order.
 */
export function readOnDisk(dataDir: string, model: string): Record<string, any> {
  const path = join(dataDir, `.db_${model}.json`);
  const stamp = () => (existsSync(path) ? statSync(path).mtimeMs : 0);
  // A rewrite between reading the data file and its journal would hide changes: read again.
  for (let attempt = 1; ; attempt++) {
    const before = stamp();
    try {
      const records = readFilesOnce(path);
      if (stamp() === before) return records;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt >= 100) throw error;
    }
    if (attempt >= 100) throw new Error(`${path} kept changing while it was read`);
  }
}

function readFilesOnce(path: string): Record<string, any> {
  const records: Record<string, any> = existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : {};
  const journal = `${path}.journal`;
  if (existsSync(journal)) {
    const text = readFileSync(journal, "utf8");
    for (const line of text.slice(0, text.lastIndexOf("\n") + 1).split("\n")) {
      if (!line) continue;
      const entry = JSON.parse(line);
      if (entry.op === "put") records[entry.record.id] = entry.record;
      else if (entry.op === "remove") delete records[entry.id];
      else if (typeof entry.journal !== "string") throw new Error(`unexpected journal line ${line}`);
    }
  }
  return records;
}

/** The backends the API tests run against: JSON files always; PostgreSQL and Redis when given. */
export type Backend = "json" | "postgres" | "postgres+redis";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

export const BACKENDS: readonly Backend[] = ["json", "postgres", "postgres+redis"];

/** Whether a backend's servers were given; the tests of one that was not are reported as skipped. */
export function available(backend: Backend): boolean {
  if (backend === "json") return true;
  return Boolean(TEST_DATABASE_URL) && (backend === "postgres" || Boolean(TEST_REDIS_URL));
}

if (!available("postgres+redis")) {
  const once = globalThis as { sessionAuthSkipNotice?: boolean };
  if (!once.sessionAuthSkipNotice) {
    once.sessionAuthSkipNotice = true;
    console.warn("PostgreSQL and Redis tests are skipped (no TEST_DATABASE_URL / TEST_REDIS_URL): run them with npm run test:all, see the README");
  }
}

/**
 * The variables that put a test's data in a backend. Each data folder gets its own PostgreSQL
 * schema and Redis key prefix, so tests never see each other's data, while two apps on one
 * folder (a restart) share theirs.
 */
export function backendEnv(backend: Backend, dataDir: string): Record<string, string> {
  if (backend === "json") return {};
  const namespace = `t_${Bun.SHA256.hash(dataDir, "hex").slice(0, 16)}`;
  const env: Record<string, string> = { DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: namespace };
  if (backend === "postgres+redis") Object.assign(env, { REDIS_URL: TEST_REDIS_URL!, REDIS_PREFIX: `${namespace}:` });
  return env;
}

/**
 * testApp, seedUsers and storedUser bound to one backend; `closeApps` (run it after each test)
 * closes the apps made since, so that connection pools do not pile up.
 */
export function on(backend: Backend) {
  const apps: App[] = [];
  return {
    backend,
    testApp(env: Record<string, string> = {}, options: { dataDir?: string; clock?: FakeClock } = {}): App {
      const dataDir = options.dataDir ?? tempDir();
      const app = testApp({ ...backendEnv(backend, dataDir), ...env }, { ...options, dataDir });
      apps.push(app);
      return app;
    },
    async closeApps(): Promise<void> {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    },
    async seedUsers(dataDir: string, users: UserRecord[]): Promise<void> {
      const stores = openStores(testConfig(backendEnv(backend, dataDir), dataDir), false);
      for (const user of users) await stores.users.save(user);
      await stores.close();
    },
    /** A user as stored: read from disk for the JSON files, through a fresh store otherwise. */
    async storedUser(dataDir: string, id: string): Promise<UserRecord | null> {
      if (backend === "json") return readOnDisk(dataDir, "User")[id] ?? null;
      const stores = openStores(testConfig(backendEnv(backend, dataDir), dataDir), false);
      try {
        return await stores.users.get(id);
      } finally {
        await stores.close();
      }
    },
  };
}
