/**
 * A provider's metadata (OpenID Connect Discovery 1.0): fetched from
 * `<issuer>/.well-known/openid-configuration`, checked (§4.3: its `issuer` is exactly the one
 * configured), kept for an hour, and longer while a new one cannot be had. A failed fetch is
 * not kept: the next sign-in tries again.
 */
import { ProviderFailed } from "./errors.ts";
import { expectJsonObject, providerFetch, type ProviderFetchOptions } from "./provider-fetch.ts";

export interface ProviderMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  userinfoEndpoint: string | null;
  /** RFC 9207: the provider puts `iss` in every authorization response. */
  issParameterSupported: boolean;
  /** The ID token algorithms it says it uses, when it says. */
  idTokenAlgorithms: readonly string[] | null;
}

export const DISCOVERY_MAX_AGE_MS = 60 * 60 * 1000;

/** An endpoint: https, or http when the issuer itself is http (a provider on this machine). */
function endpoint(document: Record<string, unknown>, name: string, issuer: string, required: boolean): string | null {
  const value = document[name];
  if (value === undefined && !required) return null;
  let url: URL | null = null;
  try {
    url = typeof value === "string" ? new URL(value) : null;
  } catch {
    url = null;
  }
  const allowed = new URL(issuer).protocol === "http:" ? ["http:", "https:"] : ["https:"];
  if (url === null || !allowed.includes(url.protocol) || url.username !== "" || url.password !== "") {
    throw new ProviderFailed(`the provider's discovery document has no usable ${name}`);
  }
  return url.href;
}

/** The metadata a discovery document gives, or ProviderFailed. */
export function parseDiscovery(document: Record<string, unknown>, issuer: string): ProviderMetadata {
  if (document.issuer !== issuer) throw new ProviderFailed(`the provider's discovery document names another issuer than ${issuer}`);
  const algorithms = document.id_token_signing_alg_values_supported;
  return {
    issuer,
    authorizationEndpoint: endpoint(document, "authorization_endpoint", issuer, true)!,
    tokenEndpoint: endpoint(document, "token_endpoint", issuer, true)!,
    jwksUri: endpoint(document, "jwks_uri", issuer, true)!,
    userinfoEndpoint: endpoint(document, "userinfo_endpoint", issuer, false),
    issParameterSupported: document.authorization_response_iss_parameter_supported === true,
    idTokenAlgorithms: Array.isArray(algorithms) ? algorithms.filter((each): each is string => typeof each === "string") : null,
  };
}

/** The metadata of one issuer, fetched when first needed and again when an hour old; concurrent callers share one fetch. */
export class DiscoveryCache {
  private cached: { metadata: ProviderMetadata; at: number } | null = null;
  private pending: Promise<ProviderMetadata> | null = null;

  constructor(
    private readonly issuer: string,
    private readonly fetchOptions: ProviderFetchOptions,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<ProviderMetadata> {
    if (this.cached !== null && this.now() - this.cached.at < DISCOVERY_MAX_AGE_MS) return Promise.resolve(this.cached.metadata);
    this.pending ??= this.load()
      // An hour-old document still serves while the provider cannot give a new one.
      .catch((error: unknown) => {
        if (this.cached !== null) return this.cached.metadata;
        throw error;
      })
      .finally(() => {
        this.pending = null;
      });
    return this.pending;
  }

  private async load(): Promise<ProviderMetadata> {
    const url = `${this.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
    const answer = await providerFetch(url, { headers: { Accept: "application/json" } }, this.fetchOptions);
    const metadata = parseDiscovery(expectJsonObject(answer, url, "the discovery request"), this.issuer);
    this.cached = { metadata, at: this.now() };
    return metadata;
  }
}
