// The upstream side of the fuzz suites: fast-check writes SSO OIDC's answer (any status from 200 to
// 999, raw header lines, JSON or not, odd types, non-finite numbers, the client secret quoted, bodies
// over the 64 KiB limit), a real HTTP server on 127.0.0.1 sends it byte for byte to the broker as
// `npm start` runs it, and whatever it was, the broker's own answer is a valid, bounded HTTP answer in
// the error vocabulary (or a success of modeled members only) that names no secret. The answer is
// read with node:http (no fetch normalisation), status line and raw headers included.

import fc from 'fast-check';
import http from 'node:http';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { expectWellFormed, toAnswer } from './support/answers.js';
import { ScriptedUpstream, type ScriptedAnswer } from './support/scripted-upstream.js';

const CLIENT_SECRET = 'cnry-fuzz-client-secret-0123456789abcdef';
const REFRESH_TOKEN = 'cnry-fuzz-refresh-token-0123456789abcdef';
const MAX_ANSWER_BYTES = 64 * 1024;
/** The broker's answer: at most the upstream limit plus its own envelope. */
const MAX_BROKER_ANSWER_BYTES = MAX_ANSWER_BYTES + 4096;
const TOKEN_MEMBERS = new Set(['accessToken', 'tokenType', 'expiresIn', 'refreshToken', 'idToken']);
const PLAIN_TYPE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

let upstream: ScriptedUpstream;
let secrets: SecretsManagerEmulator;
let broker: BrokerProcess;

beforeAll(async () => {
  upstream = await ScriptedUpstream.start();
  secrets = await SecretsManagerEmulator.start();
  secrets.putSecret('fuzz/registration', JSON.stringify({ clientId: 'fuzz-client', clientSecret: CLIENT_SECRET }));
  broker = await startBroker({
    AWS_ENDPOINT_URL_SSO_OIDC: upstream.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    TOKEN_BROKER_SECRET_ID: 'fuzz/registration',
    // An answer the SDK waits on (a wrong Content-Length) ends at this timeout.
    TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: '1000',
  });
});

afterAll(async () => {
  await broker?.stop();
  await upstream?.stop();
  await secrets?.stop();
});

// ---- what SSO OIDC may answer -------------------------------------------------------------------

/** Text SSO OIDC might put anywhere: plain, any Unicode, the client secret quoted, or long. */
const text = fc.oneof(
  { arbitrary: fc.string({ maxLength: 40 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }), weight: 2 },
  { arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(([a, b]) => `${a}${CLIENT_SECRET}${b}`), weight: 2 },
  { arbitrary: fc.constantFrom('InvalidGrantException', 'invalid_grant', 'InvalidGrant\r\nX: y', 'Invalid\u2603Grant', 'A'.repeat(70), ''), weight: 2 },
  { arbitrary: fc.integer({ min: 1000, max: 90_000 }).map((n) => 'x'.repeat(n)), weight: 1 },
);
const typeName = fc.oneof(
  fc.constantFrom('InvalidGrantException', 'InvalidClientException', 'AccessDeniedException', 'InternalServerException', 'BrandNewException', 'Unknown'),
  text,
);
/** Numbers as JSON text: ordinary, huge, or beyond double (1e999 parses as Infinity). */
const numberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.constantFrom('1e999', '-1e999', '1e308', '0', '-0', '3600'),
);
const jsonValueText = fc.oneof(text.map((s) => JSON.stringify(s)), numberText, fc.constantFrom('null', 'true', '{}', '[]'));
const MEMBERS = ['__type', 'code', 'error', 'error_description', 'reason', 'message', 'accessToken', 'tokenType', 'expiresIn', 'refreshToken', 'idToken'];
/** A JSON object written by hand (so that 1e999 stays as written), or anything at all. */
const body = fc.oneof(
  { arbitrary: fc.array(fc.tuple(fc.constantFrom(...MEMBERS), jsonValueText), { maxLength: 7 }).map((members) => `{${members.map(([k, v]) => `"${k}":${v}`).join(',')}}`), weight: 6 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
  { arbitrary: fc.constantFrom('', 'null', '[1]', '{"accessToken":', '<html>oops</html>'), weight: 1 },
);
/** Header values a server can put on the wire: Latin-1 without CR/LF (those would end the header). */
const headerValue = fc.oneof(
  text.map((s) => Buffer.from(s, 'latin1').toString('latin1').replace(/[\r\n\0]/g, ' ').slice(0, 8000)),
  typeName.map((t) => `${t.replace(/[\r\n\0]/g, ' ').slice(0, 8000)}:http://internal.amazon.com/coral/com.amazonaws.sso.oidc/`),
);
const header = fc.oneof(
  fc.tuple(fc.constant('x-amzn-ErrorType'), headerValue),
  fc.tuple(fc.constant('x-amzn-RequestId'), fc.oneof(fc.uuid(), headerValue)),
  fc.tuple(fc.constant('Content-Type'), fc.constantFrom('application/json', 'application/x-amz-json-1.1', 'text/html', 'application/json; charset=latin1')),
  fc.tuple(fc.constantFrom('X-Other', 'Set-Cookie', 'Location'), headerValue),
);
const status = fc.oneof(
  { arbitrary: fc.constantFrom(200, 400, 401, 403, 409, 429, 500, 503), weight: 4 },
  { arbitrary: fc.integer({ min: 200, max: 999 }).filter((s) => s !== 204 && s !== 304), weight: 2 },
  // 2xx other than 200 with a token answer: the broker still answers 200 (RFC 6749 section 5.1).
  { arbitrary: fc.constantFrom(201, 202, 205, 206, 299), weight: 1 },
);
const answer: fc.Arbitrary<ScriptedAnswer> = fc.record({
  status,
  headers: fc.array(header, { maxLength: 5 }),
  body,
});

// ---- what the broker must answer ----------------------------------------------------------------

interface Raw {
  status: number;
  rawHeaders: string[];
  headers: Record<string, string | string[] | undefined>;
  bytes: Buffer;
}

function postRaw(url: string, payload: string): Promise<Raw> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, rawHeaders: response.rawHeaders, headers: response.headers, bytes: Buffer.concat(chunks) }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

function expectValidBoundedAnswer(raw: Raw, context: string): void {
  const whole = `${raw.rawHeaders.join('\n')}\n${raw.bytes.toString('latin1')}`;
  expect({ context, secretQuoted: whole.includes(CLIENT_SECRET) || whole.includes(REFRESH_TOKEN) }).toEqual({ context, secretQuoted: false });
  expect({ context, statusValid: raw.status === 200 || (raw.status >= 400 && raw.status <= 599) }).toEqual({ context, statusValid: true });
  expect({ context, bounded: raw.bytes.length <= MAX_BROKER_ANSWER_BYTES }).toEqual({ context, bounded: true });
  // Every header value printable Latin-1 and short; the error type a plain identifier.
  const badHeader = raw.rawHeaders.filter((value, i) => i % 2 === 1 && (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value) || value.length > 512));
  expect({ context, badHeader }).toEqual({ context, badHeader: [] });
  const type = raw.headers['x-amzn-errortype'];
  if (type !== undefined) expect({ context, plainType: PLAIN_TYPE.test(String(type)) }).toEqual({ context, plainType: true });

  const parsed = toAnswer(raw.status, raw.headers, raw.bytes.toString('utf8'));
  expectWellFormed(parsed);
  if (raw.status === 200) {
    const members = Object.keys(parsed.body);
    expect({ context, extra: members.filter((m) => !TOKEN_MEMBERS.has(m)) }).toEqual({ context, extra: [] });
    expect({ context, finite: Object.values(parsed.body).every((v) => typeof v !== 'number' || Number.isFinite(v)) }).toEqual({ context, finite: true });
  }
}

describe('whatever SSO OIDC answers', () => {
  it('the broker answers with a valid, bounded HTTP answer that names no secret, after exactly one call', async () => {
    await fc.assert(
      fc.asyncProperty(answer, async (scripted) => {
        upstream.next(scripted);
        const calls = upstream.calls;
        const raw = await postRaw(`${broker.url}/token`, JSON.stringify({ grantType: 'refresh_token', refreshToken: REFRESH_TOKEN }));
        expect(upstream.calls - calls).toBe(1);
        expectValidBoundedAnswer(raw, `${scripted.status} ${JSON.stringify(scripted.headers).slice(0, 300)} ${scripted.body?.slice(0, 300)}`);
      }),
      { numRuns: 200 },
    );
  });

  it('and nothing secret reached the log', () => {
    expect(broker.output().length).toBeGreaterThan(1000);
    expect(broker.output()).not.toContain(CLIENT_SECRET);
    expect(broker.output()).not.toContain(REFRESH_TOKEN);
  });
});
