/**
 * scripts/scenarios/lib.sh: start_server reads the port from the log of the server it just
 * started, never a log that is not there yet nor the one of the server before it.
 */
import { expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../../scripts/lib/spawn-server.ts";
import { tempDir } from "../../helpers.ts";

const LIB = join(ROOT, "scripts", "scenarios", "lib.sh");

/** A stand-in for the binary: says it listens on FAKE_PORT at once, then waits to be stopped. */
function fakeBinary(body = 'echo "session-auth listening on http://127.0.0.1:$FAKE_PORT (auth: none)"; exec sleep 30'): string {
  const path = join(tempDir(), "session-auth");
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const run = (script: string, binary: string) =>
  Bun.spawn(["bash", "-c", `source ${JSON.stringify(LIB)}\n${script}`], {
    env: { PATH: process.env.PATH ?? "", SESSION_AUTH_BIN: binary },
    stdout: "pipe",
    stderr: "pipe",
  });

test("each restart finds the port of the new server, several scripts at once", async () => {
  const binary = fakeBinary();
  // The race (a log read before the new server made it, or the old server's log) shows under load.
  const script = 'for i in $(seq 1 30); do start_server FAKE_PORT=$i; [ "$BASE" = "http://127.0.0.1:$i" ] || fail "restart $i found $BASE"; done; echo done';
  const children = Array.from({ length: 6 }, () => run(script, binary));
  const results = await Promise.all(children.map(async (child) => [await child.exited, await new Response(child.stdout).text(), await new Response(child.stderr).text()]));
  expect(results).toEqual(Array(6).fill([0, "done\n", ""]));
}, 90_000);

test("a server that exits at start-up: the script fails and says so", async () => {
  const child = run("start_server; echo started", fakeBinary('echo "no such thing" >&2; exit 1'));
  expect(await child.exited).toBe(1);
  const stderr = await new Response(child.stderr).text();
  expect(stderr).toContain("FAIL: the server exited at start-up");
  expect(stderr).toContain("no such thing");
}, 30_000);
