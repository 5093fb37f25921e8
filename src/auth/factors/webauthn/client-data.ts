/** Collected client data (WebAuthn Level 3 §5.8.1): the JSON the browser signed over, read strictly. */
import { WebAuthnError } from "./errors.ts";

export interface ClientData {
  type: string;
  challenge: string;
  origin: string;
  crossOrigin?: boolean;
  topOrigin?: string;
}

/** UTF-8 decode strips a leading byte order mark, as the spec's "UTF-8 decode" does. */
const utf8 = new TextDecoder("utf-8", { fatal: true });
const MAX_CLIENT_DATA = 4096;

/**
 * Steps "JSONtext = UTF-8 decode" and "C = parse JSON" (§7.1 steps 5–6, §7.2 steps 8–9): the
 * members the ceremony checks, of the right types, or a WebAuthnError naming `steps`.
 */
export function parseClientData(bytes: Uint8Array<ArrayBuffer>, steps: string): ClientData {
  if (bytes.length > MAX_CLIENT_DATA) throw new WebAuthnError(steps, "clientDataJSON is too long");
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new WebAuthnError(steps, "clientDataJSON is not JSON in UTF-8");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new WebAuthnError(steps, "clientDataJSON is not an object");
  const { type, challenge, origin, crossOrigin, topOrigin } = parsed as Record<string, unknown>;
  if (typeof type !== "string" || typeof challenge !== "string" || typeof origin !== "string") throw new WebAuthnError(steps, "clientDataJSON lacks type, challenge or origin");
  if (crossOrigin !== undefined && typeof crossOrigin !== "boolean") throw new WebAuthnError(steps, "clientDataJSON crossOrigin is not a boolean");
  if (topOrigin !== undefined && typeof topOrigin !== "string") throw new WebAuthnError(steps, "clientDataJSON topOrigin is not text");
  const data: ClientData = { type, challenge, origin };
  if (crossOrigin !== undefined) data.crossOrigin = crossOrigin;
  if (topOrigin !== undefined) data.topOrigin = topOrigin;
  return data;
}

/**
 * The checks of C common to both ceremonies, each its own step: type, challenge, origin, and
 * no iframe (this server never asks for a credential inside another site's frame).
 */
export function checkClientData(data: ClientData, expected: { type: string; challenge: string; origins: ReadonlySet<string> }, steps: { type: string; challenge: string; origin: string; crossOrigin: string; topOrigin: string }): void {
  if (data.type !== expected.type) throw new WebAuthnError(steps.type, `clientDataJSON type is not ${expected.type}`);
  if (data.challenge !== expected.challenge) throw new WebAuthnError(steps.challenge, "challenge does not match");
  if (!expected.origins.has(data.origin)) throw new WebAuthnError(steps.origin, "origin is not allowed");
  if (data.crossOrigin === true) throw new WebAuthnError(steps.crossOrigin, "cross-origin use is not allowed");
  if (data.topOrigin !== undefined) throw new WebAuthnError(steps.topOrigin, "use inside a frame is not allowed");
}
