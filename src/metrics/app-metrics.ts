/**
 * What session-auth counts, for Prometheus: requests by route pattern and status with their
 * latency, logins and forward-auth decisions by result, sessions made and ended, the stored
 * sessions, throttle refusals, backend failures, and the build. Every label takes a value from a
 * short fixed list or from the route table, so no request can grow the set of series.
 */
import pkg from "../../package.json" with { type: "json" };
import type { AuditEvent, AuditFields } from "../audit.ts";
import type { MaybePromise } from "../maybe-promise.ts";
import { type Counter, type CounterChild, EXPOSITION_CONTENT_TYPE, type Histogram, type HistogramChild, Registry } from "./registry.ts";

/** Request latency buckets, in seconds: from an in-memory answer to a slow login or backend. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

/** Any other text a client sends as its method is counted as `other`. */
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The route label of a request no route matched: raw paths would make a series per path. */
export const UNMATCHED_ROUTE = "unmatched";

/** Logins by result: ok, or the reason of login.failed. */
export const LOGIN_RESULTS = ["ok", "wrong_password", "unknown_email", "ambiguous_email", "no_password", "second_factor_needed", "wrong_code", "throttled"] as const;
/** Forward-auth decisions. */
export const VERIFY_RESULTS = ["allowed", "401", "403", "redirect", "bypass", "error"] as const;
export type VerifyResult = (typeof VERIFY_RESULTS)[number];

/** A backend failure as the store reports it: which backend, and whether it timed out. */
export function backendFailure(message: string): { backend: string; kind: "timeout" | "error" } {
  // The stores name themselves first ("PostgreSQL: …", "Redis: …").
  const backend = /^(PostgreSQL|Redis)\b/.exec(message)?.[1]?.toLowerCase() ?? "other";
  return { backend, kind: message.includes("no answer within") ? "timeout" : "error" };
}

export class AppMetrics {
  readonly registry = new Registry();
  readonly contentType = EXPOSITION_CONTENT_TYPE;
  private readonly requests: Counter;
  private readonly latency: Histogram;
  private readonly logins: Counter;
  private readonly verifyDecisions: Counter;
  private readonly secondFactors: Counter;
  private readonly sessionsCreated: Counter;
  private readonly sessionsEnded: Counter;
  private readonly throttleRefusals: Counter;
  private readonly backendErrors: Counter;
  /** The request children by "method route status", and the latency ones by "method route". */
  private readonly requestChildren = new Map<string, CounterChild>();
  private readonly latencyChildren = new Map<string, HistogramChild>();
  /**
   * Stored sessions: read from the store when it answers at once (memory, the JSON files), else
   * counted here from what it said at start-up and this server's creations and removals.
   */
  private storedSessions: { read: (() => MaybePromise<number>) | null; tally: number } | null = null;

  constructor(authType: string | null, version: string = pkg.version) {
    const r = this.registry;
    r.gauge("session_auth_build_info", "The running build: its version and AUTH_TYPE (always 1).", ["version", "auth_type"]).set(1, version, authType ?? "none");
    r.gauge("process_start_time_seconds", "When the server started, in seconds since the epoch.").set(Math.round(Date.now() / 1000 - process.uptime()));
    const memory = r.gauge("process_resident_memory_bytes", "Resident memory of the server process, in bytes.");
    memory.collect(() => memory.set(process.memoryUsage.rss()));
    this.requests = r.counter("session_auth_http_requests_total", "HTTP requests answered, by method, route pattern and status.", ["method", "route", "status"]);
    this.latency = r.histogram("session_auth_http_request_duration_seconds", "Time to answer an HTTP request, by method and route pattern.", ["method", "route"], LATENCY_BUCKETS);
    this.logins = r.counter("session_auth_logins_total", "Logins by result: ok, wrong_password, unknown_email, ambiguous_email, no_password, second_factor_needed, wrong_code, throttled, other.", ["result"]);
    this.verifyDecisions = r.counter("session_auth_verify_total", "Forward-auth decisions of /api/v1/auth/verify: allowed, 401, 403, redirect, bypass, error.", ["result"]);
    this.secondFactors = r.counter("session_auth_second_factor_checks_total", "Second-factor checks by result (ok, failed).", ["result"]);
    this.sessionsCreated = r.counter("session_auth_sessions_created_total", "Sessions created by logins.");
    this.sessionsEnded = r.counter("session_auth_sessions_ended_total", "Sessions ended, by reason: logout, revoked, admin, password_changed, user_deleted, expired, step_up.", ["reason"]);
    const stored = r.gauge("session_auth_sessions", "Sessions stored now (this server's count on PostgreSQL and Redis, from start-up on).");
    stored.collect(() => stored.set(this.storedSessionCount()));
    this.throttleRefusals = r.counter("session_auth_throttle_refusals_total", "Login attempts refused unchecked by the throttle, by counter (client or account).", ["counter"]);
    this.backendErrors = r.counter("session_auth_backend_errors_total", "Requests failed because PostgreSQL or Redis could not be reached, by backend and kind (error, timeout).", ["backend", "kind"]);
    for (const result of LOGIN_RESULTS) this.logins.labels(result);
    for (const result of VERIFY_RESULTS) this.verifyDecisions.labels(result);
    for (const counter of ["client", "account"]) this.throttleRefusals.labels(counter);
    this.sessionsCreated.labels();
  }

  /** One answered request: an increment and an observation, on children kept by key. */
  request(method: string, route: string, status: number, seconds: number): void {
    const m = METHODS.has(method) ? method : "other";
    const key = `${m} ${route} ${status}`;
    let counter = this.requestChildren.get(key);
    if (counter === undefined) {
      counter = this.requests.labels(m, route, String(status));
      this.requestChildren.set(key, counter);
    }
    counter.value += 1;
    const latencyKey = `${m} ${route}`;
    let histogram = this.latencyChildren.get(latencyKey);
    if (histogram === undefined) {
      histogram = this.latency.labels(m, route);
      this.latencyChildren.set(latencyKey, histogram);
    }
    histogram.observe(seconds);
  }

  /** A forward-auth answer: 200 naming a user is allowed; 200 naming none is a bypass (an access rule's). */
  verify(response: Response): void {
    const status = response.status;
    const result: VerifyResult = status === 200 ? (response.headers.has("Remote-User") ? "allowed" : "bypass") : status === 302 ? "redirect" : status === 401 ? "401" : status === 403 ? "403" : "error";
    this.verifyDecisions.labels(result).inc();
  }

  /** An audit event, counted where a metric counts it. */
  event(event: AuditEvent, fields: AuditFields): void {
    if (event === "login.ok") {
      // Every login that succeeds makes a session (Basic credentials are no login).
      this.logins.labels("ok").inc();
      this.sessionsCreated.labels().inc();
    }
    else if (event === "login.failed") this.logins.labels(LOGIN_RESULTS.includes(fields.reason as never) ? String(fields.reason) : "other").inc();
    else if (event === "factor.ok") this.secondFactors.labels("ok").inc();
    else if (event === "factor.failed") this.secondFactors.labels("failed").inc();
    else if (event === "session.ended") this.sessionsEnded.labels(String(fields.reason ?? "other")).inc(typeof fields.count === "number" ? fields.count : 1);
  }

  throttled(counter: "client" | "account"): void {
    this.throttleRefusals.labels(counter).inc();
  }

  /** A request that failed on an unreachable backend (the store's message names it). */
  backendError(message: string): void {
    const { backend, kind } = backendFailure(message);
    this.backendErrors.labels(backend, kind).inc();
  }

  /**
   * Where stored sessions are counted from: `read` is the store's count. One that answers at once
   * (memory, the JSON files) is read at each scrape; one that does not (PostgreSQL, Redis) is
   * asked once, here, and then followed by `stored`, so that a scrape never costs a query.
   */
  countSessions(read: () => MaybePromise<number>): void {
    let first: MaybePromise<number>;
    try {
      first = read();
    } catch {
      first = 0;
    }
    if (typeof first === "number") {
      this.storedSessions = { read, tally: 0 };
      return;
    }
    const entry = { read: null, tally: 0 };
    this.storedSessions = entry;
    first.then((n) => (entry.tally += n), () => {});
  }

  /** Sessions stored (+) or removed (−) by this server, for stores that cannot be read at once. */
  stored(change: number): void {
    if (this.storedSessions !== null && this.storedSessions.read === null) this.storedSessions.tally += change;
  }

  private storedSessionCount(): number {
    const entry = this.storedSessions;
    if (entry === null) return 0;
    if (entry.read !== null) {
      try {
        const now = entry.read();
        if (typeof now === "number") return now;
      } catch {
        // Counted as none this time.
      }
      return 0;
    }
    return Math.max(0, entry.tally);
  }

  expose(): string {
    return this.registry.expose();
  }
}
