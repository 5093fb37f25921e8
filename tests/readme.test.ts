/** The README against the code: every setting documented twice over, every source file on the map. */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { runCli } from "../src/cli.ts";
import { captureIo } from "./cli/io.ts";

const root = join(import.meta.dir, "..");
const readme = readFileSync(join(root, "README.md"), "utf8");

function sourceFiles(dir = join(root, "src")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : [relative(root, join(dir, entry.name))],
  );
}

/**
 * Every variable the program reads: `env.NAME` and `env["NAME"]` anywhere in src/; and the
 * per-provider ones, read as `env[`${prefix}KEY`]` or `setting("KEY")` with the prefix
 * `OIDC_<NAME>_`, documented under that placeholder.
 */
const settings = [
  ...new Set(
    sourceFiles().flatMap((file) => {
      const text = readFileSync(join(root, file), "utf8");
      const plain = [...text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]+)|\[\s*"([A-Z][A-Z0-9_]+)"\s*\])/g)].map((m) => (m[1] ?? m[2])!);
      const perProvider = text.includes("const prefix = `OIDC_${name.toUpperCase()}_`;")
        ? [...text.matchAll(/(?:\$\{prefix\}|\b(?:setting|required)\(")([A-Z][A-Z0-9_]+)/g)].map((m) => `OIDC_<NAME>_${m[1]}`)
        : [];
      return [...plain, ...perProvider];
    }),
  ),
].sort();

/** The section of the README under `## title`, up to the next `## `. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start).toBeGreaterThan(-1);
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

test("the settings are found at all", () => {
  for (const name of ["API_HOST", "AUTH_TYPE", "SESSION_DURATION", "DATABASE_URL", "COOKIE_DOMAIN", "PUBLIC_URL", "OIDC_PROVIDERS", "OIDC_<NAME>_ISSUER", "OIDC_<NAME>_LINK_BY_EMAIL", "OIDC_<NAME>_API_URL"]) expect(settings).toContain(name);
});

test("every setting the program reads has a row in the README's configuration table", () => {
  const table = section("Configuration");
  expect(settings.filter((name) => !table.includes(`\n| \`${name}\` |`))).toEqual([]);
});

test("every setting the program reads is in --help", async () => {
  const help = captureIo();
  expect(await runCli(["--help"], {}, help.io)).toBe(0);
  expect(settings.filter((name) => !new RegExp(`^  ${name} `, "m").test(help.captured.out))).toEqual([]);
});

/** The source files the Development map names: `src/x.ts` lines, and `  y.ts` lines under a `src/dir/` line. */
function mapped(map: string): string[] {
  const block = map.slice(map.indexOf("```\n") + 4, map.indexOf("\n```", map.indexOf("```\n") + 4));
  let folder = "";
  const files: string[] = [];
  for (const line of block.split("\n")) {
    const top = /^(src\/\S*)/.exec(line)?.[1];
    if (top !== undefined) {
      folder = top.endsWith("/") ? top : "";
      if (!top.endsWith("/")) files.push(top);
    } else if (folder !== "" && /^ {2}\S+\.ts\b/.test(line)) {
      files.push(folder + line.trim().split(/\s/)[0]!);
    } else if (/^\S/.test(line)) {
      folder = "";
    }
  }
  return files.sort();
}

test("the Development map names every source file, and no other", () => {
  expect(mapped(section("Development"))).toEqual(sourceFiles().sort());
});
