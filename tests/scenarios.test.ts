/**
 * Builds dist/session-auth and replays every scripts/scenarios/task-*.sh against it: the seed's
 * curl transcripts, through a real socket, with no Bun or node_modules on the PATH.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const binary = join(root, "dist", "session-auth");
const scripts = readdirSync(join(root, "scripts", "scenarios")).filter((name) => /^task-.*\.sh$/.test(name)).sort();
const pathWithoutBun = (process.env.PATH ?? "").split(":").filter((dir) => !dir.includes("node_modules")).join(":");

beforeAll(() => {
  const build = Bun.spawnSync([process.execPath, "run", "build"], { cwd: root, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) throw new Error(`build failed:\n${build.stderr.toString()}`);
}, 120_000);

describe("curl scenarios against the compiled binary", () => {
  test("there is one script per seed task with an API transcript", () => {
    expect(scripts.length).toBeGreaterThanOrEqual(8);
  });

  for (const script of scripts) {
    test(script, async () => {
      const child = Bun.spawn(["bash", join(root, "scripts", "scenarios", script)], {
        cwd: root,
        env: { ...process.env, PATH: pathWithoutBun, SESSION_AUTH_BIN: binary },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [stdout, stderr, exitCode] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
      if (exitCode !== 0) console.error(`${script}:\n${stdout}${stderr}`);
      expect(exitCode).toBe(0);
      expect(stdout).toContain(`ok: ${script}`);
    }, 60_000);
  }
});

test("the binary runs nothing a bunfig.toml in its working folder names: its preload never loads", () => {
  const dir = mkdtempSync(join(tmpdir(), "session-auth-bunfig-"));
  try {
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./preloaded.js"]\n');
    writeFileSync(join(dir, "preloaded.js"), `require("node:fs").writeFileSync(${JSON.stringify(join(dir, "ran"))}, "yes"); console.log("preloaded");\n`);
    const run = Bun.spawnSync([binary, "--version"], { cwd: dir, env: { PATH: pathWithoutBun }, stdout: "pipe" });
    expect(run.exitCode).toBe(0);
    expect(run.stdout.toString()).toMatch(/^session-auth \d+\.\d+\.\d+\n$/);
    expect(existsSync(join(dir, "ran"))).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the binary answers --version without Bun or node_modules", () => {
  const run = Bun.spawnSync([binary, "--version"], { cwd: "/", env: { PATH: pathWithoutBun }, stdout: "pipe" });
  expect(run.exitCode).toBe(0);
  expect(run.stdout.toString()).toMatch(/^session-auth \d+\.\d+\.\d+\n$/);
});
