/** The CLI and the server on one data folder, as separate processes. */
import { expect, test } from "bun:test";
import { SOURCE_COMMAND, spawnServer } from "../../scripts/lib/spawn-server.ts";
import { basicHeader, readOnDisk, tempDir } from "../helpers.ts";

function cli(dataDir: string, ...args: string[]) {
  return Bun.spawn([...SOURCE_COMMAND, ...args], { env: { PATH: process.env.PATH ?? "", DATA_DIR: dataDir }, stdout: "pipe", stderr: "pipe" });
}

test("users the CLI creates while the server runs are served at once, and nothing is lost on either side", async () => {
  const dir = tempDir();
  expect(await cli(dir, "users", "create", "--email", "admin@hbtn.io", "--password", "admin-secret").exited).toBe(0);
  const server = await spawnServer(SOURCE_COMMAND, { DATA_DIR: dir, AUTH_TYPE: "basic_auth" });
  const admin = { Authorization: basicHeader("admin@hbtn.io", "admin-secret"), "content-type": "application/json" };
  try {
    const viaCli = Array.from({ length: 6 }, (_, i) => `cli-${i}@hbtn.io`);
    const viaApi = Array.from({ length: 6 }, (_, i) => `api-${i}@hbtn.io`);
    const cliRuns = viaCli.map((email) => cli(dir, "users", "create", "--email", email, "--password", "pw-secret").exited);
    const apiRuns = viaApi.map((email) => fetch(`${server.base}/api/v1/users`, { method: "POST", headers: admin, body: JSON.stringify({ email, password: "pw-secret" }) }).then((r) => r.status));
    expect(await Promise.all(cliRuns)).toEqual(viaCli.map(() => 0));
    expect(await Promise.all(apiRuns)).toEqual(viaApi.map(() => 201));

    // The server answers for the CLI's users without a restart: they can log in.
    for (const email of viaCli) {
      const me = await fetch(`${server.base}/api/v1/users/me`, { headers: { Authorization: basicHeader(email, "pw-secret") } });
      expect([email, me.status]).toEqual([email, 200]);
    }
    const listed = (await (await fetch(`${server.base}/api/v1/users`, { headers: admin })).json()) as { email: string }[];
    expect(listed.map((u) => u.email).sort()).toEqual(["admin@hbtn.io", ...viaApi, ...viaCli].sort());

    // The same email from the CLI while the server holds it is refused.
    const duplicate = cli(dir, "users", "create", "--email", "api-0@hbtn.io", "--password", "x");
    expect(await duplicate.exited).toBe(1);
  } finally {
    server.process.kill("SIGTERM");
    expect(await server.process.exited).toBe(0);
  }
  const onDisk = Object.values(readOnDisk(dir, "User")).map((u) => u.email);
  expect(onDisk).toHaveLength(13);
  const list = cli(dir, "users", "list");
  expect(await list.exited).toBe(0);
  expect((await new Response(list.stdout).text()).split("\n").filter((line) => line.includes("@hbtn.io"))).toHaveLength(13);
}, 60_000);
