/**
 * The text of stored session fields as bytes and back: lowercase UUIDs (16 bytes), lowercase
 * hex (half its characters), `YYYY-MM-DDTHH:MM:SS` timestamps (epoch ms). Each reads the UTF-8
 * bytes of a value and refuses anything that would not be written back as the same text.
 */
import { formatTimestamp } from "../../../domain/base.ts";

const HEX = "0123456789abcdef";
const HEX_CODES = Array.from(HEX, (digit) => digit.charCodeAt(0));
/** Each byte's value as a lowercase hex digit, or -1. */
const NIBBLES = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit++) NIBBLES[HEX.charCodeAt(digit)] = digit;

const encoder = new TextEncoder();

/** The UTF-8 bytes of a value, for the functions below. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function sameBytes(a: Uint8Array, at: number, b: Uint8Array, bt: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (a[at + i] !== b[bt + i]) return false;
  return true;
}

/** Lowercase hex of exactly `length` bytes in bytes[start, end) into out[at…]; false for anything else. */
export function hexBytes(bytes: Uint8Array, start: number, end: number, out: Uint8Array, at: number, length: number): boolean {
  if (end - start !== length * 2) return false;
  for (let i = 0; i < length; i++) {
    const high = NIBBLES[bytes[start + 2 * i]!]!;
    const low = NIBBLES[bytes[start + 2 * i + 1]!]!;
    if (high < 0 || low < 0) return false;
    out[at + i] = (high << 4) | low;
  }
  return true;
}

/** Where text is put together: one flat string, quick to compare and hash, unlike a concatenation. */
const textScratch = Buffer.alloc(64);

export function hexText(bytes: Uint8Array, at: number, length: number): string {
  for (let i = 0; i < length; i++) {
    const byte = bytes[at + i]!;
    textScratch[2 * i] = HEX_CODES[byte >> 4]!;
    textScratch[2 * i + 1] = HEX_CODES[byte & 15]!;
  }
  return textScratch.toString("latin1", 0, 2 * length);
}

/** Where a lowercase UUID's 16 bytes sit among its 36 characters. */
const UUID_PAIRS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
const UUID_DASHES = [8, 13, 18, 23];

export function uuidBytes(bytes: Uint8Array, start: number, end: number, out: Uint8Array, at: number): boolean {
  if (end - start !== 36) return false;
  for (const dash of UUID_DASHES) if (bytes[start + dash] !== 0x2d) return false;
  for (let i = 0; i < 16; i++) {
    const high = NIBBLES[bytes[start + UUID_PAIRS[i]!]!]!;
    const low = NIBBLES[bytes[start + UUID_PAIRS[i]! + 1]!]!;
    if (high < 0 || low < 0) return false;
    out[at + i] = (high << 4) | low;
  }
  return true;
}

export function uuidText(bytes: Uint8Array, at: number): string {
  for (const dash of UUID_DASHES) textScratch[dash] = 0x2d;
  for (let i = 0; i < 16; i++) {
    const byte = bytes[at + i]!;
    textScratch[UUID_PAIRS[i]!] = HEX_CODES[byte >> 4]!;
    textScratch[UUID_PAIRS[i]! + 1] = HEX_CODES[byte & 15]!;
  }
  return textScratch.toString("latin1", 0, 36);
}

/** The last timestamp written out: a session's times are often the same second, and so are neighbours'. */
let lastTime = Number.NaN;
let lastTimeText = "";

/** The text of a timestamp; null for NaN (a null field). */
export function timestampText(time: number): string | null {
  if (Number.isNaN(time)) return null;
  if (time !== lastTime) {
    lastTime = time;
    lastTimeText = formatTimestamp(time);
  }
  return lastTimeText;
}

/** Where the separators of `YYYY-MM-DDTHH:MM:SS` sit. */
const TIME_SEPARATORS: [number, number][] = [
  [4, 0x2d],
  [7, 0x2d],
  [10, 0x54],
  [13, 0x3a],
  [16, 0x3a],
];

/**
 * Epoch ms of exactly `YYYY-MM-DDTHH:MM:SS` in bytes[start, end) (what formatTimestamp writes,
 * so that writing it again gives the same text), or NaN.
 */
export function timestampOf(bytes: Uint8Array, start: number, end: number): number {
  if (end - start !== 19) return Number.NaN;
  for (const [at, code] of TIME_SEPARATORS) if (bytes[start + at] !== code) return Number.NaN;
  const year = digitsOf(bytes, start, 4);
  const month = digitsOf(bytes, start + 5, 2);
  const day = digitsOf(bytes, start + 8, 2);
  const hour = digitsOf(bytes, start + 11, 2);
  const minute = digitsOf(bytes, start + 14, 2);
  const second = digitsOf(bytes, start + 17, 2);
  if (year < 1000 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  if (day > daysIn(year, month)) return Number.NaN;
  return (daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * 1000;
}

/** The decimal number of `count` digits at bytes[at…], or -1. */
function digitsOf(bytes: Uint8Array, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = bytes[i]! - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Days since 1970-01-01 of a date of the proleptic Gregorian calendar (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
