// openid-client v6 (panva), as a Node backend-for-frontend would use it, against the broker's front
// door over HTTP: discovery, authorization code + PKCE, refresh, device authorization with polling,
// and every SSO OIDC error type as the RFC error it names. The library is configured only with the
// broker's issuer URL and the public client id (public client: None()); allowInsecureRequests only
// because the broker listens on http://127.0.0.1 here.

import * as client from 'openid-client';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { LOOPBACK_CALLBACK, PUBLIC_CLIENT_ID, frontDoorEnv, get, throughSsoOidc } from '../helpers/front-door.js';

const REDIRECT = 'https://bff.example.com/auth/callback';
const SCOPE = 'openid email sso:account:access';

let environment: Environment;
let config: client.Configuration;
/** Every answer the token endpoint gave the library, in order. */
const tokenAnswers: { status: number; body: Record<string, unknown> }[] = [];
let onTokenAnswer: (() => void) | undefined;

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'openid-client',
    redirectUri: REDIRECT,
    extraRedirectUris: [LOOPBACK_CALLBACK],
    oidc: { deviceIntervalSeconds: 1 },
    brokerEnv: frontDoorEnv(),
  });
  config = await client.discovery(new URL(environment.broker.url), PUBLIC_CLIENT_ID, undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  // Watches the library's own requests (it still makes them all itself).
  config[client.customFetch] = async (url, options) => {
    const response = await fetch(url, options as RequestInit);
    if (url.endsWith('/oauth2/token')) {
      tokenAnswers.push({ status: response.status, body: (await response.clone().json()) as Record<string, unknown> });
      onTokenAnswer?.();
    }
    return response;
  };
});

afterAll(async () => {
  await environment?.stop();
});

/** The sign-in a BFF runs: build the authorize URL, the person signs in, the callback URL comes back. */
async function signIn(): Promise<client.TokenEndpointResponse & client.TokenEndpointResponseHelpers> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const authorizationUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const authorize = await get(authorizationUrl.href);
  expect(authorize.status).toBe(302);
  const callback = await get(await throughSsoOidc(authorize.location!));
  expect(callback.status).toBe(302);
  return client.authorizationCodeGrant(config, new URL(callback.location!), { pkceCodeVerifier: verifier, expectedState: state });
}

it('discovers the broker from its issuer URL alone (RFC 8414, issuer checked by the library)', () => {
  const metadata = config.serverMetadata();
  expect(metadata.issuer).toBe(environment.broker.url);
  expect(metadata.token_endpoint).toBe(`${environment.broker.url}/oauth2/token`);
  expect(metadata.device_authorization_endpoint).toBe(`${environment.broker.url}/oauth2/device_authorization`);
  expect(metadata.jwks_uri).toBeUndefined();
});

it('signs in with authorization code + PKCE (RFC 9207 iss checked by the library) and refreshes', async () => {
  const tokens = await signIn();
  expect(tokens.token_type.toLowerCase()).toBe('bearer');
  expect(tokens.access_token).toEqual(expect.any(String));
  expect(tokens.refresh_token).toEqual(expect.any(String));
  expect(tokens.id_token).toBeUndefined();
  expect(tokens.scope).toBe('email sso:account:access');
  expect(tokens.expiresIn()).toBeGreaterThan(3000);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
  expect(refreshed.access_token).toEqual(expect.any(String));
  expect(refreshed.access_token).not.toBe(tokens.access_token);
  // SSO OIDC sent no new refresh token, so none comes back (RFC 6749 §6): the BFF keeps its own.
  expect(refreshed.refresh_token).toBeUndefined();
});

it('a reused authorization code is a ResponseBodyError invalid_grant', async () => {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT, scope: SCOPE, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state });
  const callback = await get(await throughSsoOidc((await get(url.href)).location!));
  const currentUrl = new URL(callback.location!);
  await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: verifier, expectedState: state });
  const replay = await client.authorizationCodeGrant(config, currentUrl, { pkceCodeVerifier: verifier, expectedState: state }).catch((error: unknown) => error);
  expect(replay).toBeInstanceOf(client.ResponseBodyError);
  expect((replay as client.ResponseBodyError).error).toBe('invalid_grant');
});

it('RFC 8628: device authorization, then polling through authorization_pending and slow_down to success', async () => {
  const device = await client.initiateDeviceAuthorization(config, { scope: 'sso:account:access' });
  expect(device.user_code).toEqual(expect.any(String));
  expect(device.verification_uri_complete).toContain(device.user_code);
  const from = tokenAnswers.length;
  // After the first poll (pending, from the emulator's real flow), SSO OIDC says slow_down once;
  // after that answer the person approves.
  onTokenAnswer = () => {
    const seen = tokenAnswers.length - from;
    if (seen === 1) environment.oidc.injectFault({ kind: 'error', type: 'SlowDownException', status: 400 });
    if (seen === 2) environment.oidc.approveDevice(device.user_code);
  };
  try {
    const tokens = await client.pollDeviceAuthorizationGrant(config, device);
    expect(tokens.access_token).toEqual(expect.any(String));
    // StartDeviceAuthorization takes no scope: none is reported as granted (RFC 6749 §5.1).
    expect(tokens.scope).toBeUndefined();
  } finally {
    onTokenAnswer = undefined;
  }
  expect(tokenAnswers.slice(from).map((answer) => answer.body.error ?? answer.status)).toEqual(['authorization_pending', 'slow_down', 200]);
}, 30_000);

describe('each SSO OIDC error type reaches the library as the RFC error it names', () => {
  let refreshToken: string;
  beforeAll(async () => {
    refreshToken = (await signIn()).refresh_token!;
  });

  it.each([
    ['AccessDeniedException', 'access_denied'],
    ['AuthorizationPendingException', 'authorization_pending'],
    ['ExpiredTokenException', 'expired_token'],
    ['InternalServerException', 'server_error'],
    ['InvalidClientException', 'invalid_client'],
    ['InvalidGrantException', 'invalid_grant'],
    ['InvalidRequestException', 'invalid_request'],
    ['InvalidScopeException', 'invalid_scope'],
    ['SlowDownException', 'slow_down'],
    ['UnauthorizedClientException', 'unauthorized_client'],
    ['UnsupportedGrantTypeException', 'unsupported_grant_type'],
  ])('%s -> %s', async (type, error) => {
    const status = type === 'InternalServerException' ? 500 : type === 'InvalidClientException' ? 401 : 400;
    environment.oidc.injectFault({ kind: 'error', type, status });
    const failure = await client.refreshTokenGrant(config, refreshToken).catch((caught: unknown) => caught);
    if (status >= 500) {
      // A server fault is not an RFC 6749 §5.2 error answer: the library reports the unexpected
      // status, with the response (and its RFC error body) as the cause.
      const cause = (failure as { cause?: unknown }).cause;
      expect(cause).toBeInstanceOf(Response);
      expect((cause as Response).status).toBe(status);
      expect(((await (cause as Response).json()) as { error: string }).error).toBe(error);
      return;
    }
    // openid-client raises ResponseBodyError for a JSON error answer, carrying `error` as sent.
    expect(failure).toBeInstanceOf(client.ResponseBodyError);
    expect((failure as client.ResponseBodyError).error).toBe(error);
    expect((failure as client.ResponseBodyError).status).toBe(status);
  });
});
