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
  /** Each prefix, and the same with a `/` after it (`/admin`, `/admin/`; `/` alone stays). */
  prefixes: readonly string[];
  folders: readonly string[];
  /** Each expression, and the text every path it matches starts with (tested first: most paths fail there). */
  patterns: readonly RegExp[];
  patternPrefixes: readonly string[];
  hasPaths: boolean;
  /** What the first segment of a path this rule's paths can match is, or starts with; null: any. */
  firstSegments: { exact: ReadonlySet<string>; starts: readonly string[] } | null;
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
    prefixes: paths.filter((p) => !p.startsWith("^")),
    folders: paths.filter((p) => !p.startsWith("^")).map((p) => (p.endsWith("/") ? p : `${p}/`)),
    patterns: paths.filter((p) => p.startsWith("^")).map((p) => new RegExp(p)),
    patternPrefixes: paths.filter((p) => p.startsWith("^")).map(literalPrefix),
    hasPaths: spec.paths !== undefined,
    firstSegments: spec.paths === undefined ? null : firstSegmentsOf(paths),
    methods: spec.methods ? new Set(spec.methods) : null,
    networks: spec.networks ? spec.networks.map((n) => parseNetwork(n)!) : null,
    users: spec.subjects ? new Set(named("user")) : null,
    groups: spec.subjects ? named("group") : null,
    hasSubjects: spec.subjects !== undefined,
  };
}

const META = "\\^$.|?*+()[]{}";
const QUANTIFIERS = "?*+{";

/**
 * The literal text at the start of every match of `^…` (`/api/v` for `^/api/v[0-9]+/`): read up
 * to the first special character, less a character a quantifier follows (`^/ab*` → `/a`); none
 * for an expression with an alternative anywhere (`^/a|/b`), which need not start as written.
 */
export function literalPrefix(expression: string): string {
  if (expression.includes("|")) return "";
  let prefix = "";
  for (let i = 1; i < expression.length; i++) {
    let character = expression[i]!;
    let width = 1;
    if (character === "\\") {
      const next = expression[i + 1];
      // \d, \w, \b, \1, \u…: a class or a special escape, not a literal.
      if (next === undefined || /[A-Za-z0-9]/.test(next)) break;
      character = next;
      width = 2;
    } else if (META.includes(character)) {
      break;
    }
    const after = expression[i + width];
    if (after !== undefined && QUANTIFIERS.includes(after)) break;
    prefix += character;
    i += width - 1;
  }
  return prefix;
}

/**
 * For each path of a rule, the first segment of any path it matches: a prefix's own (`/admin/x`
 * → `admin`), or what an expression's literal start says of it (`^/api/v` → `api`; `^/stat` →
 * something starting with `stat`). null when one of them can match any path (`/`, `^.*`).
 */
function firstSegmentsOf(paths: readonly string[]): { exact: ReadonlySet<string>; starts: readonly string[] } | null {
  const exact = new Set<string>();
  const starts: string[] = [];
  for (const path of paths) {
    const literal = path.startsWith("^") ? literalPrefix(path) : path;
    if (!literal.startsWith("/") || literal.length === 1) return null;
    const slash = literal.indexOf("/", 1);
    // A prefix is whole segments: its first one is all of it. An expression's may go on.
    if (slash !== -1 || !path.startsWith("^")) exact.add(literal.slice(1, slash === -1 ? undefined : slash));
    else starts.push(literal.slice(1));
  }
  return { exact, starts };
}

function firstSegment(path: string): string {
  const slash = path.indexOf("/", 1);
  return slash === -1 ? path.slice(1) : path.slice(1, slash);
}

function mayMatchSegment(rule: CompiledRule, segment: string): boolean {
  const segments = rule.firstSegments;
  if (segments === null) return true;
  if (segments.exact.has(segment)) return true;
  for (const start of segments.starts) if (segment.startsWith(start)) return true;
  return false;
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
  // Indexed loops: this runs for every rule a request meets.
  const { prefixes, folders, patterns, patternPrefixes } = rule;
  for (let i = 0; i < prefixes.length; i++) if (path === prefixes[i] || path.startsWith(folders[i]!)) return true;
  for (let i = 0; i < patterns.length; i++) if (path.startsWith(patternPrefixes[i]!) && patterns[i]!.test(path)) return true;
  return false;
}

function inAny(address: { family: 4 | 6; bits: bigint }, networks: readonly Network[]): boolean {
  for (let i = 0; i < networks.length; i++) if (inNetwork(address, networks[i]!)) return true;
  return false;
}

function subjectAdmitted(rule: CompiledRule, subject: Subject): boolean {
  if (subject.email !== null && rule.users!.has(subject.email)) return true;
  for (const group of rule.groups!) if (subject.groups.includes(group)) return true;
  return false;
}

/** Hosts whose rules are kept sorted out; past this many (names a client made up), the list starts again. */
const HOSTS_KEPT = 1024;

export class AccessRules {
  private readonly compiled: readonly CompiledRule[];
  private readonly usesNetworks: boolean;
  /** The rules that can match a request of no known host: those without `hosts`. */
  private readonly hostless: readonly CompiledRule[];
  /** Per host, in order, the rules whose `hosts` let it through. */
  private readonly byHost = new Map<string, readonly CompiledRule[]>();
  /** Per host and first path segment, those of them whose paths can match it: a request walks only these. */
  private readonly byHostAndSegment = new Map<string, readonly CompiledRule[]>();

  constructor(readonly spec: RulesSpec) {
    this.compiled = spec.rules.map(compileRule);
    this.usesNetworks = this.compiled.some((rule) => rule.networks !== null);
    this.hostless = this.compiled.filter((rule) => rule.exactHosts === null);
  }

  private forHost(host: string | null): readonly CompiledRule[] {
    if (host === null) return this.hostless;
    let rules = this.byHost.get(host);
    if (rules === undefined) {
      rules = this.compiled.filter((rule) => hostMatches(rule, host));
      if (this.byHost.size >= HOSTS_KEPT) this.byHost.clear();
      this.byHost.set(host, rules);
    }
    return rules;
  }

  /** The rules, in order, that can match a request to `host` and `path`: sorted out once per host and first segment. */
  private candidates(host: string | null, path: string | null): readonly CompiledRule[] {
    if (path === null) return this.forHost(host);
    const segment = firstSegment(path);
    // A newline is in no host and no path (header values cannot hold one): the key names one pair.
    const key = `${host === null ? "\n" : host}\n${segment}`;
    let rules = this.byHostAndSegment.get(key);
    if (rules === undefined) {
      rules = this.forHost(host).filter((rule) => mayMatchSegment(rule, segment));
      if (this.byHostAndSegment.size >= HOSTS_KEPT * 4) this.byHostAndSegment.clear();
      this.byHostAndSegment.set(key, rules);
    }
    return rules;
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
    const rules = this.candidates(request.host, request.path);
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (!pathMatches(rule, request.path)) continue;
      if (rule.methods !== null && !rule.methods.has(request.method)) continue;
      if (rule.networks !== null) {
        if (address === undefined) address = this.usesNetworks && request.address !== null ? addressBits(request.address) : null;
        if (address === null || !inAny(address, rule.networks)) continue;
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
