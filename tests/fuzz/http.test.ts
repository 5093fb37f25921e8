/** A short run of scripts/fuzz-http.ts against the compiled binary (`npm run fuzz` runs 100k). */
import { beforeAll, expect, test } from "bun:test";
import { fuzzHttp } from "../../scripts/fuzz-http.ts";
import { ROOT } from "../../scripts/lib/spawn-server.ts";

beforeAll(() => {
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr.toString()}`);
}, 120_000);

test("5,000 hostile requests at the binary: no 5xx, no crash, data intact", async () => {
  const result = await fuzzHttp({ requests: 5000 });
  console.log(`fuzz-http seed ${result.seed}`);
  expect(result.serverErrors).toEqual([]);
  expect(result.crashes).toBe(0);
  expect(result.dataIntact).toBe(true);
}, 120_000);
