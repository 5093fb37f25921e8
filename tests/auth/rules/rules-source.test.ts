import { afterEach, describe, expect, test } from "bun:test";
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RulesFileError } from "../../../src/auth/rules/rules-file.ts";
import { readRulesFile, RulesSource } from "../../../src/auth/rules/rules-source.ts";
import type { Logger } from "../../../src/logger.ts";
import { tempDir } from "../../helpers.ts";

function recordingLogger() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    request: () => {},
    info: (message, fields) => lines.push({ level: "info", message, fields }),
    warn: (message, fields) => lines.push({ level: "warn", message, fields }),
    error: (message, fields) => lines.push({ level: "error", message, fields }),
  };
  return { logger, lines };
}

const one = (policy: string) => JSON.stringify({ default_policy: "deny", rules: [{ paths: ["/x"], policy }] });
const request = { host: "a.example.test", path: "/x", method: "GET", address: null };
const sources: RulesSource[] = [];
afterEach(() => {
  for (const source of sources.splice(0)) source.close();
});

describe("RulesSource", () => {
  test("a good new version is taken on reload; a bad one keeps the rules in force and logs why, in one line", () => {
    const file = join(tempDir(), "rules.yaml");
    writeFileSync(file, one("bypass"));
    const { logger, lines } = recordingLogger();
    const source = new RulesSource(file, logger);
    sources.push(source);
    expect(source.current.decide(request)).toMatchObject({ policy: "bypass" });
    writeFileSync(file, one("two_factor"));
    expect(source.reload("SIGHUP")).toBe(true);
    expect(source.current.decide(request)).toMatchObject({ policy: "two_factor" });
    expect(lines.at(-1)).toMatchObject({ level: "info", fields: { event: "access-rules-reloaded", rules: 1 } });
    writeFileSync(file, JSON.stringify({ rules: [{ paths: ["/x"], policy: "allow" }] }));
    expect(source.reload("SIGHUP")).toBe(false);
    expect(source.current.decide(request)).toMatchObject({ policy: "two_factor" });
    const refused = lines.at(-1)!;
    expect(refused).toMatchObject({ level: "error", fields: { event: "access-rules-invalid" } });
    expect(refused.message).toContain(`${file}: rule #1, policy: must be one of`);
    expect(refused.message).toContain("the 1 rules read before stay in force");
    expect(refused.message).not.toContain("\n");
  });

  test("a change of the file is seen, a replacement by rename too; the same text again says nothing", async () => {
    const dir = tempDir();
    const file = join(dir, "rules.yaml");
    writeFileSync(file, one("bypass"));
    const { logger, lines } = recordingLogger();
    const source = new RulesSource(file, logger);
    sources.push(source);
    source.watch();
    const until = async (policy: string) => {
      for (let i = 0; i < 100 && (source.current.decide(request) as { policy: string }).policy !== policy; i++) await Bun.sleep(50);
      return (source.current.decide(request) as { policy: string }).policy;
    };
    writeFileSync(file, one("deny"));
    expect(await until("deny")).toBe("deny");
    writeFileSync(join(dir, "next.yaml"), one("one_factor"));
    renameSync(join(dir, "next.yaml"), file);
    expect(await until("one_factor")).toBe("one_factor");
    const reloaded = lines.filter((line) => line.fields?.event === "access-rules-reloaded").length;
    writeFileSync(file, one("one_factor"));
    await Bun.sleep(600);
    expect(lines.filter((line) => line.fields?.event === "access-rules-reloaded").length).toBe(reloaded);
  });

  test("a file that cannot be read is a RulesFileError naming it", () => {
    expect(() => readRulesFile("/nonexistent/rules.yaml")).toThrow(new RulesFileError("/nonexistent/rules.yaml: cannot be read: ENOENT"));
  });
});
