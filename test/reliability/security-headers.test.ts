// Every kind of answer the broker gives, over HTTP as `npm start` serves it, carries the headers that
// keep tokens out of caches and browsers safe: Cache-Control: no-store, Pragma: no-cache,
// X-Content-Type-Options: nosniff, Strict-Transport-Security, Referrer-Policy: no-referrer. That
// includes CORS preflight, successes, and errors of every status (4xx of the broker's own, SSO OIDC's
// passed through, and 5xx). (Every other reliability file checks the same on each answer it gets.)

import type { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import type { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import type { BrokerProcess } from '../helpers/broker-process.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { seen, toAnswer, type Answer } from './support/answers.js';
import { LeakWatch } from './support/leaks.js';
import { postJson } from './support/net.js';

const ORIGIN = 'https://app.example.com';
const REDIRECT = 'https://app.example.com/callback';

const watch = new LeakWatch();
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let broker: BrokerProcess;
let registration: ReturnType<SsoOidcEmulator['registerClient']>;

let environment: Environment;

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'headers',
    redirectUri: REDIRECT,
    brokerEnv: {
      TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN,
      TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: '300',
      // Read the secret on every request, so that a Secrets Manager fault shows at once.
      TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0',
    },
  });
  ({ oidc, secrets, broker } = environment);
  registration = environment.registration;
  watch.remember(environment.registration.clientSecret);
});

afterAll(async () => {
  await environment?.stop();
});

function codeExchange(): Record<string, string> {
  const { body, code, verifier } = environment.codeExchange();
  watch.remember(code, verifier);
  return body;
}

const token = (body: unknown, headers: Record<string, string> = {}) => postJson(`${broker.url}/token`, body, headers);

async function preflight(origin: string | undefined): Promise<Answer> {
  const response = await fetch(`${broker.url}/token`, {
    method: 'OPTIONS',
    headers: { ...(origin === undefined ? {} : { origin }), 'access-control-request-method': 'POST' },
  });
  return toAnswer(response.status, Object.fromEntries(response.headers), await response.text());
}

const SECURITY = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'referrer-policy': 'no-referrer',
};

const cases: [string, () => Promise<Answer>, number][] = [
  ['a code exchange (200, tokens)', () => token(codeExchange()), 200],
  ['the same, from an allowed origin (200, CORS)', () => token(codeExchange(), { origin: ORIGIN }), 200],
  ['a device authorization (200)', () => postJson(`${broker.url}/device_authorization`, { startUrl: 'https://d-1.awsapps.com/start' }), 200],
  ['SSO OIDC’s invalid_grant (400, passed through)', () => token({ grantType: 'refresh_token', refreshToken: 'cnry-refresh-headers-0123456789' }), 400],
  ['malformed JSON (400, the broker’s own)', () => token('{"grantType":'), 400],
  ['another clientId (401)', () => token({ grantType: 'refresh_token', refreshToken: 'x', clientId: 'someone-else' }), 401],
  ['a disallowed origin (403)', () => token({ grantType: 'refresh_token', refreshToken: 'x' }, { origin: 'https://evil.example.com' }), 403],
  ['a body over 16 KiB (413)', () => token({ grantType: 'refresh_token', refreshToken: 'x'.repeat(17 * 1024) }), 413],
  ['a form body (415)', () => token('grantType=refresh_token', { 'content-type': 'application/x-www-form-urlencoded' }), 415],
  ['SSO OIDC’s server fault (500, passed through)', () => {
    oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500 });
    return token(codeExchange());
  }, 500],
  ['the secret missing (500, the broker’s own)', async () => {
    secrets.deleteSecret(environment.secretId);
    try {
      return await token(codeExchange());
    } finally {
      secrets.putSecret(environment.secretId, JSON.stringify(registration));
    }
  }, 500],
  ['SSO OIDC unreadable (502)', () => {
    oidc.injectFault({ kind: 'raw', status: 200, headers: { 'Content-Type': 'text/html' }, body: '<html>' });
    return token(codeExchange());
  }, 502],
  ['SSO OIDC too slow (504)', () => {
    oidc.injectFault({ kind: 'delay', ms: 800 });
    return token(codeExchange());
  }, 504],
];

it.each(cases.map(([name, send, status]) => ({ name, send, status })))('$name carries them', async ({ send, status }) => {
  const answer = seen(watch, 'headers', await send());
  expect(answer.status).toBe(status);
  expect(answer.headers).toMatchObject(SECURITY);
  expect(answer.headers['x-amzn-requestid']).toMatch(/\S/);
});

describe('CORS preflight, which has no body', () => {
  it('from an allowed origin: 204 with CORS and the security headers', async () => {
    const answer = await preflight(ORIGIN);
    expect(answer.status).toBe(204);
    expect(answer.text).toBe('');
    expect(answer.headers).toMatchObject({ ...SECURITY, 'access-control-allow-origin': ORIGIN });
  });

  it('without an origin (not a browser): 204 with Allow and the security headers', async () => {
    const answer = await preflight(undefined);
    expect(answer.status).toBe(204);
    expect(answer.headers).toMatchObject(SECURITY);
    expect(answer.headers.allow).toContain('POST');
  });

  it('from another origin: a 403 error answer, without CORS headers', async () => {
    const answer = seen(watch, 'preflight', await preflight('https://evil.example.com'));
    expect(answer.status).toBe(403);
    expect(answer.headers).toMatchObject(SECURITY);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });
});

it('no secret, token, code or verifier is in the log or in any answer but its own', () => {
  expect(watch.size).toBeGreaterThan(10);
  expect(watch.findIn(broker.output())).toEqual([]);
  expect(watch.leakingAnswers()).toEqual([]);
});
