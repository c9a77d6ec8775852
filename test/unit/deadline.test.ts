// One deadline per request (lambda/deadline.ts): every secret read and SSO OIDC call draws from it,
// and a request that runs out answers 504, never Lambda's 500. With aws-sdk-client-mock standing in
// for Secrets Manager (behind the broker's SecretReader) and for SSO OIDC.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { setTimeout as sleep } from 'node:timers/promises';
import { newAudit, type Audit } from '../../lambda/core/audit.js';
import type { GrantDeps } from '../../lambda/core/grants.js';
import { awsJsonRoutes } from '../../lambda/surfaces/aws-json/index.js';
import { loadConfig, REQUEST_DEADLINE_MS } from '../../lambda/core/config.js';
import { currentDeadline, Deadline, inTime, withDeadline } from '../../lambda/core/deadline.js';
import { BrokerError } from '../../lambda/core/errors.js';
import { RegistrationSource } from '../../lambda/core/registration.js';
import { createUpstream } from '../../lambda/core/upstream.js';
import { fakeOidc, success } from './support/oidc-wire.js';
import { SecretReader } from '../../lambda/core/secret-reader.js';

const exchangeToken = (body: unknown, deps: GrantDeps, audit: Audit) =>
  awsJsonRoutes(deps).token({ body, rawQuery: '', headers: {}, cookies: [] }, audit);

const config = loadConfig({ TOKEN_BROKER_SECRET_ID: 'token-broker/registration', AWS_REGION: 'us-east-1' });
const registration = { clientId: 'client-1', clientSecret: 'secret-1' };
const refreshBody = { grantType: 'refresh_token', refreshToken: 'rt-1' };

/** Secrets Manager answering every read after `delayMs`; SSO OIDC answering after `oidcDelayMs`. */
function setup({ delayMs = 0, oidcDelayMs = 0 } = {}) {
  const secretsClient = new SecretsManagerClient({ region: 'us-east-1' });
  const sm = mockClient(secretsClient);
  sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration' }).callsFake(async () => {
    await sleep(delayMs);
    return { SecretString: JSON.stringify(registration) };
  });
  sm.on(GetSecretValueCommand, { SecretId: 'token-broker/registration', VersionStage: 'AWSPREVIOUS' }).callsFake(async () => {
    await sleep(delayMs);
    throw Object.assign(new Error('none'), { name: 'ResourceNotFoundException' });
  });
  const oidc = fakeOidc(config);
  oidc.on('CreateToken').answers(async () => {
    await sleep(oidcDelayMs);
    return success({ accessToken: 'at', tokenType: 'Bearer', expiresIn: 3600 });
  });
  const registrations = new RegistrationSource({
    secretId: 'token-broker/registration',
    maxAgeSeconds: 0,
    timeoutMs: config.secretTimeoutMs,
    provider: new SecretReader(secretsClient),
    previousProvider: new SecretReader(secretsClient),
  });
  const deps: GrantDeps = { config, registrations, upstream: createUpstream(config, oidc.call) };
  return { sm, oidc, deps };
}

async function outcome(work: Promise<unknown>): Promise<{ status: number; type: string }> {
  try {
    await work;
    return { status: 200, type: 'Success' };
  } catch (error) {
    const answer = error as BrokerError;
    return { status: answer.status, type: answer.type };
  }
}

describe('Deadline', () => {
  it('is the request budget, or less when the function has less time left (1 s kept to answer)', () => {
    expect(Deadline.forRequest(undefined, 0).at).toBe(REQUEST_DEADLINE_MS);
    expect(Deadline.forRequest(60_000, 0).at).toBe(REQUEST_DEADLINE_MS);
    expect(Deadline.forRequest(3000, 0).at).toBe(2000);
    expect(Deadline.forRequest(500, 0).remainingMs(0)).toBe(0);
  });

  it('travels with the request\'s async context, and only with it', async () => {
    const deadline = Deadline.in(1000);
    await withDeadline(deadline, async () => {
      await sleep(1);
      expect(currentDeadline()).toBe(deadline);
    });
    expect(currentDeadline()).toBeUndefined();
    await expect(withDeadline(Deadline.in(20), () => inTime(sleep(500), 'sleeping'))).rejects.toMatchObject({
      status: 504,
      type: 'GatewayTimeoutException',
      logDetail: 'request deadline reached while sleeping',
    });
  });
});

describe('a request draws every read and call from one deadline', () => {
  it('a slow Secrets Manager and a made-up client id: 504 at the deadline, not a 500, and SSO OIDC never called', async () => {
    // Each read takes 150 ms: current, previous, then both again, is 450 ms; the deadline is 200 ms.
    const { oidc, deps } = setup({ delayMs: 150 });
    const audit = newAudit();
    const result = await outcome(withDeadline(Deadline.in(200), () => exchangeToken({ ...refreshBody, clientId: 'made-up' }, deps, audit)));
    expect(result).toEqual({ status: 504, type: 'GatewayTimeoutException' });
    expect(oidc.inputs('CreateToken')).toHaveLength(0);
  });

  it('the same with time enough: the made-up client id is a 401', async () => {
    const { deps } = setup({ delayMs: 20 });
    const result = await outcome(withDeadline(Deadline.in(5000), () => exchangeToken({ ...refreshBody, clientId: 'made-up' }, deps, newAudit())));
    expect(result).toEqual({ status: 401, type: 'InvalidClientException' });
  });

  it('no SSO OIDC call is started with almost no time left (better not sent than abandoned): 504', async () => {
    const { oidc, deps } = setup({ delayMs: 90 });
    const result = await outcome(withDeadline(Deadline.in(200), () => exchangeToken(refreshBody, deps, newAudit())));
    expect(result).toEqual({ status: 504, type: 'GatewayTimeoutException' });
    expect(oidc.inputs('CreateToken')).toHaveLength(0);
  });

  it('a request with time enough is served as before', async () => {
    const { deps } = setup({ delayMs: 5 });
    expect(await outcome(withDeadline(Deadline.in(5000), () => exchangeToken(refreshBody, deps, newAudit())))).toEqual({ status: 200, type: 'Success' });
  });
});
