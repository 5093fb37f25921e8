import { describe, expect, test } from "bun:test";
import { addressBits, inNetwork, parseNetwork } from "../../../src/auth/rules/networks.ts";

describe("parseNetwork", () => {
  const good = ["10.0.0.0/8", "192.168.1.7", "0.0.0.0/0", "2001:db8::/32", "::1", "::/0", "10.1.2.3/8"];
  test.each(good)("%p is a network", (text) => expect(parseNetwork(text)).not.toBeNull());
  const bad = ["10.0.0.0/33", "2001:db8::/129", "10.0.0/8", "10.0.0.0/", "10.0.0.0/-1", "example.com", "[::1]", "10.0.0.0/8/8", "", "fe80::1%eth0/64", "::ffff:10.0.0.0/104"];
  // An IPv4-mapped network is written as the IPv4 one (10.0.0.0/8): addresses are read that way.
  test.each(bad)("%p is not", (text) => expect(parseNetwork(text)).toBeNull());
});

describe("inNetwork", () => {
  const cases: [string, string, boolean][] = [
    ["10.1.2.3", "10.0.0.0/8", true],
    ["11.1.2.3", "10.0.0.0/8", false],
    ["10.1.2.3", "10.1.2.0/24", true],
    ["10.1.3.3", "10.1.2.0/24", false],
    ["192.168.1.7", "192.168.1.7", true],
    ["192.168.1.8", "192.168.1.7", false],
    ["1.2.3.4", "0.0.0.0/0", true],
    ["255.255.255.255", "255.255.255.254/31", true],
    ["10.1.2.3", "10.9.9.9/8", true],
    ["2001:db8::1", "2001:db8::/32", true],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::/32", true],
    ["2001:db9::1", "2001:db8::/32", false],
    ["::1", "::1", true],
    ["::1", "127.0.0.1", false],
    ["127.0.0.1", "::1/128", false],
    ["::ffff:10.1.2.3", "10.0.0.0/8", true],
    ["fe80::1:2", "fe80::/10", true],
    ["febf::1", "fe80::/10", true],
    ["fec0::1", "fe80::/10", false],
  ];
  test.each(cases)("%p in %p: %p", (address, network, expected) => {
    expect(inNetwork(addressBits(address)!, parseNetwork(network)!)).toBe(expected);
  });
  test("something that is no address is in no network", () => {
    expect(addressBits("unknown")).toBeNull();
  });
});
