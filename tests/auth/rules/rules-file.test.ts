import { describe, expect, test } from "bun:test";
import { checkRules, parseRulesText, RulesFileError, type RulesSpec } from "../../../src/auth/rules/rules-file.ts";

const FILE = "/etc/session-auth/rules.yaml";

describe("parseRulesText", () => {
  test("YAML", () => {
    const text = `default_policy: one_factor\nrules:\n  - hosts: [Wiki.Example.com.]\n    paths: ["/api/health", "^/static/.*\\\\.css$"]\n    policy: bypass\n  - subjects: ["group:Admins", "user:Ann@Example.com"]\n    methods: [post]\n    networks: [10.0.0.0/8]\n    policy: two_factor\n`;
    expect(parseRulesText(text, FILE)).toEqual({
      default_policy: "one_factor",
      rules: [
        { hosts: ["wiki.example.com"], paths: ["/api/health", "^/static/.*\\.css$"], policy: "bypass" },
        { subjects: ["group:admins", "user:ann@example.com"], methods: ["POST"], networks: ["10.0.0.0/8"], policy: "two_factor" },
      ],
    });
  });
  test("JSON, in a .json file or any other", () => {
    const text = JSON.stringify({ default_policy: "deny", rules: [{ paths: ["//a/./b"], policy: "one_factor" }] });
    const expected: RulesSpec = { default_policy: "deny", rules: [{ paths: ["/a/b"], policy: "one_factor" }] };
    expect(parseRulesText(text, "/x/rules.json")).toEqual(expected);
    expect(parseRulesText(text, "/x/rules.yml")).toEqual(expected);
  });
  test("default_policy is deny when left out; no rules is a file of none", () => {
    expect(parseRulesText("{}", "r.json")).toEqual({ default_policy: "deny", rules: [] });
  });
  test("text that is not JSON: one line naming the file", () => {
    expect(() => parseRulesText('{"rules": [', "/x/r.json")).toThrow(/^\/x\/r\.json: not valid JSON: [^\n]+$/);
    expect(() => parseRulesText("rules: [\n  - a: : :", "/x/r.yaml")).toThrow(/^\/x\/r\.yaml: not valid YAML or JSON: [^\n]+$/);
  });
});

describe("checkRules: one line naming the file, the rule and the field", () => {
  const cases: [string, unknown, string][] = [
    ["not an object", [], "the file: must be an object"],
    ["unknown top-level key", { default_policy: "deny", rule: [] }, "rule: unknown key"],
    ["bad default policy", { default_policy: "allow" }, 'default_policy: must be one of deny, bypass, one_factor, two_factor, not "allow"'],
    ["rules not a list", { rules: { policy: "deny" } }, "rules: must be a list"],
    ["rule not an object", { rules: ["deny"] }, 'rule #1: must be an object with a policy, not "deny"'],
    ["unknown rule key", { rules: [{ policy: "deny" }, { subject: ["user:a@b.c"], policy: "deny" }] }, "rule #2, subject: unknown key"],
    ["missing policy", { rules: [{ hosts: ["a.example.com"] }] }, "rule #1, policy: missing"],
    ["bad policy", { rules: [{ policy: "2fa" }] }, 'rule #1, policy: must be one of deny, bypass, one_factor, two_factor, not "2fa"'],
    ["hosts not a list", { rules: [{ hosts: "a.example.com", policy: "deny" }] }, "rule #1, hosts: must be a list of at least one string"],
    ["empty list", { rules: [{ paths: [], policy: "deny" }] }, "rule #1, paths: must be a list of at least one string"],
    ["host with a scheme", { rules: [{ hosts: ["https://a.example.com"], policy: "deny" }] }, "rule #1, hosts[0]: "],
    ["host with a port", { rules: [{ hosts: ["a.example.com:443"], policy: "deny" }] }, "rule #1, hosts[0]: "],
    ["wildcard inside", { rules: [{ hosts: ["a.*.example.com"], policy: "deny" }] }, "rule #1, hosts[0]: "],
    ["not a string", { rules: [{ hosts: ["a.example.com", 7], policy: "deny" }] }, "rule #1, hosts[1]: must be a non-empty string, not 7"],
    ["relative path", { rules: [{ paths: ["admin"], policy: "deny" }] }, "rule #1, paths[0]: "],
    ["query in a path", { rules: [{ paths: ["/a?b=1"], policy: "deny" }] }, "rule #1, paths[0]: "],
    ["bad expression", { rules: [{ paths: ["^/(a"], policy: "deny" }] }, "rule #1, paths[0]: \"^/(a\" is not a regular expression"],
    ["bad method", { rules: [{ methods: ["GET POST"], policy: "deny" }] }, "rule #1, methods[0]: "],
    ["bad network", { rules: [{ networks: ["10.0.0.0/33"], policy: "deny" }] }, "rule #1, networks[0]: "],
    ["network by name", { rules: [{ networks: ["localhost"], policy: "deny" }] }, "rule #1, networks[0]: "],
    ["subject of no kind", { rules: [{ subjects: ["admins"], policy: "deny" }] }, "rule #1, subjects[0]: \"admins\" must be user:<email> or group:<name>"],
    ["user that is no email", { rules: [{ subjects: ["user:ann"], policy: "deny" }] }, "rule #1, subjects[0]: "],
    ["group with a comma", { rules: [{ subjects: ["group:a,b"], policy: "deny" }] }, "rule #1, subjects[0]: "],
    ["bypass with subjects", { rules: [{ subjects: ["group:a"], policy: "bypass" }] }, "rule #1, subjects: a bypass rule cannot have subjects"],
  ];
  test.each(cases)("%s", (_name, data, message) => {
    let error: unknown;
    try {
      checkRules(data, FILE);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RulesFileError);
    const text = (error as Error).message;
    expect(text.startsWith(`${FILE}: ${message}`)).toBe(true);
    expect(text).not.toContain("\n");
  });
});
