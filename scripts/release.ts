/**
 * Release builds: one self-contained executable per platform in dist/release, named
 * session-auth-<os>-<arch>[.exe], and SHA256SUMS beside them. Bun fetches each target's runtime
 * from the npm registry the first time.
 *
 *   bun scripts/release.ts [--only native|linux-x64|…] [--out DIR]
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { ROOT, SERVER_BUILD_FLAGS } from "./lib/spawn-server.ts";

export const TARGETS = [
  { name: "linux-x64", bun: "bun-linux-x64" },
  { name: "linux-arm64", bun: "bun-linux-arm64" },
  { name: "darwin-x64", bun: "bun-darwin-x64" },
  { name: "darwin-arm64", bun: "bun-darwin-arm64" },
  { name: "windows-x64", bun: "bun-windows-x64", exe: true },
] as const;

/** This machine's target name, e.g. linux-x64. */
export function nativeTarget(): string {
  const os = process.platform === "win32" ? "windows" : process.platform;
  return `${os}-${process.arch}`;
}

export function releaseBuild(options: { only?: string; out?: string } = {}): string[] {
  const out = options.out ?? join(ROOT, "dist", "release");
  const only = options.only === "native" ? nativeTarget() : options.only;
  const targets = TARGETS.filter((target) => only === undefined || target.name === only);
  if (targets.length === 0) throw new Error(`unknown target ${only}; one of: native, ${TARGETS.map((t) => t.name).join(", ")}`);
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  for (const target of targets) {
    const file = join(out, `session-auth-${target.name}${"exe" in target ? ".exe" : ""}`);
    const build = Bun.spawnSync(
      [process.execPath, "build", "src/main.ts", ...SERVER_BUILD_FLAGS, `--target=${target.bun}`, "--outfile", file],
      { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
    );
    if (build.exitCode !== 0) throw new Error(`build for ${target.name} failed:\n${build.stderr}`);
    files.push(file);
  }
  const sums = files.map((file) => `${Bun.SHA256.hash(readFileSync(file), "hex")}  ${basename(file)}`).join("\n");
  writeFileSync(join(out, "SHA256SUMS"), `${sums}\n`);
  return files;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const option = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const files = releaseBuild({ only: option("--only"), out: option("--out") });
  for (const file of files) console.log(`${basename(file)}  ${(Bun.file(file).size / 2 ** 20).toFixed(1)} MiB`);
  console.log(`session-auth ${pkg.version}: ${files.length} executables and SHA256SUMS in ${join(files[0]!, "..")}`);
}
