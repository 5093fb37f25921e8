/**
 * The page's panel for one-time codes: turn them on (a QR code drawn by the server from the
 * pending secret, the key as text, a first code), see the recovery codes once, get new ones, turn
 * them off. Markup, style and script, joined into the page (and its CSP hashes) by login-page.ts.
 */

export const TOTP_STYLE = `
  #totp-qr { display: block; width: 220px; height: 220px; margin: .5rem auto; background: white; }
  code { font: .95rem ui-monospace, monospace; overflow-wrap: anywhere; }
  #totp-code-list li { justify-content: center; font: 1rem ui-monospace, monospace; }
  #totp-manage-form button { margin-top: .4rem; }
`;

export const TOTP_HTML = `
    <h2>Two-step login</h2>
    <section id="totp">
      <p id="totp-state" class="notice"></p>
      <button id="totp-start" type="button" class="secondary" hidden>Turn on one-time codes</button>
      <div id="totp-enrol" hidden>
        <p>Scan this QR code with your authenticator app, or type the key below into it.</p>
        <img id="totp-qr" alt="QR code of the key" width="220" height="220">
        <p>Key: <code id="totp-secret"></code></p>
        <form id="totp-confirm-form">
          <label>Code from the app <input id="totp-confirm-code" inputmode="numeric" autocomplete="one-time-code" required></label>
          <button id="totp-confirm-button" type="submit">Turn on</button>
        </form>
      </div>
      <div id="totp-codes" hidden>
        <p>Recovery codes: each logs you in once if you lose your phone. Keep them somewhere safe: they are shown only now.</p>
        <ul id="totp-code-list"></ul>
        <button id="totp-done" type="button">I have saved them</button>
      </div>
      <form id="totp-manage-form" hidden>
        <label>A current code <input id="totp-manage-code" inputmode="numeric" autocomplete="one-time-code" required></label>
        <button id="totp-renew" type="submit" class="secondary">New recovery codes</button>
        <button id="totp-off" type="button" class="secondary">Turn off (a code or a recovery code)</button>
      </form>
      <p id="totp-message" class="message" role="status"></p>
    </section>`;

export const TOTP_SCRIPT = `
  function totpView(view) {
    for (const id of ["totp-start", "totp-enrol", "totp-codes", "totp-manage-form"]) $(id).hidden = id !== view;
  }
  function totpMessage(text, error) {
    $("totp-message").textContent = text;
    $("totp-message").className = error ? "message error" : "message";
  }
  async function totpCall(method, path, code) {
    const init = { method, credentials: "same-origin" };
    if (code !== undefined) Object.assign(init, { body: JSON.stringify({ code }), headers: { "Content-Type": "application/json" } });
    return fetch("/api/v1/auth_session/" + path, init);
  }
  async function loadTotp() {
    const response = await fetch("/api/v1/auth_session/totp", { credentials: "same-origin" });
    if (!response.ok) return;
    const { enabled } = await response.json();
    $("totp-state").textContent = enabled ? "On: logging in asks for a code from your authenticator app." : "Off: your password alone logs you in.";
    $("totp-manage-code").value = "";
    totpView(enabled ? "totp-manage-form" : "totp-start");
  }
  function showRecoveryCodes(codes) {
    const list = $("totp-code-list");
    list.replaceChildren(...codes.map((code) => Object.assign(document.createElement("li"), { textContent: code })));
    totpView("totp-codes");
  }
  $("totp-start").addEventListener("click", async () => {
    totpMessage("");
    const response = await totpCall("POST", "totp");
    if (!response.ok) { totpMessage(await errorOf(response), true); return; }
    $("totp-secret").textContent = (await response.json()).secret;
    $("totp-qr").src = "/api/v1/auth_session/totp/qr?at=" + Date.now();
    $("totp-confirm-code").value = "";
    totpView("totp-enrol");
    $("totp-confirm-code").focus();
  });
  $("totp-confirm-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    totpMessage("");
    const response = await totpCall("POST", "totp/confirm", $("totp-confirm-code").value);
    if (!response.ok) { totpMessage(await errorOf(response), true); return; }
    $("totp-state").textContent = "On: logging in asks for a code from your authenticator app.";
    showRecoveryCodes((await response.json()).recovery_codes);
  });
  $("totp-done").addEventListener("click", () => loadTotp());
  $("totp-manage-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    totpMessage("");
    const response = await totpCall("POST", "recovery_codes", $("totp-manage-code").value);
    if (!response.ok) { totpMessage(await errorOf(response), true); return; }
    showRecoveryCodes((await response.json()).recovery_codes);
  });
  $("totp-off").addEventListener("click", async () => {
    if (!$("totp-manage-form").reportValidity()) return;
    totpMessage("");
    const response = await totpCall("DELETE", "totp", $("totp-manage-code").value);
    if (!response.ok) { totpMessage(await errorOf(response), true); return; }
    totpMessage("One-time codes are off.");
    await loadTotp();
  });
`;
