// Upstream faults, injected through the SSO OIDC emulator, against the broker as `npm start` runs it.
// For each fault: the caller gets one defined answer in the error vocabulary, the broker called SSO
// OIDC exactly once (nothing replayed), its log line says what happened, and the next request
// succeeds on the same running broker.
//
// Also proven elsewhere: test/integration/broker.test.ts (a typed 500 on /token reaches SSO OIDC
// once; 504 on a delay; unknown type BrandNewException/409 and unknown reason KMS_SomethingNew pass
// through), test/integration/broker-environment.test.ts (502 for an endpoint that refuses, at start).
// The rows here add the other route, untyped and unreadable answers, and recovery.

import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator, type SsoOidcFault } from '../../local/emulators/sso-oidc.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { pkcePair } from '../helpers/pkce.js';
import { seen, type Answer } from './support/answers.js';
import { LeakWatch } from './support/leaks.js';
import { closedPort, forward, logLineFor, postJson } from './support/net.js';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const REDIRECT = 'https://app.example.com/callback';
const START_URL = 'https://d-1234567890.awsapps.com/start';
/**
 * The broker's SSO OIDC timeout here. Every answer but the late ones must come within it on a machine
 * however busy; the late ones are held far longer than any test runs, so no margin is timed.
 */
const TIMEOUT_MS = 3000;
/** Longer than this file may run: an answer held this long is one the broker never waited for. */
const HELD_MS = 600_000;
const UNREADABLE = 'SSO OIDC gave an answer the broker could not read.';
const UNREACHABLE = 'SSO OIDC could not be reached.';
const TOKEN_MEMBERS = ['accessToken', 'expiresIn', 'idToken', 'refreshToken', 'tokenType'];
const DEVICE_MEMBERS = ['deviceCode', 'expiresIn', 'interval', 'userCode', 'verificationUri', 'verificationUriComplete'];
// Values only SSO OIDC's odd answers carry: none may reach the caller or the log.
const CANARY_IN_ERROR = 'canary-error-member-0123456789';
const CANARY_IN_SUCCESS = 'canary-success-member-0123456789';

const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let broker: BrokerProcess;
const brokers: BrokerProcess[] = [];
let clientId: string;
/** SSO OIDC calls every answer below accounts for; at the end, the emulator must have seen no more. */
const expectedCalls = { '/token': 0, '/device_authorization': 0 };

const env = (): Record<string, string> => ({
  AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
  AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
  TOKEN_BROKER_SECRET_ID: 'faults/registration',
  TOKEN_BROKER_GRANT_TYPES: `authorization_code,refresh_token,${DEVICE}`,
  TOKEN_BROKER_REDIRECT_URIS: REDIRECT,
  TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: String(TIMEOUT_MS),
});

beforeAll(async () => {
  // idToken: true: the idToken member (modeled, documented as unsupported) must pass through too.
  oidc = await SsoOidcEmulator.start({ idToken: true });
  secrets = await SecretsManagerEmulator.start();
  const registration = oidc.registerClient({
    clientName: 'reliability-upstream',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token', DEVICE],
    redirectUris: [REDIRECT],
    issuerUrl: oidc.url,
  });
  clientId = registration.clientId;
  watch.remember(registration.clientSecret, CANARY_IN_ERROR, CANARY_IN_SUCCESS);
  secrets.putSecret('faults/registration', JSON.stringify(registration));
  broker = await startBroker(env());
  brokers.push(broker);
});

afterAll(async () => {
  await Promise.all(brokers.map((b) => b.stop()));
  await oidc?.stop();
  await secrets?.stop();
});

type Path = '/token' | '/device_authorization';

/** A fresh authorization code exchange (PKCE), or a device authorization start. */
function requestFor(path: Path): Record<string, string> {
  if (path === '/device_authorization') return { startUrl: START_URL };
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  watch.remember(code, verifier);
  return { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT };
}

async function call(on: BrokerProcess, path: Path, label: string): Promise<Answer> {
  const answer = await postJson(`${on.url}${path}`, requestFor(path));
  expectedCalls[path] += 1;
  return seen(watch, label, answer);
}

interface Row {
  readonly name: string;
  readonly path: Path;
  readonly fault: SsoOidcFault;
  readonly status: number;
  readonly type: string;
  readonly error?: string;
  /** Exact, when the broker wrote it (502/504). */
  readonly description?: string;
  readonly reason?: string;
  /** The status SSO OIDC answered with, as the log line records it (none when it never answered). */
  readonly upstreamStatus: number | undefined;
  /** For successes: the members the caller gets. */
  readonly members?: string[];
}

const json = { 'Content-Type': 'application/json' };
const typed = (type: string) => ({ ...json, 'x-amzn-ErrorType': `${type}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/` });
const badGateway = { status: 502, type: 'BadGatewayException', error: 'temporarily_unavailable' } as const;

const ROWS: Row[] = [
  // Server faults.
  { name: 'a typed 500 on the device route', path: '/device_authorization', fault: { kind: 'error', type: 'InternalServerException', status: 500, description: 'Internal failure' }, status: 500, type: 'InternalServerException', error: 'server_error', upstreamStatus: 500 },
  { name: 'a 500 whose body is an HTML page (a load balancer)', path: '/token', fault: { kind: 'raw', status: 500, headers: { 'Content-Type': 'text/html' }, body: '<html><body>Internal Server Error</body></html>' }, ...badGateway, description: UNREADABLE, upstreamStatus: 500 },
  { name: 'a 503 with no body and no type', path: '/token', fault: { kind: 'raw', status: 503, body: '' }, ...badGateway, description: UNREADABLE, upstreamStatus: 503 },
  { name: 'a 503 with a JSON message but no type', path: '/token', fault: { kind: 'raw', status: 503, headers: json, body: '{"message":"Service Unavailable"}' }, ...badGateway, description: UNREADABLE, upstreamStatus: 503 },
  // Timeouts and connections.
  { name: 'an answer later than the broker timeout', path: '/token', fault: { kind: 'delay', ms: HELD_MS }, status: 504, type: 'GatewayTimeoutException', error: 'temporarily_unavailable', description: `SSO OIDC did not answer within ${TIMEOUT_MS} ms.`, upstreamStatus: undefined },
  { name: 'an answer later than the broker timeout, on the device route', path: '/device_authorization', fault: { kind: 'delay', ms: HELD_MS }, status: 504, type: 'GatewayTimeoutException', error: 'temporarily_unavailable', description: `SSO OIDC did not answer within ${TIMEOUT_MS} ms.`, upstreamStatus: undefined },
  { name: 'a connection dropped before any answer', path: '/token', fault: { kind: 'drop' }, ...badGateway, description: UNREACHABLE, upstreamStatus: undefined },
  { name: 'a connection dropped before any answer, on the device route', path: '/device_authorization', fault: { kind: 'drop' }, ...badGateway, description: UNREACHABLE, upstreamStatus: undefined },
  // Successes the broker cannot use.
  { name: 'a 200 whose body is not JSON', path: '/token', fault: { kind: 'raw', status: 200, headers: { 'Content-Type': 'text/html' }, body: '<html>signed in</html>' }, ...badGateway, description: UNREADABLE, upstreamStatus: 200 },
  { name: 'a 200 whose JSON is cut short (a complete HTTP message)', path: '/token', fault: { kind: 'raw', status: 200, headers: json, body: '{"accessToken":"aoaCutShort' }, ...badGateway, description: UNREADABLE, upstreamStatus: 200 },
  { name: 'a 200 whose connection is cut mid-body', path: '/token', fault: { kind: 'truncate', status: 200, headers: json, body: `{"accessToken":"aoa${'x'.repeat(60)}","tokenType":"Bearer","expiresIn":3600}`, bytes: 30 }, ...badGateway, description: UNREACHABLE, upstreamStatus: 200 },
  { name: 'a 200 with an empty body', path: '/token', fault: { kind: 'raw', status: 200, headers: json, body: '' }, ...badGateway, description: UNREADABLE, upstreamStatus: 200 },
  { name: 'a 200 whose JSON is an array', path: '/token', fault: { kind: 'raw', status: 200, headers: json, body: '[{"accessToken":"aoa"}]' }, ...badGateway, description: UNREADABLE, upstreamStatus: 200 },
  { name: 'a 200 whose JSON is null', path: '/token', fault: { kind: 'raw', status: 200, headers: json, body: 'null' }, ...badGateway, description: UNREADABLE, upstreamStatus: 200 },
  { name: 'a 200 without an access token', path: '/token', fault: { kind: 'raw', status: 200, headers: json, body: '{"tokenType":"Bearer","expiresIn":3600}' }, ...badGateway, description: UNREADABLE, upstreamStatus: 200 },
  { name: 'a 200 with a member of the wrong type', path: '/token', fault: { kind: 'raw', status: 200, headers: json, body: '{"accessToken":"aoaTyped","tokenType":"Bearer","expiresIn":"soon"}' }, ...badGateway, description: UNREADABLE, upstreamStatus: 200 },
  { name: 'a device 200 whose body is not JSON', path: '/device_authorization', fault: { kind: 'raw', status: 200, headers: { 'Content-Type': 'text/plain' }, body: 'ok' }, ...badGateway, description: UNREADABLE, upstreamStatus: 200 },
  { name: 'a device 200 without a user code', path: '/device_authorization', fault: { kind: 'raw', status: 200, headers: json, body: '{"deviceCode":"device-only","expiresIn":600,"interval":5}' }, ...badGateway, description: UNREADABLE, upstreamStatus: 200 },
  // Errors the broker does not know: passed through as they came.
  { name: 'an unknown 4xx type with only a message', path: '/token', fault: { kind: 'raw', status: 429, headers: typed('ThrottlingException'), body: '{"message":"Rate exceeded"}' }, status: 429, type: 'ThrottlingException', error: 'server_error', upstreamStatus: 429 },
  { name: 'an unknown 5xx type', path: '/token', fault: { kind: 'error', type: 'ServiceUnavailableException', status: 503, error: 'temporarily_unavailable', description: 'Try later' }, status: 503, type: 'ServiceUnavailableException', error: 'temporarily_unavailable', description: 'Try later', upstreamStatus: 503 },
  { name: 'a known type with an unknown reason', path: '/device_authorization', fault: { kind: 'error', type: 'AccessDeniedException', status: 400, description: 'No', reason: 'IDENTITY_STORE_SomethingNew' }, status: 400, type: 'AccessDeniedException', error: 'access_denied', description: 'No', reason: 'IDENTITY_STORE_SomethingNew', upstreamStatus: 400 },
  { name: 'an error with members the vocabulary does not have', path: '/token', fault: { kind: 'raw', status: 400, headers: typed('InvalidGrantException'), body: JSON.stringify({ error: 'invalid_grant', error_description: 'Invalid code', error_uri: 'https://example.com/help', debug: CANARY_IN_ERROR }) }, status: 400, type: 'InvalidGrantException', error: 'invalid_grant', description: 'Invalid code', upstreamStatus: 400 },
  { name: 'an error typed only in the body (__type)', path: '/token', fault: { kind: 'raw', status: 400, headers: json, body: '{"__type":"InvalidGrantException","error":"invalid_grant"}' }, status: 400, type: 'InvalidGrantException', error: 'invalid_grant', upstreamStatus: 400 },
  { name: 'an error with an HTML body', path: '/token', fault: { kind: 'raw', status: 403, headers: { 'Content-Type': 'text/html' }, body: '<html>Forbidden</html>' }, ...badGateway, description: UNREADABLE, upstreamStatus: 403 },
  // Successes with members the model does not have: only the modeled ones reach the caller.
  { name: 'a 200 with extra members', path: '/token', fault: { kind: 'extraMembers', members: { surprise: CANARY_IN_SUCCESS, aws: { nested: [1, 2] }, access_token: CANARY_IN_SUCCESS } }, status: 200, type: 'Success', upstreamStatus: 200, members: TOKEN_MEMBERS },
  { name: 'a 200 with a __proto__ member', path: '/token', fault: { kind: 'raw', status: 200, headers: json, body: `{"__proto__":{"polluted":"${CANARY_IN_SUCCESS}"},"accessToken":"aoaProtoSuccess0123456789","tokenType":"Bearer","expiresIn":3600}` }, status: 200, type: 'Success', upstreamStatus: 200, members: ['accessToken', 'expiresIn', 'tokenType'] },
  { name: 'a device 200 with extra members', path: '/device_authorization', fault: { kind: 'extraMembers', members: { surprise: CANARY_IN_SUCCESS } }, status: 200, type: 'Success', upstreamStatus: 200, members: DEVICE_MEMBERS },
];

describe.each(ROWS)('$name', (row) => {
  it(`answers ${row.status} ${row.type}, calls SSO OIDC once, logs it, and serves the next request`, async () => {
    oidc.injectFault({ ...row.fault, path: row.path });
    const before = oidc.callCount(row.path);
    const answer = await call(broker, row.path, row.name);

    // Exactly one upstream call: the SDK client makes one attempt, so nothing was replayed.
    expect(oidc.callCount(row.path) - before).toBe(1);
    if (row.status === 200) {
      expect(answer.status).toBe(200);
      expect(Object.keys(answer.body).sort()).toEqual(row.members);
      expect(answer.text).not.toContain('polluted');
      expect(answer.text).not.toContain('surprise');
    } else {
      expect({
        status: answer.status,
        type: answer.body.__type,
        error: answer.body.error,
        ...(row.description === undefined ? {} : { description: answer.body.error_description }),
        reason: answer.body.reason,
      }).toEqual({
        status: row.status,
        type: row.type,
        error: row.error,
        ...(row.description === undefined ? {} : { description: row.description }),
        reason: row.reason,
      });
    }
    // The broker's deadline holds: a late upstream costs the caller the timeout, not the delay (the
    // late answer is still held: that this one came at all proves the broker did not wait for it).

    const line = await logLineFor(broker, answer);
    expect({
      level: line.level,
      message: line.message,
      outcome: line.outcome,
      status: line.status,
      upstreamCalls: line.upstreamCalls,
      upstreamStatus: line.upstreamStatus,
    }).toEqual({
      level: row.status >= 500 ? 'ERROR' : 'INFO',
      message: row.status >= 500 ? 'request failed' : 'request completed',
      outcome: row.type,
      status: row.status,
      upstreamCalls: 1,
      upstreamStatus: row.upstreamStatus,
    });

    const next = await call(broker, row.path, `${row.name} (next)`);
    expect(next.status).toBe(200);
  });
});

describe('an SSO OIDC endpoint that refuses connections', () => {
  it('answers 502 at once, then serves requests when the endpoint comes back, and 502 when it goes again', async () => {
    const port = await closedPort();
    const refused = await startBroker({ ...env(), AWS_ENDPOINT_URL_SSO_OIDC: `http://127.0.0.1:${port}` });
    brokers.push(refused);

    const down = await postJson(`${refused.url}/token`, requestFor('/token'));
    seen(watch, 'refused', down);
    // Not a timeout (that would be a 504) and not a retry loop (one call): the refusal is answered as such.
    expect([down.status, down.body.__type, down.body.error_description]).toEqual([502, 'BadGatewayException', UNREACHABLE]);
    const line = await logLineFor(refused, down);
    expect([line.outcome, line.status, line.upstreamCalls, line.upstreamStatus]).toEqual(['BadGatewayException', 502, 1, undefined]);

    const forwarder = await forward(port, oidc.url);
    try {
      expect((await call(refused, '/token', 'refused, then back')).status).toBe(200);
      expect((await call(refused, '/device_authorization', 'refused, then back (device)')).status).toBe(200);
    } finally {
      await forwarder.stop();
    }
    const again = await postJson(`${refused.url}/token`, requestFor('/token'));
    seen(watch, 'refused again', again);
    expect([again.status, again.body.__type]).toEqual([502, 'BadGatewayException']);
  });
});

describe('across the file', () => {
  it('SSO OIDC saw exactly one call per request that reached it: nothing was replayed', () => {
    expect({ token: oidc.callCount('/token'), device: oidc.callCount('/device_authorization') }).toEqual({
      token: expectedCalls['/token'],
      device: expectedCalls['/device_authorization'],
    });
  });

  it('no secret, token, code or verifier is in any log or in any answer but its own', () => {
    expect(watch.size).toBeGreaterThan(50);
    expect(watch.answers).toBeGreaterThan(ROWS.length * 2);
    for (const b of brokers) {
      expect(b.output().length).toBeGreaterThan(1000);
      expect(watch.findIn(b.output())).toEqual([]);
    }
    expect(watch.leakingAnswers()).toEqual([]);
  });
});
