import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { nativeTarget, releaseBuild, TARGETS } from "../scripts/release.ts";
import { SERVER_BUILD_FLAGS } from "../scripts/lib/spawn-server.ts";
import { tempDir } from "./helpers.ts";

test("the release script's native build runs --version, and SHA256SUMS matches it", () => {
  expect(TARGETS.map((t) => t.name)).toEqual(["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64"]);
  const out = tempDir();
  const [file] = releaseBuild({ only: "native", out });
  expect(basename(file!)).toBe(`session-auth-${nativeTarget()}`);
  const run = Bun.spawnSync([file!, "--version"], { env: { PATH: "/usr/bin:/bin" }, cwd: "/", stdout: "pipe" });
  expect(run.exitCode).toBe(0);
  expect(run.stdout.toString()).toBe(`session-auth ${pkg.version}\n`);
  const sums = readFileSync(join(out, "SHA256SUMS"), "utf8");
  expect(sums).toBe(`${Bun.SHA256.hash(readFileSync(file!), "hex")}  ${basename(file!)}\n`);
}, 120_000);

test("npm run build, the release and the benchmarks build the executable with the same flags", () => {
  expect(pkg.scripts.build).toBe(`bun build src/main.ts ${SERVER_BUILD_FLAGS.join(" ")} --outfile dist/session-auth`);
});
