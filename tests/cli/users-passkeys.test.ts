/** `users show` lists a user's passkeys; `users passkey-remove` removes one, only the named user's. */
import { expect, test } from "bun:test";
import { runCli } from "../../src/cli.ts";
import { newBaseRecord } from "../../src/domain/base.ts";
import type { PasskeyRecord } from "../../src/domain/passkey.ts";
import { openPasskeyStore } from "../../src/storage/passkey-store.ts";
import { readOnDisk, tempDir } from "../helpers.ts";
import { captureIo } from "./io.ts";

async function cli(dir: string, argv: string[]) {
  const run = captureIo("");
  const code = await runCli(argv, { DATA_DIR: dir }, run.io);
  return { code, ...run.captured };
}

async function userIn(dir: string, email: string) {
  const created = await cli(dir, ["users", "create", "--email", email, "--password", "H0lbertonSchool98!"]);
  expect(created.code).toBe(0);
  return created.out.trim();
}

function passkey(userId: string, name: string, at: number): PasskeyRecord {
  return { ...newBaseRecord(() => at), user_id: userId, credential_id: `cred-${name}`, public_key: "pk", algorithm: -7, sign_count: 0, name, transports: "internal", backup_eligible: false, backup_state: false, user_verified: true, aaguid: "00000000-0000-0000-0000-000000000000" };
}

test("users show lists the passkeys; passkey-remove removes one of the named user's", async () => {
  const dir = tempDir();
  const bob = await userIn(dir, "bob@hbtn.io");
  const ann = await userIn(dir, "ann@hbtn.io");
  const store = openPasskeyStore(dir);
  const laptop = passkey(bob, "Laptop", Date.UTC(2026, 0, 1));
  const phone = passkey(bob, "Phone", Date.UTC(2026, 0, 2));
  const anns = passkey(ann, "Ann's key", Date.UTC(2026, 0, 3));
  for (const record of [laptop, phone, anns]) await store.save(record);
  await store.close();

  const shown = await cli(dir, ["users", "show", "--id", bob]);
  expect(shown.out).toMatch(/^second factors\s+passkey$/m);
  expect(shown.out).toMatch(new RegExp(`^${laptop.id}\\s+Laptop\\s+2026-01-01T00:00:00\\s*$`, "m"));
  expect(shown.out).toContain(phone.id);
  expect(shown.out).not.toContain(anns.id);
  expect(shown.out).not.toContain("cred-");
  const json = JSON.parse((await cli(dir, ["users", "show", "--email", "bob@hbtn.io", "--json"])).out);
  expect(json).toMatchObject({ second_factors: ["passkey"], passkeys: [{ id: laptop.id, name: "Laptop", created_at: "2026-01-01T00:00:00", last_used_at: null }, { id: phone.id, name: "Phone" }] });

  expect(await cli(dir, ["users", "passkey-remove", "--id", bob, "--passkey", anns.id])).toMatchObject({ code: 1, err: `session-auth: user bob@hbtn.io has no passkey ${anns.id}\n` });
  expect((await cli(dir, ["users", "passkey-remove", "--id", bob])).code).toBe(2);
  const removed = await cli(dir, ["users", "passkey-remove", "--email", "bob@hbtn.io", "--passkey", laptop.id]);
  expect(removed).toMatchObject({ code: 0, out: `removed passkey ${laptop.id} (Laptop) of bob@hbtn.io\n` });
  expect(Object.keys(readOnDisk(dir, "Passkey")).sort()).toEqual([phone.id, anns.id].sort());
  expect((await cli(dir, ["users", "delete", "--id", bob])).code).toBe(0);
  expect(Object.keys(readOnDisk(dir, "Passkey"))).toEqual([anns.id]);
});
