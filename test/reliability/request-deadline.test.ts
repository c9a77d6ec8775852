// One deadline per request, against the broker as `npm start` runs it. The local adapter reports a
// function timeout of 3 s (as Lambda's context would), so the request deadline is 2 s: a request
// that runs out must end in the broker's own 504 (or the 401 it was heading for), never in the 500
// that Middy answers when Lambda's time is up. Also: a configuration whose worst case does not fit
// the deadline is refused at start.

import { setTimeout as sleep } from 'node:timers/promises';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { pkcePair } from '../helpers/pkce.js';
import { seen, type Answer } from './support/answers.js';
import { LeakWatch } from './support/leaks.js';
import { logLineFor, postJson } from './support/net.js';

const REDIRECT = 'https://app.example.com/callback';
const SECRET_ID = 'deadline/registration';
const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let broker: BrokerProcess;
let clientId: string;

const env = (): Record<string, string> => ({
  AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
  TOKEN_BROKER_SECRET_ID: SECRET_ID,
  TOKEN_BROKER_REDIRECT_URIS: REDIRECT,
  // Every request reads the secret.
  TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0',
  // Lambda's context says 3 s: the request deadline is 2 s, Middy's own timeout 3 s.
  TOKEN_BROKER_LOCAL_FUNCTION_TIMEOUT_MS: '3000',
});

beforeAll(async () => {
  oidc = await SsoOidcEmulator.start();
  secrets = await SecretsManagerEmulator.start();
  const registration = oidc.registerClient({
    clientName: 'deadline',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT],
    issuerUrl: oidc.url,
  });
  clientId = registration.clientId;
  watch.remember(registration.clientSecret);
  secrets.putSecret(SECRET_ID, JSON.stringify(registration));
  broker = await startBroker(env());
});

afterAll(async () => {
  await broker?.stop();
  await oidc?.stop();
  await secrets?.stop();
});

async function exchange(label: string, named?: string): Promise<Answer> {
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  watch.remember(code, verifier);
  const body = { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT, ...(named ? { clientId: named } : {}) };
  return seen(watch, label, await postJson(`${broker.url}/token`, body));
}

/** Lets reads the broker abandoned finish, so that no queued fault is left for the next test. */
async function settle(): Promise<void> {
  await sleep(1500);
}

describe('a slow Secrets Manager and a made-up client id', () => {
  it('every read slower than a quarter of the deadline: 504 from the broker, never 500, SSO OIDC not called', async () => {
    // Current, previous, then both again: four reads of 900 ms each do not fit in 2 s.
    for (let i = 0; i < 4; i += 1) secrets.injectFault({ kind: 'delay', ms: 900 });
    const calls = oidc.callCount('/token');
    const answer = await exchange('slow secrets, made-up client', 'made-up-client-id');
    expect([answer.status, answer.body.__type, answer.body.error]).toEqual([504, 'GatewayTimeoutException', 'temporarily_unavailable']);
    expect(oidc.callCount('/token')).toBe(calls);
    const line = await logLineFor(broker, answer);
    expect([line.status, line.outcome, line.upstreamCalls]).toEqual([504, 'GatewayTimeoutException', 0]);
    expect(line.detail).toBe('request deadline reached while reading the client registration');
    await settle();
  });

  it('reads that fit: the made-up client id is a 401', async () => {
    for (let i = 0; i < 4; i += 1) secrets.injectFault({ kind: 'delay', ms: 100 });
    const answer = await exchange('slowish secrets, made-up client', 'made-up-client-id-2');
    expect([answer.status, answer.body.__type]).toEqual([401, 'InvalidClientException']);
  });
});

describe('a slow SSO OIDC', () => {
  it('an answer later than what is left of the deadline (its own timeout is 8 s): 504, never 500, one call', async () => {
    oidc.injectFault({ kind: 'delay', ms: 4000 });
    const calls = oidc.callCount('/token');
    const answer = await exchange('slow SSO OIDC');
    expect([answer.status, answer.body.__type]).toEqual([504, 'GatewayTimeoutException']);
    expect(oidc.callCount('/token') - calls).toBe(1);
    const line = await logLineFor(broker, answer);
    expect([line.status, line.upstreamCalls]).toEqual([504, 1]);
  });

  it('serves the next request, and nothing secret reached a log or another answer', async () => {
    expect((await exchange('next')).status).toBe(200);
    expect(watch.findIn(broker.output())).toEqual([]);
    expect(watch.leakingAnswers()).toEqual([]);
  });
});

describe('a configuration whose worst case does not fit the deadline', () => {
  it.each([
    [{ TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: '25000' }, /4 × 2000 \+ 2 × 25000 = 58000 ms\), must fit in its deadline of 24000 ms/],
    [{ TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: '2500', TOKEN_BROKER_SECRET_TIMEOUT_MS: '10000' }, /= 45000 ms\), must fit in its deadline/],
  ])('%j is refused at start, naming both variables', async (timeouts, message) => {
    const started = startBroker({ ...env(), ...timeouts });
    await expect(started).rejects.toThrow(message);
    await expect(started).rejects.toThrow(/TOKEN_BROKER_UPSTREAM_TIMEOUT_MS and TOKEN_BROKER_SECRET_TIMEOUT_MS/);
  });
});
