/** PUBLIC_URL, OIDC_PROVIDERS and each provider's OIDC_<NAME>_* settings, checked at start-up. */
import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig } from "../src/config.ts";

const runtime = { compiled: false, execPath: "/opt/bun/bin/bun", cwd: "/srv/here" };
const base = {
  AUTH_TYPE: "session_db_auth",
  PUBLIC_URL: "https://auth.example.com/",
  OIDC_PROVIDERS: "corp, gh",
  OIDC_CORP_ISSUER: "https://id.example.com/realms/main",
  OIDC_CORP_CLIENT_ID: "session-auth",
  OIDC_CORP_CLIENT_SECRET: "s3cret",
  OIDC_GH_ISSUER: "github",
  OIDC_GH_CLIENT_ID: "Iv1.abc",
  OIDC_GH_CLIENT_SECRET: "gh-secret",
};

function problem(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env, runtime);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("accepted");
}

describe("sign-in providers", () => {
  test("the defaults of an OpenID Connect provider and of the GitHub preset", () => {
    const config = loadConfig(base, runtime);
    expect(config.publicUrl).toBe("https://auth.example.com");
    expect(config.oidcProviders).toEqual([
      { name: "corp", issuer: "https://id.example.com/realms/main", clientId: "session-auth", clientSecret: "s3cret", scopes: ["openid", "email", "profile"], label: "Corp", createUsers: false, allowedDomains: [], allowedGroups: [], linkByEmail: false, apiUrl: null },
      { name: "gh", issuer: "github", clientId: "Iv1.abc", clientSecret: "gh-secret", scopes: ["read:user", "user:email"], label: "GitHub", createUsers: false, allowedDomains: [], allowedGroups: [], linkByEmail: false, apiUrl: "https://api.github.com" },
    ]);
  });

  test("every optional setting is read", () => {
    const corp = loadConfig(
      { ...base, OIDC_CORP_SCOPES: "openid email groups", OIDC_CORP_LABEL: "Example Corp", OIDC_CORP_CREATE_USERS: "1", OIDC_CORP_ALLOWED_DOMAINS: "Example.com, @corp.example.org", OIDC_CORP_ALLOWED_GROUPS: "staff, admins", OIDC_CORP_LINK_BY_EMAIL: "1", OIDC_GH_API_URL: "http://127.0.0.1:9999/" },
      runtime,
    ).oidcProviders;
    expect(corp[0]).toMatchObject({ scopes: ["openid", "email", "groups"], label: "Example Corp", createUsers: true, allowedDomains: ["example.com", "corp.example.org"], allowedGroups: ["staff", "admins"], linkByEmail: true });
    expect(corp[1]!.apiUrl).toBe("http://127.0.0.1:9999");
  });

  test.each([
    ["a missing issuer", { OIDC_CORP_ISSUER: undefined }, "OIDC_CORP_ISSUER must be set"],
    ["a missing client id", { OIDC_CORP_CLIENT_ID: "" }, "OIDC_CORP_CLIENT_ID must be set"],
    ["a missing client secret", { OIDC_GH_CLIENT_SECRET: undefined }, "OIDC_GH_CLIENT_SECRET must be set"],
    ["an http issuer elsewhere than this machine", { OIDC_CORP_ISSUER: "http://id.example.com" }, "OIDC_CORP_ISSUER must be"],
    ["an issuer with a query", { OIDC_CORP_ISSUER: "https://id.example.com/?x=1" }, "OIDC_CORP_ISSUER must be"],
    ["no PUBLIC_URL", { PUBLIC_URL: undefined }, "OIDC_PROVIDERS needs PUBLIC_URL"],
    ["a PUBLIC_URL that is no address", { PUBLIC_URL: "auth.example.com" }, "PUBLIC_URL must be"],
    ["a strategy without sessions", { AUTH_TYPE: "basic_auth" }, "OIDC_PROVIDERS needs a session AUTH_TYPE"],
    ["an uppercase name", { OIDC_PROVIDERS: "Corp" }, "lowercase names"],
    ["a name twice", { OIDC_PROVIDERS: "corp,corp" }, "lists corp twice"],
    ["scopes without openid", { OIDC_CORP_SCOPES: "email profile" }, "must include openid"],
    ["a flag that is not one", { OIDC_CORP_CREATE_USERS: "maybe" }, "OIDC_CORP_CREATE_USERS must be 1 or 0"],
    ["a domain that is not one", { OIDC_CORP_ALLOWED_DOMAINS: "*.example.com" }, "OIDC_CORP_ALLOWED_DOMAINS must list"],
    ["API_URL on an OpenID Connect provider", { OIDC_CORP_API_URL: "https://api.example.com" }, "for GitHub only"],
  ])("start-up stops on %s", (_, changes, message) => {
    expect(problem({ ...base, ...changes })).toContain(message);
  });

  test("no providers: nothing is asked for, and PUBLIC_URL is still checked", () => {
    expect(loadConfig({}, runtime).oidcProviders).toEqual([]);
    expect(problem({ PUBLIC_URL: "ftp://x" })).toContain("PUBLIC_URL must be");
  });

  test("the client secret is never in a message", () => {
    expect(problem({ ...base, OIDC_CORP_ISSUER: "nope" })).not.toContain("s3cret");
  });
});
