/** The application: request guard → router → error mapping → access log, served by Bun.serve. */
import { registerIndexRoutes } from "./api/v1/index.ts";
import type { ApiDeps, ApiRouter, Handler } from "./api/v1/context.ts";
import { registerSessionRoutes } from "./api/v1/session-auth.ts";
import { registerUserRoutes } from "./api/v1/users.ts";
import { type Auth, BasicAuth, createAuth, EXCLUDED_PATHS } from "./auth/index.ts";
import { LoginThrottle } from "./auth/throttle.ts";
import { SessionAuth } from "./auth/session-auth.ts";
import { SessionExpAuth } from "./auth/session-exp-auth.ts";
import { ConfigError, type Config, type LogFormat } from "./config.ts";
import { clientAddress } from "./http/client-address.ts";
import { HttpError, html, jsonError, METHOD_NOT_ALLOWED_PAGE, tooManyAttempts } from "./http/responses.ts";
import { Router } from "./http/router.ts";
import { type Clock, systemClock } from "./models/base.ts";
import { loginPage, PAGE_SECURITY_HEADERS } from "./web/login-page.ts";
import { andThen, StoreUnavailableError, StoreWriteError } from "./models/record-store.ts";
import { checkDataDir } from "./models/data-dir.ts";
import { openStores, type Stores, storesSessions, usesDataDir } from "./models/stores.ts";
import type { UserRecord, UserStore } from "./models/user.ts";

/** One line of the access log. Never a query string, a header value, a cookie or a password. */
export interface AccessEntry {
  client: string;
  method: string;
  path: string;
  status: number;
  durationMs: number;
}

export interface Logger {
  request(entry: AccessEntry): void;
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Writes out anything held back. */
  flush?(): void;
}

export const silentLogger: Logger = { request: () => {}, info: () => {}, error: () => {} };

/**
 * The log on standard output (errors on standard error), as text or one JSON object per line.
 * Lines are written once per turn of the event loop: one system call for a burst of requests.
 */
export interface LogSink {
  out(text: string): void;
  err(text: string): void;
}

const stdio: LogSink = { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) };

export function createLogger(format: LogFormat = "text", sink: LogSink = stdio): Logger {
  let pending: string[] = [];
  let scheduled = false;
  let lastMs = 0;
  let lastTime = "";
  const now = () => {
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTime = new Date(ms).toISOString();
    }
    return lastTime;
  };
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = `${pending.join("\n")}\n`;
    pending = [];
    sink.out(text);
  };
  const push = (line: string) => {
    pending.push(line);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  if (sink === stdio) process.on("exit", flush);
  const json = format === "json";
  return {
    request({ client, method, path, status, durationMs }) {
      const ms = Math.round(durationMs * 10) / 10;
      push(json ? JSON.stringify({ time: now(), level: "info", client, method, path, status, duration_ms: ms }) : `${now()} ${client} ${method} ${path} ${status} ${ms}ms`);
    },
    info(message, fields) {
      push(json ? JSON.stringify({ time: now(), level: "info", message, ...fields }) : message);
    },
    error(message, fields) {
      flush();
      sink.err(`${json ? JSON.stringify({ time: now(), level: "error", message, ...fields }) : message}\n`);
    },
    flush,
  };
}

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
}

const API_PREFIX = "/api/v1/";
const SWEEP_INTERVAL_SECONDS = 60;
const IDLE_TIMEOUT_SECONDS = 10;
const CORS_ALLOWED_HEADERS = "Authorization, Content-Type";

export class App {
  readonly router: ApiRouter = new Router<Handler>();
  readonly auth: Auth | null;
  private readonly throttle: LoginThrottle;
  private readonly logger: Logger;
  private sweep: ReturnType<typeof setInterval> | null = null;

  readonly users: UserStore;

  private constructor(
    readonly config: Config,
    private readonly stores: Stores,
    options: AppOptions,
  ) {
    const { users, userSessions } = stores;
    this.users = users;
    const clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger(config.logFormat);
    this.auth = config.authType
      ? createAuth(config.authType, {
          users,
          userSessions: userSessions ?? undefined,
          sessionName: config.sessionName,
          sessionDuration: config.sessionDuration,
          clock,
        })
      : null;
    this.throttle = new LoginThrottle({
      perClient: { maxFailures: config.loginMaxFailuresPerClient, windowSeconds: config.loginThrottleWindowSeconds },
      perAccount: { maxFailures: config.loginMaxFailuresPerAccount, windowSeconds: config.loginThrottleWindowSeconds },
      clock,
    });
    const auth = this.auth;
    const deleteUser = async (userId: string) => {
      const { removed } = await stores.removeUser(userId);
      // Sessions kept in this process's memory end here; stored ones went with the user.
      if (removed) auth?.forgetUserSessions(userId);
      return removed;
    };
    const deps: ApiDeps = { config, users, auth, throttle: this.throttle, clock, deleteUser };
    registerIndexRoutes(this.router, deps);
    registerUserRoutes(this.router, deps);
    if (this.auth instanceof SessionAuth) registerSessionRoutes(this.router, this.auth, deps);
    const page = loginPage(config.authType);
    this.router.add("GET", "/", () => html(page, 200, PAGE_SECURITY_HEADERS));
    if (this.auth instanceof SessionExpAuth && config.sessionDuration > 0) this.sweepExpiredSessions(this.auth, config.sessionDuration);
  }

  /** Expired sessions are purged on sight and by this sweep, so storage does not grow without bound. */
  private sweepExpiredSessions(auth: SessionExpAuth, sessionDuration: number): void {
    const every = Math.min(sessionDuration, SWEEP_INTERVAL_SECONDS) * 1000;
    this.sweep = setInterval(() => {
      auth.purgeExpired().catch((error) => this.logger.error(`session sweep failed: ${(error as Error).message}`));
    }, every);
    this.sweep.unref();
  }

  /** Opens the data files (StoreLoadError if one is unusable) and builds the routes. */
  static create(config: Config, options: AppOptions = {}): App {
    return new App(config, openStores(config, storesSessions(config)), options);
  }

  /** Where users and sessions live. */
  get storage(): string {
    return this.stores.description;
  }

  /** Answers one request; never throws. `peer` is the socket's IP address. */
  handle(request: Request, peer?: string): Response | Promise<Response> {
    const started = performance.now();
    const path = pathnameOf(request.url);
    const client = clientAddress(request, peer, this.config.trustProxy);
    let result: Response | Promise<Response>;
    try {
      result = this.dispatch(request, path, client);
    } catch (error) {
      result = this.errorResponse(error);
    }
    // Routes that need no waiting are answered without a promise.
    if (result instanceof Promise) {
      return result.then(
        (response) => this.finish(request, path, response, started, client),
        (error) => this.finish(request, path, this.errorResponse(error), started, client),
      );
    }
    return this.finish(request, path, result, started, client);
  }

  private finish(request: Request, path: string, response: Response, started: number, client: string): Response {
    // Responses carry the CORS header from the start; only paths outside the API drop it.
    if (!path.startsWith(API_PREFIX)) response.headers.delete("Access-Control-Allow-Origin");
    this.logger.request({ client, method: request.method, path, status: response.status, durationMs: performance.now() - started });
    return response;
  }

  private dispatch(request: Request, path: string, client: string): Response | Promise<Response> {
    // A CORS preflight carries no credentials, so it is answered before the guard.
    if (request.method === "OPTIONS") return this.options(path);
    const auth = this.auth;
    if (auth && auth.requireAuth(path, EXCLUDED_PATHS)) return this.guarded(auth, request, path, client);
    return this.route(request, path, null, client);
  }

  /**
   * The request guard: 401 without credentials, 403 when they name nobody. Those are the most
   * frequent refusals, so they are answered directly rather than thrown. Stores held in memory
   * answer at once, and then no promise is made.
   */
  private guarded(auth: Auth, request: Request, path: string, client: string): Response | Promise<Response> {
    const authorization = auth.authorizationHeader(request);
    if (authorization === null && auth.sessionCookie(request) === null) return jsonError(401, "Unauthorized");
    if (auth instanceof BasicAuth && authorization !== null) return this.basicGuarded(auth, request, path, client);
    return andThen(auth.currentUser(request), (user) => this.admit(request, path, user, client));
  }

  private admit(request: Request, path: string, currentUser: UserRecord | null, client: string): Response | Promise<Response> {
    return currentUser ? this.route(request, path, currentUser, client) : jsonError(403, "Forbidden");
  }

  /** Basic credentials are a password check on every request, so they are throttled like logins. */
  private basicGuarded(auth: BasicAuth, request: Request, path: string, client: string): Response | Promise<Response> {
    const [email] = auth.credentials(request);
    const wait = this.throttle.retryAfter(client, email);
    if (wait > 0) throw tooManyAttempts(wait);
    return andThen(auth.currentUser(request), (user) => this.admit(request, path, this.counted(user, client, email), client));
  }

  /** Tells the throttle how a Basic attempt went; returns the user. */
  private counted(user: UserRecord | null, client: string, email: string | null): UserRecord | null {
    if (user && email !== null) this.throttle.succeeded(email);
    else this.throttle.failed(client, email);
    return user;
  }

  private route(request: Request, path: string, currentUser: UserRecord | null, client: string): Response | Promise<Response> {
    const match = this.router.match(request.method, path);
    if (match.kind === "not-found") throw new HttpError(404, "Not found");
    if (match.kind === "method-not-allowed") {
      return html(METHOD_NOT_ALLOWED_PAGE, 405, { Allow: match.allow.join(", ") });
    }
    return match.handler({ request, params: match.params, currentUser, clientAddress: client });
  }

  private options(path: string): Response {
    const match = this.router.match("OPTIONS", path);
    if (match.kind !== "method-not-allowed") return jsonError(404, "Not found");
    const allow = match.allow.join(", ");
    return new Response(null, {
      status: 200,
      headers: { Allow: allow, "Access-Control-Allow-Methods": allow, "Access-Control-Allow-Headers": CORS_ALLOWED_HEADERS },
    });
  }

  private errorResponse(error: unknown): Response {
    if (error instanceof HttpError) return jsonError(error.status, error.message, error.headers);
    if (error instanceof StoreUnavailableError) {
      this.logger.error(`store unavailable: ${error.message}`, { event: "store-unavailable" });
      return jsonError(503, "Service unavailable: the data store cannot be reached", { "Retry-After": "5" });
    }
    if (error instanceof StoreWriteError) {
      this.logger.error(`storage error: ${error.message}`, { event: "storage-error" });
      return jsonError(500, "Storage error: the change was not saved");
    }
    this.logger.error(`internal error: ${error instanceof Error ? error.message : String(error)}`, { event: "internal-error" });
    return jsonError(500, "Internal server error");
  }

  /** Waits for every pending write. */
  async close(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.logger.flush?.();
    await this.stores.close();
  }
}

/** The path of an absolute request URL, without parsing the whole URL. */
export function pathnameOf(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  const hash = url.indexOf("#", start);
  const end = query === -1 ? (hash === -1 ? url.length : hash) : query;
  return url.slice(start, end);
}

export interface RunningServer {
  app: App;
  server: ReturnType<typeof Bun.serve>;
  url: string;
  /** Stops accepting, finishes in-flight requests, flushes storage. */
  stop(): Promise<void>;
}

export function startServer(config: Config, options: AppOptions = {}): RunningServer {
  if (usesDataDir(config)) checkDataDir(config.dataDir);
  const logger = options.logger ?? createLogger(config.logFormat);
  const app = App.create(config, { ...options, logger });
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: config.host,
      port: config.port,
      development: false,
      // Production mode would otherwise share the port with another process (SO_REUSEPORT),
      // silently splitting traffic between two servers instead of refusing to start.
      reusePort: false,
      // Our reader answers 413 JSON at maxBodyBytes; this is only the backstop for huge bodies.
      maxRequestBodySize: Math.max(config.maxBodyBytes * 4, 1024 * 1024),
      // Every log line needs it; looked up before any await, while it is cheapest.
      fetch: (request, server) => app.handle(request, server.requestIP(request)?.address),
      // Idle connections are closed after this many seconds; headers must arrive within ~10 s.
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      error: () => jsonError(500, "Internal server error"),
    });
  } catch (error) {
    throw new ConfigError(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  const data = usesDataDir(config) ? `data: ${config.dataDir}` : app.storage;
  logger.info(`session-auth listening on ${url} (auth: ${config.authType ?? "none"}, ${data})`, {
    event: "listening",
    url,
    auth: config.authType ?? "none",
    data_dir: config.dataDir,
    storage: app.storage,
  });
  return {
    app,
    server,
    url,
    async stop() {
      await server.stop();
      await app.close();
    },
  };
}
