import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, loadConfig, parseSessionDuration, configWarnings } from "../src/config.ts";

const source = { compiled: false, execPath: "/opt/bun/bin/bun", cwd: "/srv/here" };
const compiled = { compiled: true, execPath: "/opt/app/session-auth", cwd: "/somewhere/else" };

describe("loadConfig: one-time codes", () => {
  test("TOTP_ISSUER is trimmed; SECRET_KEY is 64 hex characters, kept lowercase", () => {
    const key = "AB".repeat(32);
    const config = loadConfig({ TOTP_ISSUER: " Acme ", SECRET_KEY: key }, source);
    expect(config.totpIssuer).toBe("Acme");
    expect(config.secretKey).toBe(key.toLowerCase());
  });

  test.each(["abc", "zz".repeat(32), "ab".repeat(33)])("SECRET_KEY %p is refused with the way to make one", (key) => {
    expect(() => loadConfig({ SECRET_KEY: key }, source)).toThrow(/SECRET_KEY must be 64 hexadecimal characters.*openssl rand -hex 32/);
  });

  test("a TOTP_ISSUER of two lines is refused", () => {
    expect(() => loadConfig({ TOTP_ISSUER: "a\nb" }, source)).toThrow(ConfigError);
  });
});

describe("loadConfig", () => {
  test("defaults", () => {
    expect(loadConfig({}, source)).toEqual({
      host: "0.0.0.0",
      port: 5000,
      authType: null,
      usersApi: "open",
      sessionName: "_my_session_id",
      sessionDuration: 0,
      sessionIdleTimeout: 0,
      dataDir: "/srv/here",
      cookieSecure: false,
      cookieDomain: null,
      webauthnRpId: null,
      allowedRedirectHosts: new Set(),
      forwardAuthLoginUrl: null,
      accessRules: null,
      maxBodyBytes: 65536,
      journalCompactBytes: 1048576,
      liveDataFileBytes: 4194304,
      trustProxy: false,
      reusePort: false,
      allowedOrigins: new Set(),
      loginMaxFailuresPerClient: 100,
      loginMaxFailuresPerAccount: 10,
      loginThrottleWindowSeconds: 900,
      passwordMinLength: 8,
      logFormat: "text",
      databaseUrl: null,
      databaseSchema: "public",
      redisUrl: null,
      redisPrefix: "session-auth:",
      storeTimeoutMs: 3000,
      publicUrl: null,
      oidcProviders: [],
      totpIssuer: "session-auth",
      secretKey: null,
      metrics: null,
      auditLog: null,
    });
  });

  test("WEBAUTHN_RP_ID: a domain or localhost, lowercased; no scheme, port or IP address", () => {
    expect(loadConfig({ WEBAUTHN_RP_ID: "Example.COM" }, source).webauthnRpId).toBe("example.com");
    expect(loadConfig({ WEBAUTHN_RP_ID: "localhost" }, source).webauthnRpId).toBe("localhost");
    for (const bad of ["https://example.com", "example.com:443", "127.0.0.1", "-x.example", "a..b", "*.example.com"]) {
      expect(() => loadConfig({ WEBAUTHN_RP_ID: bad }, source)).toThrow(/WEBAUTHN_RP_ID/);
    }
  });

  test("the compiled executable keeps its data next to itself", () => {
    expect(loadConfig({}, compiled).dataDir).toBe("/opt/app");
    expect(loadConfig({ DATA_DIR: "/data" }, compiled).dataDir).toBe("/data");
  });

  test("every variable is read", () => {
    const config = loadConfig(
      { API_HOST: "127.0.0.1", API_PORT: "8080", AUTH_TYPE: "session_db_auth", SESSION_NAME: "sid", SESSION_DURATION: "60", COOKIE_SECURE: "1", MAX_BODY_BYTES: "1024" },
      source,
    );
    expect(config).toMatchObject({ host: "127.0.0.1", port: 8080, authType: "session_db_auth", sessionName: "sid", sessionDuration: 60, cookieSecure: true, maxBodyBytes: 1024 });
  });

  test("every AUTH_TYPE is accepted; empty means none", () => {
    for (const type of ["auth", "basic_auth", "session_auth", "session_exp_auth", "session_db_auth"]) {
      expect(loadConfig({ AUTH_TYPE: type }, source).authType as string).toBe(type);
    }
    expect(loadConfig({ AUTH_TYPE: "" }, source).authType).toBeNull();
  });

  const refused: [Record<string, string>, RegExp][] = [
    [{ PUBLIC_URL: "auth.example.com" }, /^PUBLIC_URL must be/],
    [{ AUTH_TYPE: "session_auth", PUBLIC_URL: "https://a.example", OIDC_PROVIDERS: "Bad Name" }, /^OIDC_PROVIDERS must list lowercase names/],
    [{ AUTH_TYPE: "magic" }, /AUTH_TYPE "magic" is not one of: auth, basic_auth, session_auth, session_exp_auth, session_db_auth/],
    [{ API_PORT: "http" }, /API_PORT/],
    [{ API_PORT: "70000" }, /API_PORT/],
    [{ API_PORT: "-1" }, /API_PORT/],
    [{ SESSION_NAME: "bad name" }, /SESSION_NAME/],
    [{ COOKIE_SECURE: "maybe" }, /COOKIE_SECURE/],
    [{ MAX_BODY_BYTES: "0" }, /MAX_BODY_BYTES/],
    [{ LOGIN_MAX_FAILURES_PER_ACCOUNT: "many" }, /LOGIN_MAX_FAILURES_PER_ACCOUNT/],
    [{ LOGIN_THROTTLE_WINDOW: "0" }, /LOGIN_THROTTLE_WINDOW/],
    [{ PASSWORD_MIN_LENGTH: "0" }, /PASSWORD_MIN_LENGTH must be a whole number of characters, at least 1/],
    [{ PASSWORD_MIN_LENGTH: "eight" }, /PASSWORD_MIN_LENGTH/],
    [{ PASSWORD_MIN_LENGTH: "1025" }, /PASSWORD_MIN_LENGTH must be at most 1024/],
    [{ TRUST_PROXY: "perhaps" }, /TRUST_PROXY/],
    [{ LOG_FORMAT: "xml" }, /LOG_FORMAT/],
    [{ DATABASE_URL: "mysql://u:secret@h/db" }, /DATABASE_URL must start with postgres:/],
    [{ DATABASE_URL: "not a url" }, /DATABASE_URL is not a URL/],
    [{ REDIS_URL: "http://h" }, /REDIS_URL/],
    [{ DATABASE_SCHEMA: "Robert'); DROP" }, /DATABASE_SCHEMA/],
    [{ API_HOST: "http://0.0.0.0" }, /API_HOST must be an IP address or a host name/],
    [{ API_HOST: "0.0.0.0:5000" }, /API_HOST must be an IP address or a host name/],
    [{ API_HOST: "local host" }, /API_HOST must be an IP address or a host name/],
    [{ USERS_API: "everyone", AUTH_TYPE: "basic_auth" }, /USERS_API/],
    [{ SESSION_IDLE_TIMEOUT: "1h" }, /SESSION_IDLE_TIMEOUT/],
    [{ COOKIE_DOMAIN: "localhost" }, /COOKIE_DOMAIN/],
    [{ WEBAUTHN_RP_ID: "https://example.com" }, /WEBAUTHN_RP_ID/],
    [{ ALLOWED_REDIRECT_HOSTS: "https://app.example.com" }, /ALLOWED_REDIRECT_HOSTS must list host names such as app.example.com/],
    [{ ALLOWED_REDIRECT_HOSTS: "app.example.com, app.example.com:8080" }, /ALLOWED_REDIRECT_HOSTS.*"app.example.com:8080"/],
    [{ ALLOWED_REDIRECT_HOSTS: "*.example.com" }, /ALLOWED_REDIRECT_HOSTS/],
    [{ FORWARD_AUTH_LOGIN_URL: "/login" }, /FORWARD_AUTH_LOGIN_URL/],
    [{ FORWARD_AUTH_LOGIN_URL: "ftp://auth.example.com/" }, /FORWARD_AUTH_LOGIN_URL/],
    [{ JOURNAL_COMPACT_BYTES: "1MB" }, /JOURNAL_COMPACT_BYTES/],
    [{ LIVE_DATA_FILE_BYTES: "-1" }, /LIVE_DATA_FILE_BYTES/],
    [{ REUSE_PORT: "maybe" }, /REUSE_PORT/],
    [{ ALLOWED_ORIGINS: "*" }, /ALLOWED_ORIGINS/],
    [{ LOGIN_MAX_FAILURES_PER_CLIENT: "lots" }, /LOGIN_MAX_FAILURES_PER_CLIENT/],
    [{ STORE_TIMEOUT_MS: "3s" }, /STORE_TIMEOUT_MS/],
    [{ TOTP_ISSUER: "x".repeat(65) }, /TOTP_ISSUER/],
    [{ SECRET_KEY: "secret" }, /SECRET_KEY/],
    [{ METRICS: "sometimes" }, /METRICS/],
    [{ METRICS_LISTEN: "9959" }, /METRICS_LISTEN must be HOST:PORT/],
    [{ METRICS_LISTEN: "http://127.0.0.1:9959" }, /METRICS_LISTEN must be HOST:PORT/],
    [{ METRICS_LISTEN: "127.0.0.1:99999" }, /METRICS_LISTEN must be HOST:PORT/],
    [{ METRICS: "0", METRICS_LISTEN: "127.0.0.1:9959" }, /contradict/],
  ];
  // Free text, any value of which is usable, and the one exception kept from the original.
  // ACCESS_RULES is any path: the file itself is read and checked as the server starts.
  const anyValue = ["DATA_DIR", "REDIS_PREFIX", "SESSION_DURATION", "ACCESS_RULES", "AUDIT_LOG"];
  test("every setting read has a malformed value here that is refused, but for the free-text ones and SESSION_DURATION", () => {
    const read = new Set([...readFileSync(join(import.meta.dir, "..", "src", "config.ts"), "utf8").matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]!));
    const covered = new Set(refused.flatMap(([env]) => Object.keys(env)));
    expect([...read].filter((name) => !covered.has(name) && !anyValue.includes(name)).sort()).toEqual([]);
  });
  for (const [env, message] of refused) {
    test(`refuses ${JSON.stringify(env)}`, () => {
      expect(() => loadConfig(env, source)).toThrow(ConfigError);
      expect(() => loadConfig(env, source)).toThrow(message);
      expect(() => loadConfig(env, source)).not.toThrow(/secret/);
    });
  }
});

test("METRICS and METRICS_LISTEN: off, on the public port, or on an address of their own", () => {
  expect(loadConfig({}, source).metrics).toBeNull();
  expect(loadConfig({ METRICS: "1" }, source).metrics).toBe("public");
  expect(loadConfig({ METRICS: "0" }, source).metrics).toBeNull();
  expect(loadConfig({ METRICS_LISTEN: "127.0.0.1:9959" }, source).metrics).toEqual({ host: "127.0.0.1", port: 9959 });
  expect(loadConfig({ METRICS: "1", METRICS_LISTEN: "[::1]:0" }, source).metrics).toEqual({ host: "::1", port: 0 });
  expect(loadConfig({ METRICS_LISTEN: "localhost:9959" }, source).metrics).toEqual({ host: "localhost", port: 9959 });
  expect(loadConfig({ AUDIT_LOG: "/var/log/session-auth/audit.log" }, source).auditLog).toBe("/var/log/session-auth/audit.log");
});

test("SESSION_DURATION: an integer, else 0; 0 or less never expires", () => {
  const cases: [string | undefined, number][] = [[undefined, 0], ["", 0], ["60", 60], [" 60 ", 60], ["+5", 5], ["-5", 0], ["0", 0], ["1.5", 0], ["abc", 0], ["99999999999999999999", 0]];
  for (const [value, expected] of cases) expect([value, parseSessionDuration(value)]).toEqual([value, expected]);
});

test("configWarnings names the SESSION_DURATION values that make sessions never expire, and only those", () => {
  for (const value of ["3600s", "abc", "-5", "1.5"]) expect(configWarnings({ SESSION_DURATION: value })).toHaveLength(1);
  for (const value of ["3600", "0", "", " 60 "]) expect(configWarnings({ SESSION_DURATION: value })).toEqual([]);
  expect(configWarnings({})).toEqual([]);
});

test("ALLOWED_ORIGINS takes origins only, lowercased", () => {
  expect([...loadConfig({ ALLOWED_ORIGINS: "https://App.example.com, http://127.0.0.1:8080" }, source).allowedOrigins]).toEqual(["https://app.example.com", "http://127.0.0.1:8080"]);
  for (const bad of ["app.example.com", "https://app.example.com/path", "ftp://x.test", "*"]) {
    expect(() => loadConfig({ ALLOWED_ORIGINS: bad }, source)).toThrow(ConfigError);
  }
});

test("FORWARD_AUTH_LOGIN_URL: an absolute http(s) address on a host in ALLOWED_REDIRECT_HOSTS or under COOKIE_DOMAIN", () => {
  expect(loadConfig({ FORWARD_AUTH_LOGIN_URL: "https://Auth.example.test/login", COOKIE_DOMAIN: "example.test" }, source).forwardAuthLoginUrl).toBe("https://auth.example.test/login");
  expect(loadConfig({ FORWARD_AUTH_LOGIN_URL: "https://example.test/", COOKIE_DOMAIN: "example.test" }, source).forwardAuthLoginUrl).toBe("https://example.test/");
  expect(loadConfig({ FORWARD_AUTH_LOGIN_URL: "http://login.internal:8080/", ALLOWED_REDIRECT_HOSTS: "login.internal" }, source).forwardAuthLoginUrl).toBe("http://login.internal:8080/");
  const refused: [Record<string, string>, RegExp][] = [
    [{ FORWARD_AUTH_LOGIN_URL: "https://auth.example.test/" }, /^FORWARD_AUTH_LOGIN_URL's host auth\.example\.test is neither in ALLOWED_REDIRECT_HOSTS nor under COOKIE_DOMAIN/],
    [{ FORWARD_AUTH_LOGIN_URL: "https://evil.example/", COOKIE_DOMAIN: "example.test", ALLOWED_REDIRECT_HOSTS: "login.internal" }, /host evil\.example is neither/],
    [{ FORWARD_AUTH_LOGIN_URL: "https://example.test.evil.example/", COOKIE_DOMAIN: "example.test" }, /host example\.test\.evil\.example is neither/],
    [{ FORWARD_AUTH_LOGIN_URL: "javascript:alert(1)", COOKIE_DOMAIN: "example.test" }, /^FORWARD_AUTH_LOGIN_URL must start with http:\/\/ or https:\/\//],
    [{ FORWARD_AUTH_LOGIN_URL: "//auth.example.test/", COOKIE_DOMAIN: "example.test" }, /^FORWARD_AUTH_LOGIN_URL is not a URL/],
    [{ FORWARD_AUTH_LOGIN_URL: "http:auth.example.test/", COOKIE_DOMAIN: "example.test" }, /^FORWARD_AUTH_LOGIN_URL must be an absolute http\(s\) address/],
    [{ FORWARD_AUTH_LOGIN_URL: "https://user:secret@auth.example.test/", COOKIE_DOMAIN: "example.test" }, /^FORWARD_AUTH_LOGIN_URL must be an absolute http\(s\) address/],
    [{ FORWARD_AUTH_LOGIN_URL: "https://evil.example\\@auth.example.test/", COOKIE_DOMAIN: "example.test" }, /^FORWARD_AUTH_LOGIN_URL must be an absolute http\(s\) address/],
  ];
  for (const [env, message] of refused) {
    expect(() => loadConfig(env, source)).toThrow(ConfigError);
    expect(() => loadConfig(env, source)).toThrow(message);
    expect(() => loadConfig(env, source)).not.toThrow(/secret/);
  }
});

test("USERS_API: open by default, admin only with an AUTH_TYPE that signs users in", () => {
  expect(loadConfig({}, source).usersApi).toBe("open");
  expect(loadConfig({ USERS_API: "admin", AUTH_TYPE: "basic_auth" }, source).usersApi).toBe("admin");
  expect(() => loadConfig({ USERS_API: "admin" }, source)).toThrow(/needs an AUTH_TYPE/);
  expect(() => loadConfig({ USERS_API: "everyone", AUTH_TYPE: "basic_auth" }, source)).toThrow(/USERS_API must be open or admin/);
});

test("REUSE_PORT only where instances share their state", () => {
  const pg = { DATABASE_URL: "postgres://u@127.0.0.1/db" };
  expect(loadConfig({ REUSE_PORT: "1", ...pg, AUTH_TYPE: "session_db_auth" }, source).reusePort).toBe(true);
  expect(loadConfig({ REUSE_PORT: "1", ...pg, AUTH_TYPE: "basic_auth" }, source).reusePort).toBe(true);
  expect(() => loadConfig({ REUSE_PORT: "1", AUTH_TYPE: "session_db_auth" }, source)).toThrow(/needs DATABASE_URL/);
  expect(() => loadConfig({ REUSE_PORT: "1", ...pg, AUTH_TYPE: "session_auth" }, source)).toThrow(/one process's memory/);
});

test("PASSWORD_MIN_LENGTH: 8 unless set", () => {
  expect(loadConfig({}, source).passwordMinLength).toBe(8);
  expect(loadConfig({ PASSWORD_MIN_LENGTH: "3" }, source).passwordMinLength).toBe(3);
  expect(loadConfig({ PASSWORD_MIN_LENGTH: "12" }, source).passwordMinLength).toBe(12);
});

test("API_HOST takes IPv4 and IPv6 addresses and host names", () => {
  for (const host of ["127.0.0.1", "0.0.0.0", "::", "::1", "fe80::1%eth0", "localhost", "auth.example.com", "my_host"]) {
    expect(loadConfig({ API_HOST: host }, source).host).toBe(host);
  }
});

test("ALLOWED_REDIRECT_HOSTS: host names, lowercased, blanks ignored", () => {
  expect([...loadConfig({ ALLOWED_REDIRECT_HOSTS: " App.Example.com,,127.0.0.1 , [0:0::1]" }, source).allowedRedirectHosts]).toEqual(["app.example.com", "127.0.0.1", "[::1]"]);
});
