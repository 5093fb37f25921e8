/**
 * The access rules applied to one request: what the rules decide for it, who asks (looked up only
 * when a rule needs to know), and what verify does about it. Shared by verify and the login page,
 * which must know that a signed-in visitor's return address wants a second factor instead of
 * sending them straight back there (a redirect loop).
 */
import type { Auth } from "../auth.ts";
import { ThrottledError } from "../throttle.ts";
import { andThen, type MaybePromise } from "../../maybe-promise.ts";
import type { UserRecord } from "../../domain/user.ts";
import { isMultiFactor } from "../../sessions/factors.ts";
import { type AccessRequest, type Decision, NEEDS_SUBJECT, type Subject, verdict, type Verdict } from "./access-rules.ts";
import type { RulesHolder } from "./rules-source.ts";

/** A user's groups (lowercase names). */
export type GroupsOf = (user: UserRecord) => MaybePromise<readonly string[]>;
/** True when the user has a second factor to give at a step-up. */
export type HasSecondFactor = (user: UserRecord) => MaybePromise<boolean>;

export interface AccessDeps {
  auth: Auth | null;
  rules: RulesHolder;
  groupsOf: GroupsOf;
  hasSecondFactor: HasSecondFactor;
}

export interface AccessOutcome {
  verdict: Verdict;
  decision: Decision;
  /** Who asked; null when nobody is signed in or the rules did not need to know (bypass, deny). */
  user: UserRecord | null;
  groups: readonly string[];
  /** For a step-up: whether the user has a second factor to give, or must set one up first. */
  canStepUp: boolean;
}

/** Whether the request's session passed two factors; Basic credentials are one (a password). */
function multiFactor(auth: Auth, request: Request): MaybePromise<boolean> {
  const keeper = auth.sessionKeeper();
  if (keeper === null) return false;
  return andThen(keeper.requestSession(request), (session) => session !== null && isMultiFactor(session.factors));
}

/** The signed-in user, or null; a throttled Basic attempt is nobody. */
function whoAsks(auth: Auth | null, request: Request, client: string): MaybePromise<UserRecord | null> {
  if (auth === null) return null;
  const nobody = (error: unknown) => {
    if (error instanceof ThrottledError) return null;
    throw error;
  };
  try {
    return andThen(auth.currentUser(request, client), (user) => user, nobody);
  } catch (error) {
    return nobody(error);
  }
}

export function checkAccess(deps: AccessDeps, request: Request, access: AccessRequest, client: string): MaybePromise<AccessOutcome> {
  const rules = deps.rules.current;
  const first = rules.decide(access);
  // Decided without anyone's identity: nobody is looked up.
  if (first !== NEEDS_SUBJECT && (first.policy === "bypass" || first.policy === "deny")) {
    return { verdict: verdict(first, null), decision: first, user: null, groups: [], canStepUp: false };
  }
  return andThen(whoAsks(deps.auth, request, client), (user) => {
    if (user === null) {
      const decision = first === NEEDS_SUBJECT ? (rules.decide(access, null) as Decision) : first;
      return { verdict: verdict(decision, null), decision, user: null, groups: [], canStepUp: false };
    }
    return andThen(deps.groupsOf(user), (groups) => {
      const subject: Subject = { email: user.email === null ? null : user.email.trim().toLowerCase(), groups };
      const decision = first === NEEDS_SUBJECT ? (rules.decide(access, subject) as Decision) : first;
      if (decision.policy !== "two_factor") return { verdict: verdict(decision, { multiFactor: false }), decision, user, groups, canStepUp: false };
      return andThen(multiFactor(deps.auth!, request), (two) => {
        const outcome = verdict(decision, { multiFactor: two });
        if (outcome !== "step-up") return { verdict: outcome, decision, user, groups, canStepUp: false };
        return andThen(deps.hasSecondFactor(user), (canStepUp) => ({ verdict: outcome, decision, user, groups, canStepUp }));
      });
    });
  });
}
