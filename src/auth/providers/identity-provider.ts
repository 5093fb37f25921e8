/** What a sign-in with any provider gives, and the face every provider (OpenID Connect, GitHub) shows the routes. */

/** Who the provider says signed in. Accounts are linked by (issuer, subject) only. */
export interface ProviderIdentity {
  issuer: string;
  subject: string;
  /** null when the provider gave none. */
  email: string | null;
  /** The provider vouches that the address is the user's. */
  emailVerified: boolean;
  groups: readonly string[];
  /** The provider says the user passed more than one factor (`amr`). */
  multiFactor: boolean;
  firstName: string | null;
  lastName: string | null;
}

/** What the login step remembers for the callback: secret to the browser's cookie and this server. */
export interface PendingSignIn {
  nonce: string;
  codeVerifier: string;
  redirectUri: string;
}

export interface IdentityProvider {
  readonly name: string;
  readonly label: string;
  /** The issuer identities are stored under. */
  readonly issuer: string;
  /** Where to send the browser: the authorization endpoint with the request's parameters. */
  authorizationUrl(state: string, pending: PendingSignIn): Promise<string>;
  /** The callback's parameters (state already checked) → the identity; SignInRefused or ProviderFailed. */
  finish(parameters: URLSearchParams, pending: PendingSignIn): Promise<ProviderIdentity>;
}

/** The `error` of an authorization response (RFC 6749 §4.1.2.1), as a refusal message; null when there is none. */
export function authorizationError(parameters: URLSearchParams): string | null {
  const error = parameters.get("error");
  if (error === null) return null;
  // Shown on a page: printable ASCII as the RFC allows, cut short.
  const clean = (text: string | null) => (text ?? "").replace(/[^\x20-\x7e]/g, "").slice(0, 200);
  const description = clean(parameters.get("error_description"));
  return `the provider did not sign you in: ${clean(error)}${description ? ` (${description})` : ""}`;
}

/** RFC 6749 §2.3.1: client_secret_basic, each part form-urlencoded before the Basic encoding. */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  const encode = (text: string) => encodeURIComponent(text).replace(/%20/g, "+");
  return `Basic ${btoa(`${encode(clientId)}:${encode(clientSecret)}`)}`;
}
