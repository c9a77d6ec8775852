// Hostile input, in-process: thousands of generated API Gateway events for both routes, straight into
// the Lambda handler. Every answer is the exact 4xx the broker's order of checks gives (never a 5xx,
// never a crash), in the error vocabulary's shape, and SSO OIDC is never called. The cases:
// support/hostile.ts (generators: hostile-requests.ts, hostile-encodings.ts; the expected answers:
// hostile-checks.ts). The same over real HTTP: hostile-input-http.test.ts.

import { jest } from '@jest/globals';
import fc from 'fast-check';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { expectError, expectWellFormed, type Answer } from './support/answers.js';
import { chaosCase, DEVICE, ORIGIN, REDIRECT, structuredCase, type Case } from './support/hostile.js';
import { importHandler, invoke } from './support/lambda.js';
import { LeakWatch } from './support/leaks.js';

const SECRET_ID = 'hostile/registration';
const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let clientId: string;
let handler: Awaited<ReturnType<typeof importHandler>>['handler'];
let restoreEnv: () => void;
let output = '';
const restoreOutput: (() => void)[] = [];
let invocations = 0;

beforeAll(async () => {
  oidc = await SsoOidcEmulator.start();
  secrets = await SecretsManagerEmulator.start();
  const registration = oidc.registerClient({
    clientName: 'hostile',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token', DEVICE],
    redirectUris: [REDIRECT],
    issuerUrl: oidc.url,
  });
  clientId = registration.clientId;
  watch.remember(registration.clientSecret);
  secrets.putSecret(SECRET_ID, JSON.stringify(registration));

  // The handler's log lines and metrics go to stdout and stderr: kept for the leak check, not printed.
  for (const stream of [process.stdout, process.stderr]) {
    const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      output += String(chunk);
      return true;
    });
    restoreOutput.push(() => spy.mockRestore());
  }
  ({ handler, restore: restoreEnv } = await importHandler({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
    AWS_SECRET_ACCESS_KEY: 'local-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    TOKEN_BROKER_SECRET_ID: SECRET_ID,
    TOKEN_BROKER_GRANT_TYPES: `authorization_code,refresh_token,${DEVICE}`,
    TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN,
    TOKEN_BROKER_REDIRECT_URIS: REDIRECT,
  }));
});

afterAll(async () => {
  for (const restore of restoreOutput) restore();
  restoreEnv?.();
  await oidc?.stop();
  await secrets?.stop();
});

async function send(c: Pick<Case, 'route' | 'headers' | 'body' | 'base64'>): Promise<Answer> {
  invocations += 1;
  const answer = await invoke(handler, c);
  watch.answer(`in-process ${c.route}`, answer.status, answer.text);
  return answer;
}

const describeCase = (c: Case): string =>
  `${c.why.join(' / ')} → ${JSON.stringify(c.expected)}; headers ${JSON.stringify(c.headers)}; base64 ${c.base64}; body ${c.body?.toString('utf8').slice(0, 300)}`;

it('a broken request of any kind gets exactly the 4xx its first fault calls for, and never reaches SSO OIDC', async () => {
  await fc.assert(
    fc.asyncProperty(structuredCase(clientId, 'some'), async (c) => {
      // Every breaker breaks: a generator that produced a valid request here would be a bug.
      if (c.expected === 'upstream') throw new Error(`not broken: ${describeCase(c)}`);
      watch.remember(...c.credentials);
      const before = oidc.calls.length;
      const answer = await send(c);
      expect(oidc.calls.length).toBe(before);
      try {
        expectError(answer, c.expected.status, c.expected.type);
        expectWellFormed(answer, { describedError: true });
      } catch (error) {
        throw new Error(`${describeCase(c)}\n${String(error)}`);
      }
    }),
    { numRuns: 2500 },
  );
});

it('anything at all that cannot be a request gets a well-formed 4xx, never a 5xx, and never reaches SSO OIDC', async () => {
  await fc.assert(
    fc.asyncProperty(chaosCase(), async (c) => {
      const answer = await send(c);
      expect({ why: describeCase(c), calls: oidc.calls.length, fourXX: answer.status >= 400 && answer.status < 500 }).toEqual({
        why: describeCase(c),
        calls: 0,
        fourXX: true,
      });
      expectWellFormed(answer, { describedError: true });
    }),
    { numRuns: 2000 },
  );
});

describe('the issue’s named cases', () => {
  const valid = () => ({ grantType: 'refresh_token', refreshToken: 'cnry-refresh-named-case-0123456789' });
  const json = (text: string | Buffer, headers: Record<string, string> = {}) => ({
    route: 'POST /token' as const,
    headers: { 'content-type': 'application/json', ...headers },
    body: Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'),
    base64: Buffer.isBuffer(text),
  });
  const cases: [string, ReturnType<typeof json>, number, string, string?][] = [
    ['a UTF-8 byte order mark, base64-encoded', json(Buffer.from(`\ufeff${JSON.stringify(valid())}`)), 400, 'InvalidRequestException', 'The request body is not valid JSON.'],
    ['deep nesting inside an otherwise valid request', json(`{"grantType":"refresh_token","refreshToken":"x","junk":${'['.repeat(8000)}${']'.repeat(8000)}}`), 400, 'InvalidRequestException'],
    ['deep nesting of objects', json(`${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}`), 400, 'InvalidRequestException'],
    ['a string one byte over 16 KiB', json(JSON.stringify({ ...valid(), pad: 'x'.repeat(16 * 1024) })), 413, 'PayloadTooLargeException'],
    ['16 KiB of 4-byte characters counted as bytes, not characters', json(JSON.stringify({ ...valid(), pad: '😀'.repeat(4097) })), 413, 'PayloadTooLargeException'],
    ['duplicate keys, the last one invalid', json('{"grantType":"refresh_token","refreshToken":"x","grantType":"password"}'), 400, 'UnsupportedGrantTypeException'],
    ['a __proto__ key', json(`{"__proto__":{"isAdmin":true},${JSON.stringify(valid()).slice(1)}`), 400, 'InvalidRequestException', 'The request body contains a forbidden key ("__proto__" or "constructor").'],
    ['a nested __proto__ key', json(`{"scope":[{"__proto__":1}],${JSON.stringify(valid()).slice(1)}`), 400, 'InvalidRequestException', 'The request body contains a forbidden key ("__proto__" or "constructor").'],
    ['a constructor.prototype key', json(`{"constructor":{"prototype":{"isAdmin":true}},${JSON.stringify(valid()).slice(1)}`), 400, 'InvalidRequestException', 'The request body contains a forbidden key ("__proto__" or "constructor").'],
    ['invalid UTF-8, base64-encoded as API Gateway delivers it', json(Buffer.concat([Buffer.from('{"grantType":"refresh_token","refreshToken":"cnry-'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])), 400, 'InvalidRequestException', 'The request body is not valid JSON: it is not UTF-8.'],
    ['an overlong UTF-8 encoding of "/"', json(Buffer.concat([Buffer.from('{"grantType":"refresh_token","refreshToken":"a'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')])), 400, 'InvalidRequestException', 'The request body is not valid JSON: it is not UTF-8.'],
    ['a UTF-8 byte order mark', json(`\ufeff${JSON.stringify(valid())}`), 400, 'InvalidRequestException', 'The request body is not valid JSON.'],
    ['a base64 body that is valid JSON but not an object', json(Buffer.from('["refresh_token"]')), 400, 'InvalidRequestException', 'The request body must be a JSON object.'],
    ['a form-encoded body', { ...json('grantType=refresh_token&refreshToken=x'), headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'UnsupportedMediaTypeException'],
    ['no content type at all', { ...json(JSON.stringify(valid())), headers: {} as { 'content-type': string } }, 415, 'UnsupportedMediaTypeException'],
    ['no body at all', { ...json(''), body: undefined as unknown as Buffer }, 400, 'InvalidRequestException', 'The request body is not valid JSON.'],
  ];

  const rows = cases.map(([name, c, status, type, description]) => ({ name, c, status, type, description }));
  it.each(rows)('$name: $status $type', async ({ c, status, type, description }) => {
    const answer = await send(c);
    expectError(answer, status, type);
    expectWellFormed(answer, { describedError: true });
    if (description !== undefined) expect(answer.body.error_description).toBe(description);
    expect(oidc.calls).toHaveLength(0);
  });

  it('a prototype-pollution attempt leaves Object.prototype untouched', () => {
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('after all of it', () => {
  it('the handler still serves a valid request (one SSO OIDC call, its answer passed through)', async () => {
    const answer = await send({
      route: 'POST /token',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify({ grantType: 'refresh_token', refreshToken: 'cnry-refresh-unknown-0123456789' })),
      base64: false,
    });
    expectError(answer, 400, 'InvalidGrantException', 'invalid_grant');
    expect(oidc.calls).toHaveLength(1);
  });

  it('logged one line per request, none of them an error, and no secret, code, verifier or token anywhere', () => {
    // JSON lines: the request's line is also its EMF record (it starts with "_aws"), other lines are the Logger's.
    const records = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { level?: string; message?: string });
    expect(records.filter((record) => /^request (completed|failed)$/.test(record.message ?? ''))).toHaveLength(invocations);
    expect(records.filter((record) => record.level === 'ERROR')).toEqual([]);
    expect(watch.size).toBeGreaterThan(1000);
    expect(watch.findIn(output)).toEqual([]);
    expect(watch.leakingAnswers()).toEqual([]);
  });
});
