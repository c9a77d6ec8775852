// The broker in environments that are not the happy one: an SSO OIDC that does not support a grant
// the broker enables, a client registered without a grant, an unreachable SSO OIDC, and a secret
// that is missing or malformed and then fixed while the broker keeps running.

import { createServer } from 'node:net';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { post, startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { pkcePair } from '../helpers/pkce.js';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const REDIRECT = 'http://127.0.0.1:9999/callback';

let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
const brokers: BrokerProcess[] = [];
let registration: ReturnType<SsoOidcEmulator['registerClient']>;

async function broker(env: Record<string, string>): Promise<BrokerProcess> {
  const started = await startBroker({
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    TOKEN_BROKER_GRANT_TYPES: `authorization_code,refresh_token,${DEVICE}`,
    ...env,
  });
  brokers.push(started);
  return started;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  // This SSO OIDC knows no device grant, and the client registered for authorization codes only.
  oidc = await SsoOidcEmulator.start({ supportedGrantTypes: ['authorization_code', 'refresh_token'] });
  secrets = await SecretsManagerEmulator.start();
  registration = oidc.registerClient({
    clientName: 'code-only',
    clientType: 'public',
    grantTypes: ['authorization_code'],
    redirectUris: [REDIRECT],
    issuerUrl: oidc.url,
  });
  secrets.putSecret('code-only', JSON.stringify(registration));
});

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop()));
  await oidc?.stop();
  await secrets?.stop();
});

function expectError(response: Awaited<ReturnType<typeof post>>, status: number, type: string, error: string): void {
  expect([response.status, response.headers.get('x-amzn-errortype'), response.body.__type, response.body.error]).toEqual([status, type, type, error]);
  expect(typeof response.body.error_description).toBe('string');
}

describe('grants the upstream or the client does not allow', () => {
  let b: BrokerProcess;
  beforeAll(async () => {
    b = await broker({ TOKEN_BROKER_SECRET_ID: 'code-only' });
  });

  it('UnsupportedGrantTypeException from SSO OIDC passes through', async () => {
    const before = oidc.callCount('/token');
    expectError(await post(`${b.url}/token`, { grantType: DEVICE, deviceCode: 'dc' }), 400, 'UnsupportedGrantTypeException', 'unsupported_grant_type');
    expect(oidc.callCount('/token') - before).toBe(1);
  });

  it('UnauthorizedClientException from SSO OIDC passes through', async () => {
    expectError(await post(`${b.url}/token`, { grantType: 'refresh_token', refreshToken: 'rt' }), 400, 'UnauthorizedClientException', 'unauthorized_client');
  });

  it('the code grant still works for this client', async () => {
    const { verifier, challenge } = pkcePair();
    const code = oidc.authorize({ clientId: registration.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
    const response = await post(`${b.url}/token`, { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT });
    expect(response.status).toBe(200);
    expect(response.body).not.toHaveProperty('refreshToken');
  });
});

describe('an operator setting POWERTOOLS_LOGGER_LOG_EVENT', () => {
  it('still gets no request event, and so no code or verifier, in the log', async () => {
    const b = await broker({ TOKEN_BROKER_SECRET_ID: 'code-only', POWERTOOLS_LOGGER_LOG_EVENT: 'true' });
    const { verifier, challenge } = pkcePair();
    const code = oidc.authorize({ clientId: registration.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
    const response = await post(`${b.url}/token`, { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT });
    expect(response.status).toBe(200);
    expect(b.logs().some((line) => line.message === 'request completed')).toBe(true);
    for (const value of [code, verifier, response.body.accessToken as string]) expect(b.output()).not.toContain(value);
  });
});

describe('an unreachable SSO OIDC', () => {
  it('answers 502 BadGatewayException', async () => {
    const b = await broker({ TOKEN_BROKER_SECRET_ID: 'code-only', AWS_ENDPOINT_URL_SSO_OIDC: `http://127.0.0.1:${await closedPort()}` });
    const response = await post(`${b.url}/token`, { grantType: 'refresh_token', refreshToken: 'rt' });
    expectError(response, 502, 'BadGatewayException', 'temporarily_unavailable');
    expect(response.body.error_description).toBe('SSO OIDC could not be reached.');
  });
});

describe('a missing, then malformed, then fixed secret', () => {
  it('answers a generic 500 with the details in the log only, and recovers without a restart', async () => {
    const b = await broker({ TOKEN_BROKER_SECRET_ID: 'later', TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0' });
    const refresh = { grantType: 'authorization_code', code: 'c', codeVerifier: pkcePair().verifier, redirectUri: REDIRECT };

    const missing = await post(`${b.url}/token`, refresh);
    expectError(missing, 500, 'InternalServerException', 'server_error');
    expect(missing.body.error_description).toBe('The token broker could not complete the request.');

    const malformedSecret = '{"clientId":"abc","clientSecret":"malformed-secret-value"';
    secrets.putSecret('later', malformedSecret);
    const malformed = await post(`${b.url}/token`, refresh);
    expectError(malformed, 500, 'InternalServerException', 'server_error');
    expect(malformed.text).not.toContain('malformed-secret-value');

    secrets.putSecret('later', JSON.stringify(registration));
    const fixed = await post(`${b.url}/token`, refresh);
    expectError(fixed, 400, 'InvalidGrantException', 'invalid_grant');

    const details = b.logs().filter((line) => line.message === 'request failed').map((line) => line.detail);
    expect(details).toEqual([
      'client registration secret could not be read: ResourceNotFoundException 400',
      'client registration secret is not valid JSON',
    ]);
    expect(b.output()).not.toContain('malformed-secret-value');
    expect(b.output()).not.toContain(registration.clientSecret);
  });
});
