/**
 * `npm run image`'s OCI image, checked with Debian's skopeo and umoci: its config (user, port,
 * /data, HEALTHCHECK), its layer unpacked, and the binary run from the unpacked root filesystem
 * (in a chroot, as the image's user, with /proc mounted in a namespace of its own: no container
 * runtime) answering /api/v1/health, and `session-auth healthcheck` from inside it.
 */
import { afterAll, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { BINARY_PATH, buildImage, IMAGE_PORT, IMAGE_USER } from "../../scripts/image.ts";
import { freePort, ROOT, SERVER_BUILD_FLAGS } from "../../scripts/lib/spawn-server.ts";
import { tempDir } from "../helpers.ts";

const TOOLS = ["skopeo", "umoci", "unshare", "chroot"].every((tool) => Bun.which(tool) !== null);
const children: ReturnType<typeof Bun.spawn>[] = [];
afterAll(async () => {
  for (const child of children) stopInRootfs(child);
  await Promise.all(children.map((child) => child.exited));
});

/**
 * unshare passes no signal on, and the server, started under another user, outlives it: the
 * server (unshare's one child, the first process of its PID namespace) gets the SIGTERM.
 */
function stopInRootfs(unshare: ReturnType<typeof Bun.spawn>): void {
  let children = "";
  try {
    children = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, "utf8");
  } catch {
    // Gone already.
  }
  for (const pid of children.trim().split(/\s+/).filter(Boolean)) process.kill(Number(pid), "SIGTERM");
}

function run(command: string[], env: Record<string, string> = {}): { exitCode: number; out: string; err: string } {
  const result = Bun.spawnSync(command, { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
  return { exitCode: result.exitCode, out: result.stdout.toString(), err: result.stderr.toString() };
}

/** The image's root filesystem, as its user, with a /proc of its own; the process dies with the namespace's first one. */
function inRootfs(rootfs: string, args: string[]): string[] {
  return ["unshare", "--mount", "--pid", "--fork", "--kill-child", `--mount-proc=${join(rootfs, "proc")}`, "chroot", `--userspec=${IMAGE_USER.uid}:${IMAGE_USER.gid}`, rootfs, BINARY_PATH, ...args];
}

test.skipIf(!TOOLS)("the image: skopeo reads it, umoci unpacks it, and its binary serves /api/v1/health from its own root", async () => {
  const dir = tempDir();
  const binary = join(dir, "session-auth");
  const build = run([process.execPath, "build", join(ROOT, "src/main.ts"), ...SERVER_BUILD_FLAGS, "--outfile", binary]);
  expect(build.exitCode).toBe(0);
  const layout = join(dir, "image");
  const { manifestDigest } = buildImage(binary, layout, "9.8.7");

  const inspected = JSON.parse(run(["skopeo", "inspect", `oci:${layout}:latest`]).out);
  expect(inspected).toMatchObject({ Digest: manifestDigest, Os: "linux", Labels: { "org.opencontainers.image.version": "9.8.7", "org.opencontainers.image.title": "session-auth" } });
  expect(inspected.Layers).toHaveLength(1);
  expect(JSON.parse(run(["skopeo", "inspect", `oci-archive:${layout}.tar:9.8.7`]).out).Digest).toBe(manifestDigest);
  const config = JSON.parse(run(["skopeo", "inspect", "--raw", "--config", `oci:${layout}:latest`]).out).config;
  expect(config).toMatchObject({
    User: `${IMAGE_USER.uid}:${IMAGE_USER.gid}`,
    Entrypoint: [BINARY_PATH],
    Cmd: ["serve"],
    ExposedPorts: { [`${IMAGE_PORT}/tcp`]: {} },
    Volumes: { "/data": {} },
    Healthcheck: { Test: ["CMD", BINARY_PATH, "healthcheck"] },
  });
  expect(config.Env).toContain("DATA_DIR=/data");

  const bundle = join(dir, "bundle");
  const unpacked = run(["umoci", "unpack", "--image", `${layout}:latest`, bundle]);
  expect(unpacked.exitCode).toBe(0);
  const rootfs = join(bundle, "rootfs");
  expect(readFileSync(join(rootfs, "etc/passwd"), "utf8")).toContain(`session-auth:x:${IMAGE_USER.uid}:${IMAGE_USER.gid}:`);
  const data = statSync(join(rootfs, "data"));
  expect([data.uid, data.gid, data.mode & 0o777]).toEqual([IMAGE_USER.uid, IMAGE_USER.gid, 0o750]);
  expect(statSync(join(rootfs, BINARY_PATH.slice(1))).mode & 0o111).not.toBe(0);

  const port = freePort();
  const env = { API_HOST: "127.0.0.1", API_PORT: String(port), DATA_DIR: "/data", AUTH_TYPE: "session_db_auth" };
  const server = Bun.spawn(inRootfs(rootfs, ["serve"]), { env: { PATH: process.env.PATH ?? "", ...env }, stdout: "pipe", stderr: "pipe" });
  children.push(server);
  let health: { status: number; body: unknown } | null = null;
  for (let i = 0; i < 100 && health === null; i++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`);
      health = { status: response.status, body: await response.json() };
    } catch {
      await Bun.sleep(100);
    }
  }
  expect(health).toEqual({ status: 200, body: { checks: { data_dir: "ok" }, status: "ok" } });
  const check = run(inRootfs(rootfs, ["healthcheck"]), env);
  expect([check.exitCode, check.out]).toEqual([0, `healthy (http://127.0.0.1:${port}/api/v1/health: 200; data_dir: ok)\n`]);
  expect((await fetch(`http://127.0.0.1:${port}/api/v1/users`)).status).toBe(401);
  stopInRootfs(server);
  expect(await server.exited).toBe(0);
}, 120_000);
