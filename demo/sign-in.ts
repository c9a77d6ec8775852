// Authorization code + PKCE: Sign in builds the /authorize URL with an S256 challenge and a state,
// keeps the verifier and state in sessionStorage for the redirect round trip only, checks the state
// on /callback and exchanges the code through the broker.

import { callBroker, clearError, showError, showPageError } from './broker.js';
import { button, page, setStatus } from './page.js';
import { showTokens, type TokenResponse } from './tokens.js';

/** sessionStorage key for the one sign-in in progress in this tab: its state, PKCE verifier and client id. */
const PENDING_SIGN_IN = 'token-broker-demo:sign-in';
/** The last code exchanged, kept only so "Send the used code again" can show invalid_grant. */
let usedCode: { code: string; codeVerifier: string; clientId: string } | undefined;

function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  return btoa(String.fromCharCode(...view)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const randomString = (bytes: number): string => base64url(crypto.getRandomValues(new Uint8Array(bytes)));

export async function signIn(): Promise<void> {
  clearError();
  const { client, config } = page;
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
export async function completeSignIn(params: URLSearchParams): Promise<void> {
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
    redirectUri: page.config.redirectUri,
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

export async function reuseCode(): Promise<void> {
  if (usedCode === undefined) return;
  await exchangeCode(usedCode);
}
