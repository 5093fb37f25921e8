/** `session-auth serve`: the server for the life of the process, stopped cleanly by SIGINT or SIGTERM. */
import { configWarnings, type Env, loadConfig } from "./config.ts";
import { createLogger } from "./logger.ts";
import { startServer } from "./app/start.ts";

/** How long a stop may take before in-flight requests are cut off. */
export const SHUTDOWN_GRACE_MS = 10_000;

export function serve(env: Env): void {
  const config = loadConfig(env);
  const logger = createLogger(config.logFormat);
  const running = startServer(config, { logger, warnings: configWarnings(env) });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`session-auth stopping (${signal})`, { event: "stopping", signal });
    // In-flight requests get a grace period; then they are cut off, and the store still flushes.
    const forced = setTimeout(() => {
      logger.error(`session-auth: requests still running after ${SHUTDOWN_GRACE_MS} ms; closing them`);
      void running.server.stop(true);
    }, SHUTDOWN_GRACE_MS);
    await running.stop();
    clearTimeout(forced);
    logger.info("session-auth stopped", { event: "stopped" });
    logger.flush?.();
    process.exit(0);
  };
  // logrotate moves the audit file away and sends SIGHUP: the next lines go to a new file.
  if (config.auditLog !== null) process.on("SIGHUP", () => running.app.audit.reopen());
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
  // Only with access rules: without them SIGHUP keeps its usual meaning.
  const rules = running.app.rules;
  if (rules !== null) process.on("SIGHUP", () => void rules.reload("SIGHUP"));
}
