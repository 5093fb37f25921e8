/**
 * Session and user ids of the shapes other systems make, for the store's benchmark and the test
 * of its hash tables: random (UUIDv4), sequential, and UUIDv7. Each call of a shape's `make`
 * starts a new series; its function gives the series' ids one after another.
 */

const hex = (value: number, digits: number) => value.toString(16).padStart(digits, "0").slice(-digits);

function randomHex(digits: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(Math.ceil(digits / 2)));
  return Array.from(bytes, (byte) => hex(byte, 2)).join("").slice(0, digits);
}

/** A 36-character UUID text of 32 hex digits. */
const dashed = (digits: string) => `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;

/** A counter in the last bytes after a prefix of the series' own, as a database sequence or an importing system would number them. */
export function sequentialIds(): () => string {
  const prefix = randomHex(20);
  let next = 0;
  return () => dashed(`${prefix}${hex(next++, 12)}`);
}

/**
 * UUIDv7 (RFC 9562): a 48-bit Unix time in milliseconds, then 74 bits drawn at random at each
 * new millisecond and counted up by one for each further id within it (its "monotonic random"
 * method), `perMillisecond` ids a millisecond.
 */
export function uuidV7Ids(perMillisecond = 1000, startMs = 1_764_547_200_000): () => string {
  let made = 0;
  let random = 0n;
  return () => {
    if (made % perMillisecond === 0) random = BigInt(`0x${randomHex(20)}`) & ((1n << 74n) - 1n);
    else random += 1n;
    const ms = hex(startMs + Math.floor(made / perMillisecond), 12);
    made += 1;
    const randA = hex(Number(random >> 62n), 3);
    // The variant's two bits (10) above the low 62 random bits.
    const randB = ((random & ((1n << 62n) - 1n)) | (2n << 62n)).toString(16).padStart(16, "0");
    return dashed(`${ms}7${randA}${randB}`);
  };
}

export const randomIds = (): (() => string) => () => crypto.randomUUID();

export const ID_SHAPES = {
  random: { name: "random ids (UUIDv4)", make: randomIds },
  sequential: { name: "sequential ids", make: sequentialIds },
  uuidv7: { name: "UUIDv7 ids, 1,000 a millisecond", make: () => uuidV7Ids(1000) },
} as const;

export type IdShape = keyof typeof ID_SHAPES;
