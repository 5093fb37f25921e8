/** Starting the server: the data folder checked, the App composed, Bun.serve listening, the start-up line. */
import type { Config } from "../config.ts";
import { ConfigError } from "../config.ts";
import { jsonError } from "../http/responses.ts";
import { useUsualJit } from "../jit-policy.ts";
import { createLogger, type Logger } from "../logger.ts";
import { andThen } from "../maybe-promise.ts";
import { checkDataDir } from "../storage/data-dir.ts";
import { usesDataDir } from "../storage/stores.ts";
import type { UserStore } from "../storage/user-store.ts";
import { App, type AppOptions } from "./compose.ts";
import { startMetricsServer } from "./operations.ts";

const IDLE_TIMEOUT_SECONDS = 10;

export interface RunningServer {
  app: App;
  server: ReturnType<typeof Bun.serve>;
  url: string;
  /** METRICS_LISTEN's server, when set. */
  metricsServer: ReturnType<typeof Bun.serve> | null;
  /** Stops accepting, finishes in-flight requests, flushes storage. */
  stop(): Promise<void>;
}

export interface StartOptions extends AppOptions {
  /** Lines for the log before the start-up line (configWarnings). */
  warnings?: readonly string[];
}

export function startServer(config: Config, options: StartOptions = {}): RunningServer {
  if (usesDataDir(config)) checkDataDir(config.dataDir);
  const logger = options.logger ?? createLogger(config.logFormat);
  for (const warning of options.warnings ?? []) logger.warn(warning, { event: "config-warning" });
  // Listening comes before the data loads, which no request can see: start-up is synchronous
  // until the start-up line. Bun.serve sets off a garbage collection at the next allocation;
  // made now, while the heap is small, it pauses a starting server 2 to 3 ms less than after
  // the users are loaded.
  let app: App;
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
    throw listenError(config, error);
  }
  try {
    app = App.create(config, { ...options, logger });
  } catch (error) {
    void server.stop(true);
    throw error;
  }
  warnOfOpenUsersApi(config, app.users, logger);
  app.rules?.watch();
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
  let metricsServer: ReturnType<typeof Bun.serve> | null = null;
  if (typeof config.metrics === "object" && config.metrics !== null && app.metrics !== null) {
    try {
      metricsServer = startMetricsServer(config.metrics, app.metrics);
    } catch (error) {
      void server.stop(true);
      throw new ConfigError(`cannot listen on METRICS_LISTEN ${config.metrics.host}:${config.metrics.port}: ${(error as Error).message}`);
    }
    logger.info(`metrics on http://${config.metrics.host.includes(":") ? `[${config.metrics.host}]` : config.metrics.host}:${metricsServer.port}/metrics`, { event: "metrics-listening", port: metricsServer.port });
  }
  // The data folder when users live there, and every backend by name.
  const data = usesDataDir(config) ? `data: ${config.dataDir}; ${app.storage}` : app.storage;
  logger.info(`session-auth listening on ${url} (auth: ${config.authType ?? "none"}, ${data})`, {
    event: "listening",
    url,
    auth: config.authType ?? "none",
    data_dir: config.dataDir,
    storage: app.storage,
  });
  // Out now, not with the next turn's lines: whoever started the server waits for this one.
  logger.flush?.();
  // Serving, the JIT is as usual again (src/jit-policy.ts).
  useUsualJit();
  return {
    app,
    server,
    url,
    metricsServer,
    async stop() {
      await Promise.all([server.stop(), metricsServer?.stop()]);
      await app.close();
    },
  };
}

/**
 * Why Bun.serve refused to listen, in one line. Its error cannot tell the address from the port:
 * for a name that does not resolve it carries whatever the last system call left (ENOENT,
 * EINVAL, or no code at all). So a refused port (in use, privileged) is told apart by trying a
 * free port of the same address.
 */
function listenError(config: Config, error: unknown): ConfigError {
  const where = `cannot listen on ${config.host}:${config.port}`;
  if (config.port === 0 || !listensOn(config.host)) {
    return new ConfigError(`${where}: API_HOST is not an address of this machine (an IP address such as 127.0.0.1 or 0.0.0.0, or a name that resolves to one)`);
  }
  return new ConfigError(`${where}: ${(error as Error).message}`);
}

/** Whether some free port of `hostname` takes a listener (closed again at once). */
function listensOn(hostname: string): boolean {
  try {
    void Bun.serve({ hostname, port: 0, development: false, fetch: () => new Response(null, { status: 503 }) }).stop(true);
    return true;
  } catch {
    return false;
  }
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
