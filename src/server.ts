/** The application: request guard → router → error mapping → access log, served by Bun.serve. */
import { registerIndexRoutes } from "./api/v1/index.ts";
import type { ApiDeps, ApiRouter, Handler } from "./api/v1/context.ts";
import { registerSessionRoutes } from "./api/v1/session-auth.ts";
import { registerUserRoutes } from "./api/v1/users.ts";
import { CredentialsCheck } from "./auth/credentials.ts";
import { type Auth, createAuth, EXCLUDED_PATHS, keepsStoredSessions } from "./auth/index.ts";
import { LoginThrottle, ThrottledError } from "./auth/throttle.ts";
import { ConfigError, type Config } from "./config.ts";
import { createLogger, type Logger } from "./logger.ts";
import { declaresTooLarge, TOO_LARGE_MESSAGE } from "./http/body.ts";
import { clientAddress } from "./http/client-address.ts";
import { CROSS_SITE_REFUSED, type CrossSitePolicy, crossSiteRefusal } from "./http/cross-site.ts";
import { pageReturnAddress } from "./http/return-address.ts";
import { VERIFY_PATH, verifyHandler } from "./api/v1/verify.ts";
import { HttpError, html, jsonError, METHOD_NOT_ALLOWED_PAGE } from "./http/responses.ts";
import { pathnameOf, Router } from "./http/router.ts";
import { type Clock, systemClock } from "./domain/base.ts";
import { loginPage, PAGE_SECURITY_HEADERS } from "./web/login-page.ts";
import { andThen } from "./maybe-promise.ts";
import { StoreUnavailableError, StoreWriteError } from "./storage/record-store.ts";
import { checkDataDir } from "./storage/data-dir.ts";
import { openStores, type Stores, usesDataDir } from "./storage/stores.ts";
import type { UserRecord } from "./domain/user.ts";
import type { UserStore } from "./storage/user-store.ts";

export interface AppOptions {
  clock?: Clock;
  logger?: Logger;
}

const API_PREFIX = "/api/v1/";
const LOGIN_PATH = "/api/v1/auth_session/login";
const SWEEP_INTERVAL_SECONDS = 60;
const UNAVAILABLE_LOG_EVERY_MS = 5000;
const IDLE_TIMEOUT_SECONDS = 10;
const CORS_ALLOWED_HEADERS = "Authorization, Content-Type";

export class App {
  readonly router: ApiRouter = new Router<Handler>();
  readonly auth: Auth | null;
  private readonly logger: Logger;
  private readonly sweeps: ReturnType<typeof setInterval>[] = [];
  private unavailableLogged = { at: Number.NEGATIVE_INFINITY, leftOut: 0 };
  /** Only strategies with sessions have a cookie a page on another site could ride on. */
  private readonly crossSite: CrossSitePolicy | null;

  readonly users: UserStore;

  private constructor(
    readonly config: Config,
    private readonly stores: Stores,
    options: AppOptions,
  ) {
    const { users, sessions } = stores;
    this.users = users;
    const clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger(config.logFormat);
    const throttle = new LoginThrottle({
      perClient: { maxFailures: config.loginMaxFailuresPerClient, windowSeconds: config.loginThrottleWindowSeconds },
      perAccount: { maxFailures: config.loginMaxFailuresPerAccount, windowSeconds: config.loginThrottleWindowSeconds },
      clock,
      counters: stores.counters,
    });
    const credentials = new CredentialsCheck(users, clock, throttle);
    const auth = config.authType
      ? createAuth(config.authType, {
          users,
          sessions: sessions ?? undefined,
          sessionName: config.sessionName,
          sessionDuration: config.sessionDuration,
          sessionIdleTimeout: config.sessionIdleTimeout,
          clock,
          credentials,
        })
      : null;
    this.auth = auth;
    const deleteUser = async (userId: string) => {
      const { removed } = await stores.removeUser(userId);
      // Sessions kept in this process's memory end here; stored ones went with the user.
      if (removed) auth?.forgetUserSessions(userId);
      return removed;
    };
    const deps: ApiDeps = { config, users, auth, credentials, clock, deleteUser };
    registerIndexRoutes(this.router, deps);
    registerUserRoutes(this.router, deps);
    const keeper = auth?.sessionKeeper() ?? null;
    if (keeper) registerSessionRoutes(this.router, keeper, deps);
    this.crossSite = keeper ? { allowedOrigins: config.allowedOrigins, trustProxy: config.trustProxy, sessionName: config.sessionName, loginPath: LOGIN_PATH } : null;
    const verify = verifyHandler(auth, config);
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) this.router.add(method, VERIFY_PATH, verify);
    // The page is made once; only a visit with a return address gets one made for it.
    const page = loginPage(config.authType);
    this.router.add("GET", "/", ({ request }) => {
      const returnTo = pageReturnAddress(request, this.config);
      return html(returnTo === null ? page : loginPage(config.authType, returnTo), 200, PAGE_SECURITY_HEADERS);
    });
    // Browsers ask for it with every page; there is none, and the question needs no credentials.
    this.router.add("GET", "/favicon.ico", () => new Response(null, { status: 204, headers: { "Cache-Control": "max-age=86400" } }));
    this.startSweeps(auth, throttle);
  }

  /**
   * Expired sessions are purged on sight and by this sweep, and ended throttle windows dropped,
   * so that storage and memory do not grow without bound.
   */
  private startSweeps(auth: Auth | null, throttle: LoginThrottle): void {
    const lifetime = auth?.sessionLifetime() ?? 0;
    const failed = (what: string) => (error: unknown) => this.logger.error(`${what} sweep failed: ${(error as Error).message}`, { event: "sweep-failed" });
    if (auth && lifetime > 0) {
      const sessions = setInterval(() => auth.purgeExpired().catch(failed("session")), Math.min(lifetime, SWEEP_INTERVAL_SECONDS) * 1000);
      sessions.unref();
      this.sweeps.push(sessions);
    }
    const attempts = setInterval(() => throttle.sweep().catch(failed("login attempt")), SWEEP_INTERVAL_SECONDS * 1000);
    attempts.unref();
    this.sweeps.push(attempts);
  }

  /** Opens the data files (StoreLoadError if one is unusable) and builds the routes. */
  static create(config: Config, options: AppOptions = {}): App {
    return new App(config, openStores(config, keepsStoredSessions(config.authType)), options);
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
    // Refused before anything else is done for it, and the connection closed rather than drained.
    // GET and HEAD bodies are never read (the most frequent requests skip the header lookup).
    const method = request.method;
    if (method !== "GET" && method !== "HEAD" && declaresTooLarge(request, this.config.maxBodyBytes)) return jsonError(413, TOO_LARGE_MESSAGE, { Connection: "close" });
    if (this.crossSite !== null) {
      const refusal = crossSiteRefusal(request, path, this.crossSite);
      if (refusal !== null) {
        // Said in the log, where an operator whose own page is refused (a proxy that does not pass the Host on) looks.
        this.logger.info(`cross-site ${refusal.login ? "login" : "request"} refused: ${refusal.reason}`, { event: "cross-site-refused" });
        return jsonError(403, CROSS_SITE_REFUSED);
      }
    }
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
    if (auth.authorizationHeader(request) === null && auth.sessionCookie(request) === null) return jsonError(401, "Unauthorized");
    return andThen(auth.currentUser(request, client), (user) => (user ? this.route(request, path, user, client) : jsonError(403, "Forbidden")));
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
      // A browser reads a preflight's answer only when it names the origin (any, as every API answer does).
      headers: { Allow: allow, "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": allow, "Access-Control-Allow-Headers": CORS_ALLOWED_HEADERS, "Access-Control-Max-Age": "600" },
    });
  }

  private errorResponse(error: unknown): Response {
    if (error instanceof HttpError) return jsonError(error.status, error.message, error.headers);
    if (error instanceof ThrottledError) return jsonError(429, error.message, { "Retry-After": String(error.retryAfterSeconds) });
    if (error instanceof StoreUnavailableError) {
      this.logUnavailable(error);
      return jsonError(503, "Service unavailable: the data store cannot be reached", { "Retry-After": "5" });
    }
    if (error instanceof StoreWriteError) {
      this.logger.error(`storage error: ${error.message}`, { event: "storage-error" });
      return jsonError(500, "Storage error: the change was not saved");
    }
    this.logger.error(`internal error: ${error instanceof Error ? error.message : String(error)}`, { event: "internal-error" });
    return jsonError(500, "Internal server error");
  }

  /** One line per outage and then at most one every few seconds, saying how many requests it stands for. */
  private logUnavailable(error: StoreUnavailableError): void {
    const now = performance.now();
    if (now - this.unavailableLogged.at < UNAVAILABLE_LOG_EVERY_MS) {
      this.unavailableLogged.leftOut += 1;
      return;
    }
    const more = this.unavailableLogged.leftOut;
    this.unavailableLogged = { at: now, leftOut: 0 };
    this.logger.error(`store unavailable: ${error.message}${more > 0 ? ` (and ${more} more requests since the last line)` : ""}`, { event: "store-unavailable", left_out: more });
  }

  /** Waits for every pending write. */
  async close(): Promise<void> {
    for (const sweep of this.sweeps) clearInterval(sweep);
    this.logger.flush?.();
    await this.stores.close();
  }
}

export interface RunningServer {
  app: App;
  server: ReturnType<typeof Bun.serve>;
  url: string;
  /** Stops accepting, finishes in-flight requests, flushes storage. */
  stop(): Promise<void>;
}

/**
 * Listen errors that mean API_HOST is no address here. A name that does not resolve is ENOENT,
 * EINVAL (resolver unreachable) or ENOTFOUND, depending on the resolver; the port is checked earlier.
 */
const NOT_THIS_MACHINE = ["EADDRNOTAVAIL", "ENOENT", "EINVAL", "ENOTFOUND"];
const NOT_THIS_MACHINE_TEXT = new RegExp(`\\b(${NOT_THIS_MACHINE.join("|")})\\b`);

export interface StartOptions extends AppOptions {
  /** Lines for the log before the start-up line (configWarnings). */
  warnings?: readonly string[];
}

export function startServer(config: Config, options: StartOptions = {}): RunningServer {
  if (usesDataDir(config)) checkDataDir(config.dataDir);
  const logger = options.logger ?? createLogger(config.logFormat);
  for (const warning of options.warnings ?? []) logger.warn(warning, { event: "config-warning" });
  const app = App.create(config, { ...options, logger });
  warnOfOpenUsersApi(config, app.users, logger);
  let server: ReturnType<typeof Bun.serve>;
  try {
    server = Bun.serve({
      hostname: config.host,
      port: config.port,
      development: false,
      // Without REUSE_PORT a second server on the port is refused: production mode would
      // otherwise share it silently, splitting traffic between two servers.
      reusePort: config.reusePort,
      // The app answers every 413 itself, as JSON with its log line: Bun's own limit never applies.
      maxRequestBodySize: Number.MAX_SAFE_INTEGER,
      // Every log line needs it; looked up before any await, while it is cheapest.
      fetch: (request, server) => app.handle(request, server.requestIP(request)?.address),
      // Idle connections are closed after this many seconds; headers must arrive within ~10 s.
      idleTimeout: IDLE_TIMEOUT_SECONDS,
      error: () => jsonError(500, "Internal server error"),
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    if (NOT_THIS_MACHINE.includes(code) || NOT_THIS_MACHINE_TEXT.test((error as Error).message)) {
      throw new ConfigError(`cannot listen on ${config.host}:${config.port}: API_HOST is not an address of this machine (an IP address such as 127.0.0.1 or 0.0.0.0, or a name that resolves to one)`);
    }
    throw new ConfigError(`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`);
  }
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  // The data folder when users live there, and every backend by name.
  const data = usesDataDir(config) ? `data: ${config.dataDir}; ${app.storage}` : app.storage;
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

/**
 * USERS_API=open is the original's rule: any signed-in user manages every user. In front of
 * sessions and several people that is rarely what was meant, so start-up says it in one line
 * (after the count, which PostgreSQL answers later; a count that fails says nothing).
 */
function warnOfOpenUsersApi(config: Config, users: UserStore, logger: Logger): void {
  if (config.usersApi !== "open" || config.authType === null || !config.authType.startsWith("session_")) return;
  const warn = (count: number) => {
    if (count > 1) logger.warn(`warning: USERS_API=open: every signed-in user may delete every other (${count} users); set USERS_API=admin so that only admins manage users`, { event: "config-warning" });
  };
  const silent = () => {};
  try {
    void andThen(users.count(), warn, silent);
  } catch {
    // No count, no warning: start-up goes on.
  }
}
