/**
 * Which account a provider's identity signs in to, decided from what is stored: the account it
 * is linked to by (issuer, subject); else, on its first sign-in, the account whose address the
 * provider verified (when the operator allows linking by email), or a new account (when the
 * operator allows creating them, for these domains or groups). Never by an unverified email;
 * every other case is refused with a 403 page.
 */
import type { OidcProviderConfig } from "../../config.ts";
import type { UserRecord } from "../../domain/user.ts";
import type { ProviderIdentity } from "./identity-provider.ts";

export type LinkDecision =
  | { kind: "linked"; user: UserRecord }
  | { kind: "link-by-email"; user: UserRecord }
  | { kind: "create" }
  | { kind: "refused"; reason: string; message: string };

export type LinkRules = Pick<OidcProviderConfig, "createUsers" | "allowedDomains" | "allowedGroups" | "linkByEmail">;

const NOT_ALLOWED = "this account is not allowed here";

export interface LinkFacts {
  /** The user the identity is linked to; null when it is linked to none (or to a user since deleted). */
  linked: UserRecord | null;
  /** The users whose email equals the identity's (as emails are compared); looked up only for a verified one. */
  sameEmail: readonly UserRecord[];
}

export function decideLink(identity: ProviderIdentity, rules: LinkRules, facts: LinkFacts): LinkDecision {
  if (facts.linked !== null) return { kind: "linked", user: facts.linked };
  const verified = identity.emailVerified && identity.email !== null;
  if (verified && facts.sameEmail.length > 0) {
    if (facts.sameEmail.length > 1) return { kind: "refused", reason: "ambiguous-email", message: `${NOT_ALLOWED}: several accounts have this email; an administrator must tell them apart` };
    if (rules.linkByEmail) return { kind: "link-by-email", user: facts.sameEmail[0]! };
    return { kind: "refused", reason: "email-taken", message: `${NOT_ALLOWED}: an account with this email exists, and this provider may not sign in to it` };
  }
  if (!rules.createUsers) return { kind: "refused", reason: "unknown-identity", message: `${NOT_ALLOWED}: no account here is linked to it` };
  if (rules.allowedDomains.length > 0) {
    const domain = verified ? identity.email!.slice(identity.email!.lastIndexOf("@") + 1).toLowerCase() : null;
    if (domain === null || !rules.allowedDomains.includes(domain)) return { kind: "refused", reason: "domain-not-allowed", message: `${NOT_ALLOWED}: new accounts need a verified email in ${rules.allowedDomains.join(", ")}` };
  }
  if (rules.allowedGroups.length > 0 && !identity.groups.some((group) => rules.allowedGroups.includes(group))) {
    return { kind: "refused", reason: "group-not-allowed", message: `${NOT_ALLOWED}: new accounts need membership of ${rules.allowedGroups.join(", ")}` };
  }
  return { kind: "create" };
}
