/**
 * The page at `/`: log in (with a password, a passkey, or both; a signed-in session that owes
 * its second factor proves it here), see "me" and one's sessions (end
 * one, end all the others), change the password, add and manage passkeys, log out, through the
 * API and the session cookie. Its CSS
 * and JS are inline, allowed by hash in a strict Content-Security-Policy, so the binary needs
 * no other files and the page loads nothing from anywhere else.
 */
import type { AuthType } from "../config.ts";
import { TOTP_HTML, TOTP_SCRIPT, TOTP_STYLE } from "./totp-panel.ts";
import { PASSKEY_LOGIN_HTML, PASSKEY_SCRIPT, PASSKEY_SECTION_HTML, PASSKEY_STYLE } from "./passkeys-script.ts";

const SESSION_TYPES: readonly string[] = ["session_auth", "session_exp_auth", "session_db_auth"];

const STYLE = `
  :root { color-scheme: light dark; --accent: #2563eb; --error: #b91c1c; --muted: #6b7280; }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; font: 16px/1.5 system-ui, sans-serif; background: Canvas; color: CanvasText; }
  main { width: min(24rem, 92vw); padding: 2rem; border: 1px solid color-mix(in srgb, CanvasText 15%, transparent); border-radius: 12px; }
  h1 { margin: 0 0 1.25rem; font-size: 1.4rem; }
  label { display: block; margin: 0 0 .9rem; font-size: .9rem; }
  input { display: block; width: 100%; margin-top: .3rem; padding: .55rem .7rem; font: inherit; border: 1px solid var(--muted); border-radius: 8px; background: Field; color: FieldText; }
  button { width: 100%; padding: .6rem; font: inherit; font-weight: 600; color: white; background: var(--accent); border: 0; border-radius: 8px; cursor: pointer; }
  button:disabled { opacity: .6; cursor: wait; }
  .error { min-height: 1.5rem; margin: .75rem 0 0; color: var(--error); }
  .notice { color: var(--muted); }
  .error.notice { color: CanvasText; }
  dl { display: grid; grid-template-columns: auto 1fr; gap: .3rem 1rem; margin: 0 0 1.25rem; }
  dt { color: var(--muted); }
  dd { margin: 0; overflow-wrap: anywhere; }
  [hidden] { display: none !important; }
  h2 { margin: 1.5rem 0 .5rem; font-size: 1.05rem; }
  ul { list-style: none; margin: 0 0 .75rem; padding: 0; }
  li { display: flex; gap: .75rem; align-items: center; justify-content: space-between; padding: .5rem 0; border-top: 1px solid color-mix(in srgb, CanvasText 12%, transparent); font-size: .85rem; }
  li .current { color: var(--accent); font-weight: 600; }
  button.small { width: auto; padding: .3rem .7rem; font-size: .85rem; }
  button.secondary { background: transparent; color: var(--accent); border: 1px solid var(--accent); }
  .message { min-height: 1.5rem; margin: .5rem 0 0; }
  .providers { display: grid; gap: .5rem; margin-top: .5rem; }
  a.provider { display: block; padding: .6rem; text-align: center; font-weight: 600; color: var(--accent); border: 1px solid var(--accent); border-radius: 8px; text-decoration: none; }
${TOTP_STYLE}`;

const SCRIPT = `
  const $ = (id) => document.getElementById(id);
  const sessions = document.body.dataset.sessions === "yes";
  // Checked by the server: this server's host, an allowed host, or one under COOKIE_DOMAIN.
  const returnTo = document.body.dataset.return;
  // "login": the return address wants a second factor this session has not given; "setup": and the account has none yet.
  const stepUp = document.body.dataset.stepUp;
  const TITLES = { login: "Log in", factor: "Second factor", me: "Your account", off: "session-auth" };
  function show(view) {
    for (const id of ["login", "factor", "me", "off"]) $(id).hidden = id !== view;
    $("title").textContent = TITLES[view];
    document.title = TITLES[view] + " · session-auth";
  }
  function when(timestamp) {
    const date = new Date(timestamp + "Z");
    return Number.isNaN(date.getTime()) ? timestamp : date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }
  function showUser(user) {
    $("me-email").textContent = user.email ?? "";
    $("me-name").textContent = [user.first_name, user.last_name].filter(Boolean).join(" ") || "—";
    $("me-created").textContent = when(user.created_at);
    show("me");
    loadSessions().catch(() => {});
    if (document.body.dataset.providers === "yes") loadIdentities().catch(() => {});
    loadTotp().catch(() => {});
  }
  // Signed in with one factor (a provider's sign-in, or a session from before the factor was
  // turned on) where a second is owed: forward authentication refuses the session, or the return
  // address's rule wants two. The session proves it here rather than going back to be refused.
  async function owedFactor() {
    if (stepUp === "setup") return null;
    const response = await fetch("/api/v1/auth_session/second_factor", { credentials: "same-origin" });
    if (!response.ok) return null;
    const status = await response.json();
    return status.factors.length > 0 && !status.multi_factor && (status.required || stepUp === "login") ? status : null;
  }
  let factorEmail = "";
  function showFactor(status, email) {
    factorEmail = email;
    const code = status.factors.includes("totp");
    $("factor-code-label").hidden = !code;
    $("factor-button").hidden = !code;
    $("factor-passkey").hidden = !status.factors.includes("passkey");
    $("factor-text").textContent = code ? "Enter the code from your authenticator app, or a recovery code." : "Confirm with your passkey.";
    $("factor-error").textContent = "";
    show("factor");
    if (code) $("factor-code").focus();
  }
  function signedInFully(user) {
    if (returnTo) location.replace(returnTo);
    else showUser(user);
  }
  async function loadMe() {
    const response = await fetch("/api/v1/users/me", { credentials: "same-origin" });
    if (!response.ok) { show("login"); return; }
    const user = await response.json();
    const owed = await owedFactor();
    if (owed) showFactor(owed, user.email ?? "");
    else if (returnTo && !stepUp) location.replace(returnTo);
    else if (stepUp === "login") show("login");
    else showUser(user);
  }
  function describe(session) {
    const parts = [session.user_agent ?? "Unknown browser", "from " + (session.client_address ?? "an unknown address"), "since " + when(session.created_at), "last used " + when(session.last_used_at)];
    return parts.join(" · ");
  }
  async function loadSessions() {
    const response = await fetch("/api/v1/auth_session/sessions", { credentials: "same-origin" });
    if (!response.ok) { show("login"); return; }
    const list = $("sessions");
    list.replaceChildren();
    for (const session of await response.json()) {
      const item = document.createElement("li");
      item.dataset.id = session.id;
      const text = document.createElement("span");
      text.textContent = describe(session);
      if (session.current) {
        const mark = document.createElement("span");
        mark.className = "current";
        mark.textContent = "this browser";
        item.append(text, mark);
      } else {
        const end = document.createElement("button");
        end.type = "button";
        end.className = "small secondary";
        end.textContent = "End";
        end.addEventListener("click", async () => {
          await fetch("/api/v1/auth_session/sessions/" + encodeURIComponent(session.id), { method: "DELETE", credentials: "same-origin" });
          await loadSessions();
        });
        item.append(text, end);
      }
      list.append(item);
    }
  }
  // The identities at sign-in providers linked to this account.
  async function loadIdentities() {
    const response = await fetch("/api/v1/auth_session/identities", { credentials: "same-origin" });
    if (!response.ok) return;
    const list = $("identities");
    list.replaceChildren();
    for (const identity of await response.json()) {
      const item = document.createElement("li");
      item.textContent = identity.provider + (identity.email ? " · " + identity.email : "") + " · since " + when(identity.linked_at);
      list.append(item);
    }
    $("identities-section").hidden = list.children.length === 0;
  }
  $("end-others").addEventListener("click", async () => {
    await fetch("/api/v1/auth_session/sessions", { method: "DELETE", credentials: "same-origin" });
    await loadSessions();
  });
  $("password-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const message = $("password-message");
    message.textContent = "";
    message.className = "message";
    const body = JSON.stringify({ current_password: $("current-password").value, new_password: $("new-password").value });
    const response = await fetch("/api/v1/auth_session/password", { method: "POST", body, headers: { "Content-Type": "application/json" }, credentials: "same-origin" });
    if (response.ok) {
      const { ended } = await response.json();
      $("current-password").value = "";
      $("new-password").value = "";
      message.textContent = "Password changed" + (ended ? "; " + ended + " other session" + (ended === 1 ? "" : "s") + " ended." : ".");
      await loadSessions();
    } else {
      message.className = "message error";
      message.textContent = await errorOf(response);
    }
  });
  const MESSAGES = {
    "no user found for this email": "There is no account with this email.",
    "wrong password": "The password is not right.",
    "this account has no password: sign in with its provider": "This account has no password: use its Sign in with button.",
    "email missing": "Enter your email.",
    "password missing": "Enter your password.",
    "second factor required": "Enter the code from your authenticator app, or a recovery code.",
    "wrong code": "The code is not right.",
  };
  async function errorOf(response) {
    if (response.status === 429) {
      const seconds = Number(response.headers.get("Retry-After"));
      return "Too many attempts. Try again in " + (seconds >= 120 ? Math.ceil(seconds / 60) + " minutes." : seconds + " seconds.");
    }
    if (response.status >= 500) return "The server cannot answer right now. Try again in a moment.";
    try {
      const error = (await response.json()).error;
      return MESSAGES[error] ?? error.charAt(0).toUpperCase() + error.slice(1) + ".";
    } catch {
      return "Something went wrong (HTTP " + response.status + ").";
    }
  }
  /** Runs a form's request with its button held down; a network failure is said under the form. */
  async function busy(buttonId, errorId, work) {
    const button = $(buttonId);
    button.disabled = true;
    $(errorId).textContent = "";
    try {
      await work();
    } catch {
      $(errorId).textContent = "The server could not be reached.";
    } finally {
      button.disabled = false;
    }
  }
  $("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy("login-button", "login-error", async () => {
      const body = new URLSearchParams({ email: $("email").value, password: $("password").value });
      // Asked for once the server says this account needs it.
      if (!$("code-label").hidden && $("code").value) body.set("code", $("code").value);
      const response = await fetch("/api/v1/auth_session/login", { method: "POST", body, credentials: "same-origin" });
      if (response.ok) {
        $("password").value = "";
        $("code").value = "";
        $("code-label").hidden = true;
        signedInFully(await response.json());
      } else if (!(await passkeySecondFactor(response.clone(), body))) {
        const error = await errorOf(response);
        $("login-error").textContent = error;
        // A request for the code, not a mistake: said as a notice.
        $("login-error").className = error === MESSAGES["second factor required"] ? "error notice" : "error";
        if (error === MESSAGES["second factor required"]) {
          $("code-label").hidden = false;
          $("code").focus();
        }
      }
    });
  });
  $("factor-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy("factor-button", "factor-error", async () => {
      const body = new URLSearchParams({ code: $("factor-code").value });
      const response = await fetch("/api/v1/auth_session/second_factor", { method: "POST", body, credentials: "same-origin" });
      if (response.ok) {
        $("factor-code").value = "";
        signedInFully(await response.json());
      } else {
        $("factor-error").textContent = await errorOf(response);
      }
    });
  });
  for (const id of ["logout-button", "factor-logout"]) {
    $(id).addEventListener("click", async () => {
      await fetch("/api/v1/auth_session/logout", { method: "DELETE", credentials: "same-origin" });
      $("step-up").hidden = true;
      show("login");
    });
  }
  if (stepUp) {
    $("step-up").hidden = false;
    $("step-up").textContent = stepUp === "login"
      ? "The page you asked for needs your second factor."
      : "The page you asked for needs a second factor, and your account has none yet: set one up, then go back to it.";
  }
  if (sessions) loadMe().catch(() => show("login"));
  else show("off");
${TOTP_SCRIPT}`;

function sha256Base64(text: string): string {
  return Bun.SHA256.hash(text, "base64");
}

let securityHeaders: Record<string, string> | null = null;

/**
 * Allows exactly the inline style and script above, nothing from elsewhere, no framing. Hashed
 * at the first page served: start-up need not wait for it.
 */
export function pageSecurityHeaders(): Record<string, string> {
  securityHeaders ??= {
    "Content-Security-Policy": [
      "default-src 'none'",
      `script-src 'sha256-${sha256Base64(SCRIPT)}' 'sha256-${sha256Base64(PASSKEY_SCRIPT)}'`,
      `style-src 'sha256-${sha256Base64(STYLE)}' 'sha256-${sha256Base64(PASSKEY_STYLE)}'`,
      "connect-src 'self'",
      // The QR code of a pending one-time-code secret, drawn by the server.
      "img-src 'self'",
      "form-action 'self'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
  };
  return securityHeaders;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The page; `returnTo` (a return address already checked by safeReturnAddress) is where a
 * successful login, or a visit by someone already signed in, goes on to. With `stepUp`, the
 * return address wants a second factor: the visitor logs in again (or is told to set one up)
 * instead of being sent back.
 */
/** A sign-in provider's button: its name (in the path) and label. */
export interface ProviderButton {
  name: string;
  label: string;
}

/** One link per provider to its login step, carrying the return address. */
function providerButtons(providers: readonly ProviderButton[], returnTo: string | null): string {
  if (providers.length === 0) return "";
  const query = returnTo === null ? "" : `?rd=${encodeURIComponent(returnTo)}`;
  const links = providers.map(({ name, label }) => `<a class="provider" href="/api/v1/auth_session/oidc/${encodeURIComponent(name)}/login${escapeHtml(query)}">Sign in with ${escapeHtml(label)}</a>`);
  return `\n    <div class="providers">\n      ${links.join("\n      ")}\n    </div>`;
}

export function loginPage(authType: AuthType | null, returnTo: string | null = null, providers: readonly ProviderButton[] = [], stepUp: "login" | "setup" | null = null): string {
  const sessions = authType !== null && SESSION_TYPES.includes(authType);
  const running = authType === null ? "with authentication off (AUTH_TYPE unset)" : `with AUTH_TYPE=${escapeHtml(authType)}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>session-auth</title>
<style>${STYLE}</style>
<style>${PASSKEY_STYLE}</style>
</head>
<body data-sessions="${sessions ? "yes" : "no"}" data-providers="${sessions && providers.length > 0 ? "yes" : "no"}" data-return="${returnTo === null ? "" : escapeHtml(returnTo)}"${stepUp === null ? "" : ` data-step-up="${stepUp}"`}>
<main>
  <h1 id="title">session-auth</h1>
  <p id="step-up" class="notice" role="status" hidden></p>
  <section id="login" hidden>
    <form id="login-form">
      <label>Email <input id="email" name="email" type="text" inputmode="email" autocapitalize="none" spellcheck="false" autocomplete="username" required></label>
      <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
      <label id="code-label" hidden>Code <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" autocapitalize="none" spellcheck="false"></label>
      <button id="login-button" type="submit">Log in</button>${PASSKEY_LOGIN_HTML}
      <p id="login-notice" class="message notice" role="status"></p>
      <p id="login-error" class="error" role="alert"></p>
    </form>${sessions ? providerButtons(providers, returnTo) : ""}
  </section>
  <section id="factor" hidden>
    <form id="factor-form">
      <p id="factor-text" class="notice"></p>
      <label id="factor-code-label">Code <input id="factor-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" autocapitalize="none" spellcheck="false"></label>
      <button id="factor-button" type="submit">Continue</button>
      <button id="factor-passkey" type="button" class="secondary passkey" hidden>Use a passkey</button>
      <p id="factor-error" class="error" role="alert"></p>
    </form>
    <button id="factor-logout" type="button" class="secondary">Log out</button>
  </section>
  <section id="me" hidden>
    <dl>
      <dt>Email</dt><dd id="me-email"></dd>
      <dt>Name</dt><dd id="me-name"></dd>
      <dt>Member since</dt><dd id="me-created"></dd>
    </dl>
    <button id="logout-button" type="button">Log out</button>
    <h2>Your sessions</h2>
    <ul id="sessions"></ul>
    <button id="end-others" type="button" class="secondary">End all other sessions</button>
    <div id="identities-section" hidden>
      <h2>Signed in with</h2>
      <ul id="identities"></ul>
    </div>
${TOTP_HTML}
    <h2>Change password</h2>
    <form id="password-form">
      <label>Current password <input id="current-password" type="password" autocomplete="current-password" required></label>
      <label>New password <input id="new-password" type="password" autocomplete="new-password" required></label>
      <button id="password-button" type="submit">Change password</button>
      <p id="password-message" class="message" role="status"></p>
    </form>${PASSKEY_SECTION_HTML}
  </section>
  <section id="off" hidden>
    <p class="notice">This server runs ${running}. Logging in here needs session authentication:
    start it with AUTH_TYPE=session_auth, session_exp_auth or session_db_auth.</p>
  </section>
</main>
<script>${SCRIPT}</script>
<script>${PASSKEY_SCRIPT}</script>
</body>
</html>
`;
}
