// Whatever SSO OIDC answers, the broker sends a valid, bounded HTTP answer: against the broker as
// `npm start` runs it, with a scripted upstream that writes raw bytes. An error type that is not a
// plain identifier (CR/LF, outside Latin-1, 200,000 characters), an error status outside 400-599, an
// answer far over the 64 KiB limit, `1e999` where a number belongs: each is a 502, with what was
// wrong in the log (escaped and cut short), and the broker's memory stays flat. What SSO OIDC passes
// on never quotes the registration's client secret.

import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { seen, type Answer } from './support/answers.js';
import { LeakWatch } from './support/leaks.js';
import { logLineFor, postJson, rssBytes } from './support/net.js';
import { ScriptedUpstream, type ScriptedAnswer } from './support/scripted-upstream.js';

const REDIRECT = 'https://app.example.com/callback';
const UNREADABLE = 'SSO OIDC gave an answer the broker could not read.';
const CLIENT_SECRET = 'cnry-client-secret-upstream-answers-0123456789';
const MB = 1024 * 1024;
const json: [string, string] = ['Content-Type', 'application/json'];
const typed = (type: string): [string, string] => ['x-amzn-ErrorType', `${type}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/`];

const watch = new LeakWatch();
let upstream: ScriptedUpstream;
let secrets: SecretsManagerEmulator;
let broker: BrokerProcess;

beforeAll(async () => {
  upstream = await ScriptedUpstream.start();
  secrets = await SecretsManagerEmulator.start();
  watch.remember(CLIENT_SECRET);
  secrets.putSecret('answers/registration', JSON.stringify({ clientId: 'answers-client', clientSecret: CLIENT_SECRET }));
  broker = await startBroker({
    AWS_ENDPOINT_URL_SSO_OIDC: upstream.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    TOKEN_BROKER_SECRET_ID: 'answers/registration',
    TOKEN_BROKER_REDIRECT_URIS: REDIRECT,
  });
});

afterAll(async () => {
  await broker?.stop();
  await upstream?.stop();
  await secrets?.stop();
});

async function exchange(label: string, answer: ScriptedAnswer): Promise<Answer> {
  upstream.next(answer);
  const calls = upstream.calls;
  const result = await postJson(`${broker.url}/token`, {
    grantType: 'refresh_token',
    refreshToken: 'cnry-refresh-token-upstream-answers-0123456789',
  });
  // One call: nothing was sent twice.
  expect(upstream.calls - calls).toBe(1);
  return seen(watch, label, result);
}

const LONG_TYPE = `Invalid${'A'.repeat(200_000)}Exception`;

const UNUSABLE: { name: string; answer: ScriptedAnswer; logged?: RegExp }[] = [
  { name: 'a type with CR/LF (in the body)', answer: { status: 400, headers: [json], body: JSON.stringify({ __type: 'InvalidGrant\r\nSet-Cookie: a=b', error: 'invalid_grant' }) }, logged: /InvalidGrant\\r\\nSet-Cookie/ },
  { name: 'a type outside Latin-1 (in the body)', answer: { status: 400, headers: [json], body: JSON.stringify({ __type: 'Invalid\u2603GrantException', error: 'invalid_grant' }) }, logged: /Invalid\\u2603GrantException/ },
  { name: 'a type in Latin-1 but not an identifier (in the header)', answer: { status: 400, headers: [json, typed('Invalid\u00e9Grant')], body: '{"error":"invalid_grant"}' }, logged: /Invalid\\u00e9Grant/ },
  { name: 'a 200,000-character type (in the body, over the answer limit)', answer: { status: 400, headers: [json], body: JSON.stringify({ __type: LONG_TYPE, error: 'invalid_grant' }) }, logged: /answer over 65536 bytes/ },
  { name: 'a 60,000-character type (in the body, under the answer limit)', answer: { status: 400, headers: [json], body: JSON.stringify({ __type: LONG_TYPE.slice(0, 60_000), error: 'invalid_grant' }) }, logged: /\.\.\. \(60000 characters\)$/ },
  { name: 'a 200,000-character type (in the header)', answer: { status: 400, headers: [json, typed(LONG_TYPE.slice(0, 60_000))], body: '{}' } },
  { name: 'a type with a space', answer: { status: 400, headers: [json, typed('Invalid Grant')], body: '{"error":"invalid_grant"}' } },
  { name: 'an error code that is not RFC 6749\'s', answer: { status: 400, headers: [json, typed('InvalidGrantException')], body: JSON.stringify({ error: 'invalid "grant"\n' }) } },
  { name: 'a typed error with status 600', answer: { status: 600, headers: [json, typed('InvalidGrantException')], body: '{"error":"invalid_grant"}' }, logged: /status 600, not 400-599/ },
  { name: 'a typed error with status 302', answer: { status: 302, headers: [json, typed('InvalidGrantException'), ['Location', 'https://evil.example/']], body: '{"error":"invalid_grant"}' }, logged: /status 302/ },
  { name: 'a typed error with status 399', answer: { status: 399, headers: [json, typed('InvalidGrantException')], body: '{"error":"invalid_grant"}' } },
  { name: 'expiresIn 1e999', answer: { status: 200, headers: [json], body: '{"accessToken":"aoaInfinite0123456789","tokenType":"Bearer","expiresIn":1e999}' } },
  { name: 'expiresIn -1e999', answer: { status: 200, headers: [json], body: '{"accessToken":"aoaInfinite0123456789","tokenType":"Bearer","expiresIn":-1e999}' } },
  { name: 'a token answer that quotes the client secret', answer: { status: 200, headers: [json], body: JSON.stringify({ accessToken: `aoa${CLIENT_SECRET}`, tokenType: 'Bearer', expiresIn: 3600 }) } },
  { name: 'an answer of 100 KB (over the 64 KiB limit) with a Content-Length', answer: { status: 200, headers: [json], body: JSON.stringify({ accessToken: 'a'.repeat(100_000), tokenType: 'Bearer', expiresIn: 3600 }) }, logged: /answer over 65536 bytes/ },
];

describe.each(UNUSABLE)('$name', ({ answer, logged }) => {
  it('is a 502 in the vocabulary, with what was wrong in the log only', async () => {
    const result = await exchange(String(answer.status), answer);
    expect([result.status, result.body.__type, result.body.error, result.body.error_description]).toEqual([
      502,
      'BadGatewayException',
      'temporarily_unavailable',
      UNREADABLE,
    ]);
    // Bounded: the broker's own answer, whatever came in.
    expect(result.text.length).toBeLessThan(1000);
    const line = await logLineFor(broker, result);
    expect([line.status, line.upstreamCalls]).toEqual([502, 1]);
    if (logged) expect(String(line.detail)).toMatch(logged);
    if (logged) expect(String(line.detail).length).toBeLessThan(400);
  });
});

describe('an answer far over the limit, streamed', () => {
  it('is a 502, the rest is never read (the upstream cannot write it), and the broker\'s memory stays flat', async () => {
    const rssBefore = rssBytes(broker.pid);
    for (let i = 0; i < 2; i += 1) {
      const result = await exchange('200 MB', {
        status: 200,
        headers: [json],
        body: '{"accessToken":"',
        streamBytes: 200 * MB,
      });
      expect([result.status, result.body.__type]).toEqual([502, 'BadGatewayException']);
      const written = await upstream.answered();
      // The broker closed the connection after 64 KiB: the upstream got nowhere near 200 MB out.
      expect(written).toBeLessThan(32 * MB);
    }
    const error = await exchange('200 MB error', { status: 400, headers: [json, typed('InvalidGrantException')], body: '{"error_description":"', streamBytes: 200 * MB });
    expect([error.status, error.body.__type]).toEqual([502, 'BadGatewayException']);
    const rssAfter = rssBytes(broker.pid);
    if (rssBefore !== undefined && rssAfter !== undefined) expect(rssAfter - rssBefore).toBeLessThan(100 * MB);
  });
});

describe('what SSO OIDC writes is passed on without the client secret', () => {
  it('redacts the secret from error_description, reason and error, and passes the rest as written', async () => {
    const result = await exchange('quoting the secret', {
      status: 400,
      headers: [json, typed('InvalidRequestException')],
      body: JSON.stringify({
        error: 'invalid_request',
        error_description: `clientSecret ${CLIENT_SECRET} is not valid; ${CLIENT_SECRET}!`,
        reason: `KMS_${CLIENT_SECRET}`,
      }),
    });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({
      __type: 'InvalidRequestException',
      error: 'invalid_request',
      error_description: 'clientSecret [redacted] is not valid; [redacted]!',
      reason: 'KMS_[redacted]',
    });
  });

  it('never echoes (nor logs) a request id that quotes the client secret, on a success or an error', async () => {
    const quoting: [string, string] = ['x-amzn-RequestId', `req-${CLIENT_SECRET}`];
    const success = await exchange('request id quoting the secret', { status: 200, headers: [json, quoting], body: '{"accessToken":"aoaRequestId0123456789","tokenType":"Bearer","expiresIn":3600}' });
    const error = await exchange('error request id quoting the secret', { status: 400, headers: [json, quoting, typed('InvalidGrantException')], body: '{"error":"invalid_grant"}' });
    for (const result of [success, error]) {
      expect(result.headers['x-amzn-requestid']).toEqual(expect.any(String));
      expect(result.headers['x-amzn-requestid']).not.toContain(CLIENT_SECRET);
      expect((await logLineFor(broker, result)).upstreamRequestId).toBeUndefined();
    }
  });

  it('answers a token SSO OIDC sent with another 2xx (201, 205) with 200 (RFC 6749 section 5.1)', async () => {
    for (const status of [201, 205]) {
      const result = await exchange(`token with ${status}`, { status, headers: [json], body: '{"accessToken":"aoa2xx0123456789abcdef","tokenType":"Bearer","expiresIn":3600}' });
      expect([result.status, result.body.accessToken]).toEqual([200, 'aoa2xx0123456789abcdef']);
      expect((await logLineFor(broker, result)).upstreamStatus).toBe(status);
    }
  });

  it('still passes a valid unknown type, with its status, as it came', async () => {
    const result = await exchange('unknown type', { status: 409, headers: [json, typed('BrandNewException')], body: '{"error":"brand_new","error_description":"Löschen — 雪"}' });
    expect([result.status, result.body.__type, result.body.error, result.body.error_description]).toEqual([409, 'BrandNewException', 'brand_new', 'Löschen — 雪']);
  });

  it('serves the next request, and nothing secret reached a log or an answer', async () => {
    expect((await exchange('next', { status: 200, headers: [json], body: '{"accessToken":"aoaNext0123456789abcdef","tokenType":"Bearer","expiresIn":3600}' })).status).toBe(200);
    expect(watch.findIn(broker.output())).toEqual([]);
    expect(watch.leakingAnswers()).toEqual([]);
  });
});
