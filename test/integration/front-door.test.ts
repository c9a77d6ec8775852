// The standard OAuth 2.0 front door over raw HTTP, against the SSO OIDC and Secrets Manager
// emulators: metadata (RFC 8414), the authorization endpoint (RFC 6749 §4.1.1, §4.1.2.1, RFC 7636),
// the broker's callback (RFC 9207), the token endpoint (RFC 6749 §3.2, §4.1.3, §5.1, §5.2, §6) and
// device authorization (RFC 8628). Each rule's test names the section; each refusal also proves
// that nothing reached SSO OIDC.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { RFC_ERRORS } from '../../lambda/core/errors.js';
import { deriveKey, seal } from '../../lambda/core/seal.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import {
  LOOPBACK_CALLBACK,
  PUBLIC_CLIENT_ID,
  authorizeUrl,
  beginSignIn,
  finishSignIn,
  frontDoorEnv,
  get,
  postForm,
  signInThroughFrontDoor,
  throughSsoOidc,
} from '../helpers/front-door.js';
import { pkcePair } from '../helpers/pkce.js';

const ORIGIN = 'https://app.example.com';
const REDIRECT = 'https://app.example.com/callback';
const SCOPE = 'openid email sso:account:access';
const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';

let clock = Date.now();
let environment: Environment;
let url: string;
/** Every secret, code, verifier, state and token this file sees; none may appear in the broker's output. */
const sensitive = new Set<string>();
const remember = (...values: unknown[]): void => {
  for (const value of values) if (typeof value === 'string' && value.length >= 16) sensitive.add(value);
};
const longState = (): string => `state-${pkcePair().verifier}`;

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'front-door',
    redirectUri: REDIRECT,
    extraRedirectUris: [LOOPBACK_CALLBACK],
    oidc: { now: () => clock, deviceIntervalSeconds: 5 },
    brokerEnv: frontDoorEnv({ TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN }),
  });
  url = environment.broker.url;
  remember(environment.registration.clientSecret);
});

afterAll(async () => {
  await environment?.stop();
});

const upstreamTokenCalls = (): number => environment.oidc.callCount('/token');
const token = (form: Record<string, string> | string, headers: Record<string, string> = {}) =>
  postForm(`${url}/oauth2/token`, form, headers);

async function signedIn(scope = SCOPE) {
  const begun = await beginSignIn(environment, { redirectUri: REDIRECT, state: longState(), scope });
  const callback = new URL(begun.callbackUrl).searchParams;
  const signIn = await finishSignIn(begun);
  remember(callback.get('code'), callback.get('state'), signIn.code, signIn.verifier, signIn.state);
  return signIn;
}

async function exchanged(scope = SCOPE) {
  const signIn = await signedIn(scope);
  const response = await token({
    grant_type: 'authorization_code',
    client_id: PUBLIC_CLIENT_ID,
    code: signIn.code,
    redirect_uri: REDIRECT,
    code_verifier: signIn.verifier,
  });
  remember(response.body.access_token, response.body.refresh_token);
  return { signIn, response };
}

describe('metadata (RFC 8414)', () => {
  it('RFC 8414 §2/§3: both well-known names serve the same metadata, with the configured issuer and no jwks_uri or userinfo', async () => {
    const oauth = await get(`${url}/.well-known/oauth-authorization-server`);
    const openid = await get(`${url}/.well-known/openid-configuration`);
    expect(oauth.status).toBe(200);
    expect(openid.text).toBe(oauth.text);
    expect(JSON.parse(oauth.text)).toEqual({
      issuer: url,
      authorization_endpoint: `${url}/oauth2/authorize`,
      token_endpoint: `${url}/oauth2/token`,
      device_authorization_endpoint: `${url}/oauth2/device_authorization`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', DEVICE],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      authorization_response_iss_parameter_supported: true,
      // RFC 7009 revocation, for public clients.
      revocation_endpoint: `${url}/oauth2/revoke`,
      revocation_endpoint_auth_methods_supported: ['none'],
    });
  });

  it('the issuer is configuration, never the Host header', async () => {
    const response = await fetch(`${url}/.well-known/openid-configuration`, { headers: { 'x-forwarded-host': 'evil.example' } });
    const body = (await response.json()) as { issuer: string };
    expect(body.issuer).toBe(url);
  });

  it('CORS: an allowed origin may read the metadata; any other origin is refused', async () => {
    const allowed = await get(`${url}/.well-known/openid-configuration`, { origin: ORIGIN });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const refused = await get(`${url}/.well-known/openid-configuration`, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toMatchObject({ error: 'access_denied' });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('CORS preflight is answered on every front-door route for an allowed origin', async () => {
    for (const path of ['/.well-known/openid-configuration', '/oauth2/token', '/oauth2/device_authorization', '/oauth2/authorize', '/oauth2/callback']) {
      const response = await fetch(`${url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
      expect({ path, status: response.status, origin: response.headers.get('access-control-allow-origin') }).toEqual({ path, status: 204, origin: ORIGIN });
    }
  });

  it('the Origin check on every front-door route: an unlisted origin is 403 before anything else, an allowed one gets CORS headers', async () => {
    const calls = environment.oidc.calls.length;
    const routes: [string, RequestInit][] = [
      ['/.well-known/oauth-authorization-server', {}],
      ['/.well-known/openid-configuration', {}],
      [`/oauth2/authorize?${new URL(authorizeUrl(url, { redirectUri: REDIRECT })).search.slice(1)}`, {}],
      ['/oauth2/callback?code=c&state=s', {}],
      ['/oauth2/token', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&client_id=token-broker&refresh_token=r' }],
      ['/oauth2/device_authorization', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'client_id=token-broker' }],
    ];
    for (const [path, init] of routes) {
      const refused = await fetch(`${url}${path}`, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), origin: 'https://evil.example' } });
      await refused.text();
      expect({ path, status: refused.status, acao: refused.headers.get('access-control-allow-origin'), location: refused.headers.get('location') }).toEqual({ path, status: 403, acao: null, location: null });
      const allowed = await fetch(`${url}${path}`, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), origin: ORIGIN } });
      await allowed.text();
      expect({ path, acao: allowed.headers.get('access-control-allow-origin'), vary: allowed.headers.get('vary') }).toEqual({ path, acao: ORIGIN, vary: 'Origin' });
    }
    // The refused requests reached nothing: only the allowed device authorization called SSO OIDC
    // (the allowed refresh token was not one the broker sealed, so it never left the broker).
    expect(environment.oidc.calls.slice(calls).map((call) => call.path)).toEqual(['/device_authorization']);
  });

  it('without TOKEN_BROKER_ISSUER the front door does not exist', async () => {
    const plain = await startBroker({ ...environment.brokerEnv, TOKEN_BROKER_ISSUER: '', TOKEN_BROKER_START_URL: '' });
    try {
      for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/oauth2/authorize', '/oauth2/callback']) {
        expect((await get(`${plain.url}${path}`)).status).toBe(404);
      }
      expect((await postForm(`${plain.url}/oauth2/token`, { grant_type: 'refresh_token' })).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});

describe('authorization endpoint (RFC 6749 §4.1.1, §4.1.2.1; RFC 7636)', () => {
  it('sends the browser to SSO OIDC in its own dialect (scopes, plural), with the registered client and the broker callback', async () => {
    const { challenge } = pkcePair();
    const response = await get(authorizeUrl(url, { redirectUri: REDIRECT, state: 'xyz', scope: SCOPE, challenge }));
    expect(response.status).toBe(302);
    const upstream = new URL(response.location!);
    expect(`${upstream.origin}${upstream.pathname}`).toBe(`${environment.oidc.url}/authorize`);
    const params = Object.fromEntries(upstream.searchParams);
    expect(Object.keys(params).sort()).toEqual(['client_id', 'code_challenge', 'code_challenge_method', 'redirect_uri', 'response_type', 'scopes', 'state']);
    expect(params).toMatchObject({
      response_type: 'code',
      client_id: environment.registration.clientId,
      redirect_uri: `${url}/oauth2/callback`,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      scopes: SCOPE,
    });
    // The broker's state is sealed: the client's redirect URI and state are not readable in it.
    expect(params.state).not.toContain('xyz');
    expect(params.state).not.toContain('app.example.com');
    expect(response.location).toContain('scopes=openid%20email%20sso%3Aaccount%3Aaccess');
  });

  it('accepts the public client id and the real current client id; any other client_id is a page, not a redirect', async () => {
    expect((await get(authorizeUrl(url, { redirectUri: REDIRECT }))).status).toBe(302);
    expect((await get(authorizeUrl(url, { redirectUri: REDIRECT, clientId: environment.registration.clientId }))).status).toBe(302);
    const other = await get(authorizeUrl(url, { redirectUri: REDIRECT, clientId: 'someone-else' }));
    expect(other.status).toBe(400);
    expect(other.location).toBeNull();
    expect(other.headers.get('content-type')).toContain('text/html');
  });

  it.each([
    ['unlisted', 'https://evil.example/callback'],
    ['differently-cased', 'https://APP.example.com/callback'],
    ['extra-slash', 'https://app.example.com/callback/'],
    ['userinfo', 'https://app.example.com@evil.example/callback'],
    ['fragment', 'https://app.example.com/callback#x'],
    ['prefix-extended', 'https://app.example.com/callback.evil.example'],
    ['query-added', 'https://app.example.com/callback?next=https://evil.example'],
  ])('RFC 6749 §4.1.2.1: an %s redirect_uri is refused with a page, never redirected to', async (_name, redirectUri) => {
    const calls = environment.oidc.calls.length;
    const response = await get(authorizeUrl(url, { redirectUri, state: 's' }));
    expect(response.status).toBe(400);
    expect(response.location).toBeNull();
    expect(response.text).toContain('redirect_uri');
    expect(environment.oidc.calls.length).toBe(calls);
  });

  it('RFC 6749 §4.1.2.1: a missing or repeated redirect_uri or client_id is a page', async () => {
    const base = `${url}/oauth2/authorize?response_type=code&code_challenge=${pkcePair().challenge}&code_challenge_method=S256`;
    const redirect = encodeURIComponent(REDIRECT);
    for (const query of [
      `&client_id=${PUBLIC_CLIENT_ID}`,
      `&redirect_uri=${redirect}`,
      `&client_id=${PUBLIC_CLIENT_ID}&redirect_uri=${redirect}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`,
      `&client_id=${PUBLIC_CLIENT_ID}&client_id=x&redirect_uri=${redirect}`,
    ]) {
      const response = await get(base + query);
      expect({ query, status: response.status, location: response.location }).toEqual({ query, status: 400, location: null });
    }
  });

  it('with an empty redirect URI allow list every request is refused, with a page saying what to configure', async () => {
    const strict = await startBroker({ ...environment.brokerEnv, TOKEN_BROKER_REDIRECT_URIS: '' });
    try {
      const response = await get(authorizeUrl(strict.url, { redirectUri: REDIRECT }));
      expect(response.status).toBe(400);
      expect(response.location).toBeNull();
      expect(response.text).toContain('TOKEN_BROKER_REDIRECT_URIS');
    } finally {
      await strict.stop();
    }
  });

  const errorRedirect = async (query: string) => {
    const calls = environment.oidc.calls.length;
    const response = await get(`${url}/oauth2/authorize?client_id=${PUBLIC_CLIENT_ID}&redirect_uri=${encodeURIComponent(REDIRECT)}&state=st${query}`);
    expect(environment.oidc.calls.length).toBe(calls);
    expect(response.status).toBe(302);
    const location = new URL(response.location!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('st');
    expect(location.searchParams.get('iss')).toBe(url);
    return location.searchParams.get('error');
  };
  const pkce = `&code_challenge=${pkcePair().challenge}&code_challenge_method=S256`;

  it('RFC 6749 §4.1.2.1: after the redirect URI is validated, errors go back to it with state and iss', async () => {
    expect(await errorRedirect(pkce)).toBe('invalid_request');
    expect(await errorRedirect(`&response_type=token${pkce}`)).toBe('unsupported_response_type');
  });

  it('RFC 7636 §4.3: PKCE is required, and only S256', async () => {
    expect(await errorRedirect('&response_type=code')).toBe('invalid_request');
    expect(await errorRedirect(`&response_type=code&code_challenge=${pkcePair().challenge}`)).toBe('invalid_request');
    expect(await errorRedirect(`&response_type=code&code_challenge=${pkcePair().challenge}&code_challenge_method=plain`)).toBe('invalid_request');
    expect(await errorRedirect('&response_type=code&code_challenge=short&code_challenge_method=S256')).toBe('invalid_request');
  });

  it('RFC 6749 §3.1: a parameter sent twice is invalid_request', async () => {
    expect(await errorRedirect(`&response_type=code${pkce}&scope=a&scope=b`)).toBe('invalid_request');
  });

  it('RFC 6749 §3.3: a malformed scope is invalid_scope', async () => {
    expect(await errorRedirect(`&response_type=code${pkce}&scope=${encodeURIComponent('a  b')}`)).toBe('invalid_scope');
    expect(await errorRedirect(`&response_type=code${pkce}&scope=${encodeURIComponent('a"b')}`)).toBe('invalid_scope');
  });
});

describe('callback (RFC 6749 §4.1.2, RFC 9207)', () => {
  it('RFC 9207: sends the browser back with a sealed code, the client state and iss', async () => {
    const begun = await beginSignIn(environment, { redirectUri: REDIRECT, state: 'client-state', scope: SCOPE });
    const upstreamCode = new URL(begun.callbackUrl).searchParams.get('code')!;
    const signIn = await finishSignIn(begun);
    expect(signIn.state).toBe('client-state');
    expect(signIn.iss).toBe(url);
    expect(signIn.code).not.toBe(upstreamCode);
    expect(signIn.code).not.toContain(upstreamCode);
  });

  it('an error SSO OIDC sends back (access_denied) reaches the client unchanged, with its state and iss', async () => {
    const authorize = await get(authorizeUrl(url, { redirectUri: REDIRECT, state: 'denied-state' }));
    const callbackUrl = await throughSsoOidc(authorize.location!, 'deny');
    const back = await get(callbackUrl);
    expect(back.status).toBe(302);
    const location = new URL(back.location!);
    expect(Object.fromEntries(location.searchParams)).toEqual({ error: 'access_denied', state: 'denied-state', iss: url });
  });

  it('a missing, altered or foreign state is a page, never a redirect', async () => {
    const begun = await beginSignIn(environment, { redirectUri: REDIRECT, state: 's' });
    const callback = new URL(begun.callbackUrl);
    const state = callback.searchParams.get('state')!;
    const code = callback.searchParams.get('code')!;
    const altered = `${state.slice(0, -2)}${state.endsWith('AA') ? 'BB' : 'AA'}`;
    const foreign = seal({ r: 'https://evil.example/cb', e: Math.floor(Date.now() / 1000) + 60 }, deriveKey('guess', environment.registration.clientId, 'token-broker front door state v1'), 'token-broker front door state v1');
    for (const query of [`code=${code}`, `code=${code}&state=${encodeURIComponent(altered)}`, `code=${code}&state=${encodeURIComponent(foreign)}`, `code=${code}&state=${encodeURIComponent(state)}&state=x`]) {
      const response = await get(`${url}/oauth2/callback?${query}`);
      expect({ query, status: response.status, location: response.location }).toEqual({ query, status: 400, location: null });
    }
  });

  it('an expired state is a page (the broker keys it from the registration: a test holding the secret can seal one)', async () => {
    const { clientId, clientSecret } = environment.registration;
    const purpose = 'token-broker front door state v1';
    const expired = seal({ r: REDIRECT, s: 's', sc: '', e: Math.floor(Date.now() / 1000) - 1 }, deriveKey(clientSecret, clientId, purpose), purpose);
    const response = await get(`${url}/oauth2/callback?code=abc&state=${encodeURIComponent(expired)}`);
    expect(response.status).toBe(400);
    expect(response.location).toBeNull();
    expect(response.text).toContain('sign in again');
  });
});

describe('token endpoint (RFC 6749 §3.2, §4.1.3, §5, §6)', () => {
  it('RFC 6749 §5.1: exchanges a code once upstream; snake_case answer with no-store, scope without openid, no id_token', async () => {
    const before = upstreamTokenCalls();
    const { response } = await exchanged();
    expect(response.status).toBe(200);
    expect(upstreamTokenCalls() - before).toBe(1);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(response.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    expect(response.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'email sso:account:access' });
    const upstream = environment.oidc.calls.filter((call) => call.path === '/token').at(-1);
    expect(upstream?.clientId).toBe(environment.registration.clientId);
  });

  it('RFC 6749 §4.1.2: a code used twice is invalid_grant (SSO OIDC refuses the replay)', async () => {
    const { signIn } = await exchanged();
    const again = await token({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: signIn.code, redirect_uri: REDIRECT, code_verifier: signIn.verifier });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({ error: 'invalid_grant', error_description: expect.any(String) });
    expect(again.headers.get('x-amzn-errortype')).toBe('InvalidGrantException');
  });

  it('RFC 6749 §4.1.3: a redirect_uri other than the authorization request\'s is invalid_grant, before SSO OIDC', async () => {
    const signIn = await signedIn();
    const before = upstreamTokenCalls();
    const response = await token({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: signIn.code, redirect_uri: 'https://app.example.com/other', code_verifier: signIn.verifier });
    expect(response.body.error).toBe('invalid_grant');
    expect(upstreamTokenCalls()).toBe(before);
  });

  it('RFC 7636 §4.6: a wrong code_verifier is invalid_grant (SSO OIDC checks it)', async () => {
    const signIn = await signedIn();
    const response = await token({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: signIn.code, redirect_uri: REDIRECT, code_verifier: pkcePair().verifier });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_grant');
  });

  it('RFC 7636 §4.5: code_verifier is required; an altered code is invalid_grant; neither reaches SSO OIDC', async () => {
    const signIn = await signedIn();
    const before = upstreamTokenCalls();
    const missing = await token({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: signIn.code, redirect_uri: REDIRECT });
    expect(missing.body.error).toBe('invalid_request');
    const altered = await token({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: `${signIn.code.slice(0, -2)}xx`, redirect_uri: REDIRECT, code_verifier: signIn.verifier });
    expect(altered.body.error).toBe('invalid_grant');
    expect(upstreamTokenCalls()).toBe(before);
  });

  it('RFC 6749 §3.2: a parameter sent twice is invalid_request, and never reaches SSO OIDC', async () => {
    const signIn = await signedIn();
    const before = upstreamTokenCalls();
    const form = new URLSearchParams({ grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: signIn.code, redirect_uri: REDIRECT, code_verifier: signIn.verifier });
    form.append('code', signIn.code);
    const response = await token(form.toString());
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('invalid_request');
    expect(String(response.body.error_description)).toContain('"code"');
    expect(upstreamTokenCalls()).toBe(before);
  });

  it('RFC 6749 §2.3/§5.2: a client_secret or Authorization header is refused with invalid_client, never forwarded', async () => {
    const before = upstreamTokenCalls();
    const withSecret = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: 'x', client_secret: 'hunter2' });
    expect(withSecret.status).toBe(401);
    expect(withSecret.body.error).toBe('invalid_client');
    expect(withSecret.text).not.toContain('hunter2');
    const basic = await token({ grant_type: 'refresh_token', refresh_token: 'x' }, { authorization: `Basic ${Buffer.from('token-broker:hunter2').toString('base64')}` });
    expect(basic.status).toBe(401);
    expect(basic.body.error).toBe('invalid_client');
    expect(basic.headers.get('www-authenticate')).toContain('Basic');
    expect(upstreamTokenCalls()).toBe(before);
  });

  it('RFC 6749 §3.2.1: client_id is required; an unknown one is invalid_client', async () => {
    const missing = await token({ grant_type: 'refresh_token', refresh_token: 'x' });
    expect(missing.body.error).toBe('invalid_request');
    const unknown = await token({ grant_type: 'refresh_token', refresh_token: 'x', client_id: 'someone-else' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error).toBe('invalid_client');
  });

  it('RFC 6749 §3.2: the body must be form-encoded; JSON is refused', async () => {
    const response = await fetch(`${url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"refresh_token"}' });
    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('RFC 6749 §5.2: an unknown grant type is unsupported_grant_type', async () => {
    const response = await token({ grant_type: 'password', client_id: PUBLIC_CLIENT_ID });
    expect(response.status).toBe(400);
    expect(response.body.error).toBe('unsupported_grant_type');
  });

  it('RFC 6749 §6: a refresh returns a new access token; with no new refresh token from SSO OIDC, none is returned', async () => {
    const { response } = await exchanged();
    const before = upstreamTokenCalls();
    const refreshed = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(response.body.refresh_token), scope: SCOPE });
    remember(refreshed.body.access_token);
    expect(refreshed.status).toBe(200);
    expect(upstreamTokenCalls() - before).toBe(1);
    expect(refreshed.body.access_token).not.toBe(response.body.access_token);
    expect(refreshed.body.refresh_token).toBeUndefined();
    expect(refreshed.body.scope).toBe('email sso:account:access');
    expect(refreshed.headers.get('cache-control')).toBe('no-store');
  });

  it('RFC 6749 §6: a refresh may not widen the scope (invalid_scope, before SSO OIDC)', async () => {
    const { response } = await exchanged('email');
    const before = upstreamTokenCalls();
    const refreshed = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(response.body.refresh_token), scope: 'email admin' });
    expect(refreshed.body.error).toBe('invalid_scope');
    expect(upstreamTokenCalls()).toBe(before);
  });

  it('a refresh token SSO OIDC revoked is invalid_grant; one the broker did not issue never reaches SSO OIDC', async () => {
    const { response } = await exchanged();
    environment.oidc.revokeAllRefreshTokens();
    const revoked = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(response.body.refresh_token) });
    expect(revoked.status).toBe(400);
    expect(revoked.body.error).toBe('invalid_grant');
    const before = upstreamTokenCalls();
    const foreign = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: 'aorNotOurs' });
    expect(foreign.body.error).toBe('invalid_grant');
    expect(upstreamTokenCalls()).toBe(before);
  });

  it('CORS and the Origin check (a form POST is a "simple" request): an unlisted origin is refused before SSO OIDC', async () => {
    const { signIn } = { signIn: await signedIn() };
    const before = upstreamTokenCalls();
    const form = { grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: signIn.code, redirect_uri: REDIRECT, code_verifier: signIn.verifier };
    const refused = await token(form, { origin: 'https://evil.example' });
    expect(refused.status).toBe(403);
    expect(refused.body.error).toBe('access_denied');
    expect(upstreamTokenCalls()).toBe(before);
    const allowed = await token(form, { origin: ORIGIN });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it.each([
    ['InvalidClientException', 401, 'invalid_client'],
    ['InvalidGrantException', 400, 'invalid_grant'],
    ['InvalidRequestException', 400, 'invalid_request'],
    ['InvalidScopeException', 400, 'invalid_scope'],
    ['UnauthorizedClientException', 400, 'unauthorized_client'],
    ['UnsupportedGrantTypeException', 400, 'unsupported_grant_type'],
    ['AccessDeniedException', 400, 'access_denied'],
    ['ExpiredTokenException', 400, 'expired_token'],
    ['InternalServerException', 500, 'server_error'],
  ])('RFC 6749 §5.2: SSO OIDC\'s %s becomes %s %s, its type kept in x-amzn-ErrorType', async (type, status, error) => {
    const { response } = await exchanged();
    environment.oidc.injectFault({ kind: 'error', type, status });
    const refreshed = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(response.body.refresh_token) });
    expect(refreshed.status).toBe(status);
    expect(refreshed.body.error).toBe(error);
    expect(Object.keys(refreshed.body).every((key) => key === 'error' || key === 'error_description')).toBe(true);
    expect(refreshed.headers.get('x-amzn-errortype')).toBe(type);
  });

  it('an SSO OIDC error type the broker does not know keeps a registered RFC error code, else its status class', async () => {
    const { response } = await exchanged();
    environment.oidc.injectFault({ kind: 'error', type: 'FutureThingException', status: 400, error: 'weird_thing' });
    const refreshed = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(response.body.refresh_token) });
    expect(refreshed.body.error).toBe('invalid_request');
    expect(refreshed.headers.get('x-amzn-errortype')).toBe('FutureThingException');
    environment.oidc.injectFault({ kind: 'error', type: 'FutureGrantException', status: 400, error: 'invalid_grant' });
    const named = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(response.body.refresh_token) });
    expect(named.body.error).toBe('invalid_grant');
    environment.oidc.injectFault({ kind: 'error', type: 'FutureOutageException', status: 503, error: 'weird_outage' });
    const outage = await token({ grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(response.body.refresh_token) });
    expect(outage.body.error).toBe('server_error');
  });
});

describe('device authorization (RFC 8628)', () => {
  it('RFC 8628 §3.2/§3.4/§3.5: starts with the configured start URL, then pending, slow_down, and success', async () => {
    const started = await postForm(`${url}/oauth2/device_authorization`, { client_id: PUBLIC_CLIENT_ID, scope: 'openid sso:account:access' });
    expect(started.status).toBe(200);
    expect(Object.keys(started.body).sort()).toEqual(['device_code', 'expires_in', 'interval', 'user_code', 'verification_uri', 'verification_uri_complete']);
    expect(started.headers.get('cache-control')).toBe('no-store');
    remember(started.body.device_code);
    const poll = () => token({ grant_type: DEVICE, client_id: PUBLIC_CLIENT_ID, device_code: String(started.body.device_code) });
    expect((await poll()).body.error).toBe('authorization_pending');
    expect((await poll()).body.error).toBe('slow_down');
    environment.oidc.approveDevice(String(started.body.user_code));
    clock += 6000;
    const done = await poll();
    remember(done.body.access_token, done.body.refresh_token);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ token_type: 'Bearer' });
    expect(done.body.access_token).toEqual(expect.any(String));
    // SSO OIDC's StartDeviceAuthorization took no scope: the answer reports none (RFC 6749 §5.1).
    expect('scope' in done.body).toBe(false);
  });

  it('RFC 8628 §3.1: the device authorization request is form-encoded and refuses a client_secret', async () => {
    const secret = await postForm(`${url}/oauth2/device_authorization`, { client_id: PUBLIC_CLIENT_ID, client_secret: 's' });
    expect(secret.status).toBe(401);
    const twice = await postForm(`${url}/oauth2/device_authorization`, 'client_id=token-broker&client_id=token-broker');
    expect(twice.body.error).toBe('invalid_request');
    const assertion = await postForm(`${url}/oauth2/device_authorization`, { client_id: PUBLIC_CLIENT_ID, client_assertion: 'eyJhbGciOiJub25lIn0.e30.' });
    expect([assertion.status, assertion.body.error]).toEqual([401, 'invalid_client']);
  });

  it('RFC 6749 §3.3: a device authorization whose scope is not scope tokens separated by single spaces is invalid_scope, before SSO OIDC', async () => {
    const calls = environment.oidc.callCount('/device_authorization');
    for (const scope of ['a  b', '<x> "y"']) {
      const refused = await postForm(`${url}/oauth2/device_authorization`, { client_id: PUBLIC_CLIENT_ID, scope });
      expect([scope, refused.status, refused.body.error]).toEqual([scope, 400, 'invalid_scope']);
    }
    expect(environment.oidc.callCount('/device_authorization')).toBe(calls);
  });
});

describe('hostile input (fast-check)', () => {
  const names = fc.constantFrom('grant_type', 'client_id', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'device_code', 'client_secret', 'x', '');
  const value = fc.oneof(fc.string(), fc.constantFrom('authorization_code', 'refresh_token', DEVICE, PUBLIC_CLIENT_ID, REDIRECT, '%', '%ZZ', '+', '&', '='));
  const pairs = fc.array(fc.tuple(names, value), { maxLength: 12 });
  const encode = (list: [string, string][], raw: boolean) =>
    list.map(([name, text]) => (raw ? `${name}=${text}` : `${encodeURIComponent(name)}=${encodeURIComponent(text)}`)).join('&');

  it('RFC 6749 §5.2: any form at the token endpoint is a JSON RFC error or a success, and nothing it carries reaches SSO OIDC', async () => {
    const before = upstreamTokenCalls();
    await fc.assert(
      fc.asyncProperty(pairs, fc.boolean(), async (list, raw) => {
        const response = await token(encode(list, raw));
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(RFC_ERRORS.has(String(response.body.error))).toBe(true);
        expect(response.headers.get('cache-control')).toBe('no-store');
      }),
      { numRuns: 150 },
    );
    // Random forms carry no code, token or device code the broker sealed: none is sent upstream.
    expect(upstreamTokenCalls()).toBe(before);
  });

  it('RFC 6749 §4.1.2.1: any query at the authorization endpoint is a page or a redirect to the one allowed URI, never elsewhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method', 'response_mode'), value), { maxLength: 10 }),
        fc.boolean(),
        async (list, raw) => {
          const response = await get(`${url}/oauth2/authorize?${encode(list, raw)}`);
          if (response.status === 302) {
            const location = response.location!;
            expect(location.startsWith(`${REDIRECT}?`) || location.startsWith(`${environment.oidc.url}/authorize?`)).toBe(true);
          } else {
            expect(response.status).toBe(400);
            expect(response.location).toBeNull();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('logs', () => {
  it('never contain a secret, code (SSO OIDC\'s or sealed), verifier, state or token, after everything above', () => {
    const output = environment.broker.output();
    expect(output).toContain('POST /oauth2/token');
    expect(output).toContain('GET /oauth2/callback');
    expect(sensitive.size).toBeGreaterThan(60);
    expect([...sensitive].filter((value) => output.includes(value))).toEqual([]);
  });
});

// Keeps the PKCE helper's S256 honest against the one this file assumes.
it('test helper: S256 challenge is base64url(SHA-256(verifier))', () => {
  const { verifier, challenge } = pkcePair();
  expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
});
