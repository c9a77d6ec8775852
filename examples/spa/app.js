// A single-page app signing in through IAM Identity Center with the token broker: the authorization
// code grant with PKCE, run entirely in the browser. The broker adds the client secret, which this
// page never sees. Tokens stay in memory; sessionStorage holds only the state, verifier and client id
// for the redirect round trip. Plain JavaScript (an ES module), no dependencies: copy what you need.

import { BROKER_URL, SCOPES } from './config.js';

const REDIRECT_URI = `${window.location.origin}/`;
const PENDING = 'spa-example:sign-in';
const result = document.getElementById('result');
let tokens; // { accessToken, refreshToken, expiresIn, ... } in memory only
let clientId;

const base64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const random = (size) => base64url(crypto.getRandomValues(new Uint8Array(size)));

/** POST /token with CreateToken's camelCase members; an error keeps the broker's error shape. */
async function token(body) {
  const response = await fetch(`${BROKER_URL}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${response.headers.get('x-amzn-ErrorType')}: ${json.error} (${json.error_description})`);
  return json;
}

async function signIn() {
  // The client id and the authorize endpoint come from the broker (a rotated registration reaches us).
  const client = await (await fetch(`${BROKER_URL}/client`)).json();
  const codeVerifier = random(32); // RFC 7636: 43 characters
  const state = random(16);
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(codeVerifier)));
  sessionStorage.setItem(PENDING, JSON.stringify({ state, codeVerifier, clientId: client.clientId }));
  const url = new URL(client.authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    scopes: SCOPES.join(','), // SSO OIDC's parameter is `scopes`, plural
  }).toString();
  window.location.assign(url.href);
}

async function completeSignIn(params) {
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  window.history.replaceState(null, '', '/'); // the code leaves the address bar
  if (pending === null || params.get('state') !== pending.state) throw new Error('state mismatch: the code was not used');
  if (params.has('error')) throw new Error(`sign-in failed: ${params.get('error')}`);
  clientId = pending.clientId;
  tokens = await token({
    grantType: 'authorization_code',
    clientId, // the client the sign-in was made with
    code: params.get('code'),
    codeVerifier: pending.codeVerifier,
    redirectUri: REDIRECT_URI,
  });
  result.textContent = `Signed in: an access token for ${tokens.expiresIn} s`;
  document.getElementById('refresh').disabled = tokens.refreshToken === undefined;
}

async function refresh() {
  const answer = await token({ grantType: 'refresh_token', clientId, refreshToken: tokens.refreshToken });
  // A refresh may return no new refresh token: keep the old one.
  tokens = { ...answer, refreshToken: answer.refreshToken ?? tokens.refreshToken };
  result.textContent = `Refreshed: a new access token for ${tokens.expiresIn} s`;
}

const report = (action) => () => action().catch((error) => (result.textContent = `Error: ${error.message}`));
document.getElementById('sign-in').addEventListener('click', report(signIn));
document.getElementById('refresh').addEventListener('click', report(refresh));
const params = new URLSearchParams(window.location.search);
if (params.has('code') || params.has('error')) report(() => completeSignIn(params))();
