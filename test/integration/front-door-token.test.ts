// The standard OAuth 2.0 front door over raw HTTP, against the SSO OIDC and Secrets Manager
// emulators, from the code on: the token endpoint (RFC 6749 §3.2, §4.1.3, §5.1, §5.2, §6) and device
// authorization (RFC 8628). Each rule's test names the section; each refusal also proves that nothing
// reached SSO OIDC. Metadata, authorization and callback: front-door-authorize.test.ts.

import { PUBLIC_CLIENT_ID, postForm } from '../helpers/front-door.js';
import { pkcePair } from '../helpers/pkce.js';
import {
  DEVICE,
  environment,
  exchanged,
  ORIGIN,
  REDIRECT,
  remember,
  SCOPE,
  sensitive,
  setUpFrontDoor,
  signedIn,
  token,
  upstreamTokenCalls,
  url,
} from './support/front-door.js';

let clock = Date.now();
setUpFrontDoor(() => clock);

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

describe('logs', () => {
  it('never contain a secret, code (SSO OIDC\'s or sealed), verifier, state or token, after everything above', () => {
    const output = environment.broker.output();
    expect(output).toContain('POST /oauth2/token');
    expect(output).toContain('GET /oauth2/callback');
    expect(sensitive.size).toBeGreaterThan(60);
    expect([...sensitive].filter((value) => output.includes(value))).toEqual([]);
  });
});
