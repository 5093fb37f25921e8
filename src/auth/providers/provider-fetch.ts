/**
 * Every call to a provider goes through here: bounded in time (the whole exchange, body
 * included) and in size, so that a provider that hangs or floods gives the browser a 504 or a
 * 502 page in bounded time, never a hung request.
 */
import { ProviderFailed } from "./errors.ts";

/** The largest answer read from a provider (a discovery document or a JWKS is a few kilobytes). */
export const MAX_PROVIDER_BODY_BYTES = 512 * 1024;

export interface ProviderFetchOptions {
  timeoutMs: number;
  /** Stand-in for the global fetch (tests). */
  fetch?: typeof fetch;
}

export interface ProviderAnswer {
  status: number;
  headers: Headers;
  /** The body parsed as JSON; undefined when it is not JSON. */
  json: unknown;
}

/** What a provider's host is called in messages: its origin, never a query (it may hold a code). */
function where(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "the provider";
  }
}

async function readBounded(response: Response, signal: AbortSignal): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    if (signal.aborted) throw signal.reason;
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_PROVIDER_BODY_BYTES) {
      await reader.cancel().catch(() => {});
      throw new ProviderFailed(`${where(response.url)} sent more than ${MAX_PROVIDER_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** One request to a provider; ProviderFailed (504 on timeout, 502 otherwise) when it cannot be made or read. */
export async function providerFetch(url: string, init: RequestInit, options: ProviderFetchOptions): Promise<ProviderAnswer> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  const doFetch = options.fetch ?? fetch;
  try {
    // Redirects are not followed: a provider's endpoints are the ones it published.
    const response = await doFetch(url, { ...init, signal, redirect: "manual" });
    const text = await readBounded(response, signal);
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json };
  } catch (error) {
    if (error instanceof ProviderFailed) throw error;
    const name = (error as Error | undefined)?.name;
    if (signal.aborted || name === "TimeoutError" || name === "AbortError") throw new ProviderFailed(`${where(url)} did not answer within ${options.timeoutMs} ms`, 504);
    throw new ProviderFailed(`${where(url)} could not be reached`);
  }
}

/** A JSON object from a 200 answer, or ProviderFailed saying what came instead. */
export function expectJsonObject(answer: ProviderAnswer, url: string, what: string): Record<string, unknown> {
  if (answer.status !== 200) throw new ProviderFailed(`${where(url)} answered ${what} with HTTP ${answer.status}`);
  const body = answer.json;
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new ProviderFailed(`${where(url)} answered ${what} with something other than a JSON object`);
  return body as Record<string, unknown>;
}
