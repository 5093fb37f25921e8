/**
 * The page at `/`: log in, see "me", log out, through the API and the session cookie. Its CSS
 * and JS are inline, allowed by hash in a strict Content-Security-Policy, so the binary needs
 * no other files and the page loads nothing from anywhere else.
 */
import type { AuthType } from "../config.ts";

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
  dl { display: grid; grid-template-columns: auto 1fr; gap: .3rem 1rem; margin: 0 0 1.25rem; }
  dt { color: var(--muted); }
  dd { margin: 0; overflow-wrap: anywhere; }
  [hidden] { display: none !important; }
`;

const SCRIPT = `
  const $ = (id) => document.getElementById(id);
  const sessions = document.body.dataset.sessions === "yes";
  function show(view) {
    for (const id of ["login", "me", "off"]) $(id).hidden = id !== view;
  }
  function showUser(user) {
    $("me-email").textContent = user.email ?? "";
    $("me-name").textContent = [user.first_name, user.last_name].filter(Boolean).join(" ") || "—";
    $("me-id").textContent = user.id;
    $("me-created").textContent = user.created_at + " UTC";
    show("me");
  }
  async function loadMe() {
    const response = await fetch("/api/v1/users/me", { credentials: "same-origin" });
    if (response.ok) showUser(await response.json());
    else show("login");
  }
  async function errorOf(response) {
    try { return (await response.json()).error; } catch { return "HTTP " + response.status; }
  }
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("login-button");
    button.disabled = true;
    $("login-error").textContent = "";
    try {
      const body = new URLSearchParams({ email: $("email").value, password: $("password").value });
      const response = await fetch("/api/v1/auth_session/login", { method: "POST", body, credentials: "same-origin" });
      if (response.ok) {
        $("password").value = "";
        showUser(await response.json());
      } else {
        $("login-error").textContent = await errorOf(response);
      }
    } catch {
      $("login-error").textContent = "The server could not be reached.";
    } finally {
      button.disabled = false;
    }
  });
  $("logout-button").addEventListener("click", async () => {
    await fetch("/api/v1/auth_session/logout", { method: "DELETE", credentials: "same-origin" });
    show("login");
  });
  if (sessions) loadMe().catch(() => show("login"));
  else show("off");
`;

function sha256Base64(text: string): string {
  return Bun.SHA256.hash(text, "base64");
}

/** Allows exactly the inline style and script above, nothing from elsewhere, no framing. */
export const PAGE_SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": [
    "default-src 'none'",
    `script-src 'sha256-${sha256Base64(SCRIPT)}'`,
    `style-src 'sha256-${sha256Base64(STYLE)}'`,
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; "),
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function loginPage(authType: AuthType | null): string {
  const sessions = authType !== null && SESSION_TYPES.includes(authType);
  const running = authType === null ? "with authentication off (AUTH_TYPE unset)" : `with AUTH_TYPE=${escapeHtml(authType)}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>session-auth</title>
<style>${STYLE}</style>
</head>
<body data-sessions="${sessions ? "yes" : "no"}">
<main>
  <h1>session-auth</h1>
  <section id="login" hidden>
    <form id="login-form">
      <label>Email <input id="email" name="email" type="email" autocomplete="username" required></label>
      <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
      <button id="login-button" type="submit">Log in</button>
      <p id="login-error" class="error" role="alert"></p>
    </form>
  </section>
  <section id="me" hidden>
    <dl>
      <dt>Email</dt><dd id="me-email"></dd>
      <dt>Name</dt><dd id="me-name"></dd>
      <dt>Id</dt><dd id="me-id"></dd>
      <dt>Since</dt><dd id="me-created"></dd>
    </dl>
    <button id="logout-button" type="button">Log out</button>
  </section>
  <section id="off" hidden>
    <p class="notice">This server runs ${running}. Logging in here needs session authentication:
    start it with AUTH_TYPE=session_auth, session_exp_auth or session_db_auth.</p>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
