/**
 * The benchmark's floor for GET /api/v1/users/me (and /auth/verify): only the work any implementation of this API
 * must do for it, written straight into Bun.serve. It reads the client address, the path and the
 * session cookie, hashes the cookie (session ids are kept only as SHA-256), finds the hash among
 * FLOOR_SESSIONS others, answers the stored body and writes the access log line, once per turn
 * of the event loop. The gap from the ceiling to this floor is the price of the work itself; the
 * gap from this floor to session-auth is session-auth's own overhead.
 *
 * CEILING_RESPONSE: the {status, headers, body} to answer; FLOOR_COOKIE: `name=value` of the
 * session to recognise.
 */
export {};

const { status, headers, body } = JSON.parse(process.env.CEILING_RESPONSE ?? '{"status":200,"headers":{},"body":""}') as {
  status: number;
  headers: Record<string, string>;
  body: string;
};
const [cookieName = "", cookieValue = ""] = (process.env.FLOOR_COOKIE ?? "").split("=");
const prefix = `${cookieName}=`;
const sha256 = (text: string) => Bun.SHA256.hash(text, "hex") as string;

const sessions = new Map<string, string>();
for (let i = Number(process.env.FLOOR_SESSIONS ?? 0); i > 0; i--) sessions.set(sha256(crypto.randomUUID()), "");
sessions.set(sha256(cookieValue), body);

const JSON_HEADERS = { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" };
const UNAUTHORIZED = '{\n  "error": "Unauthorized"\n}\n';
const FORBIDDEN = '{\n  "error": "Forbidden"\n}\n';

let pending = "";
let lastMs = 0;
let lastTime = "";
const flush = () => {
  const text = pending;
  pending = "";
  process.stdout.write(text);
};

const floor = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.API_PORT ?? 0),
  development: false,
  reusePort: false,
  fetch(request, server) {
    const started = performance.now();
    const client = server.requestIP(request)?.address ?? "unknown";
    const url = request.url;
    const path = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    const cookies = request.headers.get("cookie");
    const at = cookies === null ? -1 : cookies.indexOf(prefix);
    let response: Response;
    if (request.headers.get("authorization") === null && at === -1) {
      response = new Response(UNAUTHORIZED, { status: 401, headers: JSON_HEADERS });
    } else {
      const end = cookies!.indexOf(";", at);
      const found = at === -1 ? undefined : sessions.get(sha256(cookies!.slice(at + prefix.length, end === -1 ? undefined : end)));
      // The stored answer may be empty (verify's 200 carries the user in its headers).
      response = found !== undefined ? new Response(found, { status, headers }) : new Response(FORBIDDEN, { status: 403, headers: JSON_HEADERS });
    }
    const ms = Date.now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTime = new Date(ms).toISOString();
    }
    if (pending === "") setImmediate(flush);
    pending += `${lastTime} ${client} ${request.method} ${path} ${response.status} ${Math.round((performance.now() - started) * 10) / 10}ms\n`;
    return response;
  },
});
console.log(`floor listening on http://127.0.0.1:${floor.port}`);
