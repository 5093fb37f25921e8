/**
 * A refused ceremony. `step` names the WebAuthn Level 3 step that failed ("7.1 step 8"), so a
 * test and a log line can say which check it was; the message is for the client and holds no
 * key, signature or challenge.
 */
export class WebAuthnError extends Error {
  override name = "WebAuthnError";
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}
