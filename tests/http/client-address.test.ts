import { expect, test } from "bun:test";
import { clientAddress, isHttps } from "../../src/http/client-address.ts";

const request = (headers: Record<string, string>, url = "http://127.0.0.1/") => new Request(url, { headers });

test("the socket address, unless a trusted proxy says otherwise", () => {
  const forwarded = request({ "X-Forwarded-For": "6.6.6.6, 10.0.0.7" });
  expect(clientAddress(forwarded, "127.0.0.1", false)).toBe("127.0.0.1");
  expect(clientAddress(forwarded, "127.0.0.1", true)).toBe("10.0.0.7");
  expect(clientAddress(request({ "X-Forwarded-For": "5.5.5.5" }), "127.0.0.1", true)).toBe("5.5.5.5");
  expect(clientAddress(request({}), "127.0.0.1", true)).toBe("127.0.0.1");
  expect(clientAddress(request({}), undefined, false)).toBe("unknown");
});

test("https directly, or by a trusted proxy's X-Forwarded-Proto", () => {
  expect(isHttps(request({}, "https://example.test/"), false)).toBe(true);
  expect(isHttps(request({ "X-Forwarded-Proto": "https" }), false)).toBe(false);
  expect(isHttps(request({ "X-Forwarded-Proto": "https" }), true)).toBe(true);
  expect(isHttps(request({ "X-Forwarded-Proto": "http" }), true)).toBe(false);
});
