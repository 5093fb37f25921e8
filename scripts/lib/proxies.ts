/**
 * nginx and Caddy as throwaway processes on 127.0.0.1, configured by the files of examples/
 * with their {{…}} filled in: the forward-auth tests and the benchmark run the documented
 * configurations themselves.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./spawn-server.ts";

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
