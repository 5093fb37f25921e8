import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "../../src/config.ts";
import { checkDataDir } from "../../src/storage/data-dir.ts";
import { tempDir } from "../helpers.ts";

describe("checkDataDir", () => {
  test("refuses a missing folder or a file", () => {
    expect(() => checkDataDir("/nonexistent/session-auth")).toThrow(ConfigError);
    const file = join(tempDir(), "file");
    writeFileSync(file, "");
    expect(() => checkDataDir(file)).toThrow(/not a folder/);
    expect(() => checkDataDir(tempDir())).not.toThrow();
  });

  test("refuses a folder where a write fails, though its permission bits allow it", () => {
    // As root, access() says /proc is writable; only a real write tells.
    expect(() => checkDataDir("/proc")).toThrow(/DATA_DIR \/proc is not writable/);
  });
});
