/** The configured providers (OIDC_PROVIDERS) as IdentityProviders: GitHub's preset for issuer `github`, OpenID Connect for the others. */
import type { Config } from "../../config.ts";
import { GitHubProvider } from "./github.ts";
import type { IdentityProvider } from "./identity-provider.ts";
import { OidcProvider } from "./oidc.ts";

export function createProviders(config: Pick<Config, "oidcProviders" | "storeTimeoutMs">, clock?: () => number): IdentityProvider[] {
  const options = { timeoutMs: config.storeTimeoutMs, ...(clock ? { now: clock } : {}) };
  return config.oidcProviders.map((provider) =>
    provider.issuer === "github"
      ? new GitHubProvider({ ...provider, apiUrl: provider.apiUrl! }, options)
      : new OidcProvider(provider, options),
  );
}
