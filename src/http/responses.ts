/** The output conventions in one place: sorted, indented JSON; `{"error": …}` bodies. */

const JSON_TYPE = "application/json";

/** An error that carries its HTTP status; handlers throw it and the server renders it. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** Two-space indented JSON with object keys sorted, ending in a newline, as Flask's jsonify. */
export function stringifySorted(value: unknown): string {
  return `${JSON.stringify(value, sortKeys, 2)}\n`;
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) sorted[key] = (value as Record<string, unknown>)[key];
  return sorted;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(stringifySorted(body), {
    status,
    headers: { "Content-Type": JSON_TYPE, ...headers },
  });
}

export function jsonError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return json({ error: message }, status, headers);
}

export function html(body: string, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "Content-Type": "text/html; charset=utf-8", ...headers } });
}

export function tooManyAttempts(retryAfterSeconds: number): HttpError {
  return new HttpError(429, "too many attempts", { "Retry-After": String(retryAfterSeconds) });
}

/** Flask's 405 page, kept as the transcripts show it. */
export const METHOD_NOT_ALLOWED_PAGE = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<title>405 Method Not Allowed</title>
<h1>Method Not Allowed</h1>
<p>The method is not allowed for the requested URL.</p>
`;
