// Secret faults, against the broker as `npm start` runs it: Secrets Manager unreachable, failing or
// slow; the secret missing or malformed; the registration rotated between two requests. Each gives
// the caller one clear answer (a generic 500, or the upstream's 401 when SSO OIDC rejects the client),
// the details only in the log line, and the broker recovers without a restart.
//
// Also proven elsewhere: test/integration/broker-environment.test.ts (a secret missing at start,
// then malformed, then fixed, with the cache off) and test/integration/broker.test.ts (recovery from a
// rotation after an expired registration, at most two SSO OIDC calls). The rows here add transport
// faults, every malformation, the cache's part in recovery, and rotation's exact costs.

import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsManagerEmulator, type SecretsManagerFault } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { pkcePair } from '../helpers/pkce.js';
import { seen, type Answer } from './support/answers.js';
import { LeakWatch } from './support/leaks.js';
import { closedPort, forward, logLineFor, postJson, type LogLine } from './support/net.js';

const REDIRECT = 'https://app.example.com/callback';
const GENERIC = 'The token broker could not complete the request.';
const READ_FAILED = 'client registration secret could not be read: ';
/**
 * The brokers' secret timeout: the deployed default. A normal read must finish within it on a machine
 * however busy, and the timeout row needs no short one: its answer comes later than the timeout by
 * construction (the emulator holds it longer, counted from when the request arrives).
 */
const SECRET_TIMEOUT_MS = 2000;
// Values that only a broken secret holds: they must appear in no answer and no log.
const CANARY_SECRET = 'canary-broken-secret-0123456789';

const watch = new LeakWatch();
const brokers: BrokerProcess[] = [];
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;

type Registration = ReturnType<SsoOidcEmulator['registerClient']>;

function register(name: string): Registration {
  const registration = oidc.registerClient({
    clientName: name,
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT],
    issuerUrl: oidc.url,
  });
  watch.remember(registration.clientSecret);
  return registration;
}

async function broker(secretId: string, env: Record<string, string> = {}): Promise<BrokerProcess> {
  const started = await startBroker({
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    TOKEN_BROKER_SECRET_ID: secretId,
    TOKEN_BROKER_REDIRECT_URIS: REDIRECT,
    TOKEN_BROKER_SECRET_TIMEOUT_MS: String(SECRET_TIMEOUT_MS),
    ...env,
  });
  brokers.push(started);
  return started;
}

/** An authorization code exchange for `registration`'s client (codes belong to one client). */
async function exchange(on: BrokerProcess, registration: Registration, label: string): Promise<Answer> {
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId: registration.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  watch.remember(code, verifier);
  const answer = await postJson(`${on.url}/token`, { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT });
  return seen(watch, label, answer);
}

/** The generic 500, and its log line, which alone has the detail. */
async function expectInternal(on: BrokerProcess, answer: Answer): Promise<LogLine> {
  expect([answer.status, answer.body.__type, answer.body.error, answer.body.error_description]).toEqual([
    500,
    'InternalServerException',
    'server_error',
    GENERIC,
  ]);
  const line = await logLineFor(on, answer);
  expect([line.level, line.message, line.outcome, line.status, line.upstreamCalls]).toEqual([
    'ERROR',
    'request failed',
    'InternalServerException',
    500,
    0,
  ]);
  expect(typeof line.detail).toBe('string');
  expect(answer.text).not.toContain(String(line.detail));
  return line;
}

/**
 * Repeats `attempt` until it answers 200 (or gives up after `maxAttempts`); returns every answer it
 * got. How long that takes depends on the machine: tests count what happened meanwhile instead.
 */
async function untilSuccess(attempt: () => Promise<Answer>, maxAttempts = 200): Promise<Answer[]> {
  const answers: Answer[] = [];
  for (;;) {
    const answer = await attempt();
    answers.push(answer);
    if (answer.status === 200 || answers.length >= maxAttempts) return answers;
    await sleep(250);
  }
}

/** Takes queued faults off the emulator by reading the secret directly until a read succeeds. */
async function drainSecretFaults(secretId: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const response = await fetch(secrets.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: JSON.stringify({ SecretId: secretId }),
    }).catch(() => undefined);
    if (response?.status === 200) return;
  }
  throw new Error('the Secrets Manager emulator kept failing');
}

beforeAll(async () => {
  oidc = await SsoOidcEmulator.start();
  secrets = await SecretsManagerEmulator.start();
  watch.remember(CANARY_SECRET);
});

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop()));
  await oidc?.stop();
  await secrets?.stop();
});

describe('Secrets Manager failing while the registration must be read (no cache: max age 0)', () => {
  const secretId = 'secret-faults/uncached';
  let registration: Registration;
  let b: BrokerProcess;
  beforeAll(async () => {
    registration = register('uncached');
    secrets.putSecret(secretId, JSON.stringify(registration));
    b = await broker(secretId, { TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0' });
  });

  // Two identical faults each: whether the read makes one attempt or retries once, it fails the same way.
  const rows: { name: string; fault: SecretsManagerFault; detail: RegExp }[] = [
    { name: 'a connection reset', fault: { kind: 'drop' }, detail: /ECONNRESET/ },
    { name: 'an answer slower than the secret timeout', fault: { kind: 'delay', ms: SECRET_TIMEOUT_MS + 500 }, detail: /Timeout/ },
    { name: 'a server error', fault: { kind: 'error', type: 'InternalServiceError', status: 500, message: 'boom' }, detail: /^InternalServiceError 500$/ },
    { name: 'throttling', fault: { kind: 'error', type: 'ThrottlingException', status: 400, message: 'Rate exceeded' }, detail: /^ThrottlingException 400$/ },
    { name: 'access denied (IAM)', fault: { kind: 'error', type: 'AccessDeniedException', status: 400, message: 'not authorized' }, detail: /^AccessDeniedException 400$/ },
    { name: 'the KMS key refusing to decrypt', fault: { kind: 'error', type: 'DecryptionFailure', status: 400, message: 'KMS said no' }, detail: /^DecryptionFailure 400$/ },
  ];

  it.each(rows)('$name: a generic 500, the detail in the log, then recovery', async ({ fault, detail }) => {
    secrets.injectFault(fault);
    secrets.injectFault(fault);
    // One bounded read (at most two attempts), not a hang: for the slow answer, the detail says the
    // broker's own timeout ended the read, before the answer it was waiting for.
    const answer = await exchange(b, registration, 'uncached fault');
    const line = await expectInternal(b, answer);
    expect(String(line.detail).startsWith(READ_FAILED)).toBe(true);
    expect(String(line.detail).slice(READ_FAILED.length)).toMatch(detail);
    await drainSecretFaults(secretId);
    expect((await exchange(b, registration, 'uncached recovery')).status).toBe(200);
  });

  // Consecutive rows differ in their detail, so each row proves the broker read the new value.
  const malformed: { name: string; value: string; detail: string }[] = [
    { name: 'that is not JSON', value: `{"clientId":"abc","clientSecret":"${CANARY_SECRET}"`, detail: 'client registration secret is not valid JSON' },
    { name: 'with no clientSecret', value: JSON.stringify({ clientId: 'abc', secret: CANARY_SECRET }), detail: 'client registration secret has no clientSecret string' },
    { name: 'that is JSON but not an object', value: JSON.stringify([CANARY_SECRET]), detail: 'client registration secret is not a JSON object' },
    { name: 'whose clientSecret is not a string', value: JSON.stringify({ clientId: 'abc', clientSecret: [CANARY_SECRET] }), detail: 'client registration secret has no clientSecret string' },
    { name: 'with no clientId', value: JSON.stringify({ clientSecret: CANARY_SECRET }), detail: 'client registration secret has no clientId string' },
    { name: 'whose expiry is not a number', value: JSON.stringify({ clientId: 'abc', clientSecret: CANARY_SECRET, clientSecretExpiresAt: 'soon' }), detail: 'client registration secret has a clientSecretExpiresAt that is not a number' },
  ];

  it.each(malformed)('a secret $name: a generic 500, what is wrong (never the content) in the log, then recovery', async ({ value, detail }) => {
    secrets.putSecret(secretId, value);
    const line = await expectInternal(b, await exchange(b, registration, 'malformed'));
    expect(line.detail).toBe(detail);
    secrets.putSecret(secretId, JSON.stringify(registration));
    expect((await exchange(b, registration, 'malformed, fixed')).status).toBe(200);
  });

  it('the secret deleted while running: 500 ResourceNotFoundException in the log, then recreated and served', async () => {
    secrets.deleteSecret(secretId);
    const line = await expectInternal(b, await exchange(b, registration, 'deleted'));
    expect(line.detail).toBe(`${READ_FAILED}ResourceNotFoundException 400`);
    secrets.putSecret(secretId, JSON.stringify(registration));
    expect((await exchange(b, registration, 'recreated')).status).toBe(200);
  });
});

describe('a Secrets Manager that refuses connections from cold start', () => {
  it('answers 500 until it comes back, then serves, and the cached registration outlives the next outage', async () => {
    const port = await closedPort();
    const secretId = 'secret-faults/refused';
    const registration = register('refused');
    secrets.putSecret(secretId, JSON.stringify(registration));
    const b = await broker(secretId, { AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}` });

    const line = await expectInternal(b, await exchange(b, registration, 'refused'));
    expect(line.detail).toMatch(new RegExp(`^${READ_FAILED}.*ECONNREFUSED`));

    const forwarder = await forward(port, secrets.url);
    const reads = secrets.callCount('GetSecretValue');
    try {
      expect((await exchange(b, registration, 'refused, then back')).status).toBe(200);
    } finally {
      await forwarder.stop();
    }
    expect(secrets.callCount('GetSecretValue') - reads).toBe(1);
    // Secrets Manager is gone again, but the registration is cached (default max age): no effect.
    expect((await exchange(b, registration, 'refused again, cached')).status).toBe(200);
    expect((await exchange(b, registration, 'refused again, cached')).status).toBe(200);
  });
});

describe('a malformed secret, with the cache on (default max age)', () => {
  it('answers 500 and, once the secret is fixed, recovers without a restart within the forced re-read interval', async () => {
    const secretId = 'secret-faults/malformed-cached';
    const registration = register('malformed-cached');
    secrets.putSecret(secretId, JSON.stringify({ clientId: registration.clientId, secret: CANARY_SECRET }));
    const b = await broker(secretId);
    const line = await expectInternal(b, await exchange(b, registration, 'malformed, cached'));
    expect(line.detail).toBe('client registration secret has no clientSecret string');

    // Powertools caches the raw value for the max age; the broker re-reads a malformed one anyway.
    secrets.putSecret(secretId, JSON.stringify(registration));
    const readsBefore = secrets.callCount('GetSecretValue');
    const answers = await untilSuccess(() => exchange(b, registration, 'fixed'));
    expect(answers.at(-1)!.status).toBe(200);
    for (const answer of answers.slice(0, -1)) await expectInternal(b, answer);
    // However long it took: the one read that recovered, none for the 500s before it (a malformed
    // value is read again at most once per forced re-read interval, 5 s).
    expect(secrets.callCount('GetSecretValue') - readsBefore).toBe(1);
    // Now the good value is cached: the next requests read nothing.
    const reads = secrets.callCount('GetSecretValue');
    for (let i = 0; i < 3; i++) expect((await exchange(b, registration, 'fixed, cached')).status).toBe(200);
    expect(secrets.callCount('GetSecretValue')).toBe(reads);
  });
});

describe('the registration rotated between two requests (the old one now answers InvalidClientException)', () => {
  const secretId = 'secret-faults/rotated';
  let first: Registration;
  let second: Registration;
  let b: BrokerProcess;
  beforeAll(async () => {
    first = register('rotation-1');
    secrets.putSecret(secretId, JSON.stringify(first));
    b = await broker(secretId);
  });

  it('re-reads the secret once, calls SSO OIDC once more with the new registration, and succeeds', async () => {
    expect((await exchange(b, first, 'before rotation')).status).toBe(200);

    second = register('rotation-2');
    secrets.putSecret(secretId, JSON.stringify(second));
    oidc.expireClient(first.clientId);
    const before = { token: oidc.callCount('/token'), reads: secrets.callCount('GetSecretValue') };
    // The caller signed in with the new client; the broker still holds the old one.
    const answer = await exchange(b, second, 'rotated');
    expect(answer.status).toBe(200);
    expect({ token: oidc.callCount('/token') - before.token, reads: secrets.callCount('GetSecretValue') - before.reads }).toEqual({ token: 2, reads: 1 });
    const line = await logLineFor(b, answer);
    expect([line.outcome, line.upstreamCalls, line.registrationRefreshed]).toEqual(['Success', 2, true]);

    // From now on the new registration is cached: one call, no read.
    const after = { token: oidc.callCount('/token'), reads: secrets.callCount('GetSecretValue') };
    expect((await exchange(b, second, 'after rotation')).status).toBe(200);
    expect({ token: oidc.callCount('/token') - after.token, reads: secrets.callCount('GetSecretValue') - after.reads }).toEqual({ token: 1, reads: 0 });
  });

  it('a second rotation within the forced re-read interval: 401 InvalidClientException until it passes, then success', async () => {
    const third = register('rotation-3');
    secrets.putSecret(secretId, JSON.stringify(third));
    // The registration the broker holds now stops working too.
    oidc.expireClient(second.clientId);

    const reads = secrets.callCount('GetSecretValue');
    const answers = await untilSuccess(() => exchange(b, third, 'rotated twice'));
    expect(answers.at(-1)!.status).toBe(200);
    for (const answer of answers.slice(0, -1)) {
      expect([answer.status, answer.body.__type, answer.body.error]).toEqual([401, 'InvalidClientException', 'invalid_client']);
    }
    // Forced re-reads are rate-limited: the 401s cost no Secrets Manager read, the recovery one.
    expect(secrets.callCount('GetSecretValue') - reads).toBe(1);
  });
});

describe('across the file', () => {
  it('no secret, token, code or verifier is in any log or in any answer but its own', () => {
    expect(watch.size).toBeGreaterThan(30);
    for (const b of brokers) {
      expect(b.output().length).toBeGreaterThan(500);
      expect(watch.findIn(b.output())).toEqual([]);
    }
    expect(watch.leakingAnswers()).toEqual([]);
  });
});
