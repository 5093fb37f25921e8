/**
 * The routes an operator's tools call, outside the request guard: `GET /api/v1/health` always,
 * `GET /metrics` on the public port with METRICS=1, or on a server of its own at METRICS_LISTEN.
 */
import { type ApiRouter, PUBLIC } from "../api/v1/context.ts";
import type { Config } from "../config.ts";
import { backendCheck, dataDirCheck, type Health, type HealthCheck, healthResponse } from "./health.ts";
import type { AppMetrics } from "../metrics/app-metrics.ts";
import { type Stores, usesDataDir } from "../storage/stores.ts";

export const HEALTH_PATH = "/api/v1/health";
export const METRICS_PATH = "/metrics";

/** An id no user has and a key no client is counted under: a backend looks each up and finds nothing. */
const PROBE_ID = "00000000-0000-0000-0000-health-check";

/** What the health route checks: the data folder where files are kept, and each backend in use. */
export function operationsChecks(config: Config, stores: Stores): Map<string, HealthCheck> {
  const checks = new Map<string, HealthCheck>();
  if (usesDataDir(config)) checks.set("data_dir", dataDirCheck(config.dataDir));
  // A lookup by primary key: through the store's own time limit and back-off, as requests go.
  if (config.databaseUrl !== null) checks.set("postgresql", backendCheck(() => stores.users.get(PROBE_ID, { fresh: true })));
  // The attempt counts live in Redis whenever REDIS_URL is set; clearing one no client has is a DEL of nothing.
  if (config.redisUrl !== null) checks.set("redis", backendCheck(() => stores.counters.clear("client", PROBE_ID)));
  return checks;
}

export function metricsResponse(metrics: AppMetrics): Response {
  return new Response(metrics.expose(), { headers: { "Content-Type": metrics.contentType, "Cache-Control": "no-store" } });
}

export function registerOperationsRoutes(router: ApiRouter, { metrics, health }: { metrics: AppMetrics | null; health: Health }): void {
  // Load balancers, container runtimes and Prometheus carry no credentials.
  router.add("GET", HEALTH_PATH, () => health.report().then(healthResponse), PUBLIC);
  // Without metrics here, a scraper still gets a plain 404 rather than the guard's 401.
  if (metrics !== null) router.add("GET", METRICS_PATH, () => metricsResponse(metrics), PUBLIC);
  else router.declarePublic(METRICS_PATH);
}

/** METRICS_LISTEN: /metrics alone, on an address of its own (a 404 for any other path). */
export function startMetricsServer(listen: { host: string; port: number }, metrics: AppMetrics): ReturnType<typeof Bun.serve> {
  return Bun.serve({
    hostname: listen.host,
    port: listen.port,
    development: false,
    fetch(request) {
      const path = new URL(request.url).pathname;
      if (path !== METRICS_PATH && path !== `${METRICS_PATH}/`) return new Response("Not found\n", { status: 404 });
      if (request.method !== "GET" && request.method !== "HEAD") return new Response("Method not allowed\n", { status: 405, headers: { Allow: "GET, HEAD" } });
      return metricsResponse(metrics);
    },
  });
}
