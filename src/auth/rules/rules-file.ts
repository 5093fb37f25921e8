/**
 * The access rules file: `{"default_policy": …, "rules": [ … ]}`, as JSON or YAML (Bun reads
 * YAML itself; JSON is YAML too, and a `.json` file is read as JSON). Reading it checks every
 * field and stops at the first that is wrong, with one line naming the file, the rule (#1 is the
 * first) and the field; a key the format does not have is wrong too, so that a misspelt
 * `subject:` cannot quietly widen a rule.
 */
import { GROUP_NAME } from "../../domain/user-groups.ts";
import { normalizePath } from "./target.ts";
import { parseNetwork } from "./networks.ts";

export const POLICIES = ["deny", "bypass", "one_factor", "two_factor"] as const;
export type Policy = (typeof POLICIES)[number];

/** One rule as written, checked; its lists are absent when the file leaves them out. */
export interface RuleSpec {
  hosts?: readonly string[];
  paths?: readonly string[];
  methods?: readonly string[];
  networks?: readonly string[];
  subjects?: readonly string[];
  policy: Policy;
}

export interface RulesSpec {
  default_policy: Policy;
  rules: readonly RuleSpec[];
}

/** Anything wrong with a rules file; the message is one line. */
export class RulesFileError extends Error {
  override name = "RulesFileError";
}

const TOP_KEYS = ["default_policy", "rules"];
const RULE_KEYS = ["hosts", "paths", "methods", "networks", "subjects", "policy"] as const;

/** A host name (letters, digits, `-`, `_`, dots) or an IPv4 address; `*.` may stand before a name. */
const HOST = /^(\*\.)?[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;
/** An HTTP method: an RFC 9110 token, written in capitals as requests carry it. */
const METHOD = /^[A-Za-z][A-Za-z-]{0,31}$/;

export function isPolicy(value: unknown): value is Policy {
  return typeof value === "string" && (POLICIES as readonly string[]).includes(value);
}

/** Reads the text of a rules file; `file` names it in every message. */
export function parseRulesText(text: string, file: string): RulesSpec {
  let data: unknown;
  try {
    data = file.endsWith(".json") ? JSON.parse(text) : Bun.YAML.parse(text);
  } catch (error) {
    throw new RulesFileError(`${file}: not valid ${file.endsWith(".json") ? "JSON" : "YAML or JSON"}: ${oneLine((error as Error).message)}`);
  }
  return checkRules(data, file);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

const show = (value: unknown): string => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

/** The file's data, checked field by field. */
export function checkRules(data: unknown, file: string): RulesSpec {
  const fail = (where: string, message: string): never => {
    throw new RulesFileError(`${file}: ${where}: ${message}`);
  };
  if (!isObject(data)) fail("the file", `must be an object with default_policy and rules, not ${show(data)}`);
  const top = data as Record<string, unknown>;
  for (const key of Object.keys(top)) if (!TOP_KEYS.includes(key)) fail(key, `unknown key (the file has only ${TOP_KEYS.join(" and ")})`);
  const defaultPolicy = top.default_policy ?? "deny";
  if (!isPolicy(defaultPolicy)) fail("default_policy", `must be one of ${POLICIES.join(", ")}, not ${show(defaultPolicy)}`);
  const rawRules = top.rules ?? [];
  if (!Array.isArray(rawRules)) fail("rules", `must be a list of rules, not ${show(rawRules)}`);
  const rules = (rawRules as unknown[]).map((raw, index) => checkRule(raw, (field, message) => fail(`rule #${index + 1}${field ? `, ${field}` : ""}`, message)));
  return { default_policy: defaultPolicy as Policy, rules };
}

type Fail = (field: string, message: string) => never;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkRule(raw: unknown, fail: Fail): RuleSpec {
  if (!isObject(raw)) return fail("", `must be an object with a policy, not ${show(raw)}`);
  for (const key of Object.keys(raw)) {
    if (!(RULE_KEYS as readonly string[]).includes(key)) fail(key, `unknown key (a rule has ${RULE_KEYS.join(", ")})`);
  }
  if (raw.policy === undefined) fail("policy", `missing: one of ${POLICIES.join(", ")}`);
  if (!isPolicy(raw.policy)) fail("policy", `must be one of ${POLICIES.join(", ")}, not ${show(raw.policy)}`);
  const rule: { -readonly [K in keyof RuleSpec]: RuleSpec[K] } = { policy: raw.policy as Policy };
  const list = (key: (typeof RULE_KEYS)[number], check: (item: string, field: string) => string): readonly string[] | undefined => {
    const value = raw[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.length === 0) fail(key, `must be a list of at least one string, not ${show(value)}`);
    return (value as unknown[]).map((item, index) => {
      const field = `${key}[${index}]`;
      if (typeof item !== "string" || item.trim() === "") fail(field, `must be a non-empty string, not ${show(item)}`);
      return check((item as string).trim(), field);
    });
  };
  rule.hosts = list("hosts", (item, field) => {
    const host = item.toLowerCase().replace(/\.$/, "");
    if (!HOST.test(host)) fail(field, `${show(item)} is not a host name such as app.example.com or *.example.com (no scheme, port or path)`);
    return host;
  });
  rule.paths = list("paths", (item, field) => {
    if (item.startsWith("^")) {
      try {
        new RegExp(item);
      } catch (error) {
        fail(field, `${show(item)} is not a regular expression: ${oneLine((error as Error).message)}`);
      }
      return item;
    }
    if (!item.startsWith("/")) fail(field, `${show(item)} must be a path prefix starting with / or a regular expression starting with ^`);
    if (/[?#]/.test(item)) fail(field, `${show(item)}: paths are matched without the query string; leave out ? and #`);
    return normalizePath(item);
  });
  rule.methods = list("methods", (item, field) => {
    if (!METHOD.test(item)) fail(field, `${show(item)} is not an HTTP method such as GET or POST`);
    return item.toUpperCase();
  });
  rule.networks = list("networks", (item, field) => {
    if (parseNetwork(item) === null) fail(field, `${show(item)} is not an IPv4 or IPv6 network such as 10.0.0.0/8, 192.168.1.7 or 2001:db8::/32`);
    return item;
  });
  rule.subjects = list("subjects", (item, field) => {
    const colon = item.indexOf(":");
    const kind = item.slice(0, colon);
    const name = item.slice(colon + 1).trim().toLowerCase();
    if (colon === -1 || (kind !== "user" && kind !== "group")) fail(field, `${show(item)} must be user:<email> or group:<name>`);
    if (kind === "user" && !/^[^@\s]+@[^@\s]+$/.test(name)) fail(field, `${show(item)}: user: takes an email, such as user:ann@example.com`);
    if (kind === "group" && !GROUP_NAME.test(name)) fail(field, `${show(item)}: a group name is letters, digits, ., _ and - (up to 64)`);
    return `${kind}:${name}`;
  });
  // A bypass looks at nobody's identity: subjects there would never be asked for.
  if (rule.policy === "bypass" && rule.subjects !== undefined) fail("subjects", "a bypass rule cannot have subjects: it lets everyone through without looking who they are");
  for (const key of RULE_KEYS) if (rule[key] === undefined) delete rule[key];
  return rule;
}
