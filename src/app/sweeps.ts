/**
 * The sweeps: expired sessions are purged on sight and by this timer, and ended throttle windows
 * dropped, so that storage and memory do not grow without bound.
 */
import type { Auth } from "../auth/auth.ts";
import type { LoginThrottle } from "../auth/throttle.ts";
import type { AuditTrail } from "../audit.ts";
import type { Logger } from "../logger.ts";

const SWEEP_INTERVAL_SECONDS = 60;

/** Starts the sweeps; the function returned stops them. */
export function startSweeps(auth: Auth | null, throttle: LoginThrottle, logger: Logger, audit: AuditTrail): () => void {
  const timers: ReturnType<typeof setInterval>[] = [];
  const failed = (what: string) => (error: unknown) => logger.error(`${what} sweep failed: ${(error as Error).message}`, { event: "sweep-failed" });
  const every = (seconds: number, sweep: () => void) => {
    const timer = setInterval(sweep, seconds * 1000);
    timer.unref();
    timers.push(timer);
  };
  const lifetime = auth?.sessionLifetime() ?? 0;
  if (auth && lifetime > 0) every(Math.min(lifetime, SWEEP_INTERVAL_SECONDS), () => void auth.purgeExpired().then((count) => count > 0 && audit.record("session.ended", { actor: "system", reason: "expired", count }), failed("session")));
  every(SWEEP_INTERVAL_SECONDS, () => void throttle.sweep().catch(failed("login attempt")));
  return () => {
    for (const timer of timers) clearInterval(timer);
  };
}
