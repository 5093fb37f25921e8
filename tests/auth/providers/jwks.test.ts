/** The JWKS cache against a local server: rotation picked up, unknown kids fetched again at most once a minute. */
import { afterAll, expect, test } from "bun:test";
import { SignInRefused } from "../../../src/auth/providers/errors.ts";
import { parseCompactJws, verifyJws } from "../../../src/auth/providers/jose.ts";
import { JWKS_REFETCH_MS, JwksCache } from "../../../src/auth/providers/jwks.ts";
import { makeKey, signToken } from "./fixtures/keys.ts";

let published: Record<string, unknown>[] = [];
let fetches = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: () => {
    fetches++;
    return Response.json({ keys: published });
  },
});
afterAll(() => server.stop(true));

test("a rotated key is fetched when a token names it, but not more than once a minute", async () => {
  const [first, second, third] = [await makeKey("RS256", "k1"), await makeKey("ES256", "k2"), await makeKey("EdDSA", "k3")];
  published = [first.jwk];
  let now = 1_000_000;
  const cache = new JwksCache(async () => `${server.url}jwks`, { timeoutMs: 2000 }, () => now);
  const verifies = async (token: string) => {
    const jws = parseCompactJws(token);
    return verifyJws(jws, await cache.keyFor(jws));
  };
  expect(await verifies(await signToken(first, { sub: "a" }))).toBe(true);
  expect(fetches).toBe(1);
  // The provider rotates: the new kid is unknown, and the last fetch is a minute old.
  published = [first.jwk, second.jwk];
  now += JWKS_REFETCH_MS;
  expect(await verifies(await signToken(second, { sub: "a" }))).toBe(true);
  expect(fetches).toBe(2);
  // Another new key within the minute: not fetched, refused.
  published = [first.jwk, second.jwk, third.jwk];
  now += 1000;
  const unknown = await signToken(third, { sub: "a" });
  expect(verifies(unknown)).rejects.toBeInstanceOf(SignInRefused);
  // Made-up kids in a burst cost no fetch either.
  for (let i = 0; i < 20; i++) await verifies(await signToken({ ...third, kid: `junk-${i}` }, { sub: "a" })).catch(() => {});
  expect(fetches).toBe(2);
  now += JWKS_REFETCH_MS;
  expect(await verifies(unknown)).toBe(true);
  expect(fetches).toBe(3);
});

test("a token without kid is verified only when one key fits it", async () => {
  const [a, b] = [await makeKey("ES256", "a"), await makeKey("ES256", "b")];
  published = [a.jwk];
  const cache = new JwksCache(async () => `${server.url}jwks`, { timeoutMs: 2000 });
  const jws = parseCompactJws(await signToken(a, { sub: "x" }, { kid: undefined }));
  expect(await verifyJws(jws, await cache.keyFor(jws))).toBe(true);
  published = [a.jwk, b.jwk];
  const fresh = new JwksCache(async () => `${server.url}jwks`, { timeoutMs: 2000 });
  expect(fresh.keyFor(jws)).rejects.toBeInstanceOf(SignInRefused);
});
