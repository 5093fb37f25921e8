/** Calls to a provider are bounded: a provider that hangs gives a 504 in time, a broken one a 502. */
import { afterAll, expect, test } from "bun:test";
import { parseDiscovery } from "../../../src/auth/providers/discovery.ts";
import { ProviderFailed } from "../../../src/auth/providers/errors.ts";
import { MAX_PROVIDER_BODY_BYTES, providerFetch } from "../../../src/auth/providers/provider-fetch.ts";

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  fetch: async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/hang") return new Promise<Response>(() => {});
    if (path === "/slow-body") {
      // Headers at once, then a body that never ends.
      return new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode("{")) }));
    }
    if (path === "/huge") return new Response("x".repeat(MAX_PROVIDER_BODY_BYTES + 10));
    return Response.json({ ok: true });
  },
});
afterAll(() => server.stop(true));

async function failure(path: string, timeoutMs = 300): Promise<ProviderFailed> {
  try {
    await providerFetch(`${server.url}${path.slice(1)}`, {}, { timeoutMs });
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderFailed);
    return error as ProviderFailed;
  }
  throw new Error("did not fail");
}

test("an answer within the bound is read", async () => {
  expect((await providerFetch(`${server.url}ok`, {}, { timeoutMs: 2000 })).json).toEqual({ ok: true });
});

test("a provider that never answers: 504 within the bound", async () => {
  const started = performance.now();
  expect((await failure("/hang")).status).toBe(504);
  expect(performance.now() - started).toBeLessThan(3000);
});

test("a body that never ends: 504 within the bound", async () => {
  expect((await failure("/slow-body")).status).toBe(504);
});

test("a body larger than any provider sends: 502", async () => {
  expect((await failure("/huge", 5000)).status).toBe(502);
});

test("nothing listening: 502, and the message names no path or query", async () => {
  const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const url = `${closed.url}token?code=secret`;
  closed.stop(true);
  const error = await providerFetch(url, {}, { timeoutMs: 2000 }).then(() => null, (e: unknown) => e as ProviderFailed);
  if (error === null) throw new Error("did not fail");
  expect(error.status).toBe(502);
  expect(error.message).not.toContain("secret");
});

test("OpenID Connect Discovery §4.3: the document's issuer must be the one configured", () => {
  const document = { issuer: "https://op.example", authorization_endpoint: "https://op.example/auth", token_endpoint: "https://op.example/token", jwks_uri: "https://op.example/jwks" };
  expect(parseDiscovery(document, "https://op.example").tokenEndpoint).toBe("https://op.example/token");
  expect(() => parseDiscovery(document, "https://op.example/")).toThrow(ProviderFailed);
  expect(() => parseDiscovery({ ...document, token_endpoint: "http://op.example/token" }, "https://op.example")).toThrow(ProviderFailed);
  expect(() => parseDiscovery({ ...document, jwks_uri: undefined }, "https://op.example")).toThrow(ProviderFailed);
  expect(parseDiscovery({ ...document, authorization_response_iss_parameter_supported: true }, "https://op.example").issParameterSupported).toBe(true);
});

test("the discovery document is fetched once an hour, and an old one serves while the provider is down", async () => {
  const { DiscoveryCache, DISCOVERY_MAX_AGE_MS } = await import("../../../src/auth/providers/discovery.ts");
  let fetches = 0;
  let down = false;
  const provider: ReturnType<typeof Bun.serve> = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (): Response => {
      fetches++;
      if (down) return new Response("oops", { status: 500 });
      const issuer: string = `http://127.0.0.1:${provider.port}`;
      return Response.json({ issuer, authorization_endpoint: `${issuer}/auth`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks` });
    },
  });
  try {
    let now = 0;
    const cache = new DiscoveryCache(`http://127.0.0.1:${provider.port}`, { timeoutMs: 2000 }, () => now);
    const [a, b] = await Promise.all([cache.get(), cache.get()]);
    expect(a).toBe(b);
    expect(fetches).toBe(1);
    now += DISCOVERY_MAX_AGE_MS - 1;
    await cache.get();
    expect(fetches).toBe(1);
    now += 1;
    down = true;
    expect((await cache.get()).tokenEndpoint).toEndWith("/token");
    expect(fetches).toBe(2);
  } finally {
    provider.stop(true);
  }
});
