/** The README's access rules: its example file and its Authelia side-by-side read as rules, and decide as the README says. */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AccessRules, type Decision, NEEDS_SUBJECT } from "../../../src/auth/rules/access-rules.ts";
import { parseRulesText } from "../../../src/auth/rules/rules-file.ts";
import { normalizeHost, normalizePath } from "../../../src/auth/rules/target.ts";

const readme = readFileSync(join(import.meta.dir, "..", "..", "..", "README.md"), "utf8");
const section = readme.slice(readme.indexOf("\n## Access rules\n"), readme.indexOf("\n## ", readme.indexOf("\n## Access rules\n") + 1));
const yamlBlocks = [...section.matchAll(/```yaml\n([\s\S]*?)```/g)].map((match) => match[1]!);

const decide = (rules: AccessRules, host: string, path: string, options: { method?: string; address?: string; subject?: { email: string; groups: string[] } | null } = {}) => {
  const decision = rules.decide({ host: normalizeHost(host), path: normalizePath(path), method: options.method ?? "GET", address: options.address ?? "203.0.113.7" }, options.subject) as Decision | typeof NEEDS_SUBJECT;
  return decision === NEEDS_SUBJECT ? "needs-subject" : `${decision.policy}${decision.rule === null ? "" : ` #${decision.rule}`}${decision.loginFirst ? " (login first)" : ""}`;
};

test("the example file reads, and decides as the section says", () => {
  const rules = new AccessRules(parseRulesText(yamlBlocks[0]!, "README example.yaml"));
  const ann = { email: "ann@example.com", groups: ["admins"] };
  const bob = { email: "bob@example.com", groups: [] };
  expect(decide(rules, "app.example.com", "/api/health?x")).toBe("bypass #1");
  expect(decide(rules, "app.example.com", "/static/a/site.css")).toBe("bypass #1");
  expect(decide(rules, "wiki.example.com", "/secret/x", { subject: ann })).toBe("deny #2");
  expect(decide(rules, "wiki.example.com", "/", { address: "192.168.1.20" })).toBe("bypass #3");
  expect(decide(rules, "wiki.example.com", "/", { address: "2001:db8:1::9" })).toBe("bypass #3");
  expect(decide(rules, "wiki.example.com", "/", { subject: null })).toBe("one_factor #6");
  expect(decide(rules, "admin.example.com", "/users", { subject: null })).toBe("two_factor #4 (login first)");
  expect(decide(rules, "admin.example.com", "/users", { subject: ann })).toBe("two_factor #4");
  expect(decide(rules, "admin.example.com", "/users", { subject: bob })).toBe("deny");
  expect(decide(rules, "x.apps.example.com", "/item/3", { method: "DELETE", subject: bob })).toBe("two_factor #5");
  expect(decide(rules, "x.apps.example.com", "/item/3", { subject: bob })).toBe("one_factor #6");
  expect(decide(rules, "example.com", "/", { subject: bob })).toBe("deny");
});

test("the session-auth side of the Authelia comparison reads as rules; the Authelia side does not (its keys are not ours)", () => {
  const authelia = yamlBlocks.find((block) => block.startsWith("# Authelia"))!;
  const ours = yamlBlocks.find((block) => block.startsWith("# session-auth"))!;
  expect(new AccessRules(parseRulesText(ours, "ours.yaml")).size).toBe(5);
  expect(() => parseRulesText(authelia, "authelia.yaml")).toThrow("authelia.yaml: access_control: unknown key");
});
