/**
 * `session-auth healthcheck`: asks the server that API_HOST and API_PORT name for
 * /api/v1/health; exit 0 when it answers 200, 1 otherwise. For a container's HEALTHCHECK line:
 * the image needs no curl.
 */
import { type Env, loadConfig } from "../config.ts";
import { type CliIo, usage } from "./common.ts";

export const HEALTHCHECK_HELP = `Usage: session-auth healthcheck [--timeout SECONDS]

Asks the server at API_HOST:API_PORT (0.0.0.0 and :: mean this machine) for /api/v1/health.
Exit 0 when it answers 200 (healthy), 1 when it answers otherwise or not within the time limit
(default 5 seconds). Prints the answer's checks.
`;

/** The address to ask: a wildcard listen address is reached on the loopback. */
export function healthUrl(host: string, port: number): string {
  const local = host === "0.0.0.0" ? "127.0.0.1" : host === "::" || host === "[::]" ? "::1" : host;
  return `http://${local.includes(":") ? `[${local}]` : local}:${port}/api/v1/health`;
}

export async function healthcheckCommand(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  let timeoutSeconds = 5;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") {
      io.out(HEALTHCHECK_HELP);
      return 0;
    }
    const value = arg === "--timeout" ? argv[++i] : arg.startsWith("--timeout=") ? arg.slice("--timeout=".length) : undefined;
    if (value === undefined || !/^\d{1,4}(\.\d+)?$/.test(value) || Number(value) <= 0) throw usage(`healthcheck takes --timeout SECONDS only, not ${JSON.stringify(arg)}`);
    timeoutSeconds = Number(value);
  }
  const config = loadConfig(env);
  const url = healthUrl(config.host, config.port);
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000), redirect: "manual" });
    const text = await response.text();
    let checks = "";
    try {
      const body = JSON.parse(text) as { status?: string; checks?: Record<string, string> };
      checks = Object.entries(body.checks ?? {}).map(([name, state]) => `${name}: ${state}`).join(", ");
    } catch {
      checks = `HTTP ${response.status}`;
    }
    const line = `${response.status === 200 ? "healthy" : "unhealthy"} (${url}: ${response.status}${checks ? `; ${checks}` : ""})\n`;
    if (response.status === 200) {
      io.out(line);
      return 0;
    }
    io.err(line);
    return 1;
  } catch (error) {
    const reason = (error as Error).name === "TimeoutError" ? `no answer within ${timeoutSeconds} s` : (error as Error).message;
    io.err(`unhealthy (${url}: ${reason})\n`);
    return 1;
  }
}
