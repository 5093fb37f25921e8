/** Request bodies, read with a size cap so that a huge upload is refused before it is held. */
import { parseForm } from "./forms.ts";
import { HttpError } from "./responses.ts";

export const TOO_LARGE_MESSAGE = "Request body too large";
export const INCOMPLETE_MESSAGE = "Request body incomplete";

/** Whether the request declares a body larger than `limit` bytes (answered 413 before it is read). */
export function declaresTooLarge(request: Request, limit: number): boolean {
  const declared = request.headers.get("content-length");
  return declared !== null && Number(declared) > limit;
}

/**
 * The body, at most `limit` bytes (413 past it). A body that stops arriving (the client went
 * away, or sent less than it declared) is a 400, never taken for a whole one.
 */
export async function readBodyBytes(request: Request, limit: number): Promise<Uint8Array> {
  if (declaresTooLarge(request, limit)) throw new HttpError(413, TOO_LARGE_MESSAGE);
  if (!request.body) return new Uint8Array(0);
  const declared = request.headers.get("content-length");
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    let chunk: Awaited<ReturnType<typeof reader.read>>;
    try {
      chunk = await reader.read();
    } catch {
      throw new HttpError(400, INCOMPLETE_MESSAGE);
    }
    const { done, value } = chunk;
    if (done) {
      if (declared !== null && size < Number(declared)) throw new HttpError(400, INCOMPLETE_MESSAGE);
      break;
    }
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new HttpError(413, TOO_LARGE_MESSAGE);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

export function mediaType(request: Request): string {
  const contentType = request.headers.get("content-type") ?? "";
  const semicolon = contentType.indexOf(";");
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
}

/**
 * The JSON body as `request.get_json()` saw it: undefined unless the media type is JSON and
 * the body parses.
 */
export async function readJson(request: Request, limit: number): Promise<unknown> {
  const type = mediaType(request);
  if (type !== "application/json" && !type.endsWith("+json")) return undefined;
  const text = new TextDecoder().decode(await readBodyBytes(request, limit));
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The form fields as `request.form` saw them: urlencoded through our parser, multipart through
 * Bun's; any other body (JSON, none) carries no fields. File parts are not fields.
 */
export async function readForm(request: Request, limit: number): Promise<Map<string, string>> {
  const type = mediaType(request);
  if (type === "application/x-www-form-urlencoded") {
    return parseForm(new TextDecoder().decode(await readBodyBytes(request, limit)));
  }
  const fields = new Map<string, string>();
  if (type !== "multipart/form-data") return fields;
  const bytes = await readBodyBytes(request, limit);
  try {
    const form = await new Response(bytes, { headers: { "content-type": request.headers.get("content-type")! } }).formData();
    form.forEach((value, name) => {
      if (typeof value === "string" && !fields.has(name)) fields.set(name, value);
    });
  } catch {
    // A malformed multipart body carries no fields.
  }
  return fields;
}
