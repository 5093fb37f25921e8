/**
 * Environment → one typed, validated Config. Every default lives here. A leaf: it loads no
 * store and no strategy, so that reading the settings costs nothing else.
 */
import { metricsListen, type MetricsListen } from "./metrics/settings.ts";
import { folderOf } from "./file-paths.ts";
import { isCookieName } from "./http/cookies.ts";
import { type ReturnPolicy, returnPolicy, safeReturnAddress } from "./http/return-address.ts";
import { type OidcProviderConfig, parseSignIn, SignInSettingError } from "./sign-in-settings.ts";

export type { OidcProviderConfig } from "./sign-in-settings.ts";

/** The strategies AUTH_TYPE may name (src/auth/index.ts builds them). */
export const AUTH_TYPES = ["auth", "basic_auth", "session_auth", "session_exp_auth", "session_db_auth"] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export function isAuthType(value: string): value is AuthType {
  return (AUTH_TYPES as readonly string[]).includes(value);
}

export interface Config {
  host: string;
  port: number;
  /** null: no authentication at all. */
  authType: AuthType | null;
  /** `open`: every signed-in user manages every user (the original); `admin`: only admins do. */
  usersApi: UsersApi;
  sessionName: string;
  /** Seconds; 0 means sessions never expire. */
  sessionDuration: number;
  /** Seconds a session may go unused before it ends; 0: no limit. */
  sessionIdleTimeout: number;
  dataDir: string;
  /** Adds `Secure` to the session cookie. */
  cookieSecure: boolean;
  /** The session cookie's `Domain` (one login for its subdomains); null: this host only. */
  cookieDomain: string | null;
  /** The passkeys' RP ID (WEBAUTHN_RP_ID); null: COOKIE_DOMAIN when set, else the request's host. */
  webauthnRpId: string | null;
  /** Hosts besides this server's that the login page may send a browser back to (lowercase). */
  allowedRedirectHosts: ReadonlySet<string>;
  /** Where /api/v1/auth/verify sends a browser that is not signed in (when the proxy cannot redirect). */
  forwardAuthLoginUrl: string | null;
  /** The access rules file verify applies (JSON or YAML); null: every signed-in user, one factor. */
  accessRules: string | null;
  /** Largest request body read, in bytes; larger ones get 413. */
  maxBodyBytes: number;
  /** Journal size from which it is folded into the snapshot (when it also outgrows the snapshot). */
  journalCompactBytes: number;
  /** Data files up to this size are rewritten within a second of every change (0: never). */
  liveDataFileBytes: number;
  /** Believe X-Forwarded-For / X-Forwarded-Proto from the proxy in front. */
  trustProxy: boolean;
  /** Several instances on one machine share the port (SO_REUSEPORT); only where they share their state. */
  reusePort: boolean;
  /** Origins besides this server's whose pages may log in and post with the session cookie (lowercase). */
  allowedOrigins: ReadonlySet<string>;
  /** Failed logins allowed per client address, and per account, within the window (0: no limit). */
  loginMaxFailuresPerClient: number;
  loginMaxFailuresPerAccount: number;
  loginThrottleWindowSeconds: number;
  /** Shortest password accepted when one is set (created or changed), in characters; stored ones still log in. */
  passwordMinLength: number;
  logFormat: LogFormat;
  /** postgres://…: users (and sessions, without Redis) in PostgreSQL instead of the JSON files. */
  databaseUrl: string | null;
  /** The PostgreSQL schema to use; lets several deployments share one database. */
  databaseSchema: string;
  /** redis://…: session_db_auth sessions in Redis. */
  redisUrl: string | null;
  redisPrefix: string;
  /** How long a PostgreSQL or Redis call may take before the request gets a 503; and a call to a sign-in provider before the browser gets a 504 page. */
  storeTimeoutMs: number;
  /** The address browsers use for this server (`https://auth.example.com`, no trailing slash): providers send them back under it. */
  publicUrl: string | null;
  /** Sign-in providers (OIDC_PROVIDERS), in the order listed. */
  oidcProviders: readonly OidcProviderConfig[];
  /** TOTP_ISSUER: the name authenticator apps show beside a one-time code. */
  totpIssuer: string;
  /** SECRET_KEY: 64 hex characters, the key that seals TOTP secrets; null: `.totp.key` in DATA_DIR. */
  secretKey: string | null;
  /** Prometheus metrics (METRICS, METRICS_LISTEN); AUDIT_LOG's file (null: standard output). */
  metrics: MetricsListen;
  auditLog: string | null;
}

export type LogFormat = "text" | "json";
export type UsersApi = "open" | "admin";

export const DEFAULTS = {
  host: "0.0.0.0",
  port: 5000,
  sessionName: "_my_session_id",
  maxBodyBytes: 64 * 1024,
  journalCompactBytes: 1024 * 1024,
  liveDataFileBytes: 4 * 1024 * 1024,
  loginMaxFailuresPerClient: 100,
  loginMaxFailuresPerAccount: 10,
  loginThrottleWindowSeconds: 15 * 60,
  // OWASP Authentication Cheat Sheet and NIST SP 800-63B: at least 8 characters.
  passwordMinLength: 8,
  storeTimeoutMs: 3000,
} as const;

/** A setting that cannot be used; start-up prints the message and exits with status 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Runtime {
  /** True inside a `bun build --compile` executable. */
  compiled: boolean;
  execPath: string;
  cwd: string;
}

export function detectRuntime(): Runtime {
  return { compiled: Bun.main.startsWith("/$bunfs/"), execPath: process.execPath, cwd: process.cwd() };
}

export type Env = Record<string, string | undefined>;

export function loadConfig(env: Env, runtime: Runtime = detectRuntime()): Config {
  const authType = parseAuthType(env.AUTH_TYPE);
  const databaseUrl = parseUrl("DATABASE_URL", env.DATABASE_URL, ["postgres:", "postgresql:"]);
  const reusePort = parseFlag("REUSE_PORT", env.REUSE_PORT);
  if (reusePort) checkSharedState(authType, databaseUrl);
  const cookieDomain = parseCookieDomain(env.COOKIE_DOMAIN);
  const allowedRedirectHosts = parseRedirectHosts(env.ALLOWED_REDIRECT_HOSTS);
  return {
    host: parseHost(env.API_HOST),
    port: parsePort(env.API_PORT),
    authType,
    usersApi: parseUsersApi(env.USERS_API, authType),
    sessionName: parseSessionName(env.SESSION_NAME),
    sessionDuration: parseSessionDuration(env.SESSION_DURATION),
    sessionIdleTimeout: parseWhole("SESSION_IDLE_TIMEOUT", env.SESSION_IDLE_TIMEOUT, 0, 0, "seconds", "0 for no limit"),
    dataDir: nonEmpty(env.DATA_DIR) ?? (runtime.compiled ? folderOf(runtime.execPath) : runtime.cwd),
    cookieSecure: parseFlag("COOKIE_SECURE", env.COOKIE_SECURE),
    cookieDomain,
    webauthnRpId: parseRpId(env.WEBAUTHN_RP_ID),
    allowedRedirectHosts,
    forwardAuthLoginUrl: parseLoginUrl(env.FORWARD_AUTH_LOGIN_URL, returnPolicy(null, { allowedRedirectHosts, cookieDomain })),
    accessRules: nonEmpty(env.ACCESS_RULES) ?? null,
    maxBodyBytes: parseWhole("MAX_BODY_BYTES", env.MAX_BODY_BYTES, DEFAULTS.maxBodyBytes, 1, "bytes"),
    journalCompactBytes: parseWhole("JOURNAL_COMPACT_BYTES", env.JOURNAL_COMPACT_BYTES, DEFAULTS.journalCompactBytes, 1, "bytes"),
    liveDataFileBytes: parseWhole("LIVE_DATA_FILE_BYTES", env.LIVE_DATA_FILE_BYTES, DEFAULTS.liveDataFileBytes, 0, "bytes", "0 to fold journals in only when they grow"),
    trustProxy: parseFlag("TRUST_PROXY", env.TRUST_PROXY),
    reusePort,
    allowedOrigins: parseOrigins(env.ALLOWED_ORIGINS),
    loginMaxFailuresPerClient: parseWhole("LOGIN_MAX_FAILURES_PER_CLIENT", env.LOGIN_MAX_FAILURES_PER_CLIENT, DEFAULTS.loginMaxFailuresPerClient, 0, "failures"),
    loginMaxFailuresPerAccount: parseWhole("LOGIN_MAX_FAILURES_PER_ACCOUNT", env.LOGIN_MAX_FAILURES_PER_ACCOUNT, DEFAULTS.loginMaxFailuresPerAccount, 0, "failures"),
    loginThrottleWindowSeconds: parseWhole("LOGIN_THROTTLE_WINDOW", env.LOGIN_THROTTLE_WINDOW, DEFAULTS.loginThrottleWindowSeconds, 1, "seconds"),
    passwordMinLength: parsePasswordMinLength(env.PASSWORD_MIN_LENGTH),
    logFormat: parseLogFormat(env.LOG_FORMAT),
    databaseUrl,
    databaseSchema: parseSchema(env.DATABASE_SCHEMA),
    redisUrl: parseUrl("REDIS_URL", env.REDIS_URL, ["redis:", "rediss:"]),
    redisPrefix: nonEmpty(env.REDIS_PREFIX) ?? "session-auth:",
    storeTimeoutMs: parseWhole("STORE_TIMEOUT_MS", env.STORE_TIMEOUT_MS, DEFAULTS.storeTimeoutMs, 1, "milliseconds"),
    ...signInSettings(env, authType),
    totpIssuer: parseTotpIssuer(env.TOTP_ISSUER),
    secretKey: parseSecretKeyHex(env.SECRET_KEY),
    metrics: metricsListen(parseFlag("METRICS", env.METRICS), env.METRICS, env.METRICS_LISTEN, (message) => { throw new ConfigError(message); }),
    auditLog: nonEmpty(env.AUDIT_LOG) ?? null,
  };
}

/** A name people read in their authenticator app: printable, one line, not too long. */
function parseTotpIssuer(value: string | undefined): string {
  const text = nonEmpty(value?.trim());
  if (text === undefined) return "session-auth";
  if (text.length > 64 || /[\u0000-\u001f\u007f]/.test(text)) throw new ConfigError("TOTP_ISSUER must be one line of at most 64 characters");
  return text;
}

/** 32 bytes as 64 hex characters (`openssl rand -hex 32`), or unset. */
function parseSecretKeyHex(value: string | undefined): string | null {
  const text = nonEmpty(value?.trim());
  if (text === undefined) return null;
  if (!/^[0-9a-fA-F]{64}$/.test(text)) throw new ConfigError("SECRET_KEY must be 64 hexadecimal characters (32 bytes), as `openssl rand -hex 32` prints");
  return text.toLowerCase();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

/** Dot-separated labels of letters, digits, `-` and `_` (names in /etc/hosts may have one). */
const HOST_NAME = /^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/i;

/** An IPv6 address, as the URL parser reads one (a zone such as %eth0 allowed after it). */
function isIPv6(value: string): boolean {
  const address = value.replace(/%[\w.-]+$/, "");
  if (!address.includes(":")) return false;
  try {
    return new URL(`http://[${address}]/`).hostname !== "";
  } catch {
    return false;
  }
}

/** An address or a name, nothing else: a scheme or a port here would only fail later, less clearly. */
function parseHost(value: string | undefined): string {
  if (nonEmpty(value) === undefined) return DEFAULTS.host;
  if (HOST_NAME.test(value!) || isIPv6(value!)) return value!;
  throw new ConfigError(`API_HOST must be an IP address or a host name, such as 127.0.0.1, 0.0.0.0 or localhost (no scheme, no port), not ${JSON.stringify(value)}`);
}

/** Host names (or [IPv6] addresses), compared with a return address's host: no scheme, port, path or wildcard. */
function parseRedirectHosts(value: string | undefined): ReadonlySet<string> {
  const hosts = new Set<string>();
  for (const item of (value ?? "").split(",").map((part) => part.trim()).filter(Boolean)) {
    const ipv6 = /^\[(.*)\]$/.exec(item);
    if (!(HOST_NAME.test(item) || (ipv6 !== null && isIPv6(ipv6[1]!)))) {
      throw new ConfigError(`ALLOWED_REDIRECT_HOSTS must list host names such as app.example.com (no scheme, port, path or wildcard; COOKIE_DOMAIN covers subdomains), not ${JSON.stringify(item)}`);
    }
    // As a URL's hostname reads, which is what it is compared with.
    hosts.add(ipv6 === null ? item.toLowerCase() : new URL(`http://${item}/`).hostname);
  }
  return hosts;
}

function parsePort(value: string | undefined): number {
  if (nonEmpty(value) === undefined) return DEFAULTS.port;
  const port = /^\d{1,5}$/.test(value!) ? Number(value) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new ConfigError(`API_PORT must be a port number from 0 to 65535, not ${JSON.stringify(value)}`);
  return port;
}

function parseAuthType(value: string | undefined): AuthType | null {
  if (nonEmpty(value) === undefined) return null;
  if (isAuthType(value!)) return value;
  throw new ConfigError(`AUTH_TYPE ${JSON.stringify(value)} is not one of: ${AUTH_TYPES.join(", ")} (or unset for no authentication)`);
}

/**
 * Instances sharing a port each get a share of the connections, so a user must find the same
 * users and sessions on every one: users in PostgreSQL, sessions stored (or none at all).
 */
function checkSharedState(authType: AuthType | null, databaseUrl: string | null): void {
  if (databaseUrl === null) throw new ConfigError("REUSE_PORT=1 needs DATABASE_URL: instances sharing a port must share their users, and the JSON files serve one process");
  if (authType === "session_auth" || authType === "session_exp_auth") {
    throw new ConfigError(`REUSE_PORT=1 does not go with AUTH_TYPE=${authType}, whose sessions live in one process's memory; use session_db_auth`);
  }
}

function parseUsersApi(value: string | undefined, authType: AuthType | null): UsersApi {
  if (nonEmpty(value) === undefined || value === "open") return "open";
  if (value !== "admin") throw new ConfigError(`USERS_API must be open or admin, not ${JSON.stringify(value)}`);
  if (authType === null || authType === "auth") throw new ConfigError("USERS_API=admin needs an AUTH_TYPE that signs users in (basic_auth or a session one)");
  return value;
}

function parseSessionName(value: string | undefined): string {
  if (nonEmpty(value) === undefined) return DEFAULTS.sessionName;
  if (!isCookieName(value!)) throw new ConfigError(`SESSION_NAME ${JSON.stringify(value)} is not a valid cookie name`);
  return value!;
}

function parseUrl(name: string, value: string | undefined, protocols: readonly string[]): string | null {
  if (nonEmpty(value) === undefined) return null;
  let url: URL;
  try {
    url = new URL(value!);
  } catch {
    throw new ConfigError(`${name} is not a URL`);
  }
  // The message names the scheme only: a URL may hold a password.
  if (!protocols.includes(url.protocol)) throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(" or ")}, not ${url.protocol}//`);
  return value!;
}

/**
 * Browsers are sent to the login page with every request that is not signed in, so it must pass
 * the check every return address passes, whatever host the browser asked for.
 */
function parseLoginUrl(value: string | undefined, policy: ReturnPolicy): string | null {
  const name = "FORWARD_AUTH_LOGIN_URL";
  const url = parseUrl(name, value, ["http:", "https:"]);
  if (url === null) return null;
  const checked = safeReturnAddress(url, policy);
  if (checked !== null) return checked;
  const host = new URL(url).hostname;
  // Refused even on a host of its own: the address itself is at fault, not its host.
  if (safeReturnAddress(url, { ...policy, ownHost: host }) === null) {
    throw new ConfigError(`${name} must be an absolute http(s) address such as https://auth.example.com/, without spaces, backslashes, user name or password`);
  }
  throw new ConfigError(`${name}'s host ${host} is neither in ALLOWED_REDIRECT_HOSTS nor under COOKIE_DOMAIN: add it to one of them`);
}

/** A comma-separated list of origins (scheme://host[:port], nothing after). */
function parseOrigins(value: string | undefined): ReadonlySet<string> {
  const origins = new Set<string>();
  if (nonEmpty(value) === undefined) return origins;
  for (const item of value!.split(",").map((part) => part.trim()).filter(Boolean)) {
    let url: URL | null = null;
    try {
      url = new URL(item);
    } catch {
      url = null;
    }
    if (url === null || !["http:", "https:"].includes(url.protocol) || url.origin !== item.replace(/\/$/, "").toLowerCase()) {
      throw new ConfigError(`ALLOWED_ORIGINS must list origins such as https://app.example.com (scheme and host, no path), not ${JSON.stringify(item)}`);
    }
    origins.add(url.origin);
  }
  return origins;
}

function parseCookieDomain(value: string | undefined): string | null {
  if (nonEmpty(value) === undefined) return null;
  const domain = value!.replace(/^\./, "").toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/.test(domain)) {
    throw new ConfigError(`COOKIE_DOMAIN must be a domain with at least one dot, such as example.com, not ${JSON.stringify(value)}`);
  }
  return domain;
}

/** A domain (a passkey is bound to it and its subdomains), or localhost; never an IP address or a port. */
function parseRpId(value: string | undefined): string | null {
  if (nonEmpty(value) === undefined) return null;
  const domain = value!.toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/.test(domain) || /^[0-9.]+$/.test(domain)) {
    throw new ConfigError(`WEBAUTHN_RP_ID must be a domain such as example.com or localhost (no scheme, port or IP address), not ${JSON.stringify(value)}`);
  }
  return domain;
}

function parseSchema(value: string | undefined): string {
  if (nonEmpty(value) === undefined) return "public";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(value!)) throw new ConfigError(`DATABASE_SCHEMA must be a lowercase SQL name (letters, digits, _), not ${JSON.stringify(value)}`);
  return value!;
}

function parseLogFormat(value: string | undefined): LogFormat {
  if (nonEmpty(value) === undefined) return "text";
  if (value === "text" || value === "json") return value;
  throw new ConfigError(`LOG_FORMAT must be text or json, not ${JSON.stringify(value)}`);
}

/**
 * Settings the server accepts but that may not mean what was meant, each as one line for the
 * start-up log: a SESSION_DURATION that is not a positive whole number makes sessions never
 * expire, as the original reads it.
 */
export function configWarnings(env: Env): string[] {
  const warnings: string[] = [];
  const duration = env.SESSION_DURATION;
  if (duration !== undefined && duration !== "" && parseSessionDuration(duration) === 0 && !/^\s*0+\s*$/.test(duration)) {
    warnings.push(`warning: SESSION_DURATION=${JSON.stringify(duration)} is not a positive whole number of seconds, so sessions never expire (the original's rule)`);
  }
  return warnings;
}

/** As the original: an integer, else 0; and 0 or less means sessions never expire. */
export function parseSessionDuration(value: string | undefined): number {
  if (value === undefined || !/^\s*[+-]?\d+\s*$/.test(value)) return 0;
  const seconds = Number.parseInt(value, 10);
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : 0;
}

/** The longest password stored (FIELD_LIMITS.password in domain/user.ts): a longer minimum would refuse every one. */
const PASSWORD_MAX_LENGTH = 1024;

function parsePasswordMinLength(value: string | undefined): number {
  const length = parseWhole("PASSWORD_MIN_LENGTH", value, DEFAULTS.passwordMinLength, 1, "characters");
  if (length > PASSWORD_MAX_LENGTH) throw new ConfigError(`PASSWORD_MIN_LENGTH must be at most ${PASSWORD_MAX_LENGTH}, the longest password stored, not ${JSON.stringify(value)}`);
  return length;
}

function parseFlag(name: string, value: string | undefined): boolean {
  if (nonEmpty(value) === undefined) return false;
  const lower = value!.toLowerCase();
  if (["1", "true", "yes", "on"].includes(lower)) return true;
  if (["0", "false", "no", "off"].includes(lower)) return false;
  throw new ConfigError(`${name} must be 1 or 0 (true or false), not ${JSON.stringify(value)}`);
}

/** A whole number of at least `min`, in `unit`s; the message says which, and what 0 means. */
function parseWhole(name: string, value: string | undefined, fallback: number, min: number, unit: string, zero = "0 for no limit"): number {
  if (nonEmpty(value) === undefined) return fallback;
  const number = /^\d+$/.test(value!) ? Number(value) : Number.NaN;
  if (!(number >= min && Number.isSafeInteger(number))) {
    const expected = min > 0 ? `a whole number of ${unit}, at least ${min}` : `a whole number of ${unit} (${zero})`;
    throw new ConfigError(`${name} must be ${expected}, not ${JSON.stringify(value)}`);
  }
  return number;
}

/** PUBLIC_URL and the sign-in providers (src/sign-in-settings.ts), refused as every other setting is. */
function signInSettings(env: Env, authType: AuthType | null): Pick<Config, "publicUrl" | "oidcProviders"> {
  try {
    return parseSignIn(env, authType === "session_auth" || authType === "session_exp_auth" || authType === "session_db_auth");
  } catch (error) {
    throw error instanceof SignInSettingError ? new ConfigError(error.message) : error;
  }
}
