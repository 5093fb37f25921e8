/**
 * The session-time rules, written once for every store and strategy. Stored sessions keep whole
 * seconds (`YYYY-MM-DDTHH:MM:SS`, or with a space for the `T` as some old files of the original
 * program have); a stored second is read as its last millisecond, so that a session never ends
 * early, and a timestamp that cannot be read counts as long past.
 */
import { formatTimestamp, parseTimestamp } from "./base.ts";

/** How far past its whole second a stored moment may have been. */
export const SECOND_END_MS = 999;

/** The latest moment (epoch ms) a stored whole second (epoch ms) can stand for; NaN stays NaN. */
export function latestMoment(storedSecond: number): number {
  return storedSecond + SECOND_END_MS;
}

/** The latest moment a stored timestamp can stand for; NaN when it cannot be read. */
export function latestMomentOf(timestamp: unknown): number {
  return parseTimestamp(timestamp) + SECOND_END_MS;
}

/** Whether a stored whole second (epoch ms) lies before `moment`, never early; NaN is before every moment. */
export function secondBefore(storedSecond: number, moment: number): boolean {
  return !(storedSecond + SECOND_END_MS >= moment);
}

/** The whole seconds (epoch ms) below this are exactly those `secondBefore` `moment`: a numeric range bound. */
export function secondsBelow(moment: number): number {
  return moment - SECOND_END_MS;
}

/**
 * The timestamp T such that `stored < T`, compared as text, holds exactly for the stored
 * seconds before `moment`: the timestamps are whole seconds in a fixed-width format.
 */
export function timestampsBelow(moment: number): string {
  return formatTimestamp(Math.ceil(secondsBelow(moment) / 1000) * 1000);
}

/**
 * A SQL condition true exactly for the text column `column` before the text bound `bound` (a
 * parameter such as `$1`, from `timestampsBelow`): a timestamp with a space for the `T` is
 * compared in the usual form, so that it is never removed early.
 */
export function sqlTimestampBelow(column: string, bound: string): string {
  return `${column} < ${bound} AND (position(' ' in ${column}) = 0 OR replace(${column}, ' ', 'T') < ${bound})`;
}
