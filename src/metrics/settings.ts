/** METRICS and METRICS_LISTEN, read for config.ts: where /metrics is served, if anywhere. */

/** null: off; `public`: /metrics on API_PORT; else only on this address (never on the public port). */
export type MetricsListen = null | "public" | { host: string; port: number };

/**
 * METRICS=1 serves them on API_PORT; METRICS_LISTEN=HOST:PORT on that address only, and turns
 * them on by itself. `fail` is called with the message for a value that cannot be used.
 */
export function metricsListen(on: boolean, flag: string | undefined, listen: string | undefined, fail: (message: string) => never): MetricsListen {
  if (listen === undefined || listen === "") return on ? "public" : null;
  if (flag !== undefined && flag !== "" && !on) fail("METRICS=0 and METRICS_LISTEN contradict each other: unset one");
  const match = /^(\[[^\]]+\]|[^:/@[\]\s]+):(\d{1,5})$/.exec(listen);
  const port = Number(match?.[2]);
  let host: string | null = null;
  try {
    host = match ? new URL(`http://${match[1]}/`).hostname : null;
  } catch {
    host = null;
  }
  if (host === null || host === "" || !(port <= 65535)) fail(`METRICS_LISTEN must be HOST:PORT, such as 127.0.0.1:9959 or [::1]:9959, not ${JSON.stringify(listen)}`);
  return { host: host.replace(/^\[(.*)\]$/, "$1"), port };
}
