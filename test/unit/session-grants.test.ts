// The doors kept apart in the grants (core/front-door-grants.ts, core/session-grants.ts,
// core/sign-in.ts) and the surfaces in front of them: a cookie session's sign-in is marked in the
// sealed state and code, the front door's token endpoint never redeems such a code and login/end
// redeems no other, the front door's authorization endpoint and the JSON API refuse redirect URIs on
// cookie-session origins. And the session grants: raw tokens, the issuing registration named by its
// client id for every refresh, one SSO OIDC call each.

import { jest } from '@jest/globals';
import { newAudit } from '../../lambda/core/audit.js';
import { loadConfig } from '../../lambda/core/config.js';
import { BrokerError } from '../../lambda/core/errors.js';
import { redeemAuthorizationCode, sealCode, type FrontDoorDeps } from '../../lambda/core/front-door-grants.js';
import type { Registration } from '../../lambda/core/registration.js';
import { openSealed } from '../../lambda/core/sealed.js';
import { redeemSessionCode, refreshSession } from '../../lambda/core/session-grants.js';
import { upstreamAuthorizeUrl } from '../../lambda/core/sign-in.js';
import type { Upstream } from '../../lambda/core/upstream.js';
import { ROUTE_TABLE } from '../../lambda/edge/routes.js';
import { parseTokenRequest } from '../../lambda/surfaces/aws-json/request.js';
import { authorize } from '../../lambda/surfaces/oauth/authorize.js';
import { callback } from '../../lambda/surfaces/oauth/callback.js';

const ISSUER = 'https://auth.example.com';
const TOOLS = 'https://tools.example.com/callback';
const SPA = 'https://app.example.com/';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const CONFIG = loadConfig({
  TOKEN_BROKER_SECRET_ID: 'registration',
  AWS_REGION: 'us-east-1',
  TOKEN_BROKER_ISSUER: ISSUER,
  TOKEN_BROKER_ALLOWED_ORIGINS: 'https://tools.example.com',
  TOKEN_BROKER_REDIRECT_URIS: `${TOOLS},${SPA}`,
  TOKEN_BROKER_COOKIE_SESSIONS: 'on',
  TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: 'keys',
  TOKEN_BROKER_SESSION_ORIGINS: 'https://app.example.com',
});
const CURRENT: Registration = { clientId: 'client-current', clientSecret: 'secret-current-0123456789', authorizationEndpoint: 'https://oidc.us-east-1.amazonaws.com/authorize' };
const PREVIOUS: Registration = { clientId: 'client-previous', clientSecret: 'secret-previous-0123456789' };

function depsOf() {
  const createToken = jest.fn<Upstream['createToken']>(async () => ({ body: { accessToken: 'at-1', tokenType: 'Bearer', expiresIn: 3600, refreshToken: 'rt-raw-1' }, status: 200, requestId: undefined }));
  const deps: FrontDoorDeps = {
    config: CONFIG,
    issuer: ISSUER,
    callbackUrl: `${ISSUER}${ROUTE_TABLE.oauthCallback.path}`,
    registrations: {
      get: async () => CURRENT,
      forClient: async (id) => (id === undefined ? CURRENT : [CURRENT, PREVIOUS].find((r) => r.clientId === id)),
      refresh: async () => ({ registration: CURRENT, changed: false }),
    },
    upstream: { createToken, startDeviceAuthorization: jest.fn<Upstream['startDeviceAuthorization']>() },
  };
  return { deps, createToken };
}

async function failure(promise: Promise<unknown>): Promise<BrokerError> {
  try {
    await promise;
  } catch (error) {
    return error as BrokerError;
  }
  throw new Error('expected a failure');
}

describe('a cookie session\u2019s sign-in is marked, and its code redeemed by login/end only', () => {
  it('the sign-in URL seals the mark into SSO OIDC\u2019s state; the callback carries it into the code', async () => {
    const { deps } = depsOf();
    const url = new URL(await upstreamAuthorizeUrl({ redirectUri: SPA, clientState: 's', scopes: ['openid', 'sso:account:access'], codeChallenge: CHALLENGE, forSession: true }, deps, newAudit()));
    expect(url.searchParams.get('redirect_uri')).toBe(deps.callbackUrl);
    expect(url.searchParams.get('scopes')).toBe('openid sso:account:access');
    const state = url.searchParams.get('state')!;
    expect((await openSealed('state', state, deps.registrations))?.value).toMatchObject({ redirectUri: SPA, forSession: true, scope: 'sso:account:access' });
    const back = await callback(`state=${encodeURIComponent(state)}&code=upstream-code`, deps, newAudit());
    const code = new URL((back as { location: string }).location).searchParams.get('code')!;
    expect((await openSealed('code', code, deps.registrations))?.value).toMatchObject({ code: 'upstream-code', forSession: true });
  });

  it('RFC 6749 §4.1.3 at the token endpoint: a session\u2019s code is invalid_grant, nothing sent to SSO OIDC', async () => {
    const { deps, createToken } = depsOf();
    const code = sealCode('upstream-code', SPA, 'sso:account:access', CURRENT, true);
    const error = await failure(redeemAuthorizationCode({ code, redirectUri: SPA, codeVerifier: VERIFIER }, deps, newAudit()));
    expect([error.error, error.description]).toEqual(['invalid_grant', expect.stringMatching(/cookie-session sign-in: only the broker/)]);
    expect(createToken).not.toHaveBeenCalled();
  });

  it('login/end redeems a session\u2019s code (raw tokens, the issuing client) and refuses the front door\u2019s', async () => {
    const { deps, createToken } = depsOf();
    const front = sealCode('upstream-code', TOOLS, 'sso:account:access', CURRENT);
    expect((await failure(redeemSessionCode({ code: front, redirectUri: TOOLS, codeVerifier: VERIFIER }, deps, newAudit()))).error).toBe('invalid_grant');
    expect(createToken).not.toHaveBeenCalled();
    const mine = sealCode('upstream-code', SPA, 'sso:account:access', PREVIOUS, true);
    const tokens = await redeemSessionCode({ code: mine, redirectUri: SPA, codeVerifier: VERIFIER }, deps, newAudit());
    expect(tokens).toEqual({ accessToken: 'at-1', tokenType: 'Bearer', expiresIn: 3600, refreshToken: 'rt-raw-1', clientId: 'client-previous', scope: 'sso:account:access' });
    expect(createToken).toHaveBeenCalledTimes(1);
    expect(createToken.mock.calls[0]![0]).toBe(PREVIOUS);
  });
});

describe('the session grants', () => {
  it('a refresh uses the registration the session names, once; a registration the secret no longer holds ends the session', async () => {
    const { deps, createToken } = depsOf();
    const tokens = await refreshSession({ refreshToken: 'rt-raw-0', clientId: 'client-previous', scope: 'a b' }, deps, newAudit());
    expect(tokens).toMatchObject({ refreshToken: 'rt-raw-1', clientId: 'client-previous', scope: 'a b' });
    expect(createToken.mock.calls).toEqual([[PREVIOUS, { grantType: 'refresh_token', refreshToken: 'rt-raw-0' }]]);
    const error = await failure(refreshSession({ refreshToken: 'rt', clientId: 'client-gone', scope: '' }, deps, newAudit()));
    expect([error.error, error.description]).toEqual(['invalid_grant', 'The session\u2019s client registration has expired.']);
    expect(createToken).toHaveBeenCalledTimes(1);
  });
});

describe('redirect URIs on cookie-session origins are reserved for the broker\u2019s cookie sessions', () => {
  it('the front door\u2019s authorization endpoint refuses them with a page (RFC 6749 §4.1.2.1: no redirect)', async () => {
    const { deps } = depsOf();
    const query = (redirectUri: string) => new URLSearchParams({ response_type: 'code', client_id: 'token-broker', redirect_uri: redirectUri, code_challenge: CHALLENGE, code_challenge_method: 'S256' }).toString();
    // An error the edge writes as a page (the route's error format), never a redirect.
    await expect(authorize(query(SPA), deps, newAudit())).rejects.toMatchObject({ status: 400, error: 'invalid_request', message: expect.stringMatching(/cookie-session origin/) });
    expect(await authorize(query(TOOLS), deps, newAudit())).toMatchObject({ statusCode: 302 });
  });

  it('the JSON API refuses them at POST /token, before anything is sent', () => {
    const body = { grantType: 'authorization_code', code: 'c', codeVerifier: VERIFIER, redirectUri: SPA };
    expect(() => parseTokenRequest(body, CONFIG)).toThrow(/on a cookie-session origin/);
    expect(parseTokenRequest({ ...body, redirectUri: TOOLS }, CONFIG)).toMatchObject({ redirectUri: TOOLS });
  });
});
