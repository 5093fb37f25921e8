/**
 * A strict CBOR decoder (RFC 8949) for the subset WebAuthn uses: unsigned and negative integers
 * (as safe JavaScript numbers), byte and text strings, arrays, maps with integer or text keys,
 * false, true and null. Everything else (floats, tags, undefined, simple values, indefinite
 * lengths, duplicate map keys, invalid UTF-8, trailing bytes) is refused with a CborError; so is
 * nesting deeper than `maxDepth` or more than `maxItems` items, so that a hostile attestation
 * object costs little.
 */

export type CborValue = number | string | boolean | null | Uint8Array<ArrayBuffer> | CborValue[] | CborMap;
export type CborMap = Map<number | string, CborValue>;

export class CborError extends Error {
  override name = "CborError";
}

export interface CborLimits {
  /** Arrays and maps nested deeper than this are refused; default 8. */
  maxDepth?: number;
  /** Items of all arrays and maps together (a map entry counts once); default 1024. */
  maxItems?: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Reader {
  offset = 0;
  items = 0;
  constructor(
    readonly bytes: Uint8Array<ArrayBuffer>,
    readonly maxDepth: number,
    readonly maxItems: number,
  ) {}

  byte(): number {
    if (this.offset >= this.bytes.length) throw new CborError("CBOR data ends early");
    return this.bytes[this.offset++]!;
  }

  /** The argument of a data item head: the value, or the length or count that follows. */
  argument(info: number): number {
    if (info < 24) return info;
    const size = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (size === 0) throw new CborError(info === 31 ? "indefinite-length CBOR is not accepted" : "reserved CBOR head");
    if (this.offset + size > this.bytes.length) throw new CborError("CBOR data ends early");
    let value = 0;
    for (let i = 0; i < size; i++) value = value * 256 + this.bytes[this.offset++]!;
    if (!Number.isSafeInteger(value)) throw new CborError("CBOR integer too large");
    return value;
  }

  take(length: number): Uint8Array<ArrayBuffer> {
    if (length > this.bytes.length - this.offset) throw new CborError("CBOR data ends early");
    const slice = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }

  count(n: number): void {
    // Every item takes at least one byte: a count beyond what is left is a lie told to make us allocate.
    this.items += n;
    if (this.items > this.maxItems) throw new CborError("too many CBOR items");
    if (n > this.bytes.length - this.offset) throw new CborError("CBOR data ends early");
  }

  value(depth: number): CborValue {
    const head = this.byte();
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case 0:
        return this.argument(info);
      case 1:
        return -1 - this.argument(info);
      case 2:
        return this.take(this.argument(info));
      case 3:
        try {
          return utf8.decode(this.take(this.argument(info)));
        } catch (error) {
          if (error instanceof CborError) throw error;
          throw new CborError("CBOR text is not valid UTF-8");
        }
      case 4: {
        if (depth >= this.maxDepth) throw new CborError("CBOR nested too deeply");
        const n = this.argument(info);
        this.count(n);
        const list: CborValue[] = [];
        for (let i = 0; i < n; i++) list.push(this.value(depth + 1));
        return list;
      }
      case 5: {
        if (depth >= this.maxDepth) throw new CborError("CBOR nested too deeply");
        const n = this.argument(info);
        this.count(n);
        const map: CborMap = new Map();
        for (let i = 0; i < n; i++) {
          const key = this.value(depth + 1);
          if (typeof key !== "number" && typeof key !== "string") throw new CborError("CBOR map key is neither an integer nor text");
          if (map.has(key)) throw new CborError("duplicate CBOR map key");
          map.set(key, this.value(depth + 1));
        }
        return map;
      }
      case 6:
        throw new CborError("CBOR tags are not accepted");
      default:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw new CborError("CBOR floats and simple values are not accepted");
    }
  }
}

/** The one data item `bytes` hold, with nothing after it. */
export function decodeCbor(bytes: Uint8Array<ArrayBuffer>, limits: CborLimits = {}): CborValue {
  const { value, length } = decodeCborPrefix(bytes, limits);
  if (length !== bytes.length) throw new CborError("trailing bytes after CBOR data");
  return value;
}

/** The first data item of `bytes` and how many bytes it took (authenticator data has more after it). */
export function decodeCborPrefix(bytes: Uint8Array<ArrayBuffer>, limits: CborLimits = {}): { value: CborValue; length: number } {
  const reader = new Reader(bytes, limits.maxDepth ?? 8, limits.maxItems ?? 1024);
  const value = reader.value(0);
  return { value, length: reader.offset };
}

/** A map's entry by key when it is of the expected kind; undefined otherwise. */
export function mapBytes(map: CborMap, key: number | string): Uint8Array<ArrayBuffer> | undefined {
  const value = map.get(key);
  return value instanceof Uint8Array ? value : undefined;
}

export function mapNumber(map: CborMap, key: number | string): number | undefined {
  const value = map.get(key);
  return typeof value === "number" ? value : undefined;
}

export function mapText(map: CborMap, key: number | string): string | undefined {
  const value = map.get(key);
  return typeof value === "string" ? value : undefined;
}

export function isCborMap(value: CborValue | undefined): value is CborMap {
  return value instanceof Map;
}
