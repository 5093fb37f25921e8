/** The CLI and the server on one data folder, as separate processes. */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { basicHeader, readOnDisk, tempDir } from "../helpers.ts";

const main = join(import.meta.dir, "..", "..", "src", "main.ts");

function cli(dataDir: string, ...args: string[]) {
  return Bun.spawn([process.execPath, main, ...args], { env: { PATH: process.env.PATH ?? "", DATA_DIR: dataDir }, stdout: "pipe", stderr: "pipe" });
}

async function startServer(dataDir: string, env: Record<string, string>) {
  const child = Bun.spawn([process.execPath, main], { env: { PATH: process.env.PATH ?? "", API_HOST: "127.0.0.1", API_PORT: "0", DATA_DIR: dataDir, ...env }, stdout: "pipe", stderr: "pipe" });
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("listening on")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited: ${out}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void child.stdout.pipeTo(new WritableStream()).catch(() => {});
  return { child, base: `http://127.0.0.1:${/127\.0\.0\.1:(\d+)/.exec(out)![1]}` };
}

test("users the CLI creates while the server runs are served at once, and nothing is lost on either side", async () => {
  const dir = tempDir();
  expect(await cli(dir, "users", "create", "--email", "admin@hbtn.io", "--password", "admin").exited).toBe(0);
  const server = await startServer(dir, { AUTH_TYPE: "basic_auth" });
  const admin = { Authorization: basicHeader("admin@hbtn.io", "admin"), "content-type": "application/json" };
  try {
    const viaCli = Array.from({ length: 6 }, (_, i) => `cli-${i}@hbtn.io`);
    const viaApi = Array.from({ length: 6 }, (_, i) => `api-${i}@hbtn.io`);
    const cliRuns = viaCli.map((email) => cli(dir, "users", "create", "--email", email, "--password", "pw").exited);
    const apiRuns = viaApi.map((email) => fetch(`${server.base}/api/v1/users`, { method: "POST", headers: admin, body: JSON.stringify({ email, password: "pw" }) }).then((r) => r.status));
    expect(await Promise.all(cliRuns)).toEqual(viaCli.map(() => 0));
    expect(await Promise.all(apiRuns)).toEqual(viaApi.map(() => 201));

    // The server answers for the CLI's users without a restart: they can log in.
    for (const email of viaCli) {
      const me = await fetch(`${server.base}/api/v1/users/me`, { headers: { Authorization: basicHeader(email, "pw") } });
      expect([email, me.status]).toEqual([email, 200]);
    }
    const listed = (await (await fetch(`${server.base}/api/v1/users`, { headers: admin })).json()) as { email: string }[];
    expect(listed.map((u) => u.email).sort()).toEqual(["admin@hbtn.io", ...viaApi, ...viaCli].sort());

    // The same email from the CLI while the server holds it is refused.
    const duplicate = cli(dir, "users", "create", "--email", "api-0@hbtn.io", "--password", "x");
    expect(await duplicate.exited).toBe(1);
  } finally {
    server.child.kill("SIGTERM");
    expect(await server.child.exited).toBe(0);
  }
  const onDisk = Object.values(readOnDisk(dir, "User")).map((u) => u.email);
  expect(onDisk).toHaveLength(13);
  const list = cli(dir, "users", "list");
  expect(await list.exited).toBe(0);
  expect((await new Response(list.stdout).text()).split("\n").filter((line) => line.includes("@hbtn.io"))).toHaveLength(13);
}, 60_000);
