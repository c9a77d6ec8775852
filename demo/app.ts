// The demo frontend: a plain web page that signs a user in through IAM Identity Center and gets its
// tokens from the token broker, as any browser client of the broker would.
//   - The client: its id and SSO OIDC's authorize endpoint come from the broker (GET /client), and
//     every later call names that client id, so a registration rotated meanwhile does not break it.
//   - Authorization code + PKCE: Sign in builds the /authorize URL with an S256 challenge and a
//     state, keeps the verifier and state in sessionStorage for the redirect round trip only, checks
//     the state on /callback and exchanges the code through the broker. Refresh uses the refresh token.
//   - Device authorization: starts one, shows the user code and link, and polls (RFC 8628: wait
//     `interval` seconds between polls, and 5 seconds more after every slow_down).
//   - Errors: the x-amzn-ErrorType and x-amzn-RequestId headers (readable because the broker exposes
//     them to this origin) and the body's error, error_description and reason.
// Tokens live in memory only and are shown masked. This page never sees the client secret.
//
// The page's parts: page.ts (its state and DOM helpers), broker.ts (calls and the error panel),
// tokens.ts (the tokens, refresh and "Your AWS access"), sign-in.ts (code + PKCE), device.ts.

import { callBroker, showError } from './broker.js';
import type { DemoConfig } from './config.js';
import { poll, startDevice } from './device.js';
import { button, page, setStatus, setText, type PublicClient } from './page.js';
import { completeSignIn, reuseCode, signIn } from './sign-in.js';
import { attachPortalPanel, refresh } from './tokens.js';

async function loadConfig(): Promise<DemoConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /config.json answered ${response.status}`);
  return (await response.json()) as DemoConfig;
}

async function main(): Promise<void> {
  // A code in the address bar must not stay there (or in the history) while the page starts.
  const callback = window.location.pathname === '/callback' ? new URLSearchParams(window.location.search) : undefined;
  if (callback !== undefined) window.history.replaceState(null, '', '/');
  setText('config-origin', window.location.origin);
  let config: DemoConfig;
  try {
    config = await loadConfig();
    page.config = config;
  } catch (error) {
    setStatus(`The demo could not load its configuration (${String(error)}). Is npm start still running?`);
    return;
  }
  setText('config-broker', config.brokerUrl);

  // The broker allows, and the sign-in returns to, the origins npm start was told about. Opened
  // anywhere else the page could only fail with a CORS error: say what to do instead.
  const expected = new URL(config.redirectUri).origin;
  if (expected !== window.location.origin) {
    setStatus(
      `This page is open at ${window.location.origin}, but the demo is set up for ${expected}. Open ${expected}, ` +
        `or restart npm start with TOKEN_BROKER_DEMO_ORIGIN=${window.location.origin}.`,
    );
    setText('config-client', '(not asked: wrong origin)');
    document.body.dataset['ready'] = 'true';
    return;
  }

  const on = (id: string, action: () => Promise<void>): void => {
    button(id).addEventListener('click', () => void action());
  };
  on('start-sign-in', signIn);
  on('refresh', refresh);
  on('reuse-code', reuseCode);
  on('start-device', startDevice);
  on('poll-now', poll);
  if (config.portal) attachPortalPanel(config.portal);
  if (config.deviceStartUrl === null) setText('poll-log-heading', 'The device grant is not enabled on this broker.');
  else button('start-device').disabled = false;

  // The client to sign in with, from the broker: a cross-origin GET its CORS headers let us read.
  const answer = await callBroker<PublicClient>('/client');
  if (!answer.ok) {
    setText('config-client', '(unknown: GET /client failed)');
    showError(answer.error);
    setStatus('The broker did not say which client to sign in with.');
  } else if (answer.body.authorizationEndpoint === undefined) {
    setText('config-client', answer.body.clientId);
    setStatus('The broker’s registration has no authorizationEndpoint, so this page cannot build a sign-in URL.');
  } else {
    page.client = answer.body;
    setText('config-client', answer.body.clientId);
    button('start-sign-in').disabled = false;
    setStatus('Ready: click Sign in.');
  }

  if (callback !== undefined) await completeSignIn(callback);
  document.body.dataset['ready'] = 'true';
}

void main();
