/** The excluded-paths test of `Auth.requireAuth`, with each list prepared once and its answers kept. */
import { normalizePath } from "../http/router.ts";

/** An excluded-paths list, prepared once: exact paths (normalized) and `*` prefixes, and the answers given lately. */
interface PreparedExclusions {
  exact: Set<string>;
  prefixes: string[];
  answers: Map<string, boolean>;
}

/** How many paths' answers an excluded-paths list keeps. */
const EXCLUSION_ANSWERS = 256;

export class ExcludedPaths {
  private readonly prepared = new WeakMap<readonly string[], PreparedExclusions>();

  /**
   * False when `path` is one of `excludedPaths`, compared with or without a trailing slash;
   * an entry ending in `*` excludes every path that starts with what comes before the `*`.
   */
  requireAuth(path: string | null | undefined, excludedPaths: readonly string[] | null | undefined): boolean {
    if (typeof path !== "string" || !excludedPaths || excludedPaths.length === 0) return true;
    const prepared = this.prepare(excludedPaths);
    let required = prepared.answers.get(path);
    if (required === undefined) {
      required = !prepared.exact.has(normalizePath(path)) && !prepared.prefixes.some((prefix) => path.startsWith(prefix));
      // Paths are the client's to choose: only a bounded number of answers is kept.
      if (prepared.answers.size >= EXCLUSION_ANSWERS) prepared.answers.clear();
      prepared.answers.set(path, required);
    }
    return required;
  }

  /** The guard passes the same list on every request; normalize it once. */
  private prepare(excludedPaths: readonly string[]): PreparedExclusions {
    let prepared = this.prepared.get(excludedPaths);
    if (!prepared) {
      prepared = { exact: new Set(), prefixes: [], answers: new Map() };
      for (const excluded of excludedPaths) {
        if (excluded.endsWith("*")) prepared.prefixes.push(excluded.slice(0, -1));
        else prepared.exact.add(normalizePath(excluded));
      }
      // A caller may change its array later; only frozen lists are kept.
      if (Object.isFrozen(excludedPaths)) this.prepared.set(excludedPaths, prepared);
    }
    return prepared;
  }
}
