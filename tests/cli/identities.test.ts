import { describe, expect, test } from "bun:test";
import { runCli } from "../../src/cli.ts";
import { linkKey } from "../../src/domain/identity.ts";
import { openIdentityStore } from "../../src/storage/identity-store.ts";
import { backendEnv, call, legacyUser, seedUsers, tempDir, testApp } from "../helpers.ts";
import { captureIo } from "./io.ts";

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

async function seeded() {
  const dir = tempDir();
  const alice = legacyUser("alice@example.com", "alice-password");
  const bob = legacyUser("bob@example.com", "bob-password");
  await seedUsers(dir, [alice, bob]);
  const store = openIdentityStore(dir);
  const link = (id: string, userId: string, provider: string, subject: string) => ({ id, created_at: "2026-01-02T03:04:05", updated_at: "2026-01-02T03:04:05", user_id: userId, provider, issuer: `https://${provider}.example`, subject, link_key: linkKey(`https://${provider}.example`, subject), email: null });
  await store.save(link("link-1", alice.id, "corp", "a-123"));
  await store.save(link("link-2", alice.id, "github", "583231"));
  await store.save(link("link-3", bob.id, "corp", "b-456"));
  await store.close();
  return { dir, alice, bob };
}

describe("identities", () => {
  test("list shows every link, or one user's; --json gives the fields", async () => {
    const { dir, alice } = await seeded();
    const all = captureIo();
    expect(await runCli(["identities", "list"], { DATA_DIR: dir }, all.io)).toBe(0);
    expect(all.captured.out.split("\n")[0]).toMatch(/^LINK\s+USER\s+PROVIDER\s+SUBJECT\s+EMAIL\s+LINKED$/);
    expect(all.captured.out).toContain("bob@example.com");
    expect(all.captured.err).toContain("3 links");
    const one = captureIo();
    expect(await runCli(["identities", "list", "--email", "alice@example.com", "--json"], { DATA_DIR: dir }, one.io)).toBe(0);
    const rows = JSON.parse(one.captured.out);
    expect(rows.map((row: any) => [row.id, row.provider, row.subject, row.user_id])).toEqual([
      ["link-1", "corp", "a-123", alice.id],
      ["link-2", "github", "583231", alice.id],
    ]);
  });

  test("unlink removes one link; an unknown one is an error", async () => {
    const { dir } = await seeded();
    const done = captureIo();
    expect(await runCli(["identities", "unlink", "--link", "link-2"], { DATA_DIR: dir }, done.io)).toBe(0);
    expect(done.captured.out).toBe("unlinked link-2\n");
    const again = captureIo();
    expect(await runCli(["identities", "unlink", "--link", "link-2"], { DATA_DIR: dir }, again.io)).toBe(1);
    expect(again.captured.err).toContain("no link with id link-2");
    const missing = captureIo();
    expect(await runCli(["identities", "unlink"], { DATA_DIR: dir }, missing.io)).toBe(2);
    const left = captureIo();
    await runCli(["identities", "list", "--json"], { DATA_DIR: dir }, left.io);
    expect(JSON.parse(left.captured.out).map((row: any) => row.id)).toEqual(["link-1", "link-3"]);
  });
});

test("users delete removes the user's links too", async () => {
  const { dir, bob } = await seeded();
  const deleted = captureIo();
  expect(await runCli(["users", "delete", "--email", "alice@example.com"], { DATA_DIR: dir }, deleted.io)).toBe(0);
  const left = captureIo();
  await runCli(["identities", "list", "--json"], { DATA_DIR: dir }, left.io);
  expect(JSON.parse(left.captured.out).map((row: any) => [row.id, row.user_id])).toEqual([["link-3", bob.id]]);
});

describe.skipIf(!TEST_DATABASE_URL)("migrate copies identity links", () => {
  test("the links are in PostgreSQL after migrate, and list reads them there", async () => {
    const { dir } = await seeded();
    const { DATABASE_SCHEMA: schema } = backendEnv("postgres", tempDir());
    const migrated = captureIo();
    expect(await runCli(["migrate", "--to", TEST_DATABASE_URL!, "--schema", schema!], { DATA_DIR: dir }, migrated.io)).toBe(0);
    expect(migrated.captured.out).toBe(`copied 2 users and 3 identity links to PostgreSQL (schema ${schema})\n`);
    const listed = captureIo();
    expect(await runCli(["identities", "list", "--json"], { DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: schema! }, listed.io)).toBe(0);
    expect(JSON.parse(listed.captured.out).map((row: any) => row.id)).toEqual(["link-1", "link-2", "link-3"]);
    // The unique (issuer, subject) holds in PostgreSQL too.
    const app = testApp({ DATABASE_URL: TEST_DATABASE_URL!, DATABASE_SCHEMA: schema! }, { dataDir: tempDir() });
    try {
      expect((await call(app, "/api/v1/status")).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
