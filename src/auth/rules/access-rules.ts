/**
 * Access rules compiled once into matchers, and the decision for one request: the first rule
 * whose every condition matches decides; none matching, the default policy. Matching a request
 * is a walk over plain data (sets, string prefixes, precompiled expressions), no parsing.
 */
import { addressBits, inNetwork, type Network, parseNetwork } from "./networks.ts";
import type { Policy, RuleSpec, RulesSpec } from "./rules-file.ts";

/** The original request, already normalised (target.ts); null where the proxy did not say. */
export interface AccessRequest {
  host: string | null;
  path: string | null;
  method: string;
  /** The client's address as the server determines it (TRUST_PROXY); null when unknown. */
  address: string | null;
}

/** Who is asking: their email (folded) and groups (lowercase); null for nobody signed in. */
export interface Subject {
  email: string | null;
  groups: readonly string[];
}

export interface Decision {
  policy: Policy;
  /** The rule that decided, #1 first; null for the default policy. */
  rule: number | null;
  /**
   * The rule names subjects and nobody is signed in: the request must sign in first, whatever
   * the policy, and is decided again then.
   */
  loginFirst: boolean;
}

/** Returned when a rule with subjects is reached and the caller has not looked up who is asking. */
export const NEEDS_SUBJECT = Symbol("needs-subject");

interface CompiledRule {
  number: number;
  spec: RuleSpec;
  policy: Policy;
  exactHosts: ReadonlySet<string> | null;
  /** `.example.com` for `*.example.com`. */
  hostSuffixes: readonly string[];
  /** Each prefix, and the same with a `/` after it (`/admin`, `/admin/`), or `/` alone. */
  prefixes: readonly (readonly [string, string])[];
  patterns: readonly RegExp[];
  hasPaths: boolean;
  methods: ReadonlySet<string> | null;
  networks: readonly Network[] | null;
  users: ReadonlySet<string> | null;
  groups: readonly string[] | null;
  hasSubjects: boolean;
}

function compileRule(spec: RuleSpec, index: number): CompiledRule {
  const hosts = spec.hosts ?? null;
  const paths = spec.paths ?? [];
  const subjects = spec.subjects ?? [];
  const named = (kind: string) => subjects.filter((s) => s.startsWith(`${kind}:`)).map((s) => s.slice(kind.length + 1));
  return {
    number: index + 1,
    spec,
    policy: spec.policy,
    exactHosts: hosts === null ? null : new Set(hosts.filter((h) => !h.startsWith("*."))),
    hostSuffixes: (hosts ?? []).filter((h) => h.startsWith("*.")).map((h) => h.slice(1)),
    prefixes: paths.filter((p) => !p.startsWith("^")).map((p) => [p, p.endsWith("/") ? p : `${p}/`] as const),
    patterns: paths.filter((p) => p.startsWith("^")).map((p) => new RegExp(p)),
    hasPaths: spec.paths !== undefined,
    methods: spec.methods ? new Set(spec.methods) : null,
    networks: spec.networks ? spec.networks.map((n) => parseNetwork(n)!) : null,
    users: spec.subjects ? new Set(named("user")) : null,
    groups: spec.subjects ? named("group") : null,
    hasSubjects: spec.subjects !== undefined,
  };
}

function hostMatches(rule: CompiledRule, host: string | null): boolean {
  if (rule.exactHosts === null) return true;
  if (host === null) return false;
  if (rule.exactHosts.has(host)) return true;
  // `*.example.com` is every name below example.com, not example.com itself.
  for (const suffix of rule.hostSuffixes) if (host.length > suffix.length && host.endsWith(suffix)) return true;
  return false;
}

function pathMatches(rule: CompiledRule, path: string | null): boolean {
  if (!rule.hasPaths) return true;
  if (path === null) return false;
  // Whole segments: `/admin` is `/admin` and what lies below it, never `/administrator`.
  for (const [prefix, folder] of rule.prefixes) if (path === prefix || path.startsWith(folder)) return true;
  for (const pattern of rule.patterns) if (pattern.test(path)) return true;
  return false;
}

function subjectAdmitted(rule: CompiledRule, subject: Subject): boolean {
  if (subject.email !== null && rule.users!.has(subject.email)) return true;
  for (const group of rule.groups!) if (subject.groups.includes(group)) return true;
  return false;
}

export class AccessRules {
  private readonly compiled: readonly CompiledRule[];
  private readonly usesNetworks: boolean;

  constructor(readonly spec: RulesSpec) {
    this.compiled = spec.rules.map(compileRule);
    this.usesNetworks = this.compiled.some((rule) => rule.networks !== null);
  }

  get size(): number {
    return this.compiled.length;
  }

  /** The rule as written (#1 first). */
  rule(number: number): RuleSpec | undefined {
    return this.spec.rules[number - 1];
  }

  /**
   * The decision for `request` asked by `subject` (null: nobody signed in). With `subject`
   * undefined, the walk stops at the first rule that needs to know who asks, with NEEDS_SUBJECT,
   * so that no user is looked up for a request a rule before it decides (a bypass, a deny).
   */
  decide(request: AccessRequest, subject?: Subject | null): Decision | typeof NEEDS_SUBJECT {
    let address: ReturnType<typeof addressBits> | undefined;
    for (const rule of this.compiled) {
      if (!hostMatches(rule, request.host) || !pathMatches(rule, request.path)) continue;
      if (rule.methods !== null && !rule.methods.has(request.method)) continue;
      if (rule.networks !== null) {
        if (address === undefined) address = this.usesNetworks && request.address !== null ? addressBits(request.address) : null;
        if (address === null || !rule.networks.some((network) => inNetwork(address!, network))) continue;
      }
      if (!rule.hasSubjects) return { policy: rule.policy, rule: rule.number, loginFirst: false };
      if (subject === undefined) return NEEDS_SUBJECT;
      if (subject === null) return { policy: rule.policy, rule: rule.number, loginFirst: true };
      if (subjectAdmitted(rule, subject)) return { policy: rule.policy, rule: rule.number, loginFirst: false };
    }
    return { policy: this.spec.default_policy, rule: null, loginFirst: false };
  }
}

/** What verify does with a decision. */
export type Verdict =
  /** 200 with no identity headers, without looking who asks. */
  | "bypass"
  /** 403. */
  | "deny"
  /** 401, or a browser to the login page. */
  | "login"
  /** 200 with the identity headers. */
  | "allow"
  /** The session passed one factor and the rule wants two: a new full login. */
  | "step-up";

/** The verdict for a decision and who asks: null for nobody signed in, else whether the session passed two factors. */
export function verdict(decision: Decision, session: { multiFactor: boolean } | null): Verdict {
  if (decision.loginFirst) return "login";
  switch (decision.policy) {
    case "bypass":
      return "bypass";
    case "deny":
      return "deny";
    case "one_factor":
      return session === null ? "login" : "allow";
    case "two_factor":
      if (session === null) return "login";
      return session.multiFactor ? "allow" : "step-up";
  }
}

/** One line saying what a rule is, for `rules check` and the log. */
export function describeRule(rule: RuleSpec): string {
  const parts: string[] = [];
  for (const key of ["hosts", "paths", "methods", "networks", "subjects"] as const) {
    const values = rule[key];
    if (values !== undefined) parts.push(`${key}: ${values.join(", ")}`);
  }
  parts.push(`policy: ${rule.policy}`);
  return parts.join("; ");
}
