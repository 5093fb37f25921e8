/**
 * A provider's signing keys (its JWKS), fetched when first needed and again when a token names
 * a key we do not have (the provider rotated its keys), at most once a minute counted from the
 * last fetch, so that tokens with made-up `kid`s cannot make us hammer the provider.
 */
import { ProviderFailed, SignInRefused } from "./errors.ts";
import { importJwk, type Jwk, keyFits, type ParsedJws } from "./jose.ts";
import { expectJsonObject, providerFetch, type ProviderFetchOptions } from "./provider-fetch.ts";

export const JWKS_REFETCH_MS = 60_000;
/** Keys read from one JWKS at most. */
const MAX_KEYS = 100;

export class JwksCache {
  private keys: readonly Jwk[] | null = null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly jwksUri: () => Promise<string>,
    private readonly fetchOptions: ProviderFetchOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** The key that verifies this token, or SignInRefused when no published key fits it. */
  async keyFor(jws: ParsedJws): Promise<CryptoKey> {
    if (this.keys === null) await this.refresh();
    let candidates = this.candidates(jws);
    if (candidates.length === 0 && this.now() - this.fetchedAt >= JWKS_REFETCH_MS) {
      await this.refresh();
      candidates = this.candidates(jws);
    }
    // Without a kid, the token must leave no doubt which key is meant.
    if (candidates.length === 0 || (jws.kid === null && candidates.length > 1)) {
      throw new SignInRefused("no key of the provider fits the ID token's kid and algorithm", 401, "3.1.3.7-6");
    }
    const key = await importJwk(candidates[0]!, jws.alg);
    if (key === null) throw new SignInRefused("the provider's key for the ID token cannot be used", 401, "3.1.3.7-6");
    return key;
  }

  private candidates(jws: ParsedJws): Jwk[] {
    return (this.keys ?? []).filter((jwk) => (jws.kid === null || jwk.kid === jws.kid) && keyFits(jwk, jws.alg));
  }

  private refresh(): Promise<void> {
    this.pending ??= this.load().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async load(): Promise<void> {
    // Counted from the attempt, failed or not: a provider that is down is not asked again at once.
    this.fetchedAt = this.now();
    const url = await this.jwksUri();
    const body = expectJsonObject(await providerFetch(url, { headers: { Accept: "application/json" } }, this.fetchOptions), url, "the JWKS request");
    if (!Array.isArray(body.keys)) throw new ProviderFailed("the provider's JWKS has no keys array");
    this.keys = body.keys.filter((key): key is Jwk => key !== null && typeof key === "object" && !Array.isArray(key)).slice(0, MAX_KEYS);
  }
}
