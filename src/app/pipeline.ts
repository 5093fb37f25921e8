/**
 * One request's way through the server: preflight and size checks, the cross-site refusal, the
 * request guard (for paths no route declared public), the router, the handler; errors become
 * responses through ErrorResponses; then the access log line. Never throws.
 */
import type { Handler } from "../api/v1/context.ts";
import { VERIFY_PATH } from "../api/v1/verify.ts";
import type { Auth } from "../auth/auth.ts";
import type { Config } from "../config.ts";
import type { UserRecord } from "../domain/user.ts";
import { declaresTooLarge, TOO_LARGE_MESSAGE } from "../http/body.ts";
import { clientAddress } from "../http/client-address.ts";
import { CROSS_SITE_REFUSED, type CrossSitePolicy, crossSiteRefusal } from "../http/cross-site.ts";
import { HttpError, html, jsonError, METHOD_NOT_ALLOWED_PAGE } from "../http/responses.ts";
import { pathnameOf, type Router } from "../http/router.ts";
import type { Logger } from "../logger.ts";
import { andThen } from "../maybe-promise.ts";
import { type AppMetrics, UNMATCHED_ROUTE } from "../metrics/app-metrics.ts";
import type { ErrorResponses } from "./error-responses.ts";

const API_PREFIX = "/api/v1/";
const CORS_ALLOWED_HEADERS = "Authorization, Content-Type";

export interface PipelineParts {
  config: Config;
  router: Router<Handler>;
  auth: Auth | null;
  /** Only strategies with sessions have a cookie a page on another site could ride on. */
  crossSite: CrossSitePolicy | null;
  errors: ErrorResponses;
  logger: Logger;
  /** Counted only when metrics are on. */
  metrics?: AppMetrics | null;
}

export class Pipeline {
  constructor(private readonly parts: PipelineParts) {}

  /** Answers one request; never throws. `peer` is the socket's IP address. */
  handle(request: Request, peer?: string): Response | Promise<Response> {
    const started = performance.now();
    const path = pathnameOf(request.url);
    const client = clientAddress(request, peer, this.parts.config.trustProxy);
    let result: Response | Promise<Response>;
    try {
      result = this.dispatch(request, path, client);
    } catch (error) {
      result = this.parts.errors.response(error);
    }
    // Routes that need no waiting are answered without a promise.
    if (result instanceof Promise) {
      return result.then(
        (response) => this.finish(request, path, response, started, client),
        (error) => this.finish(request, path, this.parts.errors.response(error), started, client),
      );
    }
    return this.finish(request, path, result, started, client);
  }

  private finish(request: Request, path: string, response: Response, started: number, client: string): Response {
    // Responses carry the CORS header from the start; only paths outside the API drop it.
    if (!path.startsWith(API_PREFIX)) response.headers.delete("Access-Control-Allow-Origin");
    const durationMs = performance.now() - started;
    this.parts.logger.request({ client, method: request.method, path, status: response.status, durationMs });
    if (this.parts.metrics) this.count(this.parts.metrics, request.method, path, response, durationMs);
    return response;
  }

  /** The request's metrics: its route pattern (the router's match is cached), status and time. */
  private count(metrics: AppMetrics, method: string, path: string, response: Response, durationMs: number): void {
    const match = this.parts.router.match(method === "HEAD" ? "GET" : method, path);
    metrics.request(method, match.kind === "not-found" ? UNMATCHED_ROUTE : match.route, response.status, durationMs / 1000);
    if (match.kind === "found" && match.route === VERIFY_PATH) metrics.verify(response);
  }

  private dispatch(request: Request, path: string, client: string): Response | Promise<Response> {
    const { config, crossSite, auth, router } = this.parts;
    // A CORS preflight carries no credentials, so it is answered before the guard.
    if (request.method === "OPTIONS") return this.options(path);
    // Refused before anything else is done for it, and the connection closed rather than drained.
    // GET and HEAD bodies are never read (the most frequent requests skip the header lookup).
    const method = request.method;
    if (method !== "GET" && method !== "HEAD" && declaresTooLarge(request, config.maxBodyBytes)) return jsonError(413, TOO_LARGE_MESSAGE, { Connection: "close" });
    if (crossSite !== null) {
      const refusal = crossSiteRefusal(request, path, crossSite);
      if (refusal !== null) {
        // Said in the log, where an operator whose own page is refused (a proxy that does not pass the Host on) looks.
        this.parts.logger.info(`cross-site ${refusal.login ? "login" : "request"} refused: ${refusal.reason}`, { event: "cross-site-refused" });
        return jsonError(403, CROSS_SITE_REFUSED);
      }
    }
    if (auth && auth.requireAuth(path, router.publicPaths())) return this.guarded(auth, request, path, client);
    return this.route(request, path, null, client);
  }

  /**
   * The request guard: 401 without credentials, 403 when they name nobody. Those are the most
   * frequent refusals, so they are answered directly rather than thrown. Stores held in memory
   * answer at once, and then no promise is made.
   */
  private guarded(auth: Auth, request: Request, path: string, client: string): Response | Promise<Response> {
    if (auth.authorizationHeader(request) === null && auth.sessionCookie(request) === null) return jsonError(401, "Unauthorized");
    return andThen(auth.currentUser(request, client), (user) => (user ? this.route(request, path, user, client) : jsonError(403, "Forbidden")));
  }

  private route(request: Request, path: string, currentUser: UserRecord | null, client: string): Response | Promise<Response> {
    const match = this.parts.router.match(request.method, path);
    if (match.kind === "not-found") throw new HttpError(404, "Not found");
    if (match.kind === "method-not-allowed") {
      return html(METHOD_NOT_ALLOWED_PAGE, 405, { Allow: match.allow.join(", ") });
    }
    return match.handler({ request, params: match.params, currentUser, clientAddress: client });
  }

  private options(path: string): Response {
    const match = this.parts.router.match("OPTIONS", path);
    if (match.kind !== "method-not-allowed") return jsonError(404, "Not found");
    const allow = match.allow.join(", ");
    return new Response(null, {
      status: 200,
      // A browser reads a preflight's answer only when it names the origin (any, as every API answer does).
      headers: { Allow: allow, "Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": allow, "Access-Control-Allow-Headers": CORS_ALLOWED_HEADERS, "Access-Control-Max-Age": "600" },
    });
  }
}
