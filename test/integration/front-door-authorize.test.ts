// The standard OAuth 2.0 front door over raw HTTP, against the SSO OIDC and Secrets Manager
// emulators, up to the code: metadata (RFC 8414), the authorization endpoint (RFC 6749 §4.1.1,
// §4.1.2.1, RFC 7636) and the broker's callback (RFC 9207). Each rule's test names the section; each
// refusal also proves that nothing reached SSO OIDC. The token endpoint and device authorization:
// front-door-token.test.ts; hostile input: front-door-hostile.test.ts.

import { deriveKey, seal } from '../../lambda/core/seal.js';
import { startBroker } from '../helpers/broker-process.js';
import { PUBLIC_CLIENT_ID, authorizeUrl, beginSignIn, finishSignIn, get, postForm, throughSsoOidc } from '../helpers/front-door.js';
import { pkcePair } from '../helpers/pkce.js';
import { DEVICE, environment, ORIGIN, REDIRECT, SCOPE, setUpFrontDoor, url } from './support/front-door.js';

const clock = Date.now();
setUpFrontDoor(() => clock);

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
