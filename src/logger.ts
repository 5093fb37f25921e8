/** The log: access lines and events on standard output, errors on standard error, as text or JSON. */
import type { LogFormat } from "./config.ts";

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
  /** A setting that works but may not mean what was meant: standard error, level "warn". */
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** Writes out anything held back. */
  flush?(): void;
  /** Whole lines (each ending in a newline) written as they are, in turn with the others: the audit trail. */
  lines?(text: string): void;
}

export const silentLogger: Logger = { request: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/**
 * The log on standard output (errors on standard error), as text or one JSON object per line.
 * Lines are written once per turn of the event loop: one system call for a burst of requests.
 */
export interface LogSink {
  out(text: string): void;
  err(text: string): void;
}

/**
 * Bun's own writers on the standard streams, made at the first line: process.stdout, a Node
 * stream, would cost each start-up about 15 ms. Each batch is handed over at once; a pipe that
 * is not read keeps it buffered, as process.stdout would.
 */
function standardWriter(stream: typeof Bun.stdout): (text: string) => void {
  let writer: ReturnType<typeof Bun.stdout.writer> | null = null;
  return (text) => {
    writer ??= stream.writer();
    writer.write(text);
    void writer.flush();
  };
}

const stdio: LogSink = { out: standardWriter(Bun.stdout), err: standardWriter(Bun.stderr) };

export function createLogger(format: LogFormat = "text", sink: LogSink = stdio): Logger {
  /** Lines of this turn of the event loop, each ending in a newline. */
  let pending = "";
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
    if (pending === "") return;
    const text = pending;
    pending = "";
    sink.out(text);
  };
  const push = (line: string) => append(`${line}\n`);
  const append = (text: string) => {
    pending += text;
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
    warn(message, fields) {
      flush();
      sink.err(`${json ? JSON.stringify({ time: now(), level: "warn", message, ...fields }) : message}\n`);
    },
    error(message, fields) {
      flush();
      sink.err(`${json ? JSON.stringify({ time: now(), level: "error", message, ...fields }) : message}\n`);
    },
    flush,
    lines: append,
  };
}
