/**
 * `GET /api/v1/health`: whether this server can do its work, for a load balancer or a container
 * runtime. Each check (the data folder writable, PostgreSQL and Redis answering within their time
 * limit) runs at most once a second whatever the request rate: requests within that second, or
 * while a check runs, share its answer. Problems are named, never with a backend's own message
 * (which could name a host or a user).
 */
import { accessSync, constants } from "node:fs";
import { json } from "../http/responses.ts";
import { StoreUnavailableError } from "../storage/record-store.ts";

/** One check: resolves null when it passes, else a short reason. */
export type HealthCheck = () => Promise<string | null>;

export interface HealthReport {
  status: "ok" | "unavailable";
  /** Each check's name and `ok`, or what is wrong. */
  checks: Record<string, string>;
}

/** The shortest time between two runs of the checks. */
export const HEALTH_CHECK_EVERY_MS = 1000;

export class Health {
  private last: { at: number; report: Promise<HealthReport> } | null = null;

  constructor(
    private readonly checks: ReadonlyMap<string, HealthCheck>,
    /** Each check's time limit: a check that takes longer fails. */
    private readonly timeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The latest report: run again once a second has passed since the last run began. */
  report(): Promise<HealthReport> {
    const now = this.now();
    if (this.last !== null && now - this.last.at < HEALTH_CHECK_EVERY_MS) return this.last.report;
    const report = this.run();
    this.last = { at: now, report };
    return report;
  }

  private async run(): Promise<HealthReport> {
    const names = [...this.checks.keys()];
    const results = await Promise.all(names.map((name) => this.within(this.checks.get(name)!)));
    const checks: Record<string, string> = {};
    names.forEach((name, i) => (checks[name] = results[i] ?? "ok"));
    return { status: results.every((result) => result === null) ? "ok" : "unavailable", checks };
  }

  private async within(check: HealthCheck): Promise<string | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no answer within ${this.timeoutMs} ms`), this.timeoutMs);
    });
    try {
      return await Promise.race([check().catch(problem), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What a failed check says: the store's own time-out message, else that it cannot be reached. */
function problem(error: unknown): string {
  if (error instanceof StoreUnavailableError && /no answer within \d+ ms/.test(error.message)) return /no answer within \d+ ms/.exec(error.message)![0];
  return "unreachable";
}

/** The data folder takes new files (the data files are replaced by renames in it). */
export function dataDirCheck(dir: string): HealthCheck {
  return async () => {
    try {
      accessSync(dir, constants.W_OK | constants.X_OK);
      return null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === "ENOENT" ? "missing" : code === "EROFS" ? "read-only file system" : "not writable";
    }
  };
}

/** A backend asked something that costs it one lookup by key. */
export function backendCheck(ask: () => unknown): HealthCheck {
  return async () => {
    await ask();
    return null;
  };
}

/** The 200 or 503 answer. */
export function healthResponse(report: HealthReport): Response {
  return json(report, report.status === "ok" ? 200 : 503, { "Cache-Control": "no-store" });
}
