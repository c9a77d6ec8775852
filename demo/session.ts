// The cookie-session demo: the token broker as this page's backend-for-frontend. The page uses the
// broker's browser module (browser/session.ts): sign in, come back, refresh across tabs, call an API
// through the broker, sign out. It holds no token: the broker keeps them in HttpOnly cookies and
// adds the access token to the API call itself.

import { BrokerSessionError, createSessionClient, type SessionClient, type SessionStatus } from '../browser/session.js';
import type { DemoConfig } from './config.js';

let session: SessionClient;
let refreshes = 0;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

function show(state: { signedIn: boolean; message: string; status?: SessionStatus }): void {
  $('session-status').textContent = state.message;
  $('session-status').dataset.signedIn = String(state.signedIn);
  $<HTMLButtonElement>('session-sign-in').disabled = state.signedIn;
  for (const id of ['session-refresh', 'session-log-out', 'session-call-api']) $<HTMLButtonElement>(id).disabled = !state.signedIn;
  $('session-refreshes').textContent = String(refreshes);
  const { sessionExpiresAt, accessTokenExpiresAt } = state.status ?? {};
  $('session-ends').textContent = state.signedIn && sessionExpiresAt !== undefined ? new Date(sessionExpiresAt * 1000).toLocaleString() : '–';
  $('session-expires-in').textContent = state.signedIn && accessTokenExpiresAt !== undefined ? new Date(accessTokenExpiresAt * 1000).toLocaleTimeString() : '–';
}

function showError(error: unknown): void {
  $('session-error').hidden = false;
  if (error instanceof BrokerSessionError) {
    $('session-error-code').textContent = `${error.status} ${String(error.body.error ?? '')}`;
    $('session-error-description').textContent = String(error.body.error_description ?? '');
  } else {
    $('session-error-code').textContent = 'error';
    $('session-error-description').textContent = String(error);
  }
}

async function onLoad(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as DemoConfig;
  session = createSessionClient({ broker: config.brokerUrl });
  const [api] = config.apis ?? [];
  if (api !== undefined) {
    $('session-api').hidden = false;
    $('session-api-path').textContent = `${config.brokerUrl}/bff/api/${api}/whoami`;
    $('session-call-api').addEventListener('click', () => void callApi(api));
  }
  let returned: SessionStatus | undefined;
  try {
    returned = await session.handleRedirect();
  } catch (error) {
    showError(error);
    show({ signedIn: false, message: 'Not signed in.' });
    return;
  }
  if (returned !== undefined) {
    show({ signedIn: true, message: 'Signed in.', status: returned });
    return;
  }
  const status = await session.status();
  if (!status.isLoggedIn) return show({ signedIn: false, message: 'Not signed in.' });
  // A tab opened on an existing session: a fresh access token, taking turns with the other tabs.
  const restored = await session.refresh({ force: true });
  refreshes += 1;
  show({ signedIn: restored.isLoggedIn, message: restored.isLoggedIn ? 'Signed in (session restored from its cookie).' : 'Not signed in.', status: restored });
}

async function callApi(api: string): Promise<void> {
  const response = await session.fetch(api, 'whoami?from=demo', { headers: { accept: 'application/json' } });
  $('session-api-answer').hidden = false;
  $('session-api-answer').textContent = `${response.status}\n${await response.text()}`;
  if (response.status === 401) show({ signedIn: false, message: 'Not signed in (the session has ended).' });
}

$('session-sign-in').addEventListener('click', () => {
  void session.signIn({ redirectUri: `${location.origin}/session` }).catch(showError);
});

$('session-refresh').addEventListener('click', () => {
  void (async () => {
    try {
      const status = await session.refresh({ force: true });
      refreshes += 1;
      show(status.isLoggedIn ? { signedIn: true, message: 'Signed in: access token refreshed.', status } : { signedIn: false, message: 'Not signed in (the session has ended).' });
    } catch (error) {
      showError(error);
      show({ signedIn: false, message: 'Not signed in (the session has ended).' });
    }
  })();
});

$('session-log-out').addEventListener('click', () => {
  void (async () => {
    const out = await session.signOut();
    $('session-logout-note').hidden = false;
    $('session-logout-note').textContent = String(out.description ?? '');
    show({ signedIn: false, message: 'Signed out.' });
  })();
});

void onLoad().catch((error: unknown) => show({ signedIn: false, message: `The page could not start: ${String(error)}` }));
