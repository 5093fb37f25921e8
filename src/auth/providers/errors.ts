/**
 * What can go wrong while signing in with a provider, each with the status of the plain page the
 * browser gets: a refusal of ours is a 4xx, a provider that fails a 502, one that does not answer
 * in time a 504. Messages are for that page and the log: never a token, code or secret.
 */

/** A refusal: the response, the token or the account does not pass a check. */
export class SignInRefused extends Error {
  override name = "SignInRefused";
  constructor(
    message: string,
    readonly status: 400 | 401 | 403 = 400,
    /** The spec step or rule that refused, for the log. */
    readonly step: string = "",
  ) {
    super(message);
  }
}

/** The provider answered wrongly (an error status, a body that is not what the spec says), or not at all. */
export class ProviderFailed extends Error {
  override name = "ProviderFailed";
  constructor(
    message: string,
    readonly status: 502 | 504 = 502,
  ) {
    super(message);
  }
}
