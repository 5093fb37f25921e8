/** Linking: by (issuer, subject) only; first sign-ins link by verified email or create a user only as the operator allows. */
import { describe, expect, test } from "bun:test";
import type { UserRecord } from "../../../src/domain/user.ts";
import type { ProviderIdentity } from "../../../src/auth/providers/identity-provider.ts";
import { decideLink, type LinkRules } from "../../../src/auth/providers/linking.ts";

const user = (id: string, email: string): UserRecord => ({ id, created_at: "", updated_at: "", email, _password: null, first_name: null, last_name: null });
const alice = user("u-alice", "alice@example.com");
const identity: ProviderIdentity = { issuer: "https://op.example", subject: "123", email: "alice@example.com", emailVerified: true, groups: ["staff"], multiFactor: false, firstName: null, lastName: null };
const closed: LinkRules = { createUsers: false, allowedDomains: [], allowedGroups: [], linkByEmail: false };

describe("decideLink", () => {
  test("a linked identity signs in to its user, whatever the rules", () => {
    expect(decideLink(identity, closed, { linked: alice, sameEmail: [] })).toEqual({ kind: "linked", user: alice });
  });

  test("a verified email links only with LINK_BY_EMAIL", () => {
    expect(decideLink(identity, { ...closed, linkByEmail: true }, { linked: null, sameEmail: [alice] })).toEqual({ kind: "link-by-email", user: alice });
    expect(decideLink(identity, closed, { linked: null, sameEmail: [alice] })).toMatchObject({ kind: "refused", reason: "email-taken" });
    // Creation does not shadow the existing account either.
    expect(decideLink(identity, { ...closed, createUsers: true }, { linked: null, sameEmail: [alice] })).toMatchObject({ kind: "refused", reason: "email-taken" });
  });

  test("an unverified email never links", () => {
    const unverified = { ...identity, emailVerified: false };
    // The caller looks up no one for an unverified address; even if it did, nothing links.
    expect(decideLink(unverified, { ...closed, linkByEmail: true }, { linked: null, sameEmail: [alice] })).toMatchObject({ kind: "refused", reason: "unknown-identity" });
  });

  test("two accounts with the email: refused, never a guess", () => {
    expect(decideLink(identity, { ...closed, linkByEmail: true }, { linked: null, sameEmail: [alice, user("u-2", "Alice@example.com")] })).toMatchObject({ kind: "refused", reason: "ambiguous-email" });
  });

  test("unknown and not allowed to create: refused", () => {
    expect(decideLink(identity, closed, { linked: null, sameEmail: [] })).toMatchObject({ kind: "refused", reason: "unknown-identity", message: expect.stringContaining("this account is not allowed here") });
  });

  test("CREATE_USERS, limited by ALLOWED_DOMAINS (verified email only) and ALLOWED_GROUPS", () => {
    const open = { ...closed, createUsers: true };
    expect(decideLink(identity, open, { linked: null, sameEmail: [] })).toEqual({ kind: "create" });
    expect(decideLink(identity, { ...open, allowedDomains: ["example.com"] }, { linked: null, sameEmail: [] })).toEqual({ kind: "create" });
    expect(decideLink(identity, { ...open, allowedDomains: ["corp.example"] }, { linked: null, sameEmail: [] })).toMatchObject({ reason: "domain-not-allowed" });
    expect(decideLink({ ...identity, emailVerified: false }, { ...open, allowedDomains: ["example.com"] }, { linked: null, sameEmail: [] })).toMatchObject({ reason: "domain-not-allowed" });
    expect(decideLink({ ...identity, email: "alice@sub.example.com" }, { ...open, allowedDomains: ["example.com"] }, { linked: null, sameEmail: [] })).toMatchObject({ reason: "domain-not-allowed" });
    expect(decideLink(identity, { ...open, allowedGroups: ["admins", "staff"] }, { linked: null, sameEmail: [] })).toEqual({ kind: "create" });
    expect(decideLink(identity, { ...open, allowedGroups: ["admins"] }, { linked: null, sameEmail: [] })).toMatchObject({ reason: "group-not-allowed" });
  });
});
