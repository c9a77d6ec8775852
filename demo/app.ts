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

import type { DemoConfig } from './config.js';
import { portalPanel, sdkAccess, type Panel } from './portal-panel.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
/** sessionStorage key for the one sign-in in progress in this tab: its state, PKCE verifier and client id. */
const PENDING_SIGN_IN = 'token-broker-demo:sign-in';
const SLOW_DOWN_STEP_SECONDS = 5;

/** GET /client: the public half of the broker's registration. */
interface PublicClient {
  readonly clientId: string;
  readonly authorizationEndpoint?: string;
}

interface TokenResponse {
  readonly accessToken?: string;
  readonly tokenType?: string;
  readonly expiresIn?: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
}

interface DeviceAuthorization {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri: string;
  readonly verificationUriComplete?: string;
  readonly expiresIn: number;
  readonly interval?: number;
}

/** An error answer as page script can read it; `status` 0 means no answer could be read at all. */
interface BrokerError {
  readonly status: number;
  readonly type: string | null;
  readonly requestId: string | null;
  readonly error?: string | undefined;
  readonly description?: string | undefined;
  readonly reason?: string | undefined;
}

type BrokerAnswer<T> = { readonly ok: true; readonly body: T } | { readonly ok: false; readonly error: BrokerError };

// ---- the page's state (memory only) --------------------------------------------------------------

let config: DemoConfig;
let client: PublicClient | undefined;
/** The tokens' client: the one the sign-in (or device authorization) was made with. */
let tokensClientId: string | undefined;
let refreshToken: string | undefined;
/** For the "Your AWS access" panel: what the token is for (demo/portal-panel.ts). */
let accessToken: string | undefined;
let panel: Panel | undefined;
/** The last code exchanged, kept only so "Send the used code again" can show invalid_grant. */
let usedCode: { code: string; codeVerifier: string; clientId: string } | undefined;
let device: { deviceCode: string; clientId: string | undefined; intervalSeconds: number; expiresAt: number } | undefined;
let pollTimer: ReturnType<typeof setTimeout> | undefined;
let polling = false;

// ---- DOM helpers ---------------------------------------------------------------------------------

function element<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`The page has no #${id}`);
  return found as T;
}

const button = (id: string): HTMLButtonElement => element<HTMLButtonElement>(id);

function setText(id: string, text: string): void {
  element(id).textContent = text;
}

function setStatus(text: string): void {
  setText('status', text);
}

/** The client id member, when known: the broker then answers with that client's registration. */
const withClientId = (clientId: string | undefined): { clientId?: string } => (clientId === undefined ? {} : { clientId });

/** The first 6 characters and an ellipsis: enough to tell tokens apart, useless to anyone else. */
const mask = (token: string): string => `${token.slice(0, 6)}…`;

const clock = (): string => new Date().toLocaleTimeString([], { hour12: false });

// ---- talking to the broker -----------------------------------------------------------------------

/** A POST with a JSON body, or with no body a GET; the answer as page script can read it. */
async function callBroker<T>(path: string, body?: Record<string, unknown>): Promise<BrokerAnswer<T>> {
  let response: Response;
  try {
    response = await fetch(
      `${config.brokerUrl}${path}`,
      body === undefined
        ? { method: 'GET' }
        : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
    );
  } catch {
    // A network failure and a CORS refusal look the same to page script, by design.
    return {
      ok: false,
      error: {
        status: 0,
        type: null,
        requestId: null,
        description: 'No answer could be read: the broker is unreachable, or it did not allow this origin (CORS).',
      },
    };
  }
  const json = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
  if (response.ok && json !== undefined) return { ok: true, body: json as T };
  const text = (key: string): string | undefined => (typeof json?.[key] === 'string' ? (json[key] as string) : undefined);
  return {
    ok: false,
    error: {
      status: response.status,
      // Readable only because the broker lists these in Access-Control-Expose-Headers.
      type: response.headers.get('x-amzn-ErrorType'),
      requestId: response.headers.get('x-amzn-RequestId'),
      error: text('error'),
      description: text('error_description'),
      reason: text('reason'),
    },
  };
}

function showError(error: BrokerError): void {
  const show = (value: string | null | undefined, absent: string): string => value ?? absent;
  setText('error-heading', error.status === 0 ? 'No answer could be read from the broker' : 'The broker answered with an error');
  setText('error-status', error.status === 0 ? 'no answer' : String(error.status));
  setText('error-type', show(error.type, error.status === 0 ? '(no answer)' : '(not readable)'));
  setText('error-code', show(error.error, '(none)'));
  setText('error-description', show(error.description, '(none)'));
  setText('error-reason', show(error.reason, '(none)'));
  setText('error-request-id', show(error.requestId, error.status === 0 ? '(no answer)' : '(not readable)'));
  element('error').hidden = false;
}

/** A problem found by the page itself (e.g. a state mismatch), shown in the same panel. */
function showPageError(error: string, description: string): void {
  showError({ status: 0, type: null, requestId: null, error, description });
  setStatus('The sign-in did not complete (see below). Click Sign in to try again.');
  setText('error-heading', 'The sign-in did not complete');
  setText('error-status', '(no request made)');
  setText('error-type', '(no request made)');
  setText('error-request-id', '(no request made)');
}

function clearError(): void {
  element('error').hidden = true;
}

// ---- tokens --------------------------------------------------------------------------------------

/** The idToken's claims, for display only: this page does not (and cannot) verify its signature. */
function idTokenClaims(idToken: string): Record<string, unknown> | undefined {
  try {
    const payload = idToken.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function showTokens(tokens: TokenResponse, grant: string, clientId: string | undefined): void {
  tokensClientId = clientId;
  const rows = element('token-rows');
  rows.replaceChildren();
  const row = (name: string, value: string, id: string): void => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    const code = document.createElement('code');
    code.textContent = name;
    th.append(code);
    const td = document.createElement('td');
    td.id = id;
    td.textContent = value;
    tr.append(th, td);
    rows.append(tr);
  };
  if (tokens.accessToken !== undefined) row('accessToken', mask(tokens.accessToken), 'token-access');
  if (tokens.tokenType !== undefined) row('tokenType', tokens.tokenType, 'token-type');
  if (tokens.expiresIn !== undefined) row('expiresIn', `${tokens.expiresIn} s`, 'token-expires');
  if (tokens.refreshToken !== undefined) row('refreshToken', mask(tokens.refreshToken), 'token-refresh');
  if (tokens.idToken !== undefined) row('idToken', mask(tokens.idToken), 'token-id');

  const claims = tokens.idToken === undefined ? undefined : idTokenClaims(tokens.idToken);
  // Only this answer's idToken says who signed in: an answer without one (a refresh, usually) clears it.
  element('signed-in-as').hidden = true;
  if (claims !== undefined) {
    const who = element('signed-in-as');
    const note = document.createElement('span');
    note.className = 'hint';
    note.textContent = " (the idToken's claim, displayed only: this page does not verify tokens)";
    who.replaceChildren(`Signed in as ${String(claims['email'] ?? claims['sub'] ?? 'unknown')}`, note);
    who.hidden = false;
  }

  const note = element('token-note');
  if (grant === 'refresh_token' && tokens.refreshToken === undefined && refreshToken !== undefined) {
    note.textContent = 'The refresh answer carried no new refreshToken, so the page keeps the previous one.';
    note.hidden = false;
  } else {
    note.hidden = true;
  }
  if (tokens.refreshToken !== undefined) refreshToken = tokens.refreshToken;
  // The first access token of a sign-in opens "Your AWS access"; refreshed ones replace it there.
  const first = accessToken === undefined;
  if (tokens.accessToken !== undefined) accessToken = tokens.accessToken;
  if (first && accessToken !== undefined) void panel?.show();

  setText('token-grant', grant);
  setText('token-time', clock());
  element('tokens-empty').hidden = true;
  element('tokens').hidden = false;
  button('refresh').disabled = refreshToken === undefined;
}

// ---- authorization code + PKCE -------------------------------------------------------------------

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return btoa(String.fromCharCode(...view)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const randomString = (bytes: number): string => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

async function signIn(): Promise<void> {
  clearError();
  if (client?.authorizationEndpoint === undefined) return;
  if (!window.isSecureContext) {
    showPageError('insecure_context', 'PKCE needs Web Crypto, which browsers offer only on https or http://127.0.0.1 / localhost pages.');
    return;
  }
  // RFC 7636: a 43-character verifier from 32 random bytes, and its SHA-256 as the challenge.
  const codeVerifier = randomString(32);
  const state = randomString(16);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier)));
  const { clientId } = client;
  sessionStorage.setItem(PENDING_SIGN_IN, JSON.stringify({ state, codeVerifier, clientId }));

  const url = new URL(client.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: config.redirectUri,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scopes: config.scopes.join(','),
  }).toString();
  setStatus('Going to the sign-in page…');
  window.location.assign(url.href);
}

/** On /callback: takes the sign-in's state and verifier out of sessionStorage and redeems the code. */
async function completeSignIn(params: URLSearchParams): Promise<void> {
  const saved = sessionStorage.getItem(PENDING_SIGN_IN);
  sessionStorage.removeItem(PENDING_SIGN_IN);

  let pending: { state?: unknown; codeVerifier?: unknown; clientId?: unknown } | undefined;
  try {
    pending = saved === null ? undefined : (JSON.parse(saved) as typeof pending);
  } catch {
    pending = undefined;
  }
  if (
    pending === undefined ||
    typeof pending.codeVerifier !== 'string' ||
    typeof pending.clientId !== 'string' ||
    params.get('state') !== pending.state
  ) {
    showPageError('state_mismatch', 'The state returned to /callback does not match a sign-in started in this tab; the code was not used.');
    return;
  }
  const error = params.get('error');
  if (error !== null) {
    showPageError(error, params.get('error_description') ?? 'The sign-in was not completed.');
    return;
  }
  const code = params.get('code');
  if (code === null) {
    showPageError('invalid_request', 'The redirect carried neither a code nor an error.');
    return;
  }
  usedCode = { code, codeVerifier: pending.codeVerifier, clientId: pending.clientId };
  await exchangeCode(usedCode);
}

/** Redeems a code, naming the client it was issued to (it may have been rotated out since). */
async function exchangeCode({ code, codeVerifier, clientId }: { code: string; codeVerifier: string; clientId: string }): Promise<void> {
  clearError();
  setStatus('Exchanging the authorization code through the broker…');
  const answer = await callBroker<TokenResponse>('/token', {
    grantType: 'authorization_code',
    clientId,
    code,
    codeVerifier,
    redirectUri: config.redirectUri,
  });
  button('reuse-code').disabled = usedCode === undefined;
  if (!answer.ok) {
    showError(answer.error);
    setStatus('The code exchange failed.');
    return;
  }
  showTokens(answer.body, 'authorization_code', clientId);
  setStatus('Signed in.');
}

async function refresh(): Promise<void> {
  if (refreshToken === undefined) return;
  clearError();
  setStatus('Refreshing through the broker…');
  const answer = await callBroker<TokenResponse>('/token', {
    grantType: 'refresh_token',
    ...withClientId(tokensClientId),
    refreshToken,
  });
  if (!answer.ok) {
    showError(answer.error);
    setStatus('The refresh failed.');
    return;
  }
  showTokens(answer.body, 'refresh_token', tokensClientId);
  setStatus('Tokens refreshed.');
}

async function reuseCode(): Promise<void> {
  if (usedCode === undefined) return;
  await exchangeCode(usedCode);
}

// ---- device authorization ------------------------------------------------------------------------

function logPoll(text: string): void {
  const item = document.createElement('li');
  const time = document.createElement('time');
  time.textContent = clock();
  item.append(time, ` ${text}`);
  element('poll-log').append(item);
}

function stopPolling(): void {
  clearTimeout(pollTimer);
  pollTimer = undefined;
  device = undefined;
  button('poll-now').disabled = true;
  // The user code and link are dead once the flow has ended, whichever way it ended.
  element('device-info').hidden = true;
}

function schedulePoll(): void {
  clearTimeout(pollTimer);
  if (device !== undefined) pollTimer = setTimeout(() => void poll(), device.intervalSeconds * 1000);
}

async function startDevice(): Promise<void> {
  stopPolling();
  clearError();
  element('poll-log').replaceChildren();
  element('device-info').hidden = true;
  if (config.deviceStartUrl === null) return;
  setStatus('Starting a device authorization…');
  const clientId = client?.clientId;
  const answer = await callBroker<DeviceAuthorization>('/device_authorization', {
    ...withClientId(clientId),
    startUrl: config.deviceStartUrl,
  });
  if (!answer.ok) {
    showError(answer.error);
    setStatus('The device authorization could not be started.');
    return;
  }
  const started = answer.body;
  device = {
    deviceCode: started.deviceCode,
    clientId,
    intervalSeconds: started.interval ?? 5,
    expiresAt: Date.now() + started.expiresIn * 1000,
  };
  setText('user-code', started.userCode);
  const link = element<HTMLAnchorElement>('verification-link');
  link.href = started.verificationUriComplete ?? started.verificationUri;
  element('device-info').hidden = false;
  button('poll-now').disabled = false;
  logPoll(`started: user code ${started.userCode}; polling every ${device.intervalSeconds} s`);
  setStatus('Approve the user code on the verification page; this page polls the broker meanwhile.');
  schedulePoll();
}

async function poll(): Promise<void> {
  if (device === undefined || polling) return;
  clearTimeout(pollTimer);
  if (Date.now() >= device.expiresAt) {
    logPoll('the device code expired: stopped polling');
    stopPolling();
    return;
  }
  polling = true;
  const current = device;
  const answer = await callBroker<TokenResponse>('/token', {
    grantType: DEVICE_GRANT,
    ...withClientId(current.clientId),
    deviceCode: current.deviceCode,
  });
  polling = false;
  if (device !== current) return; // restarted meanwhile

  if (answer.ok) {
    logPoll('approved: tokens received');
    stopPolling();
    showTokens(answer.body, 'device_code', current.clientId);
    setStatus('Signed in with the device code.');
    return;
  }
  const { error } = answer;
  const seen = `${error.status} ${error.type ?? '?'} / ${error.error ?? '?'}`;
  switch (error.error) {
    case 'authorization_pending':
      logPoll(`${seen}: not approved yet; next poll in ${current.intervalSeconds} s`);
      schedulePoll();
      break;
    case 'slow_down':
      current.intervalSeconds += SLOW_DOWN_STEP_SECONDS;
      logPoll(`${seen}: polled too soon; interval raised to ${current.intervalSeconds} s`);
      schedulePoll();
      break;
    default:
      logPoll(`${seen}: stopped polling`);
      stopPolling();
      showError(error);
      setStatus('The device authorization ended with an error.');
  }
}

// ---- start ---------------------------------------------------------------------------------------

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
  try {
    config = await loadConfig();
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
  if (config.portal) {
    const access = sdkAccess(config.portal.endpoint, () => accessToken);
    panel = portalPanel(element('portal'), access, config.portal, {
      label: 'Sign out of IAM Identity Center',
      async run() {
        await access.logout();
        accessToken = undefined;
        return 'Signed out of IAM Identity Center: the portal’s Logout ended the session, so its tokens no longer work (Refresh tokens now answers invalid_grant).';
      },
    });
  }
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
    client = answer.body;
    setText('config-client', client.clientId);
    button('start-sign-in').disabled = false;
    setStatus('Ready: click Sign in.');
  }

  if (callback !== undefined) await completeSignIn(callback);
  document.body.dataset['ready'] = 'true';
}

void main();
