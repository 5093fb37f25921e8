/**
 * The page's passkey parts: "Sign in with a passkey" on the login form, the passkey as second
 * factor when the password login asks for it, and "Add a passkey" with the list of one's
 * passkeys (rename, remove). Its script runs after the page's own and uses its helpers ($,
 * signedInFully, errorOf, factorEmail); it converts the WebAuthn JSON forms itself, so that it
 * does not depend on the newest browser APIs.
 */

export const PASSKEY_LOGIN_HTML = `
    <button id="passkey-login" type="button" class="secondary passkey">Sign in with a passkey</button>`;

export const PASSKEY_SECTION_HTML = `
    <h2>Passkeys</h2>
    <ul id="passkeys"></ul>
    <form id="passkey-form">
      <label>Name (optional) <input id="passkey-name" maxlength="64" autocomplete="off" placeholder="e.g. Laptop"></label>
      <button id="passkey-add" type="submit">Add a passkey</button>
      <p id="passkey-message" class="message" role="status"></p>
    </form>`;

export const PASSKEY_STYLE = `
  button.passkey { margin-top: .75rem; }
  #login-notice:empty { display: none; }
  li input.rename { flex: 1; margin: 0; padding: .3rem .5rem; font-size: .85rem; }
  li .actions { display: flex; gap: .4rem; }
`;

export const PASSKEY_SCRIPT = `
  const b64u = {
    decode(text) {
      const base64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
      return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
    },
    encode(buffer) {
      let binary = "";
      for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
      return btoa(binary).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    },
  };
  const PASSKEY_REFUSALS = {
    "NotAllowedError": "The passkey request was cancelled or timed out.",
    "InvalidStateError": "This authenticator already holds a passkey for this account.",
    "SecurityError": "Passkeys need https (or localhost) and a matching domain (WEBAUTHN_RP_ID).",
    "NotSupportedError": "This authenticator does not support the kinds of keys this server accepts.",
    "AbortError": "The passkey request was cancelled.",
  };
  function passkeyProblem(error) {
    return PASSKEY_REFUSALS[error && error.name] ?? "The browser could not use a passkey" + (error && error.message ? ": " + error.message : ".");
  }
  const canPasskey = typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
  function descriptors(list) {
    return (list ?? []).map((d) => ({ ...d, id: b64u.decode(d.id) }));
  }
  function credentialJson(credential) {
    const r = credential.response;
    const response = { clientDataJSON: b64u.encode(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = b64u.encode(r.attestationObject);
      response.transports = typeof r.getTransports === "function" ? r.getTransports() : [];
    } else {
      response.authenticatorData = b64u.encode(r.authenticatorData);
      response.signature = b64u.encode(r.signature);
      if (r.userHandle) response.userHandle = b64u.encode(r.userHandle);
    }
    return { id: credential.id, rawId: b64u.encode(credential.rawId), type: credential.type, authenticatorAttachment: credential.authenticatorAttachment ?? undefined, clientExtensionResults: credential.getClientExtensionResults(), response };
  }
  async function postJson(path, body) {
    return fetch(path, { method: "POST", body: JSON.stringify(body ?? {}), headers: { "Content-Type": "application/json" }, credentials: "same-origin" });
  }
  /** An assertion for request options from the server (for an email, or for anyone). */
  async function getAssertion(email) {
    const response = await postJson("/api/v1/auth_session/passkeys/login_options", email ? { email } : {});
    if (!response.ok) throw { server: await errorOf(response) };
    const options = await response.json();
    const credential = await navigator.credentials.get({ publicKey: { ...options, challenge: b64u.decode(options.challenge), allowCredentials: descriptors(options.allowCredentials) } });
    return credentialJson(credential);
  }
  /** A button that gets an assertion for the email it is given and sends it: the user goes on, or the error shows. */
  function passkeyButton(buttonId, errorId, email, send) {
    $(buttonId).addEventListener("click", async () => {
      const button = $(buttonId);
      $(errorId).textContent = "";
      if (!canPasskey) { $(errorId).textContent = "This browser does not support passkeys."; return; }
      button.disabled = true;
      try {
        const response = await send(await getAssertion(email()));
        if (response.ok) signedInFully(await response.json());
        else $(errorId).textContent = await errorOf(response);
      } catch (error) {
        $(errorId).textContent = error && error.server ? error.server : passkeyProblem(error);
      } finally {
        button.disabled = false;
      }
    });
  }
  passkeyButton("passkey-login", "login-error", () => $("email").value.trim(), (assertion) => postJson("/api/v1/auth_session/passkeys/login", assertion));
  // A signed-in session that owes its second factor proves it with a passkey.
  passkeyButton("factor-passkey", "factor-error", () => factorEmail, (assertion) =>
    fetch("/api/v1/auth_session/second_factor", { method: "POST", body: new URLSearchParams({ passkey: JSON.stringify(assertion) }), credentials: "same-origin" }));
  /** The password login asked for a second factor: a passkey, when the user has one. Handled: true. */
  async function passkeySecondFactor(response, body) {
    if (response.status !== 401) return false;
    let answer;
    try { answer = await response.json(); } catch { return false; }
    if (answer.error !== "second factor required" || !(answer.factors ?? []).includes("passkey")) return false;
    if (!canPasskey) { $("login-error").textContent = "This account needs a passkey, and this browser does not support them."; return true; }
    $("login-error").textContent = "";
    $("login-notice").textContent = "Confirm with your passkey.";
    try {
      const assertion = await getAssertion(body.get("email"));
      body.set("passkey", JSON.stringify(assertion));
      const next = await fetch("/api/v1/auth_session/login", { method: "POST", body, credentials: "same-origin" });
      if (next.ok) {
        $("password").value = "";
        signedInFully(await next.json());
      } else {
        $("login-error").textContent = await errorOf(next);
      }
    } catch (error) {
      // The browser gave no passkey: a user who also has one-time codes is asked for a code.
      if (!(error && error.server) && (answer.factors ?? []).includes("totp")) return false;
      $("login-error").textContent = error && error.server ? error.server : passkeyProblem(error);
    } finally {
      $("login-notice").textContent = "";
    }
    return true;
  }
  function passkeyItem(passkey) {
    const item = document.createElement("li");
    item.dataset.id = passkey.id;
    const text = document.createElement("span");
    text.className = "passkey-name";
    text.textContent = passkey.name + " · added " + when(passkey.created_at) + " · " + (passkey.last_used_at ? "last used " + when(passkey.last_used_at) : "not used yet");
    const actions = document.createElement("span");
    actions.className = "actions";
    const rename = document.createElement("button");
    rename.type = "button";
    rename.className = "small secondary";
    rename.textContent = "Rename";
    rename.addEventListener("click", () => {
      const input = document.createElement("input");
      input.className = "rename";
      input.maxLength = 64;
      input.value = passkey.name;
      input.setAttribute("aria-label", "New name");
      const save = document.createElement("button");
      save.type = "button";
      save.className = "small";
      save.textContent = "Save";
      save.addEventListener("click", async () => {
        const response = await fetch("/api/v1/auth_session/passkeys/" + encodeURIComponent(passkey.id), { method: "PATCH", body: JSON.stringify({ name: input.value }), headers: { "Content-Type": "application/json" }, credentials: "same-origin" });
        if (!response.ok) { passkeyMessage(await errorOf(response), true); return; }
        passkeyMessage("Passkey renamed.");
        await loadPasskeys();
      });
      item.replaceChildren(input, save);
      input.focus();
    });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "small secondary";
    remove.textContent = "Remove";
    remove.addEventListener("click", async () => {
      const response = await fetch("/api/v1/auth_session/passkeys/" + encodeURIComponent(passkey.id), { method: "DELETE", credentials: "same-origin" });
      if (!response.ok) { passkeyMessage(await errorOf(response), true); return; }
      passkeyMessage("Passkey removed.");
      await loadPasskeys();
    });
    actions.append(rename, remove);
    item.append(text, actions);
    return item;
  }
  function passkeyMessage(text, error = false) {
    $("passkey-message").className = error ? "message error" : "message";
    $("passkey-message").textContent = text;
  }
  async function loadPasskeys() {
    const response = await fetch("/api/v1/auth_session/passkeys", { credentials: "same-origin" });
    if (!response.ok) return;
    const list = $("passkeys");
    const passkeys = await response.json();
    list.replaceChildren(...passkeys.map(passkeyItem));
    if (passkeys.length === 0) {
      const none = document.createElement("li");
      none.className = "notice";
      none.textContent = "No passkeys yet.";
      list.append(none);
    }
  }
  $("passkey-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    passkeyMessage("");
    if (!canPasskey) { passkeyMessage("This browser does not support passkeys.", true); return; }
    const button = $("passkey-add");
    button.disabled = true;
    try {
      const optionsResponse = await postJson("/api/v1/auth_session/passkeys/options");
      if (!optionsResponse.ok) { passkeyMessage(await errorOf(optionsResponse), true); return; }
      const options = await optionsResponse.json();
      const publicKey = { ...options, challenge: b64u.decode(options.challenge), user: { ...options.user, id: b64u.decode(options.user.id) }, excludeCredentials: descriptors(options.excludeCredentials) };
      let credential;
      try {
        credential = await navigator.credentials.create({ publicKey });
      } catch (error) {
        passkeyMessage(passkeyProblem(error), true);
        return;
      }
      const name = $("passkey-name").value.trim();
      const response = await postJson("/api/v1/auth_session/passkeys", { ...credentialJson(credential), ...(name ? { name } : {}) });
      if (!response.ok) { passkeyMessage(await errorOf(response), true); return; }
      $("passkey-name").value = "";
      passkeyMessage("Passkey added.");
      await loadPasskeys();
    } finally {
      button.disabled = false;
    }
  });
  new MutationObserver(() => { if (!$("me").hidden) loadPasskeys().catch(() => {}); }).observe($("me"), { attributes: true, attributeFilter: ["hidden"] });
`;
