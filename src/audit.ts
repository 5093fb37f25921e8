/**
 * The audit trail: one JSON object per line for each security event, to the file AUDIT_LOG
 * names (appended, reopened on SIGHUP so that logrotate can move it) or to standard output.
 * Every line has `time`, `event`, `user_id`, `actor`, `client`, `user_agent` and `request_id`
 * (null when there is none) and `reason` where one applies. A field whose name says it could
 * hold a secret (a password, a code, a cookie, a session id, a token, a hash) is never written,
 * whoever passes it.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import type { Logger } from "./logger.ts";

export const AUDIT_EVENTS = [
  "login.ok",
  "login.failed",
  "factor.ok",
  "factor.failed",
  "factor.added",
  "factor.removed",
  "password.changed",
  "session.ended",
  "user.created",
  "user.changed",
  "user.deleted",
  "admin.granted",
  "admin.withdrawn",
  "account.throttled",
  "access.denied",
] as const;
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

/** Who a request came from, as every line of it says. */
export interface RequestOrigin {
  client: string | null;
  user_agent: string | null;
  request_id: string | null;
}

export interface AuditFields extends Partial<RequestOrigin> {
  /** The account the event is about. */
  user_id?: string | null;
  /** Who did it: a user id, `cli` for the command line, `system` for the server's own sweeps. */
  actor?: string | null;
  reason?: string | null;
  /** A few more plain facts (a count, a factor's name, a rule); never a secret. */
  [field: string]: string | number | boolean | null | undefined;
}

/** Field names that could carry a secret: dropped from every line. */
const SECRET_FIELD = /password|passwd|secret|(^|_)codes?($|_)|cookie|session_?id|token|hash|otp/i;
/** The user agent as far as it tells what a client is; longer ones are cut. */
const USER_AGENT_LIMIT = 256;
/** An X-Request-Id as proxies make them (nginx `$request_id`, UUIDs); anything else is replaced. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client address, the user agent and the proxy's request id (or a new one) of a request. */
export function requestOrigin(request: Request, client: string | null): RequestOrigin {
  const agent = request.headers.get("user-agent");
  const id = request.headers.get("x-request-id");
  return {
    client,
    user_agent: agent === null ? null : agent.slice(0, USER_AGENT_LIMIT),
    request_id: id !== null && REQUEST_ID.test(id) ? id : crypto.randomUUID(),
  };
}

/** One audit line (without its newline): the fixed fields first, in one order, then the rest. */
export function formatAuditLine(event: AuditEvent, fields: AuditFields, time: Date): string {
  const line: Record<string, unknown> = {
    time: time.toISOString(),
    event,
    user_id: fields.user_id ?? null,
    actor: fields.actor ?? null,
    client: fields.client ?? null,
    user_agent: fields.user_agent ?? null,
    request_id: fields.request_id ?? null,
  };
  if (fields.reason !== undefined && fields.reason !== null) line.reason = fields.reason;
  for (const [name, value] of Object.entries(fields)) {
    if (name in line || name === "reason" || value === undefined || SECRET_FIELD.test(name)) continue;
    line[name] = value;
  }
  return JSON.stringify(line);
}

/** Where the lines go. */
export interface AuditSink {
  write(text: string): void;
  /** Opens the file again (after it was moved away); a no-op for standard output. */
  reopen(): void;
  close(): void;
}

/** Appends to a file, created with mode 0600 (the trail says who logged in from where). */
export function fileSink(path: string): AuditSink {
  let fd = openSync(path, "a", 0o600);
  return {
    write(text) {
      writeSync(fd, text);
    },
    reopen() {
      const next = openSync(path, "a", 0o600);
      closeSync(fd);
      fd = next;
    },
    close() {
      closeSync(fd);
    },
  };
}

/** Standard output, in turn with the log's lines: through the logger, which batches them with its own. */
export function loggerSink(logger: { lines?(text: string): void }): AuditSink {
  return { write: (text) => logger.lines?.(text), reopen() {}, close() {} };
}

export function stdoutSink(): AuditSink {
  let writer: ReturnType<typeof Bun.stdout.writer> | null = null;
  return {
    write(text) {
      writer ??= Bun.stdout.writer();
      writer.write(text);
      void writer.flush();
    },
    reopen() {},
    close() {},
  };
}

export type AuditListener = (event: AuditEvent, fields: AuditFields) => void;

/**
 * The trail of one server or one command. Lines of one turn of the event loop are written
 * together: a burst of refused logins costs one write.
 */
export class AuditTrail {
  private pending = "";
  private scheduled = false;
  private readonly listeners: AuditListener[] = [];

  constructor(
    private readonly sink: AuditSink | null,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Also tells `listener` of every event (the metrics count them). */
  listen(listener: AuditListener): void {
    this.listeners.push(listener);
  }

  /** Records one event: the function every part of the server calls. */
  record(event: AuditEvent, fields: AuditFields = {}): void {
    for (const listener of this.listeners) listener(event, fields);
    if (this.sink === null) return;
    this.pending += `${formatAuditLine(event, fields, new Date(this.clock()))}\n`;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    if (this.pending === "" || this.sink === null) return;
    const text = this.pending;
    this.pending = "";
    try {
      this.sink.write(text);
    } catch {
      // A full disk loses these lines, not the request that made them; the next write tries again.
    }
  }

  /** For log rotation: what was held back goes to the old file, what follows to the new one. */
  reopen(): void {
    this.flush();
    this.sink?.reopen();
  }

  close(): void {
    this.flush();
    this.sink?.close();
  }
}

/** AUDIT_LOG's file, else standard output; `null`: nowhere (the command line without AUDIT_LOG). */
export function openAuditTrail(path: string | null, fallback: "stdout" | "none" = "stdout"): AuditTrail {
  if (path !== null) return new AuditTrail(fileSink(path));
  return new AuditTrail(fallback === "stdout" ? stdoutSink() : null);
}

/** Records nothing; events still reach the listeners. */
export function silentAuditTrail(): AuditTrail {
  return new AuditTrail(null);
}

/**
 * An account's refusals are recorded once per throttle window, not once per refused attempt:
 * a flood of guesses at one account makes one `account.throttled` line.
 */
export class ThrottleNotices {
  private readonly until = new Map<string, number>();

  constructor(private readonly limit = 10_000) {}

  /** True when this refusal of `account` is the first one of its window. */
  first(account: string, retryAfterMs: number, now: number): boolean {
    const until = this.until.get(account);
    if (until !== undefined && until > now) return false;
    if (this.until.size >= this.limit) this.until.delete(this.until.keys().next().value!);
    this.until.delete(account);
    this.until.set(account, now + retryAfterMs);
    return true;
  }
}

/**
 * A Logger for code written against the log (the passkeys' checks): a line whose `event` is an
 * audit event is recorded in the trail too, its fields as they are; every line goes to `logger`.
 */
export function auditingLogger(logger: Logger, trail: AuditTrail): Logger {
  const record = (fields: Record<string, unknown> | undefined): void => {
    const event = fields?.event;
    if (typeof event !== "string" || !(AUDIT_EVENTS as readonly string[]).includes(event)) return;
    const { event: _, ...rest } = fields!;
    trail.record(event as AuditEvent, rest as AuditFields);
  };
  return {
    request: (entry) => logger.request(entry),
    info: (message, fields) => (record(fields), logger.info(message, fields)),
    warn: (message, fields) => (record(fields), logger.warn(message, fields)),
    error: (message, fields) => (record(fields), logger.error(message, fields)),
    flush: () => logger.flush?.(),
    lines: (text) => logger.lines?.(text),
  };
}
