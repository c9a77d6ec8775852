// GET /oauth2/callback (lambda/surfaces/oauth/callback.ts), called as its route calls it: the state
// the broker sealed at /oauth2/authorize is opened with the registration that sealed it, and the
// browser goes back to the client's redirect URI (checked against the list again) with a sealed
// code, the client's state and the issuer (RFC 6749 §4.1.2, RFC 9207). Anything that does not open
// is a page: there is nowhere safe to redirect to (RFC 6749 §4.1.2.1).

import { jest } from '@jest/globals';
import { newAudit } from '../../lambda/core/audit.js';
import { loadConfig, type BrokerConfig } from '../../lambda/core/config.js';
import type { FrontDoorDeps } from '../../lambda/core/front-door-grants.js';
import type { Registration } from '../../lambda/core/registration.js';
import { openSealed, sealFor } from '../../lambda/core/sealed.js';
import type { Upstream } from '../../lambda/core/upstream.js';
import { ROUTE_TABLE } from '../../lambda/edge/routes.js';
import type { Answer } from '../../lambda/surfaces/answer.js';
import { authorize } from '../../lambda/surfaces/oauth/authorize.js';
import { callback } from '../../lambda/surfaces/oauth/callback.js';
import { expectPage } from './support/pages.js';

const ISSUER = 'https://auth.example.com';
const REDIRECT = 'https://app.example.com/callback';
const REDIRECT_WITH_QUERY = 'https://app.example.com/cb?tenant=7';
const CLIENT_STATE = 'client-state-0123456789';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const UPSTREAM_CODE = 'sso-oidc-code-0123456789';

const ENV = { TOKEN_BROKER_SECRET_ID: 'registration', AWS_REGION: 'us-east-1', TOKEN_BROKER_ISSUER: ISSUER };
const CONFIG = loadConfig({ ...ENV, TOKEN_BROKER_REDIRECT_URIS: `${REDIRECT},${REDIRECT_WITH_QUERY}` });

const CURRENT: Registration = { clientId: 'client-current', clientSecret: 'secret-current-0123456789', clientSecretExpiresAt: 1_900_000_000 };
const PREVIOUS: Registration = { clientId: 'client-previous', clientSecret: 'secret-previous-0123456789', clientSecretExpiresAt: 1_800_000_000 };
const GONE: Registration = { clientId: 'client-gone', clientSecret: 'secret-gone-0123456789' };

function depsOf(config: BrokerConfig = CONFIG) {
  const known = [CURRENT, PREVIOUS];
  const upstream = {
    createToken: jest.fn<Upstream['createToken']>(async () => {
      throw new Error('the callback never calls SSO OIDC');
    }),
    startDeviceAuthorization: jest.fn<Upstream['startDeviceAuthorization']>(async () => {
      throw new Error('the callback never calls SSO OIDC');
    }),
  };
  const deps: FrontDoorDeps = {
    config,
    issuer: ISSUER,
    callbackUrl: `${ISSUER}${ROUTE_TABLE.oauthCallback.path}`,
    registrations: {
      get: async () => CURRENT,
      forClient: async (clientId) => (clientId === undefined ? CURRENT : known.find((r) => r.clientId === clientId)),
      refresh: async () => ({ registration: CURRENT, changed: false }),
    },
    upstream,
  };
  return { deps, upstream };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const stateFor = (registration: Registration, value: { redirectUri?: string; clientState?: string; scope?: string; expiresAt?: number } = {}) =>
  sealFor(
    'state',
    {
      redirectUri: value.redirectUri ?? REDIRECT,
      ...(value.clientState === undefined ? {} : { clientState: value.clientState }),
      scope: value.scope ?? 'sso:account:access',
      expiresAt: value.expiresAt ?? nowSeconds() + 900,
    },
    registration,
  );
const q = (params: Record<string, string>, extra = '') => `${new URLSearchParams(params).toString()}${extra}`;


function redirected(answer: Answer): { location: string; base: string; params: Record<string, string>; all: [string, string][] } {
  expect(answer).toMatchObject({ statusCode: 302, location: expect.any(String) });
  const location = (answer as { location: string }).location;
  const url = new URL(location);
  return { location, base: `${url.origin}${url.pathname}`, params: Object.fromEntries(url.searchParams), all: [...url.searchParams] };
}

describe('a sign-in SSO OIDC completed goes back to the client (RFC 6749 §4.1.2, RFC 9207)', () => {
  it('with a sealed code, the client\'s state and the issuer, from a state /oauth2/authorize sealed', async () => {
    const { deps } = depsOf();
    const started = await authorize(
      q({ response_type: 'code', client_id: 'token-broker', redirect_uri: REDIRECT, state: CLIENT_STATE, code_challenge: CHALLENGE, code_challenge_method: 'S256', scope: 'openid email' }),
      deps,
      newAudit(),
    );
    const sealedState = new URL((started as { location: string }).location).searchParams.get('state')!;

    const before = nowSeconds();
    const { base, params, location } = redirected(await callback(q({ code: UPSTREAM_CODE, state: sealedState }), deps, newAudit()));
    expect(base).toBe(REDIRECT);
    expect(params).toEqual({ code: expect.any(String), state: CLIENT_STATE, iss: ISSUER });
    // SSO OIDC's code never reaches the client in clear.
    expect(location).not.toContain(UPSTREAM_CODE);
    const opened = await openSealed('code', params.code!, deps.registrations);
    expect(opened?.registration).toBe(CURRENT);
    expect(opened?.value).toEqual({ code: UPSTREAM_CODE, redirectUri: REDIRECT, scope: 'email', expiresAt: expect.any(Number) });
    // RFC 6749 §4.1.2: short-lived (5 minutes here).
    expect(opened!.value.expiresAt).toBeGreaterThanOrEqual(before + 300);
    expect(opened!.value.expiresAt).toBeLessThanOrEqual(nowSeconds() + 300);
  });

  it('keeps the redirect URI\'s own query, and sends no state when the client sent none', async () => {
    const { deps } = depsOf();
    const { location, params } = redirected(await callback(q({ code: UPSTREAM_CODE, state: stateFor(CURRENT, { redirectUri: REDIRECT_WITH_QUERY }) }), deps, newAudit()));
    expect(location.startsWith(`${REDIRECT_WITH_QUERY}&code=`)).toBe(true);
    expect(params).toEqual({ tenant: '7', code: expect.any(String), iss: ISSUER });
  });

  it('RFC 9207: the issuer is the broker\'s, once, whatever iss SSO OIDC sent', async () => {
    const { deps } = depsOf();
    const { all } = redirected(
      await callback(q({ code: UPSTREAM_CODE, state: stateFor(CURRENT, { clientState: CLIENT_STATE }), iss: 'https://identitycenter.amazonaws.com/ssoins-1' }), deps, newAudit()),
    );
    expect(all.filter(([name]) => name === 'iss')).toEqual([['iss', ISSUER]]);
  });

  it('after a rotation, seals the code with the registration that sealed the state (the client SSO OIDC issued the code to)', async () => {
    const { deps } = depsOf();
    const audit = newAudit();
    const { params } = redirected(await callback(q({ code: UPSTREAM_CODE, state: stateFor(PREVIOUS) }), deps, audit));
    expect((await openSealed('code', params.code!, deps.registrations))?.registration).toBe(PREVIOUS);
    expect(audit).toEqual({ upstreamCalls: 0, grantType: 'callback', clientSecretExpiresAt: PREVIOUS.clientSecretExpiresAt });
  });

  it('RFC 6749 §4.1.2.1: relays only a registered error code, a description in its character set and an https error_uri', async () => {
    const { deps } = depsOf();
    const relayed = async (sent: Record<string, string>) =>
      redirected(await callback(q({ ...sent, state: stateFor(CURRENT, { clientState: CLIENT_STATE }) }), deps, newAudit())).params;
    // An error code outside §4.1.2.1 (markup, a §5.2-only code, an OIDC one) becomes server_error.
    for (const error of ['"><script>alert(1)</script>', 'invalid_grant', 'login_required', 'access_denied ']) {
      expect(await relayed({ error, error_description: 'x' })).toEqual({ error: 'server_error', error_description: expect.stringContaining('RFC 6749'), state: CLIENT_STATE, iss: ISSUER });
    }
    // A description with characters outside %x20-21 / %x23-5B / %x5D-7E (or absurdly long) is dropped.
    for (const description of ['<b>"quoted"</b>', 'back\\slash', 'line\nbreak', 'caf\u00e9', 'x'.repeat(513)]) {
      expect(await relayed({ error: 'access_denied', error_description: description })).toEqual({ error: 'access_denied', state: CLIENT_STATE, iss: ISSUER });
    }
    // An error_uri that is not an absolute https URL is dropped: the client might show it as a link.
    for (const uri of ['javascript:alert(1)', 'http://docs.example/denied', 'data:text/html,x', '/relative', 'https://docs.example/"x"']) {
      expect(await relayed({ error: 'access_denied', error_uri: uri })).toEqual({ error: 'access_denied', state: CLIENT_STATE, iss: ISSUER });
    }
    expect(await relayed({ error: 'temporarily_unavailable', error_description: 'Try again (in a minute)!', error_uri: 'https://docs.example/e?x=1' })).toEqual({
      error: 'temporarily_unavailable',
      error_description: 'Try again (in a minute)!',
      error_uri: 'https://docs.example/e?x=1',
      state: CLIENT_STATE,
      iss: ISSUER,
    });
  });

  it('passes SSO OIDC\'s error on as it came, with the client\'s state and the issuer, and no code', async () => {
    const { deps } = depsOf();
    const answer = await callback(
      q({ error: 'access_denied', error_description: 'The user denied access', error_uri: 'https://docs.example/denied', state: stateFor(CURRENT, { clientState: CLIENT_STATE }) }),
      deps,
      newAudit(),
    );
    const { base, params } = redirected(answer);
    expect(base).toBe(REDIRECT);
    expect(params).toEqual({ error: 'access_denied', error_description: 'The user denied access', error_uri: 'https://docs.example/denied', state: CLIENT_STATE, iss: ISSUER });
  });

  it('answers the client with server_error when SSO OIDC sent neither a code nor an error', async () => {
    const { deps } = depsOf();
    const { params } = redirected(await callback(q({ state: stateFor(CURRENT, { clientState: CLIENT_STATE }) }), deps, newAudit()));
    expect(params).toEqual({ error: 'server_error', error_description: expect.any(String), state: CLIENT_STATE, iss: ISSUER });
  });

  it('RFC 6749 §3.1: answers invalid_request, with no code, when SSO OIDC sent a parameter twice', async () => {
    const { deps } = depsOf();
    const { params } = redirected(await callback(q({ code: UPSTREAM_CODE, state: stateFor(CURRENT, { clientState: CLIENT_STATE }) }, '&code=another'), deps, newAudit()));
    expect(params).toEqual({ error: 'invalid_request', error_description: expect.any(String), state: CLIENT_STATE, iss: ISSUER });
  });
});

describe('a state it cannot use is a page, never a redirect (RFC 6749 §4.1.2.1)', () => {
  it('RFC 6749 §3.1: a state sent twice, even the same one twice', async () => {
    const { deps } = depsOf();
    const state = stateFor(CURRENT);
    expect(await expectPage(callback(q({ code: UPSTREAM_CODE, state }, `&state=${state}`), deps, newAudit()))).toContain('"state" is sent more than once');
  });

  it('no state, or one the broker did not seal', async () => {
    const { deps } = depsOf();
    await expectPage(callback(q({ code: UPSTREAM_CODE }), deps, newAudit()));
    await expectPage(callback(q({ code: UPSTREAM_CODE, state: CLIENT_STATE }), deps, newAudit()));
    await expectPage(callback(q({ code: UPSTREAM_CODE, state: `${Buffer.from(CURRENT.clientId).toString('base64url')}.${'A'.repeat(60)}` }), deps, newAudit()));
  });

  it('a state altered by one character', async () => {
    const { deps } = depsOf();
    const state = stateFor(CURRENT);
    const altered = `${state.slice(0, -5)}${state.at(-5) === 'A' ? 'B' : 'A'}${state.slice(-4)}`;
    await expectPage(callback(q({ code: UPSTREAM_CODE, state: altered }), deps, newAudit()));
  });

  it('a value sealed for another purpose (a sealed code is not a state)', async () => {
    const { deps } = depsOf();
    const code = sealFor('code', { code: 'c', redirectUri: REDIRECT, scope: '', expiresAt: nowSeconds() + 300 }, CURRENT);
    await expectPage(callback(q({ code: UPSTREAM_CODE, state: code }), deps, newAudit()));
  });

  it('a state sealed under a registration the secret no longer holds', async () => {
    const { deps } = depsOf();
    await expectPage(callback(q({ code: UPSTREAM_CODE, state: stateFor(GONE) }), deps, newAudit()));
  });

  it('an expired state', async () => {
    const { deps } = depsOf();
    await expectPage(callback(q({ code: UPSTREAM_CODE, state: stateFor(CURRENT, { expiresAt: nowSeconds() - 1 }) }), deps, newAudit()));
    await expectPage(callback(q({ error: 'access_denied', state: stateFor(CURRENT, { expiresAt: nowSeconds() - 1 }) }), deps, newAudit()));
  });

  it('a redirect URI taken off the list since the sign-in began', async () => {
    const { deps } = depsOf(loadConfig({ ...ENV, TOKEN_BROKER_REDIRECT_URIS: REDIRECT_WITH_QUERY }));
    expect(await expectPage(callback(q({ code: UPSTREAM_CODE, state: stateFor(CURRENT) }), deps, newAudit()))).toContain('no longer allowed');
  });

  it('never calls SSO OIDC, whatever it is sent', async () => {
    const { deps, upstream } = depsOf();
    await callback(q({ code: UPSTREAM_CODE, state: stateFor(CURRENT) }), deps, newAudit());
    await expectPage(callback(q({ code: UPSTREAM_CODE, state: CLIENT_STATE }), deps, newAudit()));
    expect(upstream.createToken).not.toHaveBeenCalled();
  });
});
