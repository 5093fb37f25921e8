/**
 * The shape of src/: imports point down the layers (a module never reaches up), and no file
 * grows past what one reads in a sitting.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { ROOT } from "../scripts/lib/spawn-server.ts";

/** Lowest first; a module imports from its own layer or lower ones. */
const LAYERS: readonly (readonly string[])[] = [
  ["config.ts", "file-paths.ts", "jit-policy.ts", "sign-in-settings.ts", "maybe-promise.ts", "sorted-json.ts", "logger.ts", "audit.ts", "metrics", "dotenv.ts", "http"],
  ["domain"],
  ["storage"],
  ["sessions"],
  ["auth"],
  ["web"],
  ["api"],
  ["app"],
  ["serve.ts", "cli", "cli.ts"],
  ["main.ts"],
];
const SRC = join(ROOT, "src");
const sources = [...new Bun.Glob("**/*.ts").scanSync(SRC)];

function layerOf(path: string): number {
  const top = relative(SRC, path).split("/")[0]!;
  return LAYERS.findIndex((layer) => layer.includes(top));
}

test("every source file is in a layer", () => {
  expect(sources.filter((file) => layerOf(join(SRC, file)) === -1)).toEqual([]);
});

test("no module imports from a layer above its own", () => {
  const upward: string[] = [];
  for (const file of sources) {
    const path = join(SRC, file);
    const text = readFileSync(path, "utf8");
    for (const match of text.matchAll(/(?:from|require\(|import\()\s*"(\.[^"]+)"/g)) {
      const target = normalize(join(dirname(path), match[1]!));
      if (!target.startsWith(SRC + "/")) continue;
      if (layerOf(target) > layerOf(path)) upward.push(`${file} → ${relative(SRC, target)}`);
    }
  }
  expect(upward).toEqual([]);
});

test("no source file is over 400 lines", () => {
  const long = sources.map((file) => [file, readFileSync(join(SRC, file), "utf8").split("\n").length] as const).filter(([, lines]) => lines > 400);
  expect(long).toEqual([]);
});

test("the exercise's strategy classes are thin faces: each body well under 80 lines", () => {
  for (const file of ["auth.ts", "basic-auth.ts", "session-auth.ts", "session-exp-auth.ts", "session-db-auth.ts"]) {
    const text = readFileSync(join(SRC, "auth", file), "utf8");
    const start = text.search(/^export class /m);
    expect(start).toBeGreaterThanOrEqual(0);
    const body = text.slice(start).split("\n");
    const end = body.findIndex((line) => line === "}");
    expect(end).toBeGreaterThan(0);
    expect(end).toBeLessThan(80);
  }
});
