// The grants over the front door's sealed values (lambda/core/front-door-grants.ts), with the real
// upstream (core/upstream.ts) over a scripted SSO OIDC on the wire (support/oidc-wire.ts): what is opened,
// what is checked before SSO OIDC is called (RFC 6749 §4.1.3, §6), what SSO OIDC is sent, that it is
// called once with the registration that issued the grant, and what the client gets back sealed.

import { jest } from '@jest/globals';
import { newAudit } from '../../lambda/core/audit.js';
import { loadConfig, type BrokerConfig } from '../../lambda/core/config.js';
import {
  redeemAuthorizationCode,
  redeemDeviceCode,
  redeemRefreshToken,
  sealCode,
  startDeviceAuthorization,
  type FrontDoorDeps,
} from '../../lambda/core/front-door-grants.js';
import type { Registration } from '../../lambda/core/registration.js';
import { openSealed, sealFor } from '../../lambda/core/sealed.js';
import { createUpstream } from '../../lambda/core/upstream.js';
import { failure, fakeOidc, success } from './support/oidc-wire.js';
import { ROUTE_TABLE } from '../../lambda/edge/routes.js';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const ISSUER = 'https://auth.example.com';
const CALLBACK = `${ISSUER}${ROUTE_TABLE.oauthCallback.path}`;
const REDIRECT = 'https://app.example.com/callback';
const START_URL = 'https://d-1234567890.awsapps.com/start';
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const SCOPE = 'email sso:account:access';
const ENV = { TOKEN_BROKER_SECRET_ID: 'registration', AWS_REGION: 'us-east-1', TOKEN_BROKER_ISSUER: ISSUER, TOKEN_BROKER_REDIRECT_URIS: REDIRECT };
const CONFIG = loadConfig({ ...ENV, TOKEN_BROKER_GRANT_TYPES: `authorization_code,refresh_token,${DEVICE}`, TOKEN_BROKER_START_URL: START_URL });

const CURRENT: Registration = { clientId: 'client-current', clientSecret: 'secret-current-0123456789', clientSecretExpiresAt: 1_900_000_000 };
const PREVIOUS: Registration = { clientId: 'client-previous', clientSecret: 'secret-previous-0123456789', clientSecretExpiresAt: 1_800_000_000 };
const GONE: Registration = { clientId: 'client-gone', clientSecret: 'secret-gone-0123456789' };

const OK_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
const FAILED_ID = 'a1b2c3d4-0000-4000-8000-000000000002';
const failed = (status: number, type: string, members: Record<string, unknown>) => failure(status, type, members, FAILED_ID);

function setup(config: BrokerConfig = CONFIG) {
  const oidc = fakeOidc(config);
  // A rotated registration is there to be found: the front door must still never call twice.
  const refresh = jest.fn(async () => ({ registration: { clientId: 'client-next', clientSecret: 'secret-next-0123456789' }, changed: true }));
  const known = [CURRENT, PREVIOUS];
  const deps: FrontDoorDeps = {
    config,
    issuer: ISSUER,
    callbackUrl: CALLBACK,
    registrations: {
      get: async () => CURRENT,
      forClient: async (clientId) => (clientId === undefined ? CURRENT : known.find((r) => r.clientId === clientId)),
      refresh,
    },
    upstream: createUpstream(config, oidc.call),
  };
  return { oidc, deps, refresh };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const codeFor = (registration: Registration, value: { code?: string; redirectUri?: string; scope?: string; expiresAt?: number } = {}) =>
  sealFor(
    'code',
    { code: value.code ?? 'upstream-code', redirectUri: value.redirectUri ?? REDIRECT, scope: value.scope ?? SCOPE, expiresAt: value.expiresAt ?? nowSeconds() + 300 },
    registration,
  );
const refreshTokenFor = (registration: Registration, scope = SCOPE) => sealFor('refresh_token', { refreshToken: 'upstream-rt', scope }, registration);

describe('redeemAuthorizationCode (RFC 6749 §4.1.3)', () => {
  it('sends SSO OIDC its own code, the verifier and the broker\'s callback, with the registration that sealed the code', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(success({ accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600, refreshToken: 'upstream-rt' }, OK_ID));
    const audit = newAudit();
    const tokens = await redeemAuthorizationCode({ code: codeFor(PREVIOUS), redirectUri: REDIRECT, codeVerifier: VERIFIER }, deps, audit);

    expect(oidc.inputs('CreateToken')).toEqual([
      {
        grantType: 'authorization_code',
        code: 'upstream-code',
        codeVerifier: VERIFIER,
        // SSO OIDC issued its code to the broker's callback, not to the client's redirect URI.
        redirectUri: CALLBACK,
        clientId: PREVIOUS.clientId,
        clientSecret: PREVIOUS.clientSecret,
      },
    ]);
    expect(tokens).toEqual({ accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600, refreshToken: expect.any(String), scope: SCOPE });
    // The refresh token goes back sealed, under the same registration, with the scope granted.
    const opened = await openSealed('refresh_token', tokens.refreshToken!, deps.registrations);
    expect([opened?.registration, opened?.value]).toEqual([PREVIOUS, { refreshToken: 'upstream-rt', scope: SCOPE }]);
    expect(audit).toEqual({
      upstreamCalls: 1,
      grantType: 'authorization_code',
      upstreamStatus: 200,
      upstreamRequestId: OK_ID,
      upstreamLatencyMs: expect.any(Number),
      clientSecretExpiresAt: PREVIOUS.clientSecretExpiresAt,
    });
  });

  it('RFC 6749 §4.1.3: redirect_uri must be identical to the authorization request\'s: invalid_grant, before SSO OIDC', async () => {
    const { oidc, deps } = setup();
    for (const redirectUri of [`${REDIRECT}/`, 'https://APP.example.com/callback', `${REDIRECT}?x=1`, 'https://app.example.com/other']) {
      await expect(redeemAuthorizationCode({ code: codeFor(CURRENT), redirectUri, codeVerifier: VERIFIER }, deps, newAudit())).rejects.toMatchObject({
        status: 400,
        type: 'InvalidGrantException',
        description: 'The redirect_uri is not the one the authorization code was issued for.',
      });
    }
    expect(oidc.calls()).toHaveLength(0);
  });

  it('an expired code is invalid_grant, before SSO OIDC', async () => {
    const { oidc, deps } = setup();
    const code = codeFor(CURRENT, { expiresAt: nowSeconds() - 1 });
    await expect(redeemAuthorizationCode({ code, redirectUri: REDIRECT, codeVerifier: VERIFIER }, deps, newAudit())).rejects.toMatchObject({
      error: 'invalid_grant',
      description: 'The authorization code has expired.',
    });
    expect(oidc.calls()).toHaveLength(0);
  });

  it('a code the broker did not issue, another sealed value in its place, or one whose registration is gone: invalid_grant', async () => {
    const { oidc, deps } = setup();
    const state = sealFor('state', { redirectUri: REDIRECT, scope: '', expiresAt: nowSeconds() + 60 }, CURRENT);
    for (const code of ['upstream-code', refreshTokenFor(CURRENT), state, codeFor(GONE)]) {
      await expect(redeemAuthorizationCode({ code, redirectUri: REDIRECT, codeVerifier: VERIFIER }, deps, newAudit())).rejects.toMatchObject({
        status: 400,
        type: 'InvalidGrantException',
      });
    }
    expect(oidc.calls()).toHaveLength(0);
  });

  it('calls SSO OIDC once: its error passes through, even InvalidClientException, and no other registration is tried', async () => {
    const { oidc, deps, refresh } = setup();
    oidc.on('CreateToken').answers(failed(401, 'InvalidClientException', { error: 'invalid_client' }));
    await expect(redeemAuthorizationCode({ code: codeFor(CURRENT), redirectUri: REDIRECT, codeVerifier: VERIFIER }, deps, newAudit())).rejects.toMatchObject({
      status: 401,
      type: 'InvalidClientException',
      fromUpstream: true,
    });
    expect(oidc.inputs('CreateToken')).toHaveLength(1);
    expect(refresh).not.toHaveBeenCalled();
  });

  it('passes SSO OIDC\'s invalid_grant on as it came', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(failed(400, 'InvalidGrantException', { error: 'invalid_grant', error_description: 'Invalid grant provided' }));
    const audit = newAudit();
    await expect(redeemAuthorizationCode({ code: codeFor(CURRENT), redirectUri: REDIRECT, codeVerifier: VERIFIER }, deps, audit)).rejects.toMatchObject({
      type: 'InvalidGrantException',
      description: 'Invalid grant provided',
      fromUpstream: true,
    });
    expect(audit).toMatchObject({ upstreamCalls: 1, upstreamStatus: 400, upstreamRequestId: FAILED_ID });
  });

  it('makes up nothing: an answer without expiresIn is unreadable (502); a missing tokenType is Bearer; an id token passes untouched', async () => {
    const { oidc, deps } = setup();
    oidc
      .on('CreateToken')
      .answersOnce(success({ accessToken: 'at' }, OK_ID))
      .answersOnce(success({ accessToken: 'at', expiresIn: 60, idToken: 'header.payload.signature' }, OK_ID));
    await expect(redeemAuthorizationCode({ code: codeFor(CURRENT), redirectUri: REDIRECT, codeVerifier: VERIFIER }, deps, newAudit())).rejects.toMatchObject({
      status: 502,
      type: 'BadGatewayException',
    });
    // RFC 6749 §3.3: a scope has at least one token; none was asked of SSO OIDC, so none is reported.
    expect(await redeemAuthorizationCode({ code: codeFor(CURRENT, { scope: '' }), redirectUri: REDIRECT, codeVerifier: VERIFIER }, deps, newAudit())).toEqual({
      accessToken: 'at',
      tokenType: 'Bearer',
      expiresIn: 60,
      idToken: 'header.payload.signature',
    });
  });
});

describe('redeemRefreshToken (RFC 6749 §6)', () => {
  it('sends SSO OIDC its own refresh token and no scope, with the registration that sealed it; seals the new one', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(success({ accessToken: 'at-2', tokenType: 'Bearer', expiresIn: 3600, refreshToken: 'upstream-rt-2' }, OK_ID));
    const audit = newAudit();
    const tokens = await redeemRefreshToken({ refreshToken: refreshTokenFor(PREVIOUS), scope: 'email' }, deps, audit);
    expect(oidc.inputs('CreateToken')).toEqual([
      { grantType: 'refresh_token', refreshToken: 'upstream-rt', clientId: PREVIOUS.clientId, clientSecret: PREVIOUS.clientSecret },
    ]);
    // SSO OIDC keeps the original grant's scope: that is the scope of the new access token.
    expect(tokens).toEqual({ accessToken: 'at-2', tokenType: 'Bearer', expiresIn: 3600, refreshToken: expect.any(String), scope: SCOPE });
    const opened = await openSealed('refresh_token', tokens.refreshToken!, deps.registrations);
    expect([opened?.registration, opened?.value]).toEqual([PREVIOUS, { refreshToken: 'upstream-rt-2', scope: SCOPE }]);
    expect(audit).toMatchObject({ grantType: 'refresh_token', upstreamCalls: 1, clientSecretExpiresAt: PREVIOUS.clientSecretExpiresAt });
  });

  it('RFC 6749 §6: may narrow the scope or repeat it, and openid is ignored', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(success({ accessToken: 'at', expiresIn: 60 }, OK_ID));
    for (const scope of [undefined, '', 'email', 'sso:account:access email', 'openid email', 'openid']) {
      await expect(redeemRefreshToken({ refreshToken: refreshTokenFor(CURRENT), ...(scope === undefined ? {} : { scope }) }, deps, newAudit())).resolves.toMatchObject({
        accessToken: 'at',
      });
    }
    expect(oidc.inputs('CreateToken')).toHaveLength(6);
  });

  it('RFC 6749 §6: never widens it: a scope not granted is invalid_scope, before SSO OIDC', async () => {
    const { oidc, deps } = setup();
    for (const [granted, asked] of [
      [SCOPE, 'email admin'],
      [SCOPE, 'admin'],
      [SCOPE, 'EMAIL'],
      [SCOPE, 'email sso:account'],
      ['', 'email'],
    ] as const) {
      await expect(redeemRefreshToken({ refreshToken: refreshTokenFor(CURRENT, granted), scope: asked }, deps, newAudit())).rejects.toMatchObject({
        status: 400,
        type: 'InvalidScopeException',
        error: 'invalid_scope',
      });
    }
    expect(oidc.calls()).toHaveLength(0);
  });

  it('RFC 6749 §3.3: a scope that is not scope tokens separated by single spaces is invalid_scope, before SSO OIDC', async () => {
    const { oidc, deps } = setup();
    for (const scope of ['email  sso:account:access', ' email', 'email ', '<x> "y"', 'caf\u00e9']) {
      await expect(redeemRefreshToken({ refreshToken: refreshTokenFor(CURRENT), scope }, deps, newAudit())).rejects.toMatchObject({ status: 400, error: 'invalid_scope' });
    }
    expect(oidc.calls()).toHaveLength(0);
  });

  it('RFC 6749 §3.3, §5.1: reports no scope for a grant that asked SSO OIDC for none', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(success({ accessToken: 'at', expiresIn: 60, refreshToken: 'upstream-rt-2' }, OK_ID));
    const tokens = await redeemRefreshToken({ refreshToken: refreshTokenFor(CURRENT, '') }, deps, newAudit());
    expect('scope' in tokens).toBe(false);
  });

  it('RFC 6749 §6: returns no refresh token when SSO OIDC sent none (the client keeps its own)', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(success({ accessToken: 'at', tokenType: 'Bearer', expiresIn: 60 }, OK_ID));
    const tokens = await redeemRefreshToken({ refreshToken: refreshTokenFor(CURRENT) }, deps, newAudit());
    expect('refreshToken' in tokens).toBe(false);
  });

  it('a refresh token the broker did not issue, or a sealed code in its place: invalid_grant, before SSO OIDC', async () => {
    const { oidc, deps } = setup();
    for (const refreshToken of ['upstream-rt', codeFor(CURRENT), refreshTokenFor(GONE)]) {
      await expect(redeemRefreshToken({ refreshToken }, deps, newAudit())).rejects.toMatchObject({ type: 'InvalidGrantException' });
    }
    expect(oidc.calls()).toHaveLength(0);
  });

  it('calls SSO OIDC once, whatever it answers', async () => {
    const { oidc, deps, refresh } = setup();
    oidc.on('CreateToken').answers(failed(401, 'InvalidClientException', { error: 'invalid_client' }));
    await expect(redeemRefreshToken({ refreshToken: refreshTokenFor(CURRENT) }, deps, newAudit())).rejects.toMatchObject({ type: 'InvalidClientException' });
    expect(oidc.inputs('CreateToken')).toHaveLength(1);
    expect(refresh).not.toHaveBeenCalled();
  });
});

describe('redeemDeviceCode (RFC 8628 §3.4)', () => {
  it('polls with SSO OIDC\'s device code and the registration that sealed it, and reports no scope: none was sent to SSO OIDC (RFC 6749 §5.1)', async () => {
    const { oidc, deps } = setup();
    oidc.on('CreateToken').answers(success({ accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600, refreshToken: 'upstream-rt' }, OK_ID));
    const audit = newAudit();
    const deviceCode = sealFor('device_code', { deviceCode: 'upstream-dc' }, PREVIOUS);
    const tokens = await redeemDeviceCode({ deviceCode }, deps, audit);
    expect(tokens).toEqual({ accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600, refreshToken: expect.any(String) });
    // Nor does the refresh token claim one.
    expect((await openSealed('refresh_token', tokens.refreshToken!, deps.registrations))?.value).toEqual({ refreshToken: 'upstream-rt', scope: '' });
    expect(oidc.inputs('CreateToken')).toEqual([
      { grantType: DEVICE, deviceCode: 'upstream-dc', clientId: PREVIOUS.clientId, clientSecret: PREVIOUS.clientSecret },
    ]);
    expect(audit.grantType).toBe(DEVICE);
  });

  it('RFC 8628 §3.5: authorization_pending and slow_down reach the client as SSO OIDC sent them', async () => {
    const { oidc, deps } = setup();
    const deviceCode = sealFor('device_code', { deviceCode: 'upstream-dc' }, CURRENT);
    oidc
      .on('CreateToken')
      .answersOnce(failed(400, 'AuthorizationPendingException', { error: 'authorization_pending' }))
      .answersOnce(failed(400, 'SlowDownException', { error: 'slow_down' }));
    await expect(redeemDeviceCode({ deviceCode }, deps, newAudit())).rejects.toMatchObject({ status: 400, error: 'authorization_pending', fromUpstream: true });
    await expect(redeemDeviceCode({ deviceCode }, deps, newAudit())).rejects.toMatchObject({ status: 400, error: 'slow_down', fromUpstream: true });
  });

  it('a device code the broker did not issue is invalid_grant, before SSO OIDC', async () => {
    const { oidc, deps } = setup();
    for (const deviceCode of ['upstream-dc', refreshTokenFor(CURRENT)]) {
      await expect(redeemDeviceCode({ deviceCode }, deps, newAudit())).rejects.toMatchObject({ type: 'InvalidGrantException' });
    }
    expect(oidc.calls()).toHaveLength(0);
  });
});

describe('startDeviceAuthorization (RFC 8628 §3.1, §3.2)', () => {
  it('starts with the current registration and the configured start URL, and seals the device code without the scope asked for (StartDeviceAuthorization takes none)', async () => {
    const { oidc, deps } = setup();
    oidc.on('StartDeviceAuthorization').answers(success({
      deviceCode: 'upstream-dc',
      userCode: 'ABCD-EFGH',
      verificationUri: 'https://device.sso.us-east-1.amazonaws.com/',
      verificationUriComplete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH',
      expiresIn: 600,
      interval: 5,
    }, OK_ID));
    const audit = newAudit();
    const started = await startDeviceAuthorization({ scope: 'openid sso:account:access' }, deps, audit);
    expect(oidc.inputs('StartDeviceAuthorization')).toEqual([
      { clientId: CURRENT.clientId, clientSecret: CURRENT.clientSecret, startUrl: START_URL },
    ]);
    expect(started).toEqual({
      deviceCode: expect.any(String),
      userCode: 'ABCD-EFGH',
      verificationUri: 'https://device.sso.us-east-1.amazonaws.com/',
      verificationUriComplete: 'https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH',
      expiresIn: 600,
      interval: 5,
    });
    expect(started.deviceCode).not.toContain('upstream-dc');
    const opened = await openSealed('device_code', started.deviceCode, deps.registrations);
    expect([opened?.registration, opened?.value]).toEqual([CURRENT, { deviceCode: 'upstream-dc' }]);
    expect(audit).toMatchObject({ grantType: 'device_authorization', upstreamCalls: 1, clientSecretExpiresAt: CURRENT.clientSecretExpiresAt });
  });

  it('RFC 6749 §3.3: a scope that is not scope tokens separated by single spaces is invalid_scope, before SSO OIDC', async () => {
    const { oidc, deps } = setup();
    for (const scope of ['a  b', '<x> "y"', ' a', 'a\\b', Array.from({ length: 51 }, (_, i) => `s${i}`).join(' ')]) {
      await expect(startDeviceAuthorization({ scope }, deps, newAudit())).rejects.toMatchObject({ status: 400, type: 'InvalidScopeException', error: 'invalid_scope' });
    }
    expect(oidc.calls()).toHaveLength(0);
  });

  it('is unsupported_grant_type, before SSO OIDC, when no start URL is configured', async () => {
    const { oidc, deps } = setup(loadConfig(ENV));
    await expect(startDeviceAuthorization({}, deps, newAudit())).rejects.toMatchObject({ status: 400, type: 'UnsupportedGrantTypeException' });
    expect(oidc.calls()).toHaveLength(0);
  });
});

describe('sealCode', () => {
  it('binds SSO OIDC\'s code to the client\'s redirect URI and scope, for 5 minutes, under the registration given', async () => {
    const { deps } = setup();
    const before = nowSeconds();
    const opened = await openSealed('code', sealCode('upstream-code', REDIRECT, SCOPE, PREVIOUS), deps.registrations);
    expect([opened?.registration, opened?.value]).toEqual([PREVIOUS, { code: 'upstream-code', redirectUri: REDIRECT, scope: SCOPE, expiresAt: expect.any(Number) }]);
    expect(opened!.value.expiresAt - before).toBeGreaterThanOrEqual(300);
    expect(opened!.value.expiresAt - nowSeconds()).toBeLessThanOrEqual(300);
  });
});
