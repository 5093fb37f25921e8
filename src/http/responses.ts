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

/**
 * A JSON array in the output format, from elements already in it (each as stringifySorted
 * writes it), arriving in batches: small arrays are sent as one text, longer ones streamed as
 * their batches come, so that a listing of any length holds one batch in memory and lets other
 * requests run between batches.
 */
export async function jsonArray(batches: AsyncIterable<readonly string[]>): Promise<Response> {
  const iterator = batches[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return jsonText("[]\n");
  const second = await iterator.next();
  const head = `[\n${arrayItems(first.value)}`;
  if (second.done) return jsonText(`${head}\n]\n`);
  const encoder = new TextEncoder();
  let pending: readonly string[] | null = second.value;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(head));
    },
    async pull(controller) {
      if (pending === null) {
        controller.enqueue(encoder.encode("\n]\n"));
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(`,\n${arrayItems(pending)}`));
      // Batches a store holds in memory come without a pause: wait a turn of the event loop
      // between them, so that other requests are answered while a long list goes out.
      await new Promise((resolve) => setImmediate(resolve));
      const next = await iterator.next();
      pending = next.done ? null : next.value;
    },
    async cancel() {
      await iterator.return?.();
    },
  });
  return new Response(body, { status: 200, headers: JSON_HEADERS });
}

/** Elements indented one level, as inside an array, separated by commas. */
function arrayItems(items: readonly string[]): string {
  return items.map((item) => `  ${item.trimEnd().replaceAll("\n", "\n  ")}`).join(",\n");
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
