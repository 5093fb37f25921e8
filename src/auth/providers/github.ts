/**
 * GitHub's OAuth2 (not OpenID Connect: no ID token, no discovery): the browser is sent to
 * `<base>/login/oauth/authorize` (with PKCE S256, which GitHub supports), the code exchanged at
 * `<base>/login/oauth/access_token`, and the user read from the API: `/user` for the stable
 * numeric id (a login name can be renamed and taken by someone else), `/user/emails` for the
 * verified addresses. `<base>` is https://github.com for the public API, else the API's own
 * address (a local stand-in in the tests).
 */
import { ProviderFailed, SignInRefused } from "./errors.ts";
import { authorizationError, type IdentityProvider, type PendingSignIn, type ProviderIdentity } from "./identity-provider.ts";
import { codeChallenge } from "./pkce.ts";
import { expectJsonObject, providerFetch, type ProviderFetchOptions } from "./provider-fetch.ts";

export const GITHUB_API_URL = "https://api.github.com";

export interface GitHubSettings {
  name: string;
  label: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  apiUrl: string;
}

export class GitHubProvider implements IdentityProvider {
  readonly name: string;
  readonly label: string;
  /** Identities are stored under the site's address: github.com's, or the stand-in's. */
  readonly issuer: string;
  private readonly oauthBase: string;

  constructor(
    private readonly settings: GitHubSettings,
    private readonly options: ProviderFetchOptions,
  ) {
    this.name = settings.name;
    this.label = settings.label;
    this.oauthBase = settings.apiUrl === GITHUB_API_URL ? "https://github.com" : settings.apiUrl;
    this.issuer = this.oauthBase;
  }

  async authorizationUrl(state: string, pending: PendingSignIn): Promise<string> {
    const url = new URL(`${this.oauthBase}/login/oauth/authorize`);
    const parameters = { client_id: this.settings.clientId, redirect_uri: pending.redirectUri, scope: this.settings.scopes.join(" "), state, code_challenge: await codeChallenge(pending.codeVerifier), code_challenge_method: "S256", allow_signup: "false" };
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
    return url.href;
  }

  async finish(parameters: URLSearchParams, pending: PendingSignIn): Promise<ProviderIdentity> {
    const error = authorizationError(parameters);
    if (error !== null) throw new SignInRefused(error, parameters.get("error") === "access_denied" ? 403 : 400, "RFC6749-4.1.2.1");
    const code = parameters.get("code");
    if (!code || code.length > 4096) throw new SignInRefused("the authorization response has no code", 400, "RFC6749-4.1.2");
    const token = await this.exchange(code, pending);
    const headers = { Authorization: `Bearer ${token}`, Accept: "application/vnd.github+json", "User-Agent": "session-auth" };
    const userUrl = `${this.settings.apiUrl}/user`;
    const user = expectJsonObject(await providerFetch(userUrl, { headers }, this.options), userUrl, "the user request");
    if (typeof user.id !== "number" || !Number.isSafeInteger(user.id)) throw new ProviderFailed("GitHub's user has no numeric id");
    const emailsUrl = `${this.settings.apiUrl}/user/emails`;
    const answer = await providerFetch(emailsUrl, { headers }, this.options);
    if (answer.status !== 200 || !Array.isArray(answer.json)) throw new ProviderFailed(answer.status !== 200 ? `GitHub answered the emails request with HTTP ${answer.status}` : "GitHub answered the emails request with something other than a list");
    const verified = (answer.json as unknown[]).filter((each): each is { email: string; primary?: unknown; verified: true } => {
      const entry = each as Record<string, unknown> | null;
      return entry !== null && typeof entry === "object" && typeof entry.email === "string" && entry.email.length <= 320 && entry.verified === true;
    });
    const email = (verified.find((each) => each.primary === true) ?? verified[0])?.email ?? null;
    const name = typeof user.name === "string" && user.name !== "" ? user.name.slice(0, 256) : typeof user.login === "string" ? user.login.slice(0, 256) : null;
    return { issuer: this.issuer, subject: String(user.id), email, emailVerified: email !== null, groups: [], multiFactor: false, firstName: name, lastName: null };
  }

  /** GitHub takes the client's credentials in the body, and answers a bad code with 200 and an `error`. */
  private async exchange(code: string, pending: PendingSignIn): Promise<string> {
    const url = `${this.oauthBase}/login/oauth/access_token`;
    const body = new URLSearchParams({ client_id: this.settings.clientId, client_secret: this.settings.clientSecret, code, redirect_uri: pending.redirectUri, code_verifier: pending.codeVerifier });
    const answer = await providerFetch(url, { method: "POST", body, headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "session-auth" } }, this.options);
    const tokens = expectJsonObject(answer, url, "the token request");
    if (tokens.error === "bad_verification_code") throw new SignInRefused("GitHub did not accept the sign-in code (used already, or expired): sign in again", 400, "RFC6749-5.2");
    if (typeof tokens.error === "string") throw new ProviderFailed(`GitHub refused the token request: ${tokens.error.replace(/[^\x20-\x7e]/g, "").slice(0, 60)}`);
    if (typeof tokens.access_token !== "string" || tokens.access_token === "") throw new ProviderFailed("GitHub's token response has no access token");
    return tokens.access_token;
  }
}
