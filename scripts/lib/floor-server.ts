/**
 * The benchmark's floor for a workload: only the work any implementation of this API must do
 * for it, written straight into Bun.serve. It reads the client address and the path, and, for
 * a workload with credentials, the credential: the session cookie (FLOOR_CREDENTIAL
 * `cookie:<name>=<value>`) or the Authorization header (`authorization:<value>`; Basic answers a
 * header verified lately from a cache keyed by its hash). It hashes the credential (session ids
 * and verified headers are kept only as SHA-256), finds the hash among FLOOR_SESSIONS others,
 * answers, and writes the access log line, once per turn of the event loop. Without
 * FLOOR_CREDENTIAL (GET /status) it answers at once. The gap from the ceiling to this floor is
 * the price of the work itself; the gap from this floor to session-auth is session-auth's own.
 *
 * CEILING_RESPONSE: the {status, headers, body} session-auth gave for the workload, answered
 * when the floor's own decision (found, 401 without credentials, 403 for an unknown one) has
 * that status.
 */
export {};

const captured = JSON.parse(process.env.CEILING_RESPONSE ?? '{"status":200,"headers":{},"body":""}') as {
  status: number;
  headers: Record<string, string>;
  body: string;
};
const credential = process.env.FLOOR_CREDENTIAL ?? "";
const source = credential.startsWith("cookie:") ? "cookie" : credential.startsWith("authorization:") ? "authorization" : "none";
const [cookieName = "", cookieValue = ""] = source === "cookie" ? credential.slice("cookie:".length).split("=") : [];
const known = source === "cookie" ? cookieValue : credential.slice("authorization:".length);
const prefix = `${cookieName}=`;
const sha256 = (text: string) => Bun.SHA256.hash(text, "hex") as string;

const sessions = new Map<string, true>();
for (let i = Number(process.env.FLOOR_SESSIONS ?? 0); i > 0; i--) sessions.set(sha256(crypto.randomUUID()), true);
if (source !== "none") sessions.set(sha256(known), true);

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
    let outcome = 200;
    if (source === "cookie") {
      const cookies = request.headers.get("cookie");
      const at = cookies === null ? -1 : cookies.indexOf(prefix);
      if (at === -1) outcome = request.headers.get("authorization") === null ? 401 : 403;
      else {
        const end = cookies!.indexOf(";", at);
        outcome = sessions.has(sha256(cookies!.slice(at + prefix.length, end === -1 ? undefined : end))) ? 200 : 403;
      }
    } else if (source === "authorization") {
      const header = request.headers.get("authorization");
      outcome = header === null ? 401 : sessions.has(sha256(header)) ? 200 : 403;
    }
    const answer = outcome === 200 ? captured.status : outcome;
    const response =
      answer === captured.status
        ? new Response(captured.body, { status: captured.status, headers: captured.headers })
        : new Response(outcome === 401 ? UNAUTHORIZED : FORBIDDEN, { status: outcome, headers: JSON_HEADERS });
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
