import { describe, expect, test } from "bun:test";
import { readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { AUDIT_EVENTS, AuditTrail, auditingLogger, formatAuditLine, openAuditTrail, requestOrigin, ThrottleNotices } from "../src/audit.ts";
import { tempDir } from "./helpers.ts";

const AT = new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 678));

describe("formatAuditLine", () => {
  test("the fixed fields first, null when unknown; reason only where one applies", () => {
    expect(formatAuditLine("login.ok", { user_id: "u1", actor: "u1" }, AT)).toBe('{"time":"2026-01-02T03:04:05.678Z","event":"login.ok","user_id":"u1","actor":"u1","client":null,"user_agent":null,"request_id":null}');
    expect(JSON.parse(formatAuditLine("login.failed", { reason: "wrong_password", client: "10.0.0.1" }, AT))).toEqual({
      time: "2026-01-02T03:04:05.678Z",
      event: "login.failed",
      user_id: null,
      actor: null,
      client: "10.0.0.1",
      user_agent: null,
      request_id: null,
      reason: "wrong_password",
    });
  });

  test("a field whose name could hold a secret is never written, whoever passes it", () => {
    const fields = { user_id: "u1", password: "p1", new_password: "p2", code: "123456", recovery_codes: "c", totp_secret: "s", cookie: "k", session_id: "sid", sessionId: "sid2", token: "t", id_token: "t2", password_hash: "h", otp: "o", factor: "totp", count: 2, fields: "first_name" };
    const line = JSON.parse(formatAuditLine("factor.added", fields, AT));
    expect(Object.keys(line).sort()).toEqual(["actor", "client", "count", "event", "factor", "fields", "request_id", "time", "user_agent", "user_id"]);
  });
});

test("requestOrigin: the client, the user agent cut to 256 characters, and the proxy's request id when it is plain", () => {
  const request = (headers: Record<string, string>) => new Request("http://x/", { headers });
  expect(requestOrigin(request({ "User-Agent": "curl/8", "X-Request-Id": "abc-123" }), "10.1.2.3")).toEqual({ client: "10.1.2.3", user_agent: "curl/8", request_id: "abc-123" });
  const odd = requestOrigin(request({ "User-Agent": "x".repeat(1000), "X-Request-Id": "bad id\"{}" }), null);
  expect(odd.user_agent).toHaveLength(256);
  expect(odd.request_id).toMatch(/^[0-9a-f-]{36}$/);
});

describe("AuditTrail", () => {
  test("every event other features record (factor.*, access.denied) goes out, in order, to the listeners too", async () => {
    const dir = tempDir();
    const path = join(dir, "audit.log");
    const trail = openAuditTrail(path);
    const heard: string[] = [];
    trail.listen((event) => heard.push(event));
    for (const event of AUDIT_EVENTS) trail.record(event, { user_id: "u1", reason: event === "access.denied" ? "rule 2: two_factor" : null });
    trail.flush();
    const events = readFileSync(path, "utf8").trim().split("\n").map((line) => JSON.parse(line).event);
    expect(events).toEqual([...AUDIT_EVENTS]);
    expect(heard).toEqual([...AUDIT_EVENTS]);
    trail.close();
  });

  test("reopen: lines before go to the moved file, lines after to a new one, created 0600", () => {
    const dir = tempDir();
    const path = join(dir, "audit.log");
    const trail = openAuditTrail(path);
    trail.record("login.ok", { user_id: "before" });
    trail.flush();
    renameSync(path, `${path}.1`);
    trail.record("login.ok", { user_id: "held" });
    trail.reopen();
    trail.record("login.ok", { user_id: "after" });
    trail.close();
    expect(readFileSync(`${path}.1`, "utf8")).toContain('"before"');
    expect(readFileSync(`${path}.1`, "utf8")).toContain('"held"');
    expect(readFileSync(path, "utf8")).toContain('"after"');
    expect(readFileSync(path, "utf8")).not.toContain('"held"');
    expect(Bun.spawnSync(["stat", "-c", "%a", path]).stdout.toString().trim()).toBe("600");
  });

  test("without a sink nothing is written, and the listeners still hear", () => {
    const heard: string[] = [];
    const trail = new AuditTrail(null);
    trail.listen((event) => heard.push(event));
    trail.record("login.ok");
    trail.close();
    expect(heard).toEqual(["login.ok"]);
  });
});

test("ThrottleNotices: an account's first refusal of each window, within a bounded memory", () => {
  const notices = new ThrottleNotices(2);
  expect(notices.first("a", 1000, 0)).toBe(true);
  expect(notices.first("a", 1000, 500)).toBe(false);
  expect(notices.first("a", 1000, 1000)).toBe(true);
  expect(notices.first("b", 1000, 1000)).toBe(true);
  expect(notices.first("c", 1000, 1000)).toBe(true); // "a" is forgotten to make room
  expect(notices.first("a", 1000, 1001)).toBe(true);
});

test("auditingLogger: a log line naming an audit event is recorded in the trail too; every line still reaches the log", () => {
  const logged: string[] = [];
  const log = { request: () => {}, info: (m: string) => void logged.push(`info ${m}`), warn: (m: string) => void logged.push(`warn ${m}`), error: (m: string) => void logged.push(`error ${m}`) };
  const recorded: [string, Record<string, unknown>][] = [];
  const trail = new AuditTrail(null);
  trail.listen((event, fields) => recorded.push([event, fields]));
  const logger = auditingLogger(log, trail);
  logger.info("passkey added", { event: "factor.added", factor: "passkey", user_id: "u1" });
  logger.warn("cloned?", { event: "factor.failed", factor: "passkey", user_id: "u1", reason: "7.2 step 22" });
  logger.info("store unavailable", { event: "store-unavailable" });
  expect(logged).toEqual(["info passkey added", "warn cloned?", "info store unavailable"]);
  expect(recorded).toEqual([
    ["factor.added", { factor: "passkey", user_id: "u1" }],
    ["factor.failed", { factor: "passkey", user_id: "u1", reason: "7.2 step 22" }],
  ]);
});
