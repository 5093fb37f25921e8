/**
 * The output conventions in one place: sorted, indented JSON; `{"error": …}` bodies; the CORS
 * header of the original's Flask-CORS set when the response is made (adding a header to a
 * finished Response costs more than the rest of a fast request).
 */
import { stringifySorted } from "../sorted-json.ts";

const JSON_HEADERS = { "Content-Type": "application/json", "Access-Control-Allow-Origin": "*" } as const;
const HTML_HEADERS = { "Content-Type": "text/html; charset=utf-8", "Access-Control-Allow-Origin": "*" } as const;

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

export function json(body: unknown, status = 200, headers?: Record<string, string>): Response {
  return jsonText(stringifySorted(body), status, headers);
}

/** A response for JSON text already in the output format. */
export function jsonText(text: string, status = 200, headers?: Record<string, string>): Response {
  return new Response(text, { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS });
}

/** Error bodies by message: the same few messages answer most failed requests. */
const errorBodies = new Map<string, string>();

export function jsonError(status: number, message: string, headers?: Record<string, string>): Response {
  let body = errorBodies.get(message);
  if (body === undefined) {
    body = stringifySorted({ error: message });
    if (errorBodies.size < 256) errorBodies.set(message, body);
  }
  return new Response(body, { status, headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS });
}

export function html(body: string, status = 200, headers?: Record<string, string>): Response {
  return new Response(body, { status, headers: headers ? { ...HTML_HEADERS, ...headers } : HTML_HEADERS });
}

/** Flask's 405 page, kept as the transcripts show it. */
export const METHOD_NOT_ALLOWED_PAGE = `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<title>405 Method Not Allowed</title>
<h1>Method Not Allowed</h1>
<p>The method is not allowed for the requested URL.</p>
`;
