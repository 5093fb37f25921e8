/** What every stored record has, and the timestamp format of the original program. */

export interface BaseRecord {
  id: string;
  created_at: string;
  updated_at: string;
}

/** Milliseconds since the epoch; injected so that expiry can be tested without sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** UTC `YYYY-MM-DDTHH:MM:SS`, the original's TIMESTAMP_FORMAT. */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19);
}

/** Parses `YYYY-MM-DDTHH:MM:SS` (or with a space, as some old files have) as UTC; NaN if malformed. */
export function parseTimestamp(text: unknown): number {
  if (typeof text !== "string") return Number.NaN;
  const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(text);
  if (!match) return Number.NaN;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  return Date.UTC(year!, month! - 1, day!, hour!, minute!, second!);
}

/** A fresh id and both timestamps, as `Base.__init__` gives a new object. */
export function newBaseRecord(clock: Clock): BaseRecord {
  const now = formatTimestamp(clock());
  return { id: crypto.randomUUID(), created_at: now, updated_at: now };
}
