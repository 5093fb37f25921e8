/**
 * A container image without Docker: dist/session-auth and the C libraries it links against in
 * one layer, with a non-root user (uid 10001, in the layer's /etc/passwd), /data as the data
 * folder, the port and a HEALTHCHECK in the config. Written as an OCI image layout (dist/image/)
 * and the same as one tar archive (dist/image.tar), for `podman load`, `skopeo copy`
 * or a registry push. The tar, the gzip and the digests are made here; the layer is the same
 * bytes for the same binary (fixed times, owners and order).
 *
 *   npm run image            (bun run build, then this: BINARY=… and OUT=… override the paths)
 */
import { mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };
import { ROOT } from "./lib/spawn-server.ts";

export const IMAGE_USER = { name: "session-auth", uid: 10001, gid: 10001 };
export const IMAGE_PORT = 5000;
export const BINARY_PATH = "/usr/local/bin/session-auth";
/** Every file's modification time: the same layer digest for the same binary. */
const EPOCH = 1_700_000_000;

interface Entry {
  path: string;
  type: "file" | "dir";
  mode: number;
  uid?: number;
  gid?: number;
  data?: Uint8Array;
}

/** One 512-byte ustar header. */
function tarHeader(entry: Entry): Uint8Array {
  const header = new Uint8Array(512);
  const encoder = new TextEncoder();
  const put = (offset: number, length: number, text: string) => header.set(encoder.encode(text).subarray(0, length), offset);
  const octal = (offset: number, length: number, value: number) => put(offset, length, `${value.toString(8).padStart(length - 1, "0")}\0`);
  const name = entry.type === "dir" ? `${entry.path}/` : entry.path;
  if (encoder.encode(name).length > 100) throw new Error(`path too long for a plain ustar header: ${name}`);
  put(0, 100, name);
  octal(100, 8, entry.mode);
  octal(108, 8, entry.uid ?? 0);
  octal(116, 8, entry.gid ?? 0);
  octal(124, 12, entry.type === "file" ? entry.data!.length : 0);
  octal(136, 12, EPOCH);
  put(148, 8, "        ");
  put(156, 1, entry.type === "dir" ? "5" : "0");
  put(257, 6, "ustar\0");
  put(263, 2, "00");
  put(265, 32, entry.uid ? IMAGE_USER.name : "root");
  put(297, 32, entry.gid ? IMAGE_USER.name : "root");
  let sum = 0;
  for (const byte of header) sum += byte;
  put(148, 8, `${sum.toString(8).padStart(6, "0")}\0 `);
  return header;
}

/** A tar archive: each entry's header and its data padded to 512 bytes, then two empty blocks. */
export function tar(entries: readonly Entry[]): Uint8Array<ArrayBuffer> {
  let size = 1024;
  for (const entry of entries) size += 512 + (entry.type === "file" ? Math.ceil(entry.data!.length / 512) * 512 : 0);
  const out = new Uint8Array(size);
  let offset = 0;
  for (const entry of entries) {
    out.set(tarHeader(entry), offset);
    offset += 512;
    if (entry.type === "file") {
      out.set(entry.data!, offset);
      offset += Math.ceil(entry.data!.length / 512) * 512;
    }
  }
  return out;
}

function sha256(data: Uint8Array | string): string {
  return `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;
}

/** The shared libraries `ldd` names for the binary (the loader included), each at the path it is asked for. */
export function linkedLibraries(binary: string): string[] {
  const run = Bun.spawnSync(["ldd", binary], { stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`ldd ${binary} failed: ${run.stderr.toString()}`);
  const paths = new Set<string>();
  for (const line of run.stdout.toString().split("\n")) {
    const path = /=>\s*(\/\S+)/.exec(line)?.[1] ?? /^\s*(\/\S+)/.exec(line)?.[1];
    if (path) paths.add(path);
  }
  return [...paths].sort();
}

/** The layer's entries: folders (parents first), the user, the binary and its libraries. */
export function layerEntries(binary: string): Entry[] {
  // /proc is where a runtime (or `unshare --mount-proc`) mounts it: the binary reads itself through /proc/self/exe.
  const dirs = new Set<string>(["etc", "data", "proc", "tmp", "usr", "usr/local", "usr/local/bin"]);
  const files: Entry[] = [];
  const text = (s: string) => new TextEncoder().encode(s);
  const { name, uid, gid } = IMAGE_USER;
  files.push({ path: "etc/passwd", type: "file", mode: 0o644, data: text(`root:x:0:0:root:/root:/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:/data:/sbin/nologin\n`) });
  files.push({ path: "etc/group", type: "file", mode: 0o644, data: text(`root:x:0:\n${name}:x:${gid}:\n`) });
  files.push({ path: "etc/nsswitch.conf", type: "file", mode: 0o644, data: text("passwd: files\ngroup: files\nhosts: files dns\n") });
  files.push({ path: "etc/hosts", type: "file", mode: 0o644, data: text("127.0.0.1 localhost\n::1 localhost\n") });
  files.push({ path: BINARY_PATH.slice(1), type: "file", mode: 0o755, data: readFileSync(binary) });
  for (const library of linkedLibraries(binary)) {
    const path = library.slice(1);
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
    files.push({ path, type: "file", mode: 0o755, data: readFileSync(realpathSync(library)) });
  }
  const dirEntries: Entry[] = [...dirs].sort().map((path) =>
    path === "data" ? { path, type: "dir", mode: 0o750, uid, gid } : path === "tmp" ? { path, type: "dir", mode: 0o1777 } : { path, type: "dir", mode: 0o755 },
  );
  return [...dirEntries, ...files.sort((a, b) => (a.path < b.path ? -1 : 1))];
}

const MEDIA = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
};

/** Seconds in Go's duration units (nanoseconds), as the config's Healthcheck takes them. */
const seconds = (n: number) => n * 1_000_000_000;

/** The image config: user, entry point, environment, port, data volume and health check. */
export function imageConfig(diffId: string, version: string): Record<string, unknown> {
  return {
    architecture: process.arch === "arm64" ? "arm64" : "amd64",
    os: "linux",
    created: new Date(EPOCH * 1000).toISOString(),
    config: {
      User: `${IMAGE_USER.uid}:${IMAGE_USER.gid}`,
      Entrypoint: [BINARY_PATH],
      Cmd: ["serve"],
      Env: ["PATH=/usr/local/bin", "API_HOST=0.0.0.0", `API_PORT=${IMAGE_PORT}`, "DATA_DIR=/data"],
      WorkingDir: "/data",
      ExposedPorts: { [`${IMAGE_PORT}/tcp`]: {} },
      Volumes: { "/data": {} },
      StopSignal: "SIGTERM",
      // Docker's field (the OCI config has none): what `HEALTHCHECK CMD session-auth healthcheck` writes.
      Healthcheck: { Test: ["CMD", BINARY_PATH, "healthcheck"], Interval: seconds(30), Timeout: seconds(5), StartPeriod: seconds(5), Retries: 3 },
      Labels: {
        "org.opencontainers.image.title": "session-auth",
        "org.opencontainers.image.version": version,
        "org.opencontainers.image.description": pkg.description,
        "org.opencontainers.image.licenses": pkg.license,
      },
    },
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created: new Date(EPOCH * 1000).toISOString(), created_by: "scripts/image.ts: the binary, its libraries, a non-root user, /data" }],
  };
}

/** Writes the OCI layout to `out` and the same as `${out}.tar`; returns the manifest's digest. */
export function buildImage(binary: string, out: string, version: string = pkg.version): { manifestDigest: string; layerBytes: number } {
  rmSync(out, { recursive: true, force: true });
  const blobs = join(out, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const blob = (data: Uint8Array | string) => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest.slice("sha256:".length)), data);
    return { digest, size: typeof data === "string" ? Buffer.byteLength(data) : data.length };
  };
  const layerTar = tar(layerEntries(binary));
  const layer = blob(Bun.gzipSync(layerTar, { level: 6 }));
  const config = blob(JSON.stringify(imageConfig(sha256(layerTar), version)));
  const manifest = blob(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, ...config },
      layers: [{ mediaType: MEDIA.layer, ...layer }],
      annotations: { "org.opencontainers.image.version": version },
    }),
  );
  writeFileSync(join(out, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const refs = ["latest", version];
  writeFileSync(
    join(out, "index.json"),
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: refs.map((ref) => ({ mediaType: MEDIA.manifest, ...manifest, annotations: { "org.opencontainers.image.ref.name": ref } })) }),
  );
  // The same layout as one archive (`podman load -i`, `skopeo copy oci-archive:…`).
  const files: Entry[] = [{ path: "blobs", type: "dir", mode: 0o755 }, { path: "blobs/sha256", type: "dir", mode: 0o755 }];
  for (const name of ["oci-layout", "index.json"]) files.push({ path: name, type: "file", mode: 0o644, data: readFileSync(join(out, name)) });
  for (const name of readdirSync(blobs).sort()) files.push({ path: `blobs/sha256/${name}`, type: "file", mode: 0o644, data: readFileSync(join(blobs, name)) });
  writeFileSync(`${out}.tar`, tar(files));
  return { manifestDigest: manifest.digest, layerBytes: layer.size };
}

if (import.meta.main) {
  const binary = process.env.BINARY ?? join(ROOT, "dist", "session-auth");
  const out = process.env.OUT ?? join(ROOT, "dist", "image");
  const { manifestDigest, layerBytes } = buildImage(binary, out);
  console.log(`${out} (OCI layout) and ${out}.tar: session-auth:${pkg.version} ${manifestDigest}, layer ${(layerBytes / 1e6).toFixed(1)} MB`);
}
