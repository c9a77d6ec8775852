// The front door's RFC 7009 revocation endpoint (surfaces/oauth/index.ts oauthRevoke, token-form.ts
// parseRevocationForm, core/revocation.ts): public clients' forms, an access token ended with the
// access portal's Logout, a sealed refresh token redeemed once and its access token ended so, and
// RFC 7009 §2.2's 200 for a token that was already invalid. SSO OIDC and the portal are recorded
// stand-ins here; test/integration/revocation.test.ts runs the same against the emulator.

import { jest } from '@jest/globals';
import { newAudit } from '../../lambda/core/audit.js';
import { loadConfig } from '../../lambda/core/config.js';
import { BrokerError, brokerError, upstreamError } from '../../lambda/core/errors.js';
import type { FrontDoorDeps } from '../../lambda/core/front-door-grants.js';
import type { PortalClient } from '../../lambda/core/portal-client.js';
import type { Registration } from '../../lambda/core/registration.js';
import { sealFor } from '../../lambda/core/sealed.js';
import type { Upstream } from '../../lambda/core/upstream.js';
import { ROUTE_TABLE } from '../../lambda/edge/routes.js';
import { oauthRoutes } from '../../lambda/surfaces/oauth/index.js';
import { parseRevocationForm } from '../../lambda/surfaces/oauth/token-form.js';

const ISSUER = 'https://auth.example.com';
const FORM = 'application/x-www-form-urlencoded';
const CONFIG = loadConfig({ TOKEN_BROKER_SECRET_ID: 'registration', AWS_REGION: 'us-east-1', TOKEN_BROKER_ISSUER: ISSUER });
const CURRENT: Registration = { clientId: 'client-current', clientSecret: 'secret-current-0123456789' };
const SEALED_REFRESH = sealFor('refresh_token', { refreshToken: 'upstream-rt', scope: 'sso:account:access' }, CURRENT);

const form = (params: Record<string, string>, extra = '') => `${new URLSearchParams(params).toString()}${extra}`;
const post = (body: string, headers: Record<string, string> = { 'content-type': FORM }) => ({ body, rawQuery: '', headers, cookies: [] });

function frontDoor() {
  const upstream = {
    createToken: jest.fn<Upstream['createToken']>(async () => ({ body: { accessToken: 'at-from-refresh', tokenType: 'Bearer', expiresIn: 3600 }, status: 200, requestId: 'up-1' })),
    startDeviceAuthorization: jest.fn<Upstream['startDeviceAuthorization']>(async () => {
      throw new Error('not called');
    }),
  };
  const deps: FrontDoorDeps = {
    config: CONFIG,
    issuer: ISSUER,
    callbackUrl: `${ISSUER}${ROUTE_TABLE.oauthCallback.path}`,
    registrations: {
      get: async () => CURRENT,
      forClient: async (clientId) => (clientId === undefined || clientId === CURRENT.clientId ? CURRENT : undefined),
      refresh: async () => ({ registration: CURRENT, changed: false }),
    },
    upstream,
  };
  const portal = { call: jest.fn<PortalClient['call']>(async () => ({ body: undefined, status: 200, requestId: 'portal-1' })) };
  return { upstream, portal, revoke: oauthRoutes(deps, portal).oauthRevoke };
}

async function refused(call: Promise<unknown>): Promise<BrokerError> {
  const outcome = await call.then(() => undefined, (error: unknown) => error);
  if (!(outcome instanceof BrokerError)) throw new Error('expected a BrokerError');
  return outcome;
}

describe('parseRevocationForm (RFC 7009 §2.1)', () => {
  const request = (body: string, headers: Record<string, string | undefined> = { 'content-type': FORM }) => ({ body, headers });

  it('reads the token, its optional type hint and the public client\'s id', () => {
    expect(parseRevocationForm(request(form({ token: 'at', client_id: 'token-broker' })))).toStrictEqual({ clientId: 'token-broker', token: 'at' });
    expect(parseRevocationForm(request(form({ token: 'at', token_type_hint: 'access_token', client_id: 'token-broker' })))).toEqual({
      clientId: 'token-broker',
      token: 'at',
      tokenTypeHint: 'access_token',
    });
  });

  it.each([
    ['no token', form({ client_id: 'token-broker' }), 400, 'invalid_request'],
    ['no client_id (RFC 6749 §3.2.1)', form({ token: 'at' }), 400, 'invalid_request'],
    ['a repeated token (RFC 6749 §3.2)', form({ token: 'a', client_id: 'token-broker' }, '&token=b'), 400, 'invalid_request'],
    ['a token with a space', form({ token: 'a b', client_id: 'token-broker' }), 400, 'invalid_request'],
    ['a client_secret: public clients only (RFC 6749 §2.3.1)', form({ token: 'at', client_id: 'token-broker', client_secret: 's' }), 401, 'invalid_client'],
  ])('refuses %s', (_, body, status, error) => {
    let caught: unknown;
    try {
      parseRevocationForm(request(body));
    } catch (thrown) {
      caught = thrown;
    }
    expect(caught).toMatchObject({ status, error });
  });

  it('refuses HTTP authentication and anything but a form', () => {
    expect(() => parseRevocationForm(request(form({ token: 'at', client_id: 'x' }), { authorization: 'Basic eDp5', 'content-type': FORM }))).toThrow(
      expect.objectContaining({ error: 'invalid_client' }),
    );
    expect(() => parseRevocationForm(request(form({ token: 'at', client_id: 'x' }), { 'content-type': 'application/json' }))).toThrow(
      expect.objectContaining({ status: 415 }),
    );
  });
});

describe('the revocation endpoint', () => {
  it('ends an access token\'s session with the portal\'s Logout, and answers 200 with nothing to read', async () => {
    const { revoke, portal, upstream } = frontDoor();
    const audit = newAudit();
    expect(await revoke(post(form({ token: 'aoa-access', client_id: 'token-broker' })), audit)).toEqual({ statusCode: 200, body: undefined });
    expect(portal.call.mock.calls).toEqual([['Logout', 'aoa-access']]);
    expect(upstream.createToken).not.toHaveBeenCalled();
    expect(audit).toMatchObject({ grantType: 'revocation', upstreamCalls: 1, upstreamStatus: 200 });
  });

  it('redeems a sealed refresh token once for an access token and ends that one\'s session', async () => {
    const { revoke, portal, upstream } = frontDoor();
    expect((await revoke(post(form({ token: SEALED_REFRESH, token_type_hint: 'refresh_token', client_id: 'token-broker' })), newAudit())).statusCode).toBe(200);
    expect(upstream.createToken.mock.calls).toEqual([[CURRENT, { grantType: 'refresh_token', refreshToken: 'upstream-rt' }]]);
    expect(portal.call.mock.calls).toEqual([['Logout', 'at-from-refresh']]);
  });

  it('RFC 7009 §2.1: the hint only says where to look first; a wrong hint finds the token all the same', async () => {
    const sealed = frontDoor();
    await sealed.revoke(post(form({ token: SEALED_REFRESH, token_type_hint: 'access_token', client_id: 'token-broker' })), newAudit());
    expect(sealed.portal.call.mock.calls).toEqual([['Logout', 'at-from-refresh']]);
    const plain = frontDoor();
    await plain.revoke(post(form({ token: 'aoa-access', token_type_hint: 'refresh_token', client_id: 'token-broker' })), newAudit());
    expect(plain.portal.call.mock.calls).toEqual([['Logout', 'aoa-access']]);
  });

  it('RFC 7009 §2.2: a token that no longer works is answered 200 too (portal 401, or SSO OIDC invalid_grant)', async () => {
    const access = frontDoor();
    access.portal.call.mockRejectedValueOnce(upstreamError({ status: 401, type: 'UnauthorizedException', description: 'Session token not found or invalid' }));
    expect((await access.revoke(post(form({ token: 'aoa-gone', client_id: 'token-broker' })), newAudit())).statusCode).toBe(200);

    const refresh = frontDoor();
    refresh.upstream.createToken.mockRejectedValueOnce(upstreamError({ status: 400, type: 'InvalidGrantException', error: 'invalid_grant' }));
    expect((await refresh.revoke(post(form({ token: SEALED_REFRESH, client_id: 'token-broker' })), newAudit())).statusCode).toBe(200);
    // Nothing to end: the refresh token's session had ended already.
    expect(refresh.portal.call).not.toHaveBeenCalled();
  });

  it('a revocation that could not be done is an error, never a 200 (RFC 7009 §2.2.1: the token still works)', async () => {
    for (const failure of [
      upstreamError({ status: 429, type: 'TooManyRequestsException', description: 'Rate exceeded' }),
      brokerError('BadGatewayException', 'The AWS access portal could not be reached.'),
      upstreamError({ status: 403, type: 'ForbiddenException', description: 'No access' }),
    ]) {
      const { revoke, portal } = frontDoor();
      portal.call.mockRejectedValueOnce(failure);
      expect(await refused(revoke(post(form({ token: 'aoa-access', client_id: 'token-broker' })), newAudit()))).toBe(failure);
    }
  });

  it('RFC 6749 §5.2: a client_id that is not the broker\'s is invalid_client, and nothing is called', async () => {
    const { revoke, portal } = frontDoor();
    const error = await refused(revoke(post(form({ token: 'aoa-access', client_id: 'someone-else' })), newAudit()));
    expect([error.status, error.error]).toEqual([401, 'invalid_client']);
    expect(portal.call).not.toHaveBeenCalled();
  });
});
