/** Random and malformed HTTP requests for the fuzz test and scripts/fuzz-http.ts. */
import type { Random } from "./random.ts";

export interface Credentials {
  /** A valid session cookie value, used on some requests so that handlers see hostile bodies too. */
  sessionId: string;
  sessionName: string;
  /** The id of the user that cookie belongs to (PUT targets it). */
  userId: string;
}

const METHODS = ["GET", "GET", "POST", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "BREW", "get"];
const PATHS = [
  "/", "/api/v1/status", "/api/v1/status/", "/api/v1/stats", "/api/v1/users", "/api/v1/users/", "/api/v1/users/me",
  "/api/v1/auth_session/login", "/api/v1/auth_session/logout", "/api/v1/unauthorized", "/api/v1/forbidden",
  "/api/v1//users", "/api/v1/users/../status", "/api/v1/%73tatus", "/api/v1/users/%00", "/api/v1/users/%E2%82",
  "/api/v2/status", "/favicon.ico",
];
const CONTENT_TYPES = [
  "application/json", "application/json; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data",
  "multipart/form-data; boundary=x", "text/plain", "application/vnd.api+json", "", "application/json;;;", "\u00e9",
];

/** A random JSON-ish body: valid JSON of every shape, near-valid fragments and junk. */
function body(random: Random): string {
  const values = () => random.pick<unknown>([null, true, 1, -0, 1e308, "", random.nasty(6), [], {}, [[[]]], { email: random.nasty(4) }]);
  switch (random.int(7)) {
    case 0:
      return JSON.stringify({ email: random.chance(0.5) ? random.nasty(5) : values(), password: random.chance(0.5) ? random.nasty(5) : values(), first_name: values(), last_name: values() });
    case 1:
      return JSON.stringify(values());
    case 2:
      return `email=${encodeURIComponent(random.nasty(5).toWellFormed())}&password=${random.nasty(5)}&${random.nasty(10)}`;
    case 3:
      return "[".repeat(random.int(5000)) + "]".repeat(random.int(5000));
    case 4:
      return `{"email": "${random.nasty(3)}", "password": ${random.nasty(3)}`;
    case 5:
      return `--x\r\nContent-Disposition: form-data; name="email"\r\n\r\n${random.nasty(4)}\r\n--x--`;
    default:
      return random.nasty(40);
  }
}

export function hostileRequest(random: Random, base: string, credentials?: Credentials): Request {
  return random.chance(0.4) ? targetedRequest(random, base, credentials) : chaoticRequest(random, base, credentials);
}

/** A hostile value of any JSON type, strings most often. */
function hostileValue(random: Random): unknown {
  return random.chance(0.6) ? random.nasty(6) : random.pick<unknown>([null, true, 0, 1e308, "", [], {}, [random.nasty(3)], { x: random.nasty(3) }]);
}

/** A well-formed call to a real route, with hostile values where the data goes. */
function targetedRequest(random: Random, base: string, credentials?: Credentials): Request {
  const headers = new Headers();
  if (credentials && random.chance(0.8)) headers.set("cookie", `${credentials.sessionName}=${credentials.sessionId}`);
  const json = (value: unknown) => {
    headers.set("content-type", "application/json");
    return JSON.stringify(value);
  };
  const fields = () => Object.fromEntries(["email", "password", "first_name", "last_name", random.nasty(3)].filter(() => random.chance(0.7)).map((key) => [key, hostileValue(random)]));
  const userPath = () => `/api/v1/users/${random.chance(0.5) && credentials ? credentials.userId : encodeURIComponent(random.nasty(6).toWellFormed())}`;
  switch (random.int(5)) {
    case 0:
      return new Request(`${base}/api/v1/users`, { method: "POST", headers, body: json(fields()) });
    case 1: {
      const path = random.chance(0.7) && credentials ? `/api/v1/users/${credentials.userId}` : userPath();
      return new Request(`${base}${path}`, { method: "PUT", headers, body: json(random.chance(0.8) ? fields() : hostileValue(random)) });
    }
    case 2: {
      headers.set("content-type", "application/x-www-form-urlencoded");
      const form = new URLSearchParams();
      for (const [key, value] of Object.entries(fields())) form.append(key, typeof value === "string" ? value.toWellFormed() : JSON.stringify(value));
      return new Request(`${base}/api/v1/auth_session/login`, { method: "POST", headers, body: form.toString() });
    }
    case 3:
      return new Request(`${base}${userPath()}`, { headers });
    default:
      return new Request(`${base}/api/v1/users${random.pick(["", "/", "/me"])}`, { method: random.pick(["GET", "HEAD", "OPTIONS"]), headers });
  }
}

function chaoticRequest(random: Random, base: string, credentials?: Credentials): Request {
  let method = random.pick(METHODS);
  let path = random.chance(0.8) ? random.pick(PATHS) : `/${random.nasty(10)}`;
  if (random.chance(0.2)) path += random.pick(["?", "?email=a&password=b", `?${random.nasty(5)}`, "#x", "/"]);
  if (random.chance(0.1)) path = `/api/v1/users/${encodeURIComponent(random.nasty(8).toWellFormed())}`;
  const headers = new Headers();
  const authenticated = credentials !== undefined && random.chance(0.3);
  if (authenticated) {
    headers.set("cookie", `${credentials.sessionName}=${credentials.sessionId}`);
    // Never end the session or the user the run depends on.
    if (method === "DELETE") method = "GET";
    if (random.chance(0.3)) path = `/api/v1/users/${credentials.userId}`;
    if (path.startsWith("/api/v1/auth_session/logout")) path = "/api/v1/users/me";
  } else if (random.chance(0.3)) {
    setHeader(headers, "cookie", random.pick([random.nasty(20), `_my_session_id=${random.nasty(8)}`, `_my_session_id="${random.nasty(4)}"`]));
  }
  if (random.chance(0.3)) {
    setHeader(
      headers,
      "authorization",
      random.pick([random.nasty(10), `Basic ${random.nasty(6)}`, `Basic ${Buffer.from(random.nasty(8)).toString("base64")}`, "Basic ", `Bearer ${random.nasty(4)}`]),
    );
  }
  if (random.chance(0.6)) setHeader(headers, "content-type", random.pick(CONTENT_TYPES));
  for (let i = random.int(3); i > 0; i--) setHeader(headers, `x-${random.int(1000)}`, random.nasty(8));
  const hasBody = !["GET", "HEAD"].includes(method) && random.chance(0.8);
  try {
    return new Request(`${base}${path}`, { method, headers, body: hasBody ? body(random) : undefined });
  } catch {
    // Not a URL or method fetch accepts: the raw-socket requests cover those.
    return new Request(`${base}/api/v1/status`);
  }
}

function setHeader(headers: Headers, name: string, value: string): void {
  try {
    headers.set(name, value);
  } catch {
    // Not a legal header value for fetch; the raw-socket requests send those.
  }
}

/** Requests no well-behaved client sends, for a raw socket. */
export function malformedRequest(random: Random): string {
  const pieces = [
    () => `GET ${random.nasty(10)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    () => `${random.nasty(5)} / HTTP/1.1\r\n\r\n`,
    () => "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
    () => `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n`,
    () => `POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nContent-Length: 20\r\n\r\n0123456789`,
    () => `POST /api/v1/auth_session/login HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n${random.nasty(5)}\r\n`,
    () => `GET /api/v1/status HTTP/1.1\r\nHost: x\r\n${random.nasty(6)}\r\n\r\n`,
    () => `GET /api/v1/status HTTP/1.1\r\nHost: x\r\nX: ${"a".repeat(20_000)}\r\n\r\n`,
    () => `GET /api/v1/users/me HTTP/1.1\r\nHost: x\r\nCookie: ${random.nasty(30)}\r\n\r\n`,
    () => `\r\n\r\n${random.nasty(20)}`,
    () => `GET /${"a/".repeat(10_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  ];
  return random.pick(pieces)();
}
