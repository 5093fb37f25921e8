import { describe, expect, test } from "bun:test";
import { call, testApp } from "../helpers.ts";

describe("index routes, no authentication", () => {
  const app = testApp();

  test("GET /api/v1/status, with or without the slash, prints as Flask did", async () => {
    for (const path of ["/api/v1/status", "/api/v1/status/"]) {
      const response = await call(app, path);
      expect(response.status).toBe(200);
      expect(response.text).toBe('{\n  "status": "OK"\n}\n');
      expect(response.headers.get("content-type")).toBe("application/json");
      expect(response.headers.get("access-control-allow-origin")).toBe("*");
    }
  });

  test("GET /api/v1/stats counts users", async () => {
    expect((await call(app, "/api/v1/stats")).json).toEqual({ users: 0 });
    await call(app, "/api/v1/users", { json: { email: "a@b.c", password: "pw-secret" } });
    expect((await call(app, "/api/v1/stats/")).json).toEqual({ users: 1 });
  });

  test("the error probes", async () => {
    expect(await call(app, "/api/v1/unauthorized")).toMatchObject({ status: 401, json: { error: "Unauthorized" } });
    expect(await call(app, "/api/v1/forbidden/")).toMatchObject({ status: 403, json: { error: "Forbidden" } });
  });

  test("an unknown path is a JSON 404", async () => {
    for (const path of ["/api/v1/nope", "/api/v1/users/a/b", "/api/v2/status", "/nope"]) {
      expect(await call(app, path)).toMatchObject({ status: 404, json: { error: "Not found" } });
    }
  });

  test("CORS header only under /api/v1/", async () => {
    expect((await call(app, "/nope")).headers.get("access-control-allow-origin")).toBeNull();
    expect((await call(app, "/api/v1/nope")).headers.get("access-control-allow-origin")).toBe("*");
  });

  test("a known path with the wrong method is Flask's 405 page with Allow", async () => {
    const response = await call(app, "/api/v1/status", { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS");
    expect(response.text).toContain("<title>405 Method Not Allowed</title>");
    expect((await call(app, "/api/v1/users", { method: "DELETE" })).headers.get("allow")).toBe("GET, POST, HEAD, OPTIONS");
  });

  test("HEAD answers like GET", async () => {
    expect((await call(app, "/api/v1/status", { method: "HEAD" })).status).toBe(200);
  });

  test("GET / is the login page: no credentials needed, strict CSP, the auth type shown", async () => {
    for (const [env, sessions] of [[{ AUTH_TYPE: "session_db_auth" }, "yes"], [{ AUTH_TYPE: "basic_auth" }, "no"], [{}, "no"]] as const) {
      const page = await call(testApp(env), "/");
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(page.headers.get("access-control-allow-origin")).toBeNull();
      expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
      expect(page.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      expect(page.text).toContain(`data-sessions="${sessions}"`);
      expect(page.text).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);
    }
    expect((await call(testApp({ AUTH_TYPE: "session_auth" }), "/", { method: "POST" })).status).toBe(405);
  });

  test("/favicon.ico answers 204 without credentials, so a browser's page load logs no 401", async () => {
    for (const authType of ["basic_auth", "session_auth"]) {
      const response = await call(testApp({ AUTH_TYPE: authType }), "/favicon.ico");
      expect([authType, response.status]).toEqual([authType, 204]);
    }
  });

  test("OPTIONS is a CORS preflight answer, before any authentication", async () => {
    const guarded = testApp({ AUTH_TYPE: "session_auth" });
    const response = await call(guarded, "/api/v1/users/me", { method: "OPTIONS" });
    expect(response.status).toBe(200);
    expect(response.headers.get("allow")).toBe("GET, PUT, DELETE, HEAD, OPTIONS");
    expect(response.headers.get("access-control-allow-methods")).toBe("GET, PUT, DELETE, HEAD, OPTIONS");
    expect(response.headers.get("access-control-allow-headers")).toContain("Authorization");
    // Without it a browser reads no preflight answer at all, and sends nothing that needs one.
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect((await call(guarded, "/api/v1/nope", { method: "OPTIONS" })).status).toBe(404);
  });
});
