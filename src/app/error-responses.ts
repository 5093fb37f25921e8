/**
 * Errors become responses here, and only here: every route's, the guard's and verify's. One
 * table, from the error's class to its status, body and headers, and what the log is told.
 */
import { ThrottledError } from "../auth/throttle.ts";
import { HttpError, jsonError } from "../http/responses.ts";
import type { Logger } from "../logger.ts";
import type { AppMetrics } from "../metrics/app-metrics.ts";
import { StoreUnavailableError, StoreWriteError } from "../storage/record-store.ts";

const UNAVAILABLE_LOG_EVERY_MS = 5000;

export class ErrorResponses {
  private unavailableLogged = { at: Number.NEGATIVE_INFINITY, leftOut: 0 };

  constructor(
    private readonly logger: Logger,
    private readonly metrics: AppMetrics | null = null,
  ) {}

  /** The answer for `error`: an HttpError as it says, the stores' errors as 503/500, anything else a 500 without its message. */
  response(error: unknown): Response {
    if (error instanceof HttpError) return jsonError(error.status, error.message, error.headers);
    if (error instanceof ThrottledError) return jsonError(429, error.message, { "Retry-After": String(error.retryAfterSeconds) });
    if (error instanceof StoreUnavailableError) {
      this.logUnavailable(error);
      this.metrics?.backendError(error.message);
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
}
