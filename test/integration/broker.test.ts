// The broker as `npm start` runs it (the local API Gateway adapter in front of the handler, in its own
// process), configured like a deployment, against the SSO OIDC and Secrets Manager emulators over HTTP.
// Every upstream error is produced by a real flow in the emulator, not by a canned answer, except the
// server fault, which is injected.

import type { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import type { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { post, type BrokerProcess } from '../helpers/broker-process.js';
import { ALL_GRANTS, DEVICE_GRANT as DEVICE, startEnvironment, type Environment } from '../helpers/environment.js';
import { LOOPBACK_CALLBACK, PUBLIC_CLIENT_ID, beginSignIn, finishSignIn, frontDoorEnv, postForm } from '../helpers/front-door.js';
import { pkcePair } from '../helpers/pkce.js';

const SCOPES = ['openid', 'email', 'sso:account:access'];
const ORIGIN = 'https://app.example.com';
const REDIRECT = 'https://app.example.com/callback';

let clock = Date.now();
let environment: Environment;
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let broker: BrokerProcess;
let clientId: string;
/** Every secret, token, code and verifier this file sees; none may appear in the broker's output. */
const sensitive = new Set<string>();

const remember = (...values: unknown[]): void => {
  for (const value of values) if (typeof value === 'string' && value.length > 0) sensitive.add(value);
};

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'broker-integration',
    redirectUri: REDIRECT,
    oidc: { now: () => clock, deviceIntervalSeconds: 5 },
    scopes: SCOPES,
    // The front door is on too, so that the log check at the end covers its routes.
    extraRedirectUris: [LOOPBACK_CALLBACK],
    brokerEnv: frontDoorEnv({ TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN, TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: '1000' }),
  });
  ({ oidc, secrets, broker } = environment);
  clientId = environment.registration.clientId;
  remember(environment.registration.clientSecret);
});

afterAll(async () => {
  await environment?.stop();
});

/** A fresh authorization code, issued by the emulator as /authorize would, and its verifier. */
function newCode(scopes: string[] = ['openid']): { code: string; verifier: string } {
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge, scopes, state: 's' });
  remember(code, verifier);
  return { code, verifier };
}

const token = (body: unknown, headers: Record<string, string> = {}) => post(`${broker.url}/token`, body, headers);

async function exchange(scope?: string[]) {
  const { code, verifier } = newCode();
  const response = await token({ grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT, ...(scope ? { scope } : {}) });
  remember(response.body.accessToken, response.body.refreshToken, response.body.idToken);
  return { code, verifier, response };
}

async function startDevice() {
  const response = await post(`${broker.url}/device_authorization`, { startUrl: 'https://d-1234567890.awsapps.com/start' });
  expect(response.status).toBe(200);
  remember(response.body.deviceCode, response.body.userCode);
  return response.body as { deviceCode: string; userCode: string; interval: number; expiresIn: number };
}

const pollDevice = (deviceCode: string) => token({ grantType: DEVICE, deviceCode });

/** The exact pass-through shape: status, header, and body members. */
function expectError(
  response: Awaited<ReturnType<typeof token>>,
  status: number,
  type: string,
  error: string,
  reason?: string,
): void {
  expect({ status: response.status, type: response.headers.get('x-amzn-errortype') }).toEqual({ status, type });
  expect(response.body.__type).toBe(type);
  expect(response.body.error).toBe(error);
  expect(typeof response.body.error_description).toBe('string');
  expect(response.body.reason).toBe(reason);
  expect(response.headers.get('content-type')).toBe('application/json');
  expect(response.headers.get('cache-control')).toBe('no-store');
}

describe('successful exchanges', () => {
  it('exchanges an authorization code with PKCE for tokens, uncacheable', async () => {
    const { response } = await exchange(['openid']);
    expect(response.status).toBe(200);
    // The emulator follows the documented service: no idToken.
    expect(Object.keys(response.body).sort()).toEqual(['accessToken', 'expiresIn', 'refreshToken', 'tokenType']);
    expect(response.body.tokenType).toBe('Bearer');
    expect(response.body.expiresIn).toBeGreaterThan(0);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-amzn-requestid')).toMatch(/\S+/);
  });

  it('refreshes, and a refresh that returns no new refresh token says so by leaving it out', async () => {
    const { response } = await exchange();
    const refreshed = await token({ grantType: 'refresh_token', refreshToken: response.body.refreshToken });
    remember(refreshed.body.accessToken);
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.accessToken).not.toBe(response.body.accessToken);
    expect(refreshed.body).not.toHaveProperty('refreshToken');
  });

  it('runs the device flow: pending, slow down, approved, tokens', async () => {
    const device = await startDevice();
    expect(device.userCode).toMatch(/\S/);
    expectError(await pollDevice(device.deviceCode), 400, 'AuthorizationPendingException', 'authorization_pending');
    expectError(await pollDevice(device.deviceCode), 400, 'SlowDownException', 'slow_down');
    oidc.approveDevice(device.userCode);
    clock += (device.interval + 1) * 1000;
    const done = await pollDevice(device.deviceCode);
    remember(done.body.accessToken, done.body.refreshToken);
    expect(done.status).toBe(200);
    expect(done.body.tokenType).toBe('Bearer');
  });

  it('ignores a clientSecret in the body and accepts the registered clientId', async () => {
    const { code, verifier } = newCode();
    const response = await token({ grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT, clientId, clientSecret: 'not-the-secret' });
    remember(response.body.accessToken, response.body.refreshToken, response.body.idToken);
    expect(response.status).toBe(200);
  });
});

describe('every SSO OIDC error passes through exactly', () => {
  it('InvalidGrantException: a reused authorization code', async () => {
    const { code, verifier } = await exchange();
    expectError(await token({ grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT }), 400, 'InvalidGrantException', 'invalid_grant');
  });

  it('InvalidGrantException: a verifier that does not match the challenge', async () => {
    const { code } = newCode();
    expectError(await token({ grantType: 'authorization_code', code, codeVerifier: pkcePair().verifier, redirectUri: REDIRECT }), 400, 'InvalidGrantException', 'invalid_grant');
  });

  it('InvalidScopeException: a scope the client did not register', async () => {
    const { response } = await exchange();
    expectError(await token({ grantType: 'refresh_token', refreshToken: response.body.refreshToken, scope: ['admin:everything'] }), 400, 'InvalidScopeException', 'invalid_scope');
  });

  it('AccessDeniedException and InvalidRequestException with their KMS reasons', async () => {
    const { response } = await exchange();
    const refresh = { grantType: 'refresh_token', refreshToken: response.body.refreshToken };
    oidc.setKmsState('access_denied');
    expectError(await token(refresh), 400, 'AccessDeniedException', 'access_denied', 'KMS_AccessDeniedException');
    oidc.setKmsState('disabled');
    expectError(await token(refresh), 400, 'InvalidRequestException', 'invalid_request', 'KMS_DisabledException');
    oidc.setKmsState('ok');
    expect((await token(refresh)).status).toBe(200);
  });

  it('AccessDeniedException: the user denied the device', async () => {
    const device = await startDevice();
    oidc.denyDevice(device.userCode);
    expectError(await pollDevice(device.deviceCode), 400, 'AccessDeniedException', 'access_denied');
  });

  it('ExpiredTokenException: a device code past its lifetime', async () => {
    const device = await startDevice();
    clock += (device.expiresIn + 1) * 1000;
    expectError(await pollDevice(device.deviceCode), 400, 'ExpiredTokenException', 'expired_token');
  });

  it('InternalServerException reaches the upstream exactly once: the code is never replayed', async () => {
    const { code, verifier } = newCode();
    oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500, error: 'server_error', description: 'Internal error' });
    const before = oidc.callCount('/token');
    expectError(await token({ grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT }), 500, 'InternalServerException', 'server_error');
    expect(oidc.callCount('/token') - before).toBe(1);
  });

  it('an unknown error type and an unknown reason pass through too', async () => {
    oidc.injectFault({ kind: 'error', type: 'InvalidRequestException', status: 400, error: 'invalid_request', description: 'd', reason: 'KMS_SomethingNew' });
    const { response } = await exchange();
    expectError(response, 400, 'InvalidRequestException', 'invalid_request', 'KMS_SomethingNew');
    oidc.injectFault({ kind: 'error', type: 'BrandNewException', status: 409, error: 'brand_new', description: 'd' });
    const second = await exchange();
    expectError(second.response, 409, 'BrandNewException', 'brand_new');
  });

  it('InvalidClientException: the registration expired, and the secret has nothing newer', async () => {
    const { response } = await exchange();
    const before = { token: oidc.callCount('/token'), reads: secrets.callCount('GetSecretValue') };
    oidc.expireClient(clientId);
    try {
      expectError(await token({ grantType: 'refresh_token', refreshToken: response.body.refreshToken }), 401, 'InvalidClientException', 'invalid_client');
      // One forced re-read of the secret; the same registration came back, so no second call.
      expect(secrets.callCount('GetSecretValue') - before.reads).toBe(1);
      expect(oidc.callCount('/token') - before.token).toBe(1);
    } finally {
      const renewed = oidc.registerClient({ clientName: 'broker-integration', clientType: 'public', grantTypes: ALL_GRANTS, redirectUris: [REDIRECT, LOOPBACK_CALLBACK], issuerUrl: oidc.url, scopes: SCOPES });
      clientId = renewed.clientId;
      remember(renewed.clientSecret);
      secrets.putSecret(environment.secretId, JSON.stringify(renewed));
    }
  });

  it('recovers from a rotated registration with one forced re-read and one retry', async () => {
    // The previous test left a new registration in the secret while the broker still caches the
    // expired one: the first request meets InvalidClientException upstream and recovers by itself.
    // (The broker's forced re-reads are rate-limited to one per 5 s, so let that pass first.)
    await new Promise((resolve) => setTimeout(resolve, 5100));
    const before = oidc.callCount('/token');
    const { response } = await exchange();
    expect(response.status).toBe(200);
    expect(oidc.callCount('/token') - before).toBeLessThanOrEqual(2);
  });
});

describe('errors the broker raises itself never reach SSO OIDC', () => {
  let before: number;
  beforeEach(() => {
    before = oidc.callCount('/token') + oidc.callCount('/device_authorization');
  });
  afterEach(() => {
    expect(oidc.callCount('/token') + oidc.callCount('/device_authorization')).toBe(before);
  });

  it('malformed JSON', async () => {
    const response = await token('{"grantType":');
    expectError(response, 400, 'InvalidRequestException', 'invalid_request');
    expect(response.body.error_description).toBe('The request body is not valid JSON.');
  });

  it('a body that is not an object', async () => {
    expectError(await token('["refresh_token"]'), 400, 'InvalidRequestException', 'invalid_request');
  });

  it('a missing member, named in the description', async () => {
    const response = await token({ grantType: 'refresh_token' });
    expectError(response, 400, 'InvalidRequestException', 'invalid_request');
    expect(response.body.error_description).toContain('"refreshToken"');
  });

  it('a mistyped member, named in the description', async () => {
    const response = await token({ grantType: 'refresh_token', refreshToken: ['x'] });
    expectError(response, 400, 'InvalidRequestException', 'invalid_request');
    expect(response.body.error_description).toContain('"refreshToken" must be a string');
  });

  it('a grant type not enabled on this broker', async () => {
    expectError(await token({ grantType: 'client_credentials' }), 400, 'UnsupportedGrantTypeException', 'unsupported_grant_type');
  });

  it('a redirect URI outside the allow list', async () => {
    const { code, verifier } = newCode();
    const response = await token({ grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: 'https://evil.example.com/cb' });
    expectError(response, 400, 'InvalidRequestException', 'invalid_request');
    expect(response.body.error_description).toContain('"redirectUri"');
  });

  it('another clientId', async () => {
    expectError(await token({ grantType: 'refresh_token', refreshToken: 'x', clientId: 'someone-else' }), 401, 'InvalidClientException', 'invalid_client');
  });

  it('a body over 16 KiB', async () => {
    expectError(await token({ grantType: 'refresh_token', refreshToken: 'x'.repeat(17 * 1024) }), 413, 'PayloadTooLargeException', 'invalid_request');
  });

  it('a content type other than JSON, pointing a form-encoded OAuth 2.0 client at the front door', async () => {
    const response = await token('grant_type=refresh_token', { 'content-type': 'application/x-www-form-urlencoded' });
    expectError(response, 415, 'UnsupportedMediaTypeException', 'invalid_request');
    expect(response.body.error_description).toContain('Standard OAuth 2.0 clients send forms to POST /oauth2/token');
  });

  it('an Origin that is not allowed, with no CORS headers for it', async () => {
    const response = await token({ grantType: 'refresh_token', refreshToken: 'x' }, { origin: 'https://evil.example.com' });
    expectError(response, 403, 'ForbiddenOriginException', 'access_denied');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a route that does not exist, as API Gateway answers it', async () => {
    const response = await post(`${broker.url}/client/register`, {});
    expect(response.status).toBe(404);
  });
});

describe('CORS for allowed origins', () => {
  it('answers preflight with the methods and headers a page sends', async () => {
    const response = await fetch(`${broker.url}/token`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
  });

  it('answers preflight for a path that does not exist with a readable 404', async () => {
    const response = await fetch(`${broker.url}/nowhere`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('NotFoundException');
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('refuses preflight from another origin', async () => {
    const response = await fetch(`${broker.url}/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets an allowed page read the error type and request id', async () => {
    const response = await token({ grantType: 'refresh_token', refreshToken: 'unknown' }, { origin: ORIGIN });
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toBe('x-amzn-ErrorType, x-amzn-RequestId');
    expect(response.headers.get('vary')).toBe('Origin');
    expectError(response, 400, 'InvalidGrantException', 'invalid_grant');
  });
});

describe('GET /client', () => {
  it('gives a frontend the public client id and authorize endpoint, and nothing secret', async () => {
    const response = await fetch(`${broker.url}/client`, { headers: { origin: ORIGIN } });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status).toBe(200);
    expect(body).toEqual({ clientId, authorizationEndpoint: `${oidc.url}/authorize` });
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses an origin that is not allowed', async () => {
    const response = await fetch(`${broker.url}/client`, { headers: { origin: 'https://evil.example.com' } });
    expect(response.status).toBe(403);
  });
});

describe('upstream failures', () => {
  it('answers 504 when SSO OIDC is slower than the broker timeout, then serves the next request', async () => {
    oidc.injectFault({ kind: 'delay', ms: 1500 });
    const { response } = await exchange();
    expectError(response, 504, 'GatewayTimeoutException', 'temporarily_unavailable');
    expect((await exchange()).response.status).toBe(200);
  });
});

describe('the front door, for the log check below', () => {
  it('signs in, refreshes and polls a device code through /oauth2/*, every value remembered', async () => {
    const state = `state-${pkcePair().verifier}`;
    const begun = await beginSignIn(environment, { redirectUri: REDIRECT, state, scope: 'openid email' });
    const upstream = new URL(begun.callbackUrl).searchParams;
    const signIn = await finishSignIn(begun);
    remember(state, begun.verifier, upstream.get('code'), upstream.get('state'), signIn.code);
    const tokenUrl = `${broker.url}/oauth2/token`;
    const exchanged = await postForm(tokenUrl, { grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: signIn.code, redirect_uri: REDIRECT, code_verifier: begun.verifier });
    expect(exchanged.status).toBe(200);
    remember(exchanged.body.access_token, exchanged.body.refresh_token);
    const refreshed = await postForm(tokenUrl, { grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(exchanged.body.refresh_token) });
    expect(refreshed.status).toBe(200);
    remember(refreshed.body.access_token);
    // Failures too: a replayed code, a bad verifier, a refused secret.
    const replay = await postForm(tokenUrl, { grant_type: 'authorization_code', client_id: PUBLIC_CLIENT_ID, code: signIn.code, redirect_uri: REDIRECT, code_verifier: begun.verifier });
    expect(replay.body.error).toBe('invalid_grant');
    const secret = `client-secret-${pkcePair().verifier}`;
    remember(secret);
    expect((await postForm(tokenUrl, { grant_type: 'refresh_token', client_id: PUBLIC_CLIENT_ID, refresh_token: String(exchanged.body.refresh_token), client_secret: secret })).status).toBe(401);
    const device = await postForm(`${broker.url}/oauth2/device_authorization`, { client_id: PUBLIC_CLIENT_ID });
    expect(device.status).toBe(200);
    remember(device.body.device_code);
    const poll = await postForm(tokenUrl, { grant_type: DEVICE, client_id: PUBLIC_CLIENT_ID, device_code: String(device.body.device_code) });
    expect(poll.body.error).toBe('authorization_pending');
  });
});

describe('logs', () => {
  it('have one structured line per request, with grant type, outcome, status and upstream latency', async () => {
    await exchange();
    const last = broker.logs().filter((line) => line.message === 'request completed').at(-1)!;
    expect(last).toMatchObject({ level: 'INFO', service: 'token-broker', route: 'POST /token', grantType: 'authorization_code', outcome: 'Success', status: 200, upstreamStatus: 200, upstreamCalls: 1 });
    expect(typeof last.upstreamLatencyMs).toBe('number');
    expect(typeof last.function_request_id).toBe('string');
  });

  it('never contain a secret, token, code or verifier, after everything above', () => {
    const output = broker.output();
    expect(output.length).toBeGreaterThan(1000);
    expect(sensitive.size).toBeGreaterThan(40);
    const leaked = [...sensitive].filter((value) => output.includes(value));
    expect(leaked).toEqual([]);
  });
});
