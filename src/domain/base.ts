/** What every stored record has, and the timestamp format of the original program. */

export interface BaseRecord {
  id: string;
  created_at: string;
  updated_at: string;
}

/** Milliseconds since the epoch; injected so that expiry can be tested without sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** The last second formatted, and its text: records made in one second share one string. */
let lastSecond = Number.NaN;
let lastText = "";

/** UTC `YYYY-MM-DDTHH:MM:SS`, the original's TIMESTAMP_FORMAT. */
export function formatTimestamp(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== lastSecond) {
    // A copy of the slice: it would otherwise keep the whole ISO text alive with it.
    lastText = `${new Date(epochMs).toISOString().slice(0, 19)}`;
    lastSecond = second;
  }
  return lastText;
}

/**
 * Parses `YYYY-MM-DDTHH:MM:SS` (or with a space, as some old files have; fractional seconds are
 * ignored) as UTC; NaN if malformed. Read by hand: it runs on every session_db_auth request.
 */
export function parseTimestamp(text: unknown): number {
  if (typeof text !== "string" || text.length < 19) return Number.NaN;
  const separator = text.charCodeAt(10);
  if (text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d || (separator !== 0x54 && separator !== 0x20)) return Number.NaN;
  if (text.charCodeAt(13) !== 0x3a || text.charCodeAt(16) !== 0x3a) return Number.NaN;
  if (text.length > 19 && (text.charCodeAt(19) !== 0x2e || text.length === 20 || digits(text, 20, text.length) < 0)) return Number.NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The decimal number in text[start, end), or -1 if any character there is not a digit. */
function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** A fresh id and both timestamps, as `Base.__init__` gives a new object. */
export function newBaseRecord(clock: Clock): BaseRecord {
  const now = formatTimestamp(clock());
  return { id: crypto.randomUUID(), created_at: now, updated_at: now };
}
