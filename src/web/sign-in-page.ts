/**
 * The plain page a sign-in with a provider ends on when it cannot go on: what happened, and a
 * link back to the login page. No script, nothing loaded from elsewhere.
 */
import { html } from "../http/responses.ts";

const STYLE = "body{margin:0;min-height:100vh;display:grid;place-items:center;font:16px/1.5 system-ui,sans-serif}main{width:min(28rem,92vw);padding:2rem}";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

let pageHeaders: Record<string, string> | null = null;

/** Hashed at the first page served: start-up need not wait for it. */
function signInPageHeaders(): Record<string, string> {
  pageHeaders ??= {
    "Content-Security-Policy": `default-src 'none'; style-src 'sha256-${Bun.SHA256.hash(STYLE, "base64")}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
  };
  return pageHeaders;
}

const TITLES: Record<number, string> = {
  400: "Sign-in failed",
  401: "Sign-in failed",
  403: "Not allowed",
  404: "No such provider",
  429: "Too many attempts",
  502: "The provider failed",
  504: "The provider did not answer",
};

export function signInProblemPage(status: number, message: string, headers: Record<string, string> = {}): Response {
  const title = TITLES[status] ?? "Sign-in failed";
  const body = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title} · session-auth</title><style>${STYLE}</style></head>
<body><main>
<h1>${title}</h1>
<p id="problem">${escapeHtml(message.charAt(0).toUpperCase() + message.slice(1))}.</p>
<p><a href="/">Back to the login page</a></p>
</main></body>
</html>
`;
  return html(body, status, { ...signInPageHeaders(), ...headers });
}
