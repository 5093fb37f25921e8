/** What passkeys write to the log: one line per event, with its `event` field, and never a secret. */
import { afterAll, expect, test } from "bun:test";
import { App } from "../../src/app/compose.ts";
import type { Logger } from "../../src/logger.ts";
import { SoftAuthenticator } from "../auth/factors/webauthn/soft-authenticator.ts";
import { type Call, call as callApp, FakeClock, legacyUser, seedUsers, sessionIdFrom, tempDir, testConfig } from "../helpers.ts";

const PASSKEYS = "/api/v1/auth_session/passkeys";
const ORIGIN = "http://localhost:5000";
const call = (app: App, path: string, options: Call = {}) => callApp(app, path, { ...options, headers: { Host: "localhost:5000", ...options.headers } });
const apps: App[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

test("added, refused (with the step), accepted, cloned (a warning), removed: one line each, no key, signature, challenge or cookie", async () => {
  const dir = tempDir();
  const bob = legacyUser("bob@hbtn.io", "pw-secret");
  await seedUsers(dir, [bob]);
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const record = (level: string) => (message: string, fields: Record<string, unknown> = {}) => lines.push({ level, message, fields });
  const logger: Logger = { request: () => {}, info: record("info"), warn: record("warn"), error: record("error") };
  const app = App.create(testConfig({ AUTH_TYPE: "session_db_auth" }, dir), { clock: new FakeClock().read, logger });
  apps.push(app);

  const login = await call(app, "/api/v1/auth_session/login", { form: { email: "bob@hbtn.io", password: "pw-secret" } });
  const cookie = { Cookie: `_my_session_id=${sessionIdFrom(login.headers)}` };
  const key = await SoftAuthenticator.create();
  const creation = (await call(app, `${PASSKEYS}/options`, { method: "POST", headers: cookie })).json;
  const credential = await key.register(creation, ORIGIN);
  const passkey = (await call(app, PASSKEYS, { json: credential, headers: cookie })).json;
  const handle = Buffer.from(bob.id).toString("base64url");
  const options = () => call(app, `${PASSKEYS}/login_options`, { method: "POST" }).then((r) => r.json);
  const bogus = await key.authenticate(await options(), ORIGIN, handle, { badSignature: true });
  await call(app, `${PASSKEYS}/login`, { json: bogus });
  const back = await key.authenticate(await options(), ORIGIN, handle, { signCount: 0 });
  await call(app, `${PASSKEYS}/login`, { json: await key.authenticate(await options(), ORIGIN, handle) });
  await call(app, `${PASSKEYS}/login`, { json: back });
  await call(app, `${PASSKEYS}/${passkey.id}`, { method: "DELETE", headers: cookie });

  const events = lines.filter((line) => line.fields.event?.toString().startsWith("factor."));
  expect(events.map((line) => [line.level, line.fields.event, line.fields.reason ?? null])).toEqual([
    ["info", "factor.added", null],
    ["info", "factor.failed", "7.2 step 21: signature is not valid"],
    ["info", "factor.ok", null],
    ["warn", "factor.failed", "7.2 step 22: signature counter did not increase: possible cloned authenticator"],
    ["info", "factor.removed", null],
  ]);
  for (const line of events) expect(line.fields).toMatchObject({ factor: "passkey", user_id: bob.id, passkey_id: passkey.id });
  const text = JSON.stringify(lines);
  const response = credential.response as Record<string, string>;
  const secrets = [creation.challenge, response.attestationObject, response.clientDataJSON, Buffer.from(key.cosePublicKey).toString("base64url"), (bogus.response as Record<string, string>).signature, cookie.Cookie.split("=")[1]!, "pw-secret"];
  for (const secret of secrets) expect(text).not.toContain(secret);
});
