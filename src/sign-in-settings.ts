/**
 * PUBLIC_URL, OIDC_PROVIDERS and each provider's OIDC_<NAME>_* settings, read and checked.
 * A leaf beside config.ts, which turns SignInSettingError into its ConfigError.
 */

type Env = Record<string, string | undefined>;

/** A sign-in setting that cannot be used. */
export class SignInSettingError extends Error {
  override name = "SignInSettingError";
}

/** One sign-in provider: OpenID Connect by discovery, or GitHub's OAuth2 when the issuer is `github`. */
export interface OidcProviderConfig {
  /** Lowercase; in the callback's path. */
  name: string;
  /** An https URL (http on a loopback host), or `github`. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: readonly string[];
  /** The button says "Sign in with <label>". */
  label: string;
  /** The first sign-in of someone unknown creates a user. */
  createUsers: boolean;
  /** Lowercase email domains a new user's verified address must be in (empty: any). */
  allowedDomains: readonly string[];
  /** Groups (the `groups` claim) a new user must be in one of (empty: any). */
  allowedGroups: readonly string[];
  /** The first sign-in links to the existing account with the same verified email. */
  linkByEmail: boolean;
  /** GitHub's API (and, off github.com, its OAuth endpoints); null for OpenID Connect. */
  apiUrl: string | null;
}

export interface SignInSettings {
  /** The address browsers use for this server (`https://auth.example.com`, no trailing slash): providers send them back under it. */
  publicUrl: string | null;
  /** Sign-in providers (OIDC_PROVIDERS), in the order listed. */
  oidcProviders: readonly OidcProviderConfig[];
}

const nonEmpty = (value: string | undefined) => (value === undefined || value === "" ? undefined : value);

/** As config.ts reads flags. */
function parseFlag(name: string, value: string | undefined): boolean {
  if (nonEmpty(value) === undefined) return false;
  const lower = value!.toLowerCase();
  if (["1", "true", "yes", "on"].includes(lower)) return true;
  if (["0", "false", "no", "off"].includes(lower)) return false;
  throw new SignInSettingError(`${name} must be 1 or 0 (true or false), not ${JSON.stringify(value)}`);
}

/** A domain name: dot-separated labels of letters, digits and `-`. */
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

const GITHUB_API = "https://api.github.com";

/** A loopback host: the only place an http issuer or public address is accepted (a provider or a proxy on this machine). */
const isLoopback = (url: URL) => ["127.0.0.1", "[::1]", "localhost"].includes(url.hostname);

/** PUBLIC_URL and OIDC_PROVIDERS with each provider's OIDC_<NAME>_* settings. */
export function parseSignIn(env: Env, keepsSessions: boolean): SignInSettings {
  const publicUrl = parsePublicUrl(env.PUBLIC_URL);
  const names = (env.OIDC_PROVIDERS ?? "").split(",").map((name) => name.trim()).filter(Boolean);
  if (names.length === 0) return { publicUrl, oidcProviders: [] };
  if (!keepsSessions) throw new SignInSettingError("OIDC_PROVIDERS needs a session AUTH_TYPE (session_auth, session_exp_auth or session_db_auth): a sign-in ends in a session");
  if (publicUrl === null) throw new SignInSettingError("OIDC_PROVIDERS needs PUBLIC_URL, the address browsers use for this server (such as https://auth.example.com): providers send them back to <PUBLIC_URL>/api/v1/auth_session/oidc/<name>/callback");
  const seen = new Set<string>();
  const providers = names.map((name) => {
    if (!/^[a-z][a-z0-9_]{0,31}$/.test(name)) throw new SignInSettingError(`OIDC_PROVIDERS must list lowercase names (a letter, then letters, digits or _), not ${JSON.stringify(name)}`);
    if (seen.has(name)) throw new SignInSettingError(`OIDC_PROVIDERS lists ${name} twice`);
    seen.add(name);
    return parseProvider(env, name);
  });
  return { publicUrl, oidcProviders: providers };
}

function parsePublicUrl(value: string | undefined): string | null {
  if (nonEmpty(value) === undefined) return null;
  let url: URL | null = null;
  try {
    url = new URL(value!);
  } catch {
    url = null;
  }
  if (url === null || !["http:", "https:"].includes(url.protocol) || url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") {
    throw new SignInSettingError(`PUBLIC_URL must be the http(s) address browsers use for this server, such as https://auth.example.com (no query), not ${JSON.stringify(value)}`);
  }
  return url.href.replace(/\/$/, "");
}

function parseProvider(env: Env, name: string): OidcProviderConfig {
  const prefix = `OIDC_${name.toUpperCase()}_`;
  const setting = (key: string) => nonEmpty(env[`${prefix}${key}`]);
  const required = (key: string) => {
    const value = setting(key);
    if (value === undefined) throw new SignInSettingError(`OIDC_PROVIDERS names ${name}, so ${prefix}${key} must be set`);
    return value;
  };
  const issuer = required("ISSUER");
  const github = issuer === "github";
  if (!github) checkIssuer(`${prefix}ISSUER`, issuer);
  const apiValue = setting("API_URL");
  if (apiValue !== undefined && !github) throw new SignInSettingError(`${prefix}API_URL is for GitHub only (${prefix}ISSUER=github)`);
  const scopes = (setting("SCOPES") ?? (github ? "read:user user:email" : "openid email profile")).split(/\s+/).filter(Boolean);
  if (!github && !scopes.includes("openid")) throw new SignInSettingError(`${prefix}SCOPES must include openid (an OpenID Connect sign-in asks for it), not ${JSON.stringify(setting("SCOPES"))}`);
  return {
    name,
    issuer,
    clientId: required("CLIENT_ID"),
    clientSecret: required("CLIENT_SECRET"),
    scopes,
    label: setting("LABEL") ?? (github ? "GitHub" : name.charAt(0).toUpperCase() + name.slice(1)),
    createUsers: parseFlag(`${prefix}CREATE_USERS`, env[`${prefix}CREATE_USERS`]),
    allowedDomains: parseDomains(`${prefix}ALLOWED_DOMAINS`, setting("ALLOWED_DOMAINS")),
    allowedGroups: (setting("ALLOWED_GROUPS") ?? "").split(",").map((group) => group.trim()).filter(Boolean),
    linkByEmail: parseFlag(`${prefix}LINK_BY_EMAIL`, env[`${prefix}LINK_BY_EMAIL`]),
    apiUrl: github ? parseApiUrl(`${prefix}API_URL`, apiValue ?? GITHUB_API) : null,
  };
}

/** An issuer identifier (OpenID Connect Core §1.2): https, no query or fragment; http only on this machine. */
function checkIssuer(name: string, value: string): void {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (url === null || !(url.protocol === "https:" || (url.protocol === "http:" && isLoopback(url))) || url.search !== "" || url.hash !== "" || url.username !== "") {
    throw new SignInSettingError(`${name} must be the provider's issuer, an https URL such as https://accounts.google.com (no query), or github, not ${JSON.stringify(value)}`);
  }
}

function parseApiUrl(name: string, value: string): string {
  let url: URL | null = null;
  try {
    url = new URL(value);
  } catch {
    url = null;
  }
  if (url === null || !["http:", "https:"].includes(url.protocol) || url.search !== "" || url.username !== "") throw new SignInSettingError(`${name} must be an http(s) URL such as ${GITHUB_API}, not ${JSON.stringify(value)}`);
  return url.href.replace(/\/$/, "");
}

function parseDomains(name: string, value: string | undefined): string[] {
  return (value ?? "").split(",").map((domain) => domain.trim().toLowerCase().replace(/^@/, "")).filter((domain) => {
    if (domain === "") return false;
    if (!DOMAIN.test(domain)) throw new SignInSettingError(`${name} must list email domains such as example.com, not ${JSON.stringify(domain)}`);
    return true;
  });
}
