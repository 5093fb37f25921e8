/** joinPath, folderOf and lastPart give what node:path's join, dirname and basename give. */
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { posix } from "node:path";
import { folderOf, joinPath, lastPart } from "../src/file-paths.ts";
import { Random } from "../scripts/lib/random.ts";

const SHAPES = ["", "/", "//", ".", "..", "./", "../", "a", "/a", "a/", "/a/", "a//b", "/a/b", "a/b/", "/a/b/c/..", "a/./b", "../a", "/../a", "a/../..", "./a/", "/data dir/x", "é/ü"];

describe("the same as node:path (POSIX)", () => {
  test("joinPath is path.join for every pair of shapes", () => {
    for (const folder of SHAPES) for (const name of SHAPES) expect([folder, name, joinPath(folder, name)]).toEqual([folder, name, posix.join(folder, name)]);
  });

  test("folderOf is path.dirname and lastPart is path.basename", () => {
    for (const path of SHAPES) {
      expect([path, folderOf(path)]).toEqual([path, posix.dirname(path)]);
      expect([path, lastPart(path)]).toEqual([path, posix.basename(path)]);
    }
  });

  test("on 5000 random paths of names, dots and slashes", () => {
    const random = new Random(7);
    const parts = ["a", "bc", ".", "..", "", ".env", "x y"];
    const path = () => Array.from({ length: random.int(6) }, () => random.pick(parts)).join(random.chance(0.2) ? "//" : "/");
    for (let i = 0; i < 5000; i++) {
      const folder = (random.chance(0.5) ? "/" : "") + path();
      const name = path();
      expect([folder, name, joinPath(folder, name)]).toEqual([folder, name, posix.join(folder, name)]);
      expect([folder, folderOf(folder), lastPart(folder)]).toEqual([folder, posix.dirname(folder), posix.basename(folder)]);
    }
  });
});

test("no source file imports node:path, node:fs/promises or bun:ffi at its top: loading them slows every start-up", () => {
  const offenders: string[] = [];
  for (const file of new Bun.Glob("**/*.ts").scanSync(`${import.meta.dir}/../src`)) {
    const text = readFileSync(`${import.meta.dir}/../src/${file}`, "utf8");
    if (/^import [^;]*from "(node:path|path|node:fs\/promises|fs\/promises|bun:ffi)";/m.test(text)) offenders.push(file);
  }
  expect(offenders).toEqual([]);
});
