/**
 * The compiled rules against a plain reading of the format, on random rule files and requests:
 * sorting rules out by host and first segment, and testing an expression's literal start first,
 * must never change a decision.
 */
import { expect, test } from "bun:test";
import { AccessRules, type AccessRequest, type Decision, NEEDS_SUBJECT, type Subject } from "../../../src/auth/rules/access-rules.ts";
import { addressBits, inNetwork, parseNetwork } from "../../../src/auth/rules/networks.ts";
import { checkRules, type RuleSpec, type RulesSpec } from "../../../src/auth/rules/rules-file.ts";

/** The format read word for word: every rule in order, every key it has. */
function reference(spec: RulesSpec, request: AccessRequest, subject: Subject | null): Decision {
  const rules = spec.rules;
  for (let i = 0; i < rules.length; i++) {
    const rule: RuleSpec = rules[i]!;
    if (rule.hosts && !(request.host !== null && rule.hosts.some((h) => (h.startsWith("*.") ? request.host!.endsWith(h.slice(1)) && request.host!.length > h.length - 1 : h === request.host)))) continue;
    if (rule.paths && !(request.path !== null && rule.paths.some((p) => (p.startsWith("^") ? new RegExp(p).test(request.path!) : request.path === p || request.path!.startsWith(p.endsWith("/") ? p : `${p}/`))))) continue;
    if (rule.methods && !rule.methods.includes(request.method)) continue;
    if (rule.networks) {
      const address = request.address === null ? null : addressBits(request.address);
      if (address === null || !rule.networks.some((n) => inNetwork(address, parseNetwork(n)!))) continue;
    }
    if (rule.subjects) {
      if (subject === null) return { policy: rule.policy, rule: i + 1, loginFirst: true };
      const admitted = rule.subjects.some((s) => (s.startsWith("user:") ? s.slice(5) === subject.email : subject.groups.includes(s.slice(6))));
      if (!admitted) continue;
    }
    return { policy: rule.policy, rule: i + 1, loginFirst: false };
  }
  return { policy: spec.default_policy, rule: null, loginFirst: false };
}

/** A small deterministic generator, so that a failure can be run again. */
function random(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return { pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!, chance: (p: number) => next() < p };
}

const HOSTS = ["a.example.com", "b.example.com", "*.example.com", "*.b.example.com", "x.org"];
const PATHS = ["/", "/admin", "/admin/", "/api", "/api/v1", "/static/", "^/api/v[0-9]+/", "^/stat", "^/(a|b)dmin", "^.*\\.css$", "^/admin/.*", "^/a\\.b"];
const METHODS = ["GET", "POST", "DELETE"];
const NETWORKS = ["10.0.0.0/8", "192.168.1.0/24", "2001:db8::/32"];
const SUBJECTS = ["user:ann@example.com", "group:admins", "group:ops"];
const POLICIES = ["deny", "one_factor", "two_factor"] as const;

const REQUEST_HOSTS = [null, "a.example.com", "b.example.com", "c.b.example.com", "example.com", "x.org"];
const REQUEST_PATHS = [null, "/", "/admin", "/admin/x", "/administrator", "/api", "/api/v1/x", "/api/v2/", "/static/s.css", "/statistics", "/bdmin", "/a.b", "/a.b/c", "/x.css", "/docs"];
const ADDRESSES = [null, "10.1.2.3", "192.168.1.9", "2001:db8::5", "203.0.113.1"];
const SUBJECT_CHOICES: (Subject | null)[] = [null, { email: "ann@example.com", groups: [] }, { email: "bob@example.com", groups: ["admins"] }, { email: "cy@example.com", groups: ["ops", "x"] }];

test("2,000 random rule files, 50 requests each: the compiled decision is the plain one", () => {
  let compared = 0;
  for (let seed = 1; seed <= 2000; seed++) {
    const { pick, chance } = random(seed);
    const rules: Record<string, unknown>[] = [];
    const count = 1 + Math.floor(seed % 12);
    for (let i = 0; i < count; i++) {
      const rule: Record<string, unknown> = { policy: pick(POLICIES) };
      if (chance(0.5)) rule.hosts = [pick(HOSTS), ...(chance(0.3) ? [pick(HOSTS)] : [])];
      if (chance(0.6)) rule.paths = [pick(PATHS), ...(chance(0.3) ? [pick(PATHS)] : [])];
      if (chance(0.2)) rule.methods = [pick(METHODS)];
      if (chance(0.2)) rule.networks = [pick(NETWORKS)];
      if (chance(0.25)) rule.subjects = [pick(SUBJECTS)];
      else if (chance(0.2)) rule.policy = "bypass";
      rules.push(rule);
    }
    const spec = checkRules({ default_policy: pick(POLICIES), rules }, "random.json");
    const compiled = new AccessRules(spec);
    for (let r = 0; r < 50; r++) {
      const request: AccessRequest = { host: pick(REQUEST_HOSTS), path: pick(REQUEST_PATHS), method: pick(METHODS), address: pick(ADDRESSES) };
      const subject = pick(SUBJECT_CHOICES);
      const first = compiled.decide(request);
      const decided = first === NEEDS_SUBJECT ? compiled.decide(request, subject) : first;
      expect([seed, request, subject, decided]).toEqual([seed, request, subject, reference(spec, request, subject)]);
      compared++;
    }
  }
  expect(compared).toBe(100_000);
});
