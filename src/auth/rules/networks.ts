/**
 * IPv4 and IPv6 networks in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`, or one address), and
 * the test of an address against them. Addresses are read by ipAddress, the server's own
 * canonical reading of a client address, so an IPv4-mapped IPv6 address is its IPv4.
 */
import { ipAddress } from "../../http/client-address.ts";

export interface Network {
  /** 4 or 6. */
  family: 4 | 6;
  /** The network's address with the host bits cleared. */
  bits: bigint;
  prefix: number;
}

/** The address as a number of 32 (IPv4) or 128 (IPv6) bits; null for anything else. */
export function addressBits(text: string): { family: 4 | 6; bits: bigint } | null {
  const canonical = ipAddress(text);
  if (canonical === null) return null;
  if (!canonical.includes(":")) {
    const [a, b, c, d] = canonical.split(".").map(Number) as [number, number, number, number];
    return { family: 4, bits: BigInt(((a << 24) >>> 0) + (b << 16) + (c << 8) + d) };
  }
  // Canonical IPv6: at most one `::`, no embedded IPv4 (ipAddress writes that as hex groups).
  const [head, tail] = canonical.includes("::") ? canonical.split("::") : [canonical, null];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups = tail === null ? left : [...left, ...Array<string>(8 - left.length - right.length).fill("0"), ...right];
  let bits = 0n;
  for (const group of groups) bits = (bits << 16n) | BigInt(parseInt(group, 16));
  return { family: 6, bits };
}

/** `address/prefix` or a bare address; null when it is neither (the message is the caller's). */
export function parseNetwork(text: string): Network | null {
  const slash = text.indexOf("/");
  const address = addressBits(slash === -1 ? text : text.slice(0, slash));
  if (address === null || text.startsWith("[")) return null;
  const width = address.family === 4 ? 32 : 128;
  let prefix = width;
  if (slash !== -1) {
    const digits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(digits) || Number(digits) > width) return null;
    prefix = Number(digits);
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(width - prefix);
  return { family: address.family, bits: address.bits & mask, prefix };
}

/** True when `address` (already read by addressBits) is inside `network`. */
export function inNetwork(address: { family: 4 | 6; bits: bigint }, network: Network): boolean {
  if (address.family !== network.family) return false;
  const width = network.family === 4 ? 32 : 128;
  return address.bits >> BigInt(width - network.prefix) === network.bits >> BigInt(width - network.prefix);
}
