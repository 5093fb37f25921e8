/**
 * nginx and Caddy as throwaway processes on 127.0.0.1, configured by the files of examples/
 * with their {{…}} filled in: the forward-auth tests and the benchmark run the documented
 * configurations themselves.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, ROOT } from "./spawn-server.ts";

export const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((path) => existsSync(path));
export const CADDY = ["/usr/bin/caddy", "/usr/local/bin/caddy"].find((path) => existsSync(path));

/** A file of examples/ with every {{NAME}} filled in; a name without a value is an error. */
export function fillExample(example: string, values: Record<string, string>): string {
  return readFileSync(join(ROOT, "examples", example), "utf8").replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no value for {{${name}}}`);
    return values[name]!;
  });
}

/** Waits until something answers HTTP on the port. */
export async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`, { redirect: "manual" });
      return;
    } catch {
      await Bun.sleep(50);
    }
  }
  throw new Error(`nothing answers on ${port}`);
}

/** Runs a proxy with a configuration (the text of a filled example) in `dir`; `prefix` goes before the command (taskset). */
export function startProxy(proxy: "nginx" | "caddy", dir: string, config: string, prefix: readonly string[] = []): ReturnType<typeof Bun.spawn> {
  if (proxy === "nginx") {
    writeFileSync(join(dir, "nginx.conf"), config);
    return Bun.spawn([...prefix, NGINX!, "-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], { stdout: "ignore", stderr: "pipe" });
  }
  mkdirSync(join(dir, "caddy"), { recursive: true });
  writeFileSync(join(dir, "Caddyfile"), config);
  return Bun.spawn([...prefix, CADDY!, "run", "--config", join(dir, "Caddyfile"), "--adapter", "caddyfile"], {
    stdout: "ignore",
    stderr: "pipe",
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
}

/** Stops a proxy set-up: the proxy first, then the app behind it, then session-auth. */
export async function stopSetup(proxy: ReturnType<typeof Bun.spawn>, app: { stop(force?: boolean): unknown }, server: { process: ReturnType<typeof Bun.spawn> }): Promise<void> {
  proxy.kill("SIGTERM");
  await proxy.exited;
  app.stop(true);
  server.process.kill("SIGTERM");
  await server.process.exited;
}

/**
 * The one fenced block of `lang` (nginx, caddyfile) in README.md's section "Protect an app with
 * session-auth": the configuration a reader copies.
 */
export function readmeConfig(lang: "nginx" | "caddyfile"): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const start = readme.indexOf("\n## Protect an app with session-auth\n");
  if (start < 0) throw new Error("README.md has no section Protect an app with session-auth");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(new RegExp(`\\n\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\`\\n`, "g"))].map((match) => match[1]!);
  if (blocks.length !== 1) throw new Error(`README.md's Protect an app has ${blocks.length} ${lang} blocks, not one`);
  return blocks[0]!;
}

/** Where a README configuration runs in a test: one port on 127.0.0.1 for every host name in it. */
export interface LocalSetting {
  dir: string;
  port: number;
  /** session-auth's address (host:port), for the README's 127.0.0.1:5000. */
  sessionAuth: string;
  /** The app's address (host:port), for the README's 127.0.0.1:8080. */
  app: string;
}

/** Replaces every `from` (there must be one) by `to`. */
function replaceAll(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the configuration has no ${from}`);
  return text.split(from).join(to);
}

/**
 * A README configuration made runnable on 127.0.0.1 as the README says: session-auth's and the
 * app's addresses replaced, nginx's `listen 80;` made `listen 127.0.0.1:PORT;` inside a main file
 * of paths in `dir`, Caddy's port for http:// sites set by a global options block in front.
 */
export function localConfig(proxy: "nginx" | "caddy", text: string, setting: LocalSetting): string {
  const config = replaceAll(replaceAll(text, "127.0.0.1:5000", setting.sessionAuth), "127.0.0.1:8080", setting.app);
  const dir = setting.dir;
  if (proxy === "nginx") {
    const body = replaceAll(config, "listen 80;", `listen 127.0.0.1:${setting.port};`);
    return [
      "worker_processes 1;",
      "daemon off;",
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log;`,
      "events { worker_connections 256; }",
      "http {",
      "  access_log off;",
      ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) => `  ${kind}_temp_path ${dir}/${kind};`),
      body,
      "}",
      "",
    ].join("\n");
  }
  // https_port is a free port of its own, so that a site that turned on automatic HTTPS would
  // show as redirects to it, not as a failure to bind 443.
  return `{\n\tadmin off\n\thttp_port ${setting.port}\n\thttps_port ${freePort()}\n\tdefault_bind 127.0.0.1\n\tstorage file_system ${dir}/caddy\n}\n\n${config}\n`;
}
