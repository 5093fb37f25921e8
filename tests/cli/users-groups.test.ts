import { expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../../src/cli.ts";
import { readOnDisk, tempDir } from "../helpers.ts";
import { captureIo } from "./io.ts";

async function cli(dir: string, argv: string[], env: Record<string, string> = {}) {
  const run = captureIo();
  const code = await runCli(argv, { DATA_DIR: dir, ...env }, run.io);
  return { code, ...run.captured };
}

test("users create/update --groups: stored in a file of their own, shown by show and list, used by rules check", async () => {
  const dir = tempDir();
  const created = await cli(dir, ["users", "create", "--email", "ann@example.com", "--password", "pw-secret", "--groups", "Ops, admins"]);
  expect(created.code).toBe(0);
  const id = created.out.trim();
  expect(Object.values(readOnDisk(dir, "UserGroups"))).toMatchObject([{ id, groups: "admins,ops" }]);
  // The users' own file keeps the original's fields only.
  expect(Object.keys(readOnDisk(dir, "User")[id]).sort()).toEqual(["_password", "created_at", "email", "first_name", "id", "last_name", "updated_at"]);
  const shown = await cli(dir, ["users", "show", "--email", "ann@example.com", "--json"]);
  expect(JSON.parse(shown.out).groups).toEqual(["admins", "ops"]);
  expect((await cli(dir, ["users", "show", "--email", "ann@example.com"])).out).toMatch(/^groups\s+admins,ops$/m);
  const listed = await cli(dir, ["users", "list"]);
  expect(listed.out.split("\n")[0]).toContain("GROUPS");
  expect(listed.out).toContain("admins,ops");
  expect(JSON.parse((await cli(dir, ["users", "list", "--json"])).out)[0].groups).toEqual(["admins", "ops"]);

  const rules = join(dir, "rules.yaml");
  writeFileSync(rules, "rules:\n  - subjects: [group:admins]\n    policy: two_factor\n");
  const checked = await cli(dir, ["rules", "check", "--host", "a.example.com", "--path", "/", "--user", "ann@example.com"], { ACCESS_RULES: rules });
  expect(checked.out).toContain("as ann@example.com (groups: admins, ops)\npolicy:  two_factor\nrule:    #1");

  const updated = await cli(dir, ["users", "update", "--email", "ann@example.com", "--groups", "dev", "--json"]);
  expect([updated.code, JSON.parse(updated.out).groups]).toEqual([0, ["dev"]]);
  const renamed = await cli(dir, ["users", "update", "--email", "ann@example.com", "--first-name", "Ann", "--json"]);
  expect(JSON.parse(renamed.out).groups).toEqual(["dev"]);
  expect(JSON.parse((await cli(dir, ["users", "update", "--email", "ann@example.com", "--groups", "", "--json"])).out).groups).toEqual([]);
  expect(readOnDisk(dir, "UserGroups")).toEqual({});
});

test("--groups with a name that cannot be a group: exit 2 with the reason, nothing created", async () => {
  const dir = tempDir();
  const refused = await cli(dir, ["users", "create", "--email", "ann@example.com", "--password", "pw-secret", "--groups", "ops,a b"]);
  expect(refused.code).toBe(2);
  expect(refused.err).toStartWith('session-auth: --groups: "a b" is not a group name');
  expect((await cli(dir, ["users", "list", "--json"])).out.trim()).toBe("[]");
});

test("deleting a user removes their groups", async () => {
  const dir = tempDir();
  await cli(dir, ["users", "create", "--email", "ann@example.com", "--password", "pw-secret", "--groups", "ops"]);
  expect((await cli(dir, ["users", "delete", "--email", "ann@example.com"])).code).toBe(0);
  expect(readOnDisk(dir, "UserGroups")).toEqual({});
});
