/** Several instances, one user base: two server processes sharing PostgreSQL (and Redis). */
import { describe, expect, test } from "bun:test";
import { SOURCE_COMMAND, type ServerProcess, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { available, BACKENDS, backendEnv, basicHeader, tempDir } from "../helpers.ts";

const shared = BACKENDS.filter((backend) => backend !== "json");

async function stop(server: ServerProcess): Promise<void> {
  server.process.kill("SIGTERM");
  await server.process.exited;
}

for (const backend of shared) {
  describe.skipIf(!available(backend))(`[${backend}] two instances, one store`, () => {
    test("a session made on A works on B; logout on B ends it on A; users made on A are seen on B", async () => {
      const dataDirA = tempDir();
      // Both instances get the same namespace (from A's folder) but keep separate data folders.
      const env = { ...backendEnv(backend, dataDirA), AUTH_TYPE: "session_db_auth", SESSION_DURATION: "3600" };
      const created = Bun.spawnSync([...SOURCE_COMMAND, "users", "create", "--email", "admin@hbtn.io", "--password", "pw-secret"], { env: { PATH: process.env.PATH ?? "", ...env, DATA_DIR: dataDirA } });
      expect(created.exitCode).toBe(0);
      const a = await spawnServer(SOURCE_COMMAND, { ...env, DATA_DIR: dataDirA });
      const b = await spawnServer(SOURCE_COMMAND, { ...env, DATA_DIR: tempDir() });
      try {
        const login = await fetch(`${a.base}/api/v1/auth_session/login`, { method: "POST", body: new URLSearchParams({ email: "admin@hbtn.io", password: "pw-secret" }) });
        expect(login.status).toBe(200);
        const cookie = login.headers.get("set-cookie")!.split(";")[0]!;
        const me = await fetch(`${b.base}/api/v1/users/me`, { headers: { cookie } });
        expect(me.status).toBe(200);
        expect(((await me.json()) as { email: string }).email).toBe("admin@hbtn.io");

        const createdOnA = await fetch(`${a.base}/api/v1/users`, {
          method: "POST",
          headers: { cookie, "content-type": "application/json" },
          body: JSON.stringify({ email: "new@hbtn.io", password: "n3w-password" }),
        });
        expect(createdOnA.status).toBe(201);
        const meOnB = await fetch(`${b.base}/api/v1/users/me`, { headers: { Authorization: basicHeader("new@hbtn.io", "n3w-password") } });
        expect(meOnB.status).toBe(403); // B runs session_db_auth: Basic is no credential there…
        const listedOnB = (await (await fetch(`${b.base}/api/v1/users`, { headers: { cookie } })).json()) as { email: string }[];
        expect(listedOnB.map((u) => u.email).sort()).toEqual(["admin@hbtn.io", "new@hbtn.io"]); // …but the user is there.
        const duplicate = await fetch(`${b.base}/api/v1/users`, { method: "POST", headers: { cookie, "content-type": "application/json" }, body: JSON.stringify({ email: "new@hbtn.io", password: "long enough" }) });
        expect(duplicate.status).toBe(400);

        expect((await fetch(`${b.base}/api/v1/auth_session/logout`, { method: "DELETE", headers: { cookie } })).status).toBe(200);
        expect((await fetch(`${a.base}/api/v1/users/me`, { headers: { cookie } })).status).toBe(403);
      } finally {
        await Promise.all([stop(a), stop(b)]);
      }
    }, 60_000);
  });
}
