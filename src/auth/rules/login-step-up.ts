/**
 * The access rules as the server opens them (a bad file is a configuration error: start-up stops
 * with its one line), and what the login page makes of a return address under them.
 */
import { ConfigError, type Config } from "../../config.ts";
import type { Logger } from "../../logger.ts";
import type { MaybePromise } from "../../maybe-promise.ts";
import { andThen } from "../../maybe-promise.ts";
import { type AccessDeps, checkAccess } from "./access-check.ts";
import { RulesFileError } from "./rules-file.ts";
import { RulesSource } from "./rules-source.ts";
import { requestTarget } from "./target.ts";

export function openRules(config: Config, logger: Logger): RulesSource | null {
  if (config.accessRules === null) return null;
  try {
    return new RulesSource(config.accessRules, logger);
  } catch (error) {
    if (error instanceof RulesFileError) throw new ConfigError(`ACCESS_RULES ${error.message}`);
    throw error;
  }
}

/**
 * What the login page does for a visitor who came with a return address: `login` (they are
 * signed in with one factor and the address wants two: a new, full login), `setup` (the same,
 * but they have no second factor yet: they must set one up), or null (the page as usual).
 */
export type StepUp = "login" | "setup" | null;

export function stepUpFor(access: AccessDeps | null, request: Request, returnTo: string, client: string): MaybePromise<StepUp> {
  if (access === null) return null;
  const target = requestTarget(new Headers({ "X-Original-URL": returnTo }), "GET", client);
  return andThen(checkAccess(access, request, target, client), (outcome) => {
    if (outcome.verdict !== "step-up") return null;
    return outcome.canStepUp ? "login" : "setup";
  });
}
