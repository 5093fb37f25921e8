/**
 * The route table: method + path pattern → handler. Patterns are slash tolerant
 * (`/users` and `/users/` are one route) and take `:name` parameters for whole segments; and
 * the path of a request URL, read without parsing the whole URL.
 */

export type RouteMatch<H> =
  /** `route`: the pattern the path matched, as added (without a trailing slash). */
  | { kind: "found"; handler: H; params: Record<string, string>; route: string }
  | { kind: "method-not-allowed"; allow: string[]; route: string }
  | { kind: "not-found" };

interface PatternRoute<H> {
  segments: readonly string[];
  handlers: Map<string, H>;
}

const NOT_FOUND = { kind: "not-found" } as const;
const NO_PARAMS: Record<string, string> = Object.freeze(Object.create(null));

/** How many distinct parameterised paths keep their match; the rest are matched afresh. */
const MATCH_CACHE_SIZE = 1024;

export class Router<H> {
  private readonly staticRoutes = new Map<string, Map<string, H>>();
  /** normalized static path → method → its match, made once: the most frequent requests allocate nothing here. */
  private readonly staticMatches = new Map<string, Map<string, RouteMatch<H>>>();
  private readonly patternRoutes: PatternRoute<H>[] = [];
  /** normalized path → its route and frozen params, for paths like /users/me asked for again and again. */
  private readonly patternMatches = new Map<string, { handlers: Map<string, H>; params: Record<string, string>; route: string } | null>();

  /** The paths routes declared public, as the guard's excluded-paths list; made again after each declaration. */
  private publicList: readonly string[] = Object.freeze([]);
  private readonly publicSet = new Set<string>();

  /**
   * Registers `handler` for `method` on `pattern`. A public route (`{ public: true }`) is
   * answered without credentials: the request guard's excluded paths are the public routes'.
   */
  add(method: string, pattern: string, handler: H, options: { public?: boolean } = {}): this {
    if (options.public) this.declarePublic(pattern);
    const normalized = normalizePath(pattern);
    const handlers = normalized.includes("/:") ? this.patternHandlers(normalized) : this.staticHandlers(normalized);
    const upper = method.toUpperCase();
    if (handlers.has(upper)) throw new Error(`duplicate route ${upper} ${pattern}`);
    handlers.set(upper, handler);
    this.patternMatches.clear();
    this.staticMatches.clear();
    return this;
  }

  /**
   * Declares a path public for every method: the guard lets it through, and the router answers
   * it (404 when nothing is registered there). A pattern with parameters is public from its
   * first parameter on (`/a/:b/c` → `/a/*`).
   */
  declarePublic(pattern: string): this {
    const normalized = normalizePath(pattern);
    const parameter = normalized.indexOf("/:");
    const entry = parameter === -1 ? (normalized === "/" ? "/" : `${normalized}/`) : `${normalized.slice(0, parameter)}/*`;
    if (!this.publicSet.has(entry)) {
      this.publicSet.add(entry);
      // Frozen, so that the guard prepares it once (ExcludedPaths keeps frozen lists only).
      this.publicList = Object.freeze([...this.publicSet]);
    }
    return this;
  }

  /** The excluded paths of `Auth.requireAuth`: one entry per public path, slash-ended, `*` for a prefix. */
  publicPaths(): readonly string[] {
    return this.publicList;
  }

  match(method: string, path: string): RouteMatch<H> {
    const normalized = normalizePath(path);
    const exact = this.staticRoutes.get(normalized);
    if (exact) {
      let byMethod = this.staticMatches.get(normalized);
      if (!byMethod) this.staticMatches.set(normalized, (byMethod = new Map()));
      let match = byMethod.get(method);
      if (!match) {
        match = pick(exact, method, NO_PARAMS, normalized);
        // Only methods the route knows are kept: any other text can be sent as a method.
        if (match.kind === "found") byMethod.set(method, match);
      }
      return match;
    }
    if (this.patternRoutes.length === 0) return NOT_FOUND;
    let found = this.patternMatches.get(normalized);
    if (found === undefined) {
      found = this.matchPattern(normalized);
      if (this.patternMatches.size >= MATCH_CACHE_SIZE) this.patternMatches.delete(this.patternMatches.keys().next().value!);
      this.patternMatches.set(normalized, found);
    }
    return found ? pick(found.handlers, method, found.params, found.route) : NOT_FOUND;
  }

  private matchPattern(path: string): { handlers: Map<string, H>; params: Record<string, string>; route: string } | null {
    const segments = path.split("/");
    for (const route of this.patternRoutes) {
      const params = matchSegments(route.segments, segments);
      if (params) return { handlers: route.handlers, params: Object.freeze(params), route: route.segments.join("/") };
    }
    return null;
  }

  private staticHandlers(path: string): Map<string, H> {
    let handlers = this.staticRoutes.get(path);
    if (!handlers) this.staticRoutes.set(path, (handlers = new Map()));
    return handlers;
  }

  private patternHandlers(path: string): Map<string, H> {
    const segments = path.split("/");
    const same = this.patternRoutes.find((route) => route.segments.join("/") === segments.join("/"));
    if (same) return same.handlers;
    const route: PatternRoute<H> = { segments, handlers: new Map() };
    this.patternRoutes.push(route);
    return route.handlers;
  }
}

/** One trailing slash is dropped, so a route answers with or without it. */
export function normalizePath(path: string): string {
  return path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path;
}

function pick<H>(handlers: Map<string, H>, method: string, params: Record<string, string>, route: string): RouteMatch<H> {
  const handler = handlers.get(method) ?? (method === "HEAD" ? handlers.get("GET") : undefined);
  if (handler !== undefined) return { kind: "found", handler, params, route };
  return { kind: "method-not-allowed", allow: allowedMethods(handlers), route };
}

/** What Flask lists in `Allow`: the routes' methods, HEAD with GET, and OPTIONS. */
function allowedMethods<H>(handlers: Map<string, H>): string[] {
  const allow = [...handlers.keys()];
  if (handlers.has("GET") && !handlers.has("HEAD")) allow.push("HEAD");
  allow.push("OPTIONS");
  return allow;
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (pattern.length !== segments.length) return null;
  const params: Record<string, string> = Object.create(null);
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i]!;
    const actual = segments[i]!;
    if (expected.startsWith(":")) {
      if (actual === "") return null;
      params[expected.slice(1)] = decodeSegment(actual);
    } else if (expected !== actual) {
      return null;
    }
  }
  return params;
}

function decodeSegment(segment: string): string {
  if (segment.indexOf("%") === -1) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The path of an absolute request URL, without parsing the whole URL. */
export function pathnameOf(url: string): string {
  // Bun passes a bare path on when a request (HTTP/1.0, a health checker) names no Host.
  const start = url.startsWith("/") ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  const hash = url.indexOf("#", start);
  const end = query === -1 ? (hash === -1 ? url.length : hash) : query;
  return url.slice(start, end);
}
