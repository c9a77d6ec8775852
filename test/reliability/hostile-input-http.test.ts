// Hostile input over real HTTP, against the broker as `npm start` runs it: raw bytes (invalid UTF-8
// included, which the local API Gateway stand-in base64-encodes as API Gateway does), header names in
// any case, duplicate headers. Fewer runs than in-process (hostile-input.test.ts), and here valid
// requests are generated too: those, and only those, reach SSO OIDC, exactly once each.

import fc from 'fast-check';
import type { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import type { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import type { BrokerProcess } from '../helpers/broker-process.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { pkcePair } from '../helpers/pkce.js';
import { expectError, expectWellFormed, type Answer } from './support/answers.js';
import { chaosCase, DEVICE, ORIGIN, REDIRECT, structuredCase, type Case } from './support/hostile.js';
import { LeakWatch } from './support/leaks.js';
import { postJson, rawRequest } from './support/net.js';

const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let broker: BrokerProcess;
let clientId: string;

let environment: Environment;

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'hostile-http',
    redirectUri: REDIRECT,
    brokerEnv: { TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN },
  });
  ({ oidc, secrets, broker } = environment);
  clientId = environment.registration.clientId;
  watch.remember(environment.registration.clientSecret);
});

afterAll(async () => {
  await environment?.stop();
});

const upstreamCalls = (): number => oidc.callCount('/token') + oidc.callCount('/device_authorization');

/** Sends the case's bytes and headers as they are; `titleCase` sends header names as Content-Type, Origin, … */
async function send(c: Pick<Case, 'route' | 'headers' | 'body'>, titleCase = false, extraHeaders: [string, string][] = []): Promise<Answer> {
  const name = (header: string): string => (titleCase ? header.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()) : header);
  const answer = await rawRequest(`${broker.url}${c.route.split(' ')[1]}`, {
    headers: [...Object.entries(c.headers).map(([header, value]): [string, string] => [name(header), value]), ...extraHeaders],
    ...(c.body === undefined ? {} : { body: c.body }),
  });
  watch.answer(`http ${c.route}`, answer.status, answer.text);
  return answer;
}

const describeCase = (c: Case): string =>
  `${c.why.join(' / ')} → ${JSON.stringify(c.expected)}; headers ${JSON.stringify(c.headers)}; body ${c.body?.toString('utf8').slice(0, 300)}`;

it('valid requests reach SSO OIDC exactly once, broken ones get their exact 4xx and never do', async () => {
  await fc.assert(
    fc.asyncProperty(structuredCase(clientId, 'any'), fc.boolean(), async (c, titleCase) => {
      watch.remember(...c.credentials);
      const before = upstreamCalls();
      const answer = await send(c, titleCase);
      const calls = upstreamCalls() - before;
      try {
        if (c.expected === 'upstream') {
          expect({ calls, serverError: answer.status >= 500 }).toEqual({ calls: 1, serverError: false });
          expectWellFormed(answer);
        } else {
          expect(calls).toBe(0);
          expectError(answer, c.expected.status, c.expected.type);
          expectWellFormed(answer, { describedError: true });
        }
      } catch (error) {
        throw new Error(`${describeCase(c)}\n${String(error)}`);
      }
    }),
    { numRuns: 300 },
  );
});

it('anything at all that cannot be a request gets a well-formed 4xx and never reaches SSO OIDC', async () => {
  await fc.assert(
    fc.asyncProperty(chaosCase(), fc.boolean(), async (c, titleCase) => {
      const before = upstreamCalls();
      const answer = await send(c, titleCase);
      expect({ why: describeCase(c), calls: upstreamCalls() - before, fourXX: answer.status >= 400 && answer.status < 500 }).toEqual({
        why: describeCase(c),
        calls: 0,
        fourXX: true,
      });
      expectWellFormed(answer, { describedError: true });
    }),
    { numRuns: 150 },
  );
});

describe('over HTTP only', () => {
  const token = (body: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) => ({
    route: 'POST /token' as const,
    headers,
    body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
  });
  const refresh = { grantType: 'refresh_token', refreshToken: 'cnry-refresh-http-0123456789' };
  let before: number;
  beforeEach(() => {
    before = upstreamCalls();
  });

  it('raw invalid UTF-8 bytes: 400, and nothing reaches SSO OIDC', async () => {
    const body = Buffer.concat([Buffer.from('{"grantType":"refresh_token","refreshToken":"cnry-'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
    const answer = await send(token(body));
    expectError(answer, 400, 'InvalidRequestException', 'invalid_request');
    expect(answer.body.error_description).toBe('The request body is not valid JSON: it is not UTF-8.');
    expect(upstreamCalls()).toBe(before);
  });

  it('two Content-Type headers (joined with a comma, as API Gateway does): 415', async () => {
    const answer = await send(token(JSON.stringify(refresh), {}), false, [['Content-Type', 'application/json'], ['Content-Type', 'application/json']]);
    expectError(answer, 415, 'UnsupportedMediaTypeException');
    expect(upstreamCalls()).toBe(before);
  });

  it('two Origin headers, each allowed alone: 403', async () => {
    const answer = await send(token(JSON.stringify(refresh)), false, [['Origin', ORIGIN], ['Origin', ORIGIN]]);
    expectError(answer, 403, 'ForbiddenOriginException');
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    expect(upstreamCalls()).toBe(before);
  });

  it('a valid body of exactly 16 KiB is served (and reaches SSO OIDC once); one byte more is 413', async () => {
    const base = JSON.stringify({ ...refresh, pad: '' });
    const exact = JSON.stringify({ ...refresh, pad: 'x'.repeat(16 * 1024 - Buffer.byteLength(base)) });
    expect(Buffer.byteLength(exact)).toBe(16 * 1024);
    expectError(await send(token(exact)), 400, 'InvalidGrantException', 'invalid_grant');
    expect(upstreamCalls() - before).toBe(1);
    expectError(await send(token(`${exact} `)), 413, 'PayloadTooLargeException');
    expect(upstreamCalls() - before).toBe(1);
  });

  it('duplicate keys: the last one wins, and only the broker’s own re-serialised request goes upstream', async () => {
    const answer = await send(token('{"grantType":"password","refreshToken":{"x":1},"grantType":"refresh_token","refreshToken":"cnry-refresh-dup-0123456789"}'));
    expectError(answer, 400, 'InvalidGrantException', 'invalid_grant');
    expect(upstreamCalls() - before).toBe(1);
  });

  it('a "constructor" member that is not an object with a prototype is an unknown member, dropped', async () => {
    const answer = await send(token(JSON.stringify({ constructor: 'x', ...refresh })));
    expectError(answer, 400, 'InvalidGrantException', 'invalid_grant');
    expect(upstreamCalls() - before).toBe(1);
  });

  it('Content-Encoding is not interpreted: a gzip body is not JSON (400), a plain one is read as it is', async () => {
    const { gzipSync } = await import('node:zlib');
    const gzipped = await send(token(gzipSync(JSON.stringify(refresh)), { 'content-type': 'application/json', 'content-encoding': 'gzip' }));
    expectError(gzipped, 400, 'InvalidRequestException');
    expect(upstreamCalls()).toBe(before);
    const plain = await send(token(JSON.stringify(refresh), { 'content-type': 'application/json', 'content-encoding': 'gzip' }));
    expectError(plain, 400, 'InvalidGrantException');
    expect(upstreamCalls() - before).toBe(1);
  });

  it('after all of it the broker still serves a whole sign-in', async () => {
    const { verifier, challenge } = pkcePair();
    const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge });
    watch.remember(code, verifier);
    const answer = await postJson(`${broker.url}/token`, { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: REDIRECT }, { origin: ORIGIN });
    watch.answer('sign-in', answer.status, answer.text);
    expect(answer.status).toBe(200);
    expectWellFormed(answer);
    expect(answer.headers['access-control-allow-origin']).toBe(ORIGIN);
  });
});

describe('across the file', () => {
  it('no secret, token, code or verifier is in any log or in any answer but its own; no unexpected error was logged', () => {
    const output = broker.output();
    expect(watch.size).toBeGreaterThan(100);
    expect(watch.findIn(output)).toEqual([]);
    expect(watch.leakingAnswers()).toEqual([]);
    expect(broker.logs().filter((line) => line.level === 'ERROR')).toEqual([]);
  });
});
