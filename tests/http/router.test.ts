import { describe, expect, test } from "bun:test";
import { normalizePath, pathnameOf, Router } from "../../src/http/router.ts";

function table() {
  return new Router<string>()
    .add("GET", "/api/v1/status", "status")
    .add("GET", "/api/v1/users", "list")
    .add("POST", "/api/v1/users", "create")
    .add("GET", "/api/v1/users/:id", "show")
    .add("PUT", "/api/v1/users/:id", "update")
    .add("DELETE", "/api/v1/users/:id", "delete")
    .add("POST", "/api/v1/auth_session/login/", "login");
}

describe("Router.match", () => {
  const router = table();
  const found: [string, string, string, Record<string, string>][] = [
    ["GET", "/api/v1/status", "status", {}],
    ["GET", "/api/v1/status/", "status", {}],
    ["HEAD", "/api/v1/status", "status", {}],
    ["GET", "/api/v1/users", "list", {}],
    ["POST", "/api/v1/users/", "create", {}],
    ["GET", "/api/v1/users/abc", "show", { id: "abc" }],
    ["GET", "/api/v1/users/abc/", "show", { id: "abc" }],
    ["DELETE", "/api/v1/users/me", "delete", { id: "me" }],
    ["GET", "/api/v1/users/a%20b", "show", { id: "a b" }],
    ["GET", "/api/v1/users/%E0%A4%A", "show", { id: "%E0%A4%A" }],
    ["POST", "/api/v1/auth_session/login", "login", {}],
  ];
  for (const [method, path, handler, params] of found) {
    test(`${method} ${path} → ${handler}`, () => {
      const match = router.match(method, path);
      expect(match.kind).toBe("found");
      if (match.kind === "found") {
        expect(match.handler).toBe(handler);
        expect({ ...match.params }).toEqual(params);
      }
    });
  }

  const missing = ["/", "/api/v1", "/api/v1/nope", "/api/v1/users/a/b", "/api/v1/users//", "/api/v1//users", "/api/v1/status//", "/API/V1/STATUS", "/api/v1/%73tatus"];
  for (const path of missing) {
    test(`GET ${path} → not found`, () => {
      expect(router.match("GET", path).kind).toBe("not-found");
    });
  }

  test("wrong method → 405 with the methods Flask would list", () => {
    expect(router.match("GET", "/api/v1/auth_session/login")).toEqual({ kind: "method-not-allowed", allow: ["POST", "OPTIONS"], route: "/api/v1/auth_session/login" });
    expect(router.match("PATCH", "/api/v1/users/1")).toEqual({ kind: "method-not-allowed", allow: ["GET", "PUT", "DELETE", "HEAD", "OPTIONS"], route: "/api/v1/users/:id" });
  });

  test("a duplicate route is a programming error", () => {
    expect(() => table().add("GET", "/api/v1/status/", "again")).toThrow();
  });
});

test("normalizePath drops one trailing slash", () => {
  expect(normalizePath("/")).toBe("/");
  expect(normalizePath("/a/")).toBe("/a");
  expect(normalizePath("/a//")).toBe("/a/");
  expect(normalizePath("/a")).toBe("/a");
});

test("pathnameOf takes the path of an absolute URL", () => {
  expect(pathnameOf("http://127.0.0.1:5000/api/v1/status?x=1")).toBe("/api/v1/status");
  expect(pathnameOf("http://h/a/b/#frag")).toBe("/a/b/");
  expect(pathnameOf("http://h")).toBe("/");
  expect(pathnameOf("http://h/?q=/x")).toBe("/");
  // What Bun hands over for a request without a Host header.
  expect(pathnameOf("/api/v1/status")).toBe("/api/v1/status");
  expect(pathnameOf("/x/api/v1/status?y=//z")).toBe("/x/api/v1/status");
});

test("routes declared public make the guard's excluded-paths list: slash-ended paths, a prefix from a pattern's first parameter", () => {
  const router = new Router<string>();
  expect(router.publicPaths()).toEqual([]);
  router.add("GET", "/", "page", { public: true });
  router.add("GET", "/api/v1/users", "users");
  router.add("GET", "/api/v1/status", "status", { public: true });
  router.add("HEAD", "/api/v1/status/", "status", { public: true });
  router.add("GET", "/api/v1/oidc/:name/callback", "callback", { public: true });
  router.declarePublic("/api/v1/auth_session/login");
  expect(router.publicPaths()).toEqual(["/", "/api/v1/status/", "/api/v1/oidc/*", "/api/v1/auth_session/login/"]);
  expect(Object.isFrozen(router.publicPaths())).toBe(true);
  // Declared public without a route: the guard lets it through, the router answers 404.
  expect(router.match("POST", "/api/v1/auth_session/login").kind).toBe("not-found");
});
