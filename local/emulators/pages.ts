// The browser pages of the SSO OIDC emulator, standing for IAM Identity Center's sign-in portal:
// GET/POST /authorize (sign in as the demo user, or cancel) and GET/POST /device (the device flow's
// verification page). Problems are HTML error pages, never redirects to an unchecked URI.

import type { Reply } from './http.js';
import { AUTHORIZE_PARAMS, PageError, parseAuthorizeParams, redirect } from './oidc-wire.js';
import type { OidcService } from './oidc-service.js';

const TITLE = 'IAM Identity Center (local emulator)';

export function authorizePage(service: OidcService, params: URLSearchParams, autoApprove: boolean): Reply {
  const input = parseAuthorizeParams(params);
  const client = service.checkAuthorize(input);
  if (autoApprove) return redirect(input.redirectUri, { code: service.authorize(input), state: input.state });
  const hidden = [...params]
    .filter(([name]) => AUTHORIZE_PARAMS.includes(name))
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return {
    status: 200,
    html: page(
      TITLE,
      `<p>Sign in to <strong>${escapeHtml(client.clientName)}</strong></p>
<form method="post" action="/authorize">
${hidden}
<button id="sign-in" name="decision" value="allow">Sign in as demo user</button>
<button id="deny" name="decision" value="deny">Cancel</button>
</form>`,
    ),
  };
}

export function authorizeDecision(service: OidcService, form: URLSearchParams): Reply {
  const input = parseAuthorizeParams(form);
  service.checkAuthorize(input);
  switch (form.get('decision')) {
    case 'allow':
      return redirect(input.redirectUri, { code: service.authorize(input), state: input.state });
    case 'deny':
      return redirect(input.redirectUri, { error: 'access_denied', state: input.state });
    default:
      throw new PageError('Unknown decision');
  }
}

export function devicePage(service: OidcService, params: URLSearchParams): Reply {
  const userCode = params.get('user_code');
  if (userCode === null) {
    // The verificationUri without a code: ask for it, as the real page does.
    return {
      status: 200,
      html: page(TITLE, `<form method="get" action="/device"><label>Code <input name="user_code"></label><button>Next</button></form>`),
    };
  }
  const device = service.pendingDevice(userCode);
  return {
    status: 200,
    html: page(
      TITLE,
      `<p>Allow <strong>${escapeHtml(device.clientName)}</strong> to access your data? Code: <code>${escapeHtml(userCode)}</code></p>
<form method="post" action="/device">
<input type="hidden" name="user_code" value="${escapeHtml(userCode)}">
<button id="approve" name="decision" value="approve">Allow</button>
<button id="deny" name="decision" value="deny">Deny</button>
</form>`,
    ),
  };
}

export function deviceDecision(service: OidcService, form: URLSearchParams): Reply {
  const userCode = form.get('user_code') ?? '';
  switch (form.get('decision')) {
    case 'approve':
      service.pendingDevice(userCode).status = 'approved';
      return { status: 200, html: page('Request approved', '<p>Request approved. You can close this window.</p>') };
    case 'deny':
      service.pendingDevice(userCode).status = 'denied';
      return { status: 200, html: page('Request denied', '<p>Request denied. You can close this window.</p>') };
    default:
      throw new PageError('Unknown decision');
  }
}

export function pageErrorReply(error: PageError): Reply {
  return { status: 400, html: page('Error', `<p>${escapeHtml(error.message)}</p>${pageErrorHint(error.message)}`) };
}

/** What a developer can do about an error page (an unregistered redirect URI is the usual one). */
function pageErrorHint(message: string): string {
  return message.startsWith('redirect_uri is not registered')
    ? '<p>npm start registers the demo frontend\'s redirect URIs and every URI in <code>TOKEN_BROKER_REDIRECT_URIS</code>: add yours there and restart it.</p>'
    : '';
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// The emulator's pages look like the demo frontend (demo/style.css's palette), so a developer sees
// one product; the favicon is inline so the browser asks for no /favicon.ico (no console error).
const PAGE_STYLE = `:root{color-scheme:light;--text:#1b1f24;--muted:#4d5661;--line:#d5dae1;--accent:#0b5cad;--accent-dark:#084a8c;
font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;line-height:1.5;color:var(--text);background:#f3f5f8}
body{margin:0 auto;max-width:32rem;padding:3rem 1.25rem}
main{background:#fff;border:1px solid var(--line);border-radius:8px;padding:1.25rem 1.5rem}
h1{font-size:1.3rem;margin:0 0 .75rem}p{margin:0 0 .75rem}.note{color:var(--muted);font-size:.85rem;margin:1rem 0 0}
code{font-family:ui-monospace,'SFMono-Regular',Menlo,Consolas,'Liberation Mono',monospace;font-size:1.05em;letter-spacing:.05em}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:1rem 0 0}
input{font:inherit;padding:.4rem .6rem;border:1px solid var(--line);border-radius:6px}
button{font:inherit;padding:.45rem 1rem;border-radius:6px;border:1px solid var(--line);background:#fff;color:var(--text);cursor:pointer}
button:first-of-type{background:var(--accent);border-color:var(--accent);color:#fff}
button:first-of-type:hover{background:var(--accent-dark)}
button:focus-visible,input:focus-visible{outline:3px solid #8ab4e8;outline-offset:1px}`;
const FAVICON =
  "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%230b5cad'/%3E%3Cpath d='M5 7V5a3 3 0 0 1 6 0v2h1v6H4V7zm2 0h2V5a1 1 0 0 0-2 0z' fill='%23fff'/%3E%3C/svg%3E";

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="${FAVICON}">
<style>${PAGE_STYLE}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
<p class="note">Local SSO OIDC emulator started by <code>npm start</code>: no AWS account, a demo user.</p>
</main>
</body>
</html>
`;
}
