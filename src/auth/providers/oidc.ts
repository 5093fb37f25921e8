/**
 * An OpenID Connect provider, as a relying party sees it (Core 1.0 §3.1, the authorization code
 * flow): the authorization request with PKCE S256, state and nonce; the authorization response
 * checked (RFC 9207 `iss`); the code exchanged with client_secret_basic; the ID token's signature
 * verified with the provider's published key and its claims validated (§3.1.3.7); the UserInfo
 * endpoint asked for the email when the ID token does not carry it (§5.3.2, `sub` compared).
 */
import { DiscoveryCache, type ProviderMetadata } from "./discovery.ts";
import { ProviderFailed, SignInRefused } from "./errors.ts";
import { amrSaysMultiFactor, validateIdTokenClaims } from "./id-token.ts";
import { authorizationError, clientSecretBasic, type IdentityProvider, type PendingSignIn, type ProviderIdentity } from "./identity-provider.ts";
import { parseCompactJws, verifyJws } from "./jose.ts";
import { JwksCache } from "./jwks.ts";
import { codeChallenge } from "./pkce.ts";
import { expectJsonObject, providerFetch, type ProviderFetchOptions } from "./provider-fetch.ts";

export interface OidcProviderSettings {
  name: string;
  label: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
}

export interface OidcProviderOptions extends ProviderFetchOptions {
  /** Milliseconds since the epoch. */
  now?: () => number;
}

const text = (value: unknown): string | null => (typeof value === "string" && value !== "" ? value : null);

export class OidcProvider implements IdentityProvider {
  readonly name: string;
  readonly label: string;
  readonly issuer: string;
  private readonly discovery: DiscoveryCache;
  private readonly jwks: JwksCache;
  private readonly now: () => number;

  constructor(
    private readonly settings: OidcProviderSettings,
    private readonly options: OidcProviderOptions,
  ) {
    this.name = settings.name;
    this.label = settings.label;
    this.issuer = settings.issuer;
    this.now = options.now ?? Date.now;
    this.discovery = new DiscoveryCache(settings.issuer, options, this.now);
    this.jwks = new JwksCache(async () => (await this.discovery.get()).jwksUri, options, this.now);
  }

  metadata(): Promise<ProviderMetadata> {
    return this.discovery.get();
  }

  async authorizationUrl(state: string, pending: PendingSignIn): Promise<string> {
    const metadata = await this.discovery.get();
    const url = new URL(metadata.authorizationEndpoint);
    const parameters = {
      response_type: "code",
      client_id: this.settings.clientId,
      redirect_uri: pending.redirectUri,
      scope: this.settings.scopes.join(" "),
      state,
      nonce: pending.nonce,
      code_challenge: await codeChallenge(pending.codeVerifier),
      code_challenge_method: "S256",
    };
    for (const [name, value] of Object.entries(parameters)) url.searchParams.set(name, value);
    return url.href;
  }

  async finish(parameters: URLSearchParams, pending: PendingSignIn): Promise<ProviderIdentity> {
    const metadata = await this.discovery.get();
    // RFC 9207 §2.4: an `iss` that is there must be the issuer's; one the provider promised must be there.
    const iss = parameters.get("iss");
    if (iss !== null && iss !== metadata.issuer) throw new SignInRefused("the authorization response comes from another issuer", 400, "RFC9207-2.4");
    if (iss === null && metadata.issParameterSupported) throw new SignInRefused("the authorization response lacks the issuer its provider always sends", 400, "RFC9207-2.4");
    const error = authorizationError(parameters);
    if (error !== null) throw new SignInRefused(error, parameters.get("error") === "access_denied" ? 403 : 400, "RFC6749-4.1.2.1");
    const code = parameters.get("code");
    if (!code || code.length > 4096) throw new SignInRefused("the authorization response has no code", 400, "RFC6749-4.1.2");
    const tokens = await this.exchange(metadata, code, pending);
    const identity = await this.verifyIdToken(metadata, tokens.idToken, pending.nonce);
    if (identity.email === null && metadata.userinfoEndpoint !== null) return this.withUserInfo(identity, metadata.userinfoEndpoint, tokens.accessToken);
    return identity;
  }

  /** §3.1.3.1–3.1.3.4: the token request, client_secret_basic, with the PKCE verifier. */
  private async exchange(metadata: ProviderMetadata, code: string, pending: PendingSignIn): Promise<{ idToken: string; accessToken: string }> {
    const body = new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: pending.redirectUri, code_verifier: pending.codeVerifier });
    const answer = await providerFetch(
      metadata.tokenEndpoint,
      { method: "POST", body, headers: { Authorization: clientSecretBasic(this.settings.clientId, this.settings.clientSecret), "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" } },
      this.options,
    );
    // RFC 6749 §5.2: the provider refused this code (used, expired, not ours): a refusal, not an outage.
    const refusal = answer.status === 400 && answer.json !== null && typeof answer.json === "object" ? (answer.json as Record<string, unknown>).error : undefined;
    if (refusal === "invalid_grant") throw new SignInRefused("the provider did not accept the sign-in code (used already, or expired): sign in again", 400, "RFC6749-5.2");
    if (typeof refusal === "string") throw new ProviderFailed(`the provider refused the token request: ${refusal.replace(/[^\x20-\x7e]/g, "").slice(0, 60)}`);
    const tokens = expectJsonObject(answer, metadata.tokenEndpoint, "the token request");
    // §3.1.3.3: a Bearer token response with an ID token.
    if (typeof tokens.token_type !== "string" || tokens.token_type.toLowerCase() !== "bearer") throw new ProviderFailed("the provider's token response is not of type Bearer");
    if (typeof tokens.id_token !== "string") throw new ProviderFailed("the provider's token response has no ID token");
    return { idToken: tokens.id_token, accessToken: typeof tokens.access_token === "string" ? tokens.access_token : "" };
  }

  /** §3.1.3.7: signature (steps 6–8) and then the claims. */
  private async verifyIdToken(metadata: ProviderMetadata, token: string, nonce: string): Promise<ProviderIdentity> {
    const jws = parseCompactJws(token);
    if (metadata.idTokenAlgorithms !== null && !metadata.idTokenAlgorithms.includes(jws.alg)) {
      throw new SignInRefused(`the ID token's algorithm ${jws.alg} is not one its provider publishes`, 401, "3.1.3.7-7");
    }
    const key = await this.jwks.keyFor(jws);
    if (!(await verifyJws(jws, key))) throw new SignInRefused("the ID token's signature does not verify", 401, "3.1.3.7-6");
    const claims = validateIdTokenClaims(jws.payload, { issuer: metadata.issuer, clientId: this.settings.clientId, nonce, now: Math.floor(this.now() / 1000) }).claims;
    return identityFrom(metadata.issuer, claims.sub as string, claims);
  }

  /** §5.3: the UserInfo answer, for the same subject only (§5.3.2). */
  private async withUserInfo(identity: ProviderIdentity, endpoint: string, accessToken: string): Promise<ProviderIdentity> {
    if (accessToken === "") return identity;
    const answer = await providerFetch(endpoint, { headers: { Authorization: `Bearer ${accessToken}`, Accept: "application/json" } }, this.options);
    const info = expectJsonObject(answer, endpoint, "the UserInfo request");
    if (info.sub !== identity.subject) throw new SignInRefused("the provider's UserInfo names another subject than the ID token", 401, "5.3.2");
    const extra = identityFrom(identity.issuer, identity.subject, info);
    return { ...identity, email: extra.email, emailVerified: extra.emailVerified, groups: identity.groups.length > 0 ? identity.groups : extra.groups, firstName: identity.firstName ?? extra.firstName, lastName: identity.lastName ?? extra.lastName };
  }
}

/** The identity the standard claims (§5.1) describe. */
export function identityFrom(issuer: string, subject: string, claims: Record<string, unknown>): ProviderIdentity {
  const email = text(claims.email);
  const groups = Array.isArray(claims.groups) ? claims.groups.filter((each): each is string => typeof each === "string").slice(0, 1000) : [];
  return {
    issuer,
    subject,
    email: email !== null && email.length <= 320 ? email : null,
    // Only a real boolean true counts; a string "true" is a provider's bug we do not paper over.
    emailVerified: email !== null && claims.email_verified === true,
    groups,
    multiFactor: amrSaysMultiFactor(claims.amr),
    firstName: text(claims.given_name)?.slice(0, 256) ?? null,
    lastName: text(claims.family_name)?.slice(0, 256) ?? null,
  };
}
