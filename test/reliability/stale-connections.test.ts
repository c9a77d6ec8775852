// Pooled (keep-alive) connections that the server closed, against the broker as `npm start` runs it.
// A TCP relay on 127.0.0.1 (support/relay.ts) sits in front of each emulator and, when told to,
// resets the connections that wait idle in the broker's pool: the server's idle timer firing. The
// broker never loses a request to that: it does not reuse a connection it knows is closed, and a
// request whose write the reset refused is sent again, once, on a new connection. A request that did
// reach the server and then lost its connection is never sent again (it may have spent a code):
// test/reliability/no-replay.test.ts.

import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { pkcePair } from '../helpers/pkce.js';
import { seen } from './support/answers.js';
import { LeakWatch } from './support/leaks.js';
import { logLineFor, postJson } from './support/net.js';
import { Relay } from './support/relay.js';

const REDIRECT = 'https://app.example.com/callback';
const SECRET_ID = 'stale/registration';

const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let oidcRelay: Relay;
let secretsRelay: Relay;
let broker: BrokerProcess;
let clientId: string;

beforeAll(async () => {
  oidc = await SsoOidcEmulator.start();
  secrets = await SecretsManagerEmulator.start();
  const registration = oidc.registerClient({
    clientName: 'stale-connections',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT],
    issuerUrl: oidc.url,
  });
  clientId = registration.clientId;
  watch.remember(registration.clientSecret);
  secrets.putSecret(SECRET_ID, JSON.stringify(registration));
  oidcRelay = await Relay.start(oidc.url);
  secretsRelay = await Relay.start(secrets.url);
  broker = await startBroker({
    AWS_ENDPOINT_URL_SSO_OIDC: oidcRelay.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsRelay.url,
    TOKEN_BROKER_SECRET_ID: SECRET_ID,
    TOKEN_BROKER_REDIRECT_URIS: REDIRECT,
    // Every request reads the secret, so the Secrets Manager client's pool is exercised too.
    TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0',
  });
});

afterAll(async () => {
  await broker?.stop();
  await oidcRelay?.stop();
  await secretsRelay?.stop();
  await oidc?.stop();
  await secrets?.stop();
});

async function exchange(label: string) {
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  watch.remember(code, verifier);
  return seen(watch, label, await postJson(`${broker.url}/token`, { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT }));
}

describe('a pooled connection the server closed while it was idle', () => {
  it('SSO OIDC: the request goes on a new connection: 200 with no error, and SSO OIDC saw it once', async () => {
    expect((await exchange('warm-up')).status).toBe(200);
    const closed = oidcRelay.closeIdle();
    expect(closed).toBeGreaterThan(0);
    const calls = oidc.callCount('/token');
    const connections = oidc.connections;

    const answer = await exchange('after the idle close');
    expect(answer.status).toBe(200);
    expect(oidcRelay.resets).toBe(closed);
    expect(oidc.callCount('/token') - calls).toBe(1);
    expect(oidc.connections - connections).toBe(1);
    const line = await logLineFor(broker, answer);
    expect([line.status, line.upstreamCalls, line.upstreamStatus]).toEqual([200, 1, 200]);
  });

  it('Secrets Manager: the read goes on a new connection: 200', async () => {
    expect((await exchange('warm-up (secrets)')).status).toBe(200);
    const closed = secretsRelay.closeIdle();
    expect(closed).toBeGreaterThan(0);
    const reads = secrets.callCount('GetSecretValue');

    const answer = await exchange('after the idle close (secrets)');
    expect(answer.status).toBe(200);
    expect(secretsRelay.resets).toBe(closed);
    expect(secrets.callCount('GetSecretValue') - reads).toBe(1);
  });

  it('a request that reached SSO OIDC and then lost its connection is not sent again: 502, one call', async () => {
    expect((await exchange('warm-up (drop)')).status).toBe(200);
    const calls = oidc.callCount('/token');
    // On the pooled connection: SSO OIDC reads the request, then closes without answering.
    oidc.injectFault({ kind: 'drop' });
    const dropped = await exchange('dropped after reading');
    expect([dropped.status, dropped.body.__type]).toEqual([502, 'BadGatewayException']);
    expect(oidc.callCount('/token') - calls).toBe(1);

    // Cut mid-answer on a pooled connection: some bytes came back, so it is not sent again either.
    expect((await exchange('warm-up (truncate)')).status).toBe(200);
    const before = oidc.callCount('/token');
    oidc.injectFault({ kind: 'truncate', status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"accessToken":"aoaTruncated0123456789","expiresIn":3600}', bytes: 10 });
    expect((await exchange('cut mid-answer')).status).toBe(502);
    expect(oidc.callCount('/token') - before).toBe(1);
  });

  it('no secret, code or verifier reached a log or another answer', () => {
    expect(watch.findIn(broker.output())).toEqual([]);
    expect(watch.leakingAnswers()).toEqual([]);
  });
});
