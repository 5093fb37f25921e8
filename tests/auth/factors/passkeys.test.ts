/** The Passkeys service's faces the rest of the server uses: whether a user has one, and the second-factor check. */
import { afterAll, expect, test } from "bun:test";
import { PasskeyFactor, Passkeys } from "../../../src/auth/factors/passkeys.ts";
import { newBaseRecord } from "../../../src/domain/base.ts";
import { silentLogger } from "../../../src/logger.ts";
import { MemoryChallengeStore } from "../../../src/storage/challenge-store.ts";
import { openPasskeyStore } from "../../../src/storage/passkey-store.ts";
import { openUserStore } from "../../../src/storage/user-store.ts";
import { FakeClock, legacyUser, tempDir } from "../../helpers.ts";
import { SoftAuthenticator } from "./webauthn/soft-authenticator.ts";

const dir = tempDir();
const store = openPasskeyStore(dir);
const users = openUserStore(dir);
afterAll(async () => {
  await Promise.all([store.close(), users.close()]);
});
const clock = new FakeClock();
const passkeys = new Passkeys(store, new MemoryChallengeStore(), users, { webauthnRpId: "localhost", cookieDomain: null, allowedOrigins: new Set(), trustProxy: false }, clock.read, silentLogger);

test("enrolled: answered at once from a store held in memory (Basic asks it on every request)", async () => {
  const bob = legacyUser("bob@hbtn.io", "pw-secret");
  await users.save(bob);
  expect(passkeys.enrolled(bob.id)).toBe(false);
  await store.save({ ...newBaseRecord(clock.read), user_id: bob.id, credential_id: "AAAA", public_key: "AA", algorithm: -7, sign_count: 0, name: "Laptop", transports: "", backup_eligible: false, backup_state: false, user_verified: true, aaguid: "" });
  expect(passkeys.enrolled(bob.id)).toBe(true);
  expect(await new PasskeyFactor(passkeys).enrolled(bob.id)).toBe(true);
});

test("as a second factor: absent without a passkey field; ok reports the passkey; a bad one is wrong", async () => {
  const ann = legacyUser("ann@hbtn.io", "pw-secret");
  await users.save(ann);
  const key = await SoftAuthenticator.create();
  const request = new Request("http://localhost:5000/", { headers: { Host: "localhost:5000" } });
  const options = await passkeys.creationOptions(ann, request);
  await passkeys.register(ann, await key.register(options as { challenge: string; rp: { id: string } }, "http://localhost:5000"), request);
  const factor = new PasskeyFactor(passkeys);
  const reported: string[] = [];
  const context = { request, clientAddress: "127.0.0.1", report: (used: string) => reported.push(used) };
  expect(await factor.check(ann, {}, context)).toBe("absent");
  const answer = async () => key.authenticate((await passkeys.requestOptions(ann.email, request)) as { challenge: string; rpId: string }, "http://localhost:5000", null);
  expect(await factor.check(ann, { passkey: JSON.stringify(await answer()) }, context)).toBe("ok");
  expect(reported).toEqual(["passkey"]);
  expect(await factor.check(ann, { passkey: "{}" }, context)).toBe("wrong");
  expect(await factor.check(ann, { passkey: await answer() }, { ...context })).toBe("ok");
});
