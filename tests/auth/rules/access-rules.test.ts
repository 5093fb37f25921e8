import { describe, expect, test } from "bun:test";
import { AccessRules, type AccessRequest, type Decision, literalPrefix, NEEDS_SUBJECT, type Subject, verdict } from "../../../src/auth/rules/access-rules.ts";
import { checkRules, type Policy } from "../../../src/auth/rules/rules-file.ts";
import { normalizeHost, normalizePath } from "../../../src/auth/rules/target.ts";

const rules = (data: unknown) => new AccessRules(checkRules(data, "rules.json"));

/** A request as the proxy would describe it, normalised as verify does. */
const request = (host: string | null, path: string | null, method = "GET", address: string | null = "203.0.113.9"): AccessRequest => ({
  host: host === null ? null : normalizeHost(host),
  path: path === null ? null : normalizePath(path),
  method,
  address,
});

const policyOf = (decision: Decision | typeof NEEDS_SUBJECT): Policy | "needs-subject" => (decision === NEEDS_SUBJECT ? "needs-subject" : decision.policy);

describe("paths: whole-segment prefixes, case-sensitive, after normalising", () => {
  const set = rules({ default_policy: "one_factor", rules: [{ paths: ["/admin"], policy: "deny" }] });
  const cases: [string, Policy][] = [
    ["/admin", "deny"],
    ["/admin/", "deny"],
    ["/admin/users/7", "deny"],
    ["/admin?x=1", "deny"],
    ["/administrator", "one_factor"],
    ["/admin.php", "one_factor"],
    ["/Admin", "one_factor"],
    ["/ADMIN/x", "one_factor"],
    ["//admin", "deny"],
    ["/public/../admin", "deny"],
    ["/public/%2e%2e/admin", "deny"],
    ["/%61dmin/x", "deny"],
    ["/admin%2Fx", "deny"],
    ["/./admin", "deny"],
    ["/public?next=/admin", "one_factor"],
    ["/", "one_factor"],
  ];
  test.each(cases)("%p → %p", (path, expected) => {
    expect(policyOf(set.decide(request("app.example.com", path)))).toBe(expected);
  });

  test("a prefix written with a trailing slash matches what lies below it only", () => {
    const folder = rules({ default_policy: "deny", rules: [{ paths: ["/docs/"], policy: "bypass" }] });
    expect(policyOf(folder.decide(request("a.example.com", "/docs/x")))).toBe("bypass");
    expect(policyOf(folder.decide(request("a.example.com", "/docs/")))).toBe("bypass");
    expect(policyOf(folder.decide(request("a.example.com", "/docs")))).toBe("deny");
  });

  test("/ matches every path", () => {
    const all = rules({ rules: [{ paths: ["/"], policy: "one_factor" }] });
    expect(policyOf(all.decide(request("a.example.com", "/anything/at/all")))).toBe("one_factor");
  });

  test("regular expressions are tested on the normalised path, without the query", () => {
    const set = rules({ default_policy: "deny", rules: [{ paths: ["^/api/v[0-9]+/health$", "^/static/.*\\.css$"], policy: "bypass" }] });
    const cases: [string, Policy][] = [
      ["/api/v1/health", "bypass"],
      ["/api/v12/health?full=1", "bypass"],
      ["/api/v1/health/x", "deny"],
      ["/api//v1/./health", "bypass"],
      ["/static/a/b.css", "bypass"],
      ["/static/a/b.css.js", "deny"],
      ["/x?/api/v1/health", "deny"],
    ];
    for (const [path, expected] of cases) expect([path, policyOf(set.decide(request("a.example.com", path)))]).toEqual([path, expected]);
  });

  test("an unknown path matches no rule that names paths", () => {
    const set = rules({ default_policy: "deny", rules: [{ paths: ["/"], policy: "bypass" }] });
    expect(policyOf(set.decide(request(null, null)))).toBe("deny");
  });
});

describe("hosts: exact or *.domain, case-insensitive, without port or trailing dot", () => {
  const set = rules({ default_policy: "deny", rules: [{ hosts: ["app.example.com", "*.apps.example.com"], policy: "one_factor" }] });
  const cases: [string | null, Policy][] = [
    ["app.example.com", "one_factor"],
    ["APP.EXAMPLE.COM", "one_factor"],
    ["app.example.com:8443", "one_factor"],
    ["app.example.com.", "one_factor"],
    ["App.Example.Com.:80", "one_factor"],
    ["x.apps.example.com", "one_factor"],
    ["a.b.apps.example.com", "one_factor"],
    ["apps.example.com", "deny"],
    ["xapps.example.com", "deny"],
    ["app.example.com.evil.test", "deny"],
    ["evilapp.example.com", "deny"],
    [null, "deny"],
  ];
  test.each(cases)("%p → %p", (host, expected) => {
    expect(policyOf(set.decide(request(host, "/")))).toBe(expected);
  });
});

describe("methods and networks", () => {
  const set = rules({
    default_policy: "one_factor",
    rules: [
      { methods: ["OPTIONS"], policy: "bypass" },
      { networks: ["10.0.0.0/8", "2001:db8::/32"], policy: "bypass" },
      { methods: ["delete"], paths: ["/items"], policy: "two_factor" },
    ],
  });
  const cases: [string, string, string | null, Policy][] = [
    ["OPTIONS", "/x", "203.0.113.9", "bypass"],
    ["GET", "/x", "10.20.30.40", "bypass"],
    ["GET", "/x", "::ffff:10.20.30.40", "bypass"],
    ["GET", "/x", "2001:db8::7", "bypass"],
    ["GET", "/x", "11.0.0.1", "one_factor"],
    ["GET", "/x", null, "one_factor"],
    ["GET", "/x", "unknown", "one_factor"],
    ["DELETE", "/items/3", "203.0.113.9", "two_factor"],
    ["GET", "/items/3", "203.0.113.9", "one_factor"],
  ];
  test.each(cases)("%s %s from %p → %p", (method, path, address, expected) => {
    expect(policyOf(set.decide(request("a.example.com", path, method, address)))).toBe(expected);
  });
});

describe("subjects, first match wins, default policy", () => {
  const set = rules({
    default_policy: "deny",
    rules: [
      { paths: ["/api/health"], policy: "bypass" },
      { paths: ["/secret"], policy: "deny" },
      { hosts: ["admin.example.com"], subjects: ["group:admins"], policy: "two_factor" },
      { hosts: ["admin.example.com"], subjects: ["user:ops@example.com"], policy: "one_factor" },
      { hosts: ["wiki.example.com"], policy: "one_factor" },
    ],
  });
  const ann: Subject = { email: "ann@example.com", groups: ["admins"] };
  const ops: Subject = { email: "ops@example.com", groups: [] };
  const bob: Subject = { email: "bob@example.com", groups: ["staff"] };
  const cases: [string, string, Subject | null | undefined, Decision | "needs-subject"][] = [
    ["admin.example.com", "/api/health", undefined, { policy: "bypass", rule: 1, loginFirst: false }],
    ["admin.example.com", "/secret/x", ann, { policy: "deny", rule: 2, loginFirst: false }],
    ["admin.example.com", "/", undefined, "needs-subject"],
    ["admin.example.com", "/", null, { policy: "two_factor", rule: 3, loginFirst: true }],
    ["admin.example.com", "/", ann, { policy: "two_factor", rule: 3, loginFirst: false }],
    ["admin.example.com", "/", ops, { policy: "one_factor", rule: 4, loginFirst: false }],
    ["admin.example.com", "/", bob, { policy: "deny", rule: null, loginFirst: false }],
    ["wiki.example.com", "/", undefined, { policy: "one_factor", rule: 5, loginFirst: false }],
    ["other.example.com", "/", undefined, { policy: "deny", rule: null, loginFirst: false }],
  ];
  test.each(cases)("%s%s as %p", (host, path, subject, expected) => {
    const decision = set.decide(request(host, path), subject);
    expect(decision === NEEDS_SUBJECT ? "needs-subject" : decision).toEqual(expected);
  });

  test("all the keys a rule has must match", () => {
    const both = rules({ default_policy: "one_factor", rules: [{ hosts: ["a.example.com"], paths: ["/x"], methods: ["GET"], networks: ["10.0.0.0/8"], policy: "bypass" }] });
    expect(policyOf(both.decide(request("a.example.com", "/x", "GET", "10.0.0.1")))).toBe("bypass");
    expect(policyOf(both.decide(request("b.example.com", "/x", "GET", "10.0.0.1")))).toBe("one_factor");
    expect(policyOf(both.decide(request("a.example.com", "/y", "GET", "10.0.0.1")))).toBe("one_factor");
    expect(policyOf(both.decide(request("a.example.com", "/x", "POST", "10.0.0.1")))).toBe("one_factor");
    expect(policyOf(both.decide(request("a.example.com", "/x", "GET", "11.0.0.1")))).toBe("one_factor");
  });
});

describe("verdict", () => {
  const decision = (policy: Policy, loginFirst = false): Decision => ({ policy, rule: 1, loginFirst });
  const one = { multiFactor: false };
  const two = { multiFactor: true };
  const cases: [Decision, { multiFactor: boolean } | null, string][] = [
    [decision("bypass"), null, "bypass"],
    [decision("bypass"), two, "bypass"],
    [decision("deny"), null, "deny"],
    [decision("deny"), two, "deny"],
    [decision("deny", true), null, "login"],
    [decision("one_factor"), null, "login"],
    [decision("one_factor"), one, "allow"],
    [decision("two_factor"), null, "login"],
    [decision("two_factor", true), null, "login"],
    [decision("two_factor"), one, "step-up"],
    [decision("two_factor"), two, "allow"],
  ];
  test.each(cases)("%p with %p → %p", (d, session, expected) => {
    expect(verdict(d, session)).toBe(expected as ReturnType<typeof verdict>);
  });
});

describe("literalPrefix: what every match of an expression starts with, tested before the expression", () => {
  const cases: [string, string][] = [
    ["^/api/v[0-9]+/health$", "/api/v"],
    ["^/static/.*\\.css$", "/static/"],
    ["^/ab*", "/a"],
    ["^/ab?c", "/a"],
    ["^/ab{2}", "/a"],
    ["^/a\\.b/", "/a.b/"],
    ["^/a\\d", "/a"],
    ["^/(admin|root)", ""],
    ["^/a|^/b", ""],
    ["^[/]x", ""],
    ["^", ""],
  ];
  test.each(cases)("%p → %p", (expression, prefix) => {
    expect(literalPrefix(expression)).toBe(prefix);
  });

  test("an expression still decides alone: the prefix only skips paths it cannot match", () => {
    const set = rules({ default_policy: "deny", rules: [{ paths: ["^/ab*c$", "^/x\\.y/?$"], policy: "bypass" }] });
    for (const [path, expected] of [["/ac", "bypass"], ["/abbbc", "bypass"], ["/abd", "deny"], ["/x.y", "bypass"], ["/x.y/", "bypass"], ["/xzy", "deny"]] as const) {
      expect([path, policyOf(set.decide(request("a.example.com", path)))]).toEqual([path, expected]);
    }
  });
});
