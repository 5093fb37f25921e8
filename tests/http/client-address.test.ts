import { describe, expect, test } from "bun:test";
import { clientAddress, ipAddress, isHttps } from "../../src/http/client-address.ts";

const request = (headers: Record<string, string>, url = "http://127.0.0.1/") => new Request(url, { headers });

test("the socket address, unless a trusted proxy says otherwise", () => {
  const forwarded = request({ "X-Forwarded-For": "6.6.6.6, 10.0.0.7" });
  expect(clientAddress(forwarded, "127.0.0.1", false)).toBe("127.0.0.1");
  expect(clientAddress(forwarded, "127.0.0.1", true)).toBe("10.0.0.7");
  expect(clientAddress(request({ "X-Forwarded-For": "5.5.5.5" }), "127.0.0.1", true)).toBe("5.5.5.5");
  expect(clientAddress(request({}), "127.0.0.1", true)).toBe("127.0.0.1");
  expect(clientAddress(request({}), undefined, false)).toBe("unknown");
});

test("a forwarded entry that is no IP address is not believed: the socket address stands, whatever its length", () => {
  for (const garbage of ["x".repeat(15_000), "unknown", "_hidden", "1.2.3.4.5", "256.1.1.1", "fe80::1%eth0", "::1::2", "1.2.3.4 extra", "", " "]) {
    expect(clientAddress(request({ "X-Forwarded-For": `6.6.6.6, ${garbage}` }), "10.9.9.9", true)).toBe("10.9.9.9");
  }
  expect(clientAddress(request({ "X-Forwarded-For": `${"9".repeat(15_000)}, 2001:DB8:0:0::1` }), "10.9.9.9", true)).toBe("2001:db8::1");
});

describe("ipAddress", () => {
  const cases: [string, string | null][] = [
    ["1.2.3.4", "1.2.3.4"],
    ["001.002.003.004", "1.2.3.4"],
    ["1.2.3.4:8080", "1.2.3.4"],
    ["255.255.255.255", "255.255.255.255"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["[2001:db8::1]:443", "2001:db8::1"],
    ["[::1]", "::1"],
    ["::ffff:1.2.3.4", "1.2.3.4"],
    ["::FFFF:0102:0304", "1.2.3.4"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["256.1.1.1", null],
    ["1.2.3", null],
    ["0x7f.0.0.1", null],
    ["1.2.3.4:", null],
    ["localhost", null],
    ["fe80::1%eth0", null],
    ["[fe80::1%25eth0]", null],
    ["1:2:3:4:5:6:7:8:9", null],
    ["[1.2.3.4]", null],
    ["", null],
    ["1".repeat(65), null],
  ];
  test.each(cases)("%p → %p", (text, expected) => {
    expect(ipAddress(text)).toBe(expected);
  });

  test("never longer than 39 characters", () => {
    expect(ipAddress("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255")).toBe("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
  });
});

test("https directly, or by a trusted proxy's X-Forwarded-Proto", () => {
  expect(isHttps(request({}, "https://example.test/"), false)).toBe(true);
  expect(isHttps(request({ "X-Forwarded-Proto": "https" }), false)).toBe(false);
  expect(isHttps(request({ "X-Forwarded-Proto": "https" }), true)).toBe(true);
  expect(isHttps(request({ "X-Forwarded-Proto": "http" }), true)).toBe(false);
});
