// The cookie-session demo (issue 11): the token broker as this page's token handler. The page calls
// only the broker's /bff routes, with `credentials: 'include'` and the `x-token-broker-csrf: 1`
// header; the broker keeps the refresh token, PKCE verifier and state in encrypted HttpOnly cookies.
// The page holds the access token in memory only (shown masked), and on load asks whether it came
// back from a sign-in (POST /bff/login/end with its URL) or already has a session (GET /bff/session,
// then POST /bff/refresh for an access token).

import type { DemoConfig } from './config.js';

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

let brokerUrl = '';
let accessToken: string | undefined;
let refreshes = 0;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

/** Every /bff call: the session cookies travel with it, and the CSRF header forces a preflight. */
async function bff(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${brokerUrl}${path}`, {
    method,
    credentials: 'include',
    headers: { 'x-token-broker-csrf': '1', ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    ...(method === 'POST' ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const mask = (token: string): string => `${token.slice(0, 6)}…${token.slice(-4)} (${token.length} characters)`;

function show(state: { signedIn: boolean; message: string; sessionEndsAt?: unknown }): void {
  $('session-status').textContent = state.message;
  $('session-status').dataset.signedIn = String(state.signedIn);
  $<HTMLButtonElement>('session-sign-in').disabled = state.signedIn;
  $<HTMLButtonElement>('session-refresh').disabled = !state.signedIn;
  $<HTMLButtonElement>('session-log-out').disabled = !state.signedIn;
  $('session-access-token').textContent = accessToken === undefined ? 'none' : mask(accessToken);
  $('session-refreshes').textContent = String(refreshes);
  if (typeof state.sessionEndsAt === 'number') $('session-ends').textContent = new Date(state.sessionEndsAt * 1000).toLocaleString();
  if (!state.signedIn) $('session-ends').textContent = '–';
}

function showError(answer: Answer): void {
  $('session-error').hidden = false;
  $('session-error-code').textContent = `${answer.status} ${String(answer.body.error ?? '')}`;
  $('session-error-description').textContent = String(answer.body.error_description ?? '');
}

function keepAccessToken(body: Record<string, unknown>): void {
  accessToken = typeof body.accessToken === 'string' ? body.accessToken : undefined;
  $('session-expires-in').textContent = typeof body.expiresIn === 'number' ? `${body.expiresIn} s` : '–';
}

/**
 * A fresh access token. Two tabs may refresh at once while SSO OIDC rotates the refresh token: the
 * one that loses gets 401 session_expired, but the broker kept the winner's cookie, so the page asks
 * whether the session lives on and retries once.
 */
async function refresh(): Promise<boolean> {
  let answer = await bff('POST', '/bff/refresh');
  if (answer.status === 401 && (await bff('GET', '/bff/session')).body.isLoggedIn === true) {
    answer = await bff('POST', '/bff/refresh');
  }
  if (answer.status !== 200) {
    accessToken = undefined;
    if (answer.status !== 401) showError(answer);
    show({ signedIn: false, message: 'Not signed in (the session has ended).' });
    return false;
  }
  refreshes += 1;
  keepAccessToken(answer.body);
  return true;
}

async function onLoad(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as DemoConfig;
  brokerUrl = config.brokerUrl;
  const url = new URL(location.href);
  if (url.searchParams.has('code') || url.searchParams.has('error')) {
    const end = await bff('POST', '/bff/login/end', { pageUrl: location.href });
    // The code, state and iss have done their work: off the address bar and the history.
    history.replaceState(null, '', url.pathname);
    if (end.status !== 200) {
      showError(end);
      show({ signedIn: false, message: 'Not signed in.' });
      return;
    }
    keepAccessToken(end.body);
    show({ signedIn: true, message: 'Signed in.', sessionEndsAt: end.body.sessionExpiresAt });
    return;
  }
  const session = await bff('GET', '/bff/session');
  if (session.body.isLoggedIn === true && (await refresh())) {
    show({ signedIn: true, message: 'Signed in (session restored from its cookie).', sessionEndsAt: session.body.sessionExpiresAt });
  } else {
    show({ signedIn: false, message: 'Not signed in.' });
  }
}

$('session-sign-in').addEventListener('click', () => {
  void (async () => {
    const start = await bff('POST', '/bff/login/start', { redirectUri: `${location.origin}/session` });
    if (start.status !== 200) return showError(start);
    location.assign(String(start.body.authorizationUrl));
  })();
});

$('session-refresh').addEventListener('click', () => {
  void (async () => {
    if (await refresh()) show({ signedIn: true, message: 'Signed in: access token refreshed.' });
  })();
});

$('session-log-out').addEventListener('click', () => {
  void (async () => {
    const out = await bff('POST', '/bff/logout');
    accessToken = undefined;
    $('session-logout-note').hidden = false;
    $('session-logout-note').textContent = String(out.body.description ?? '');
    show({ signedIn: false, message: 'Signed out.' });
  })();
});

void onLoad().catch((error: unknown) => show({ signedIn: false, message: `The page could not start: ${String(error)}` }));
