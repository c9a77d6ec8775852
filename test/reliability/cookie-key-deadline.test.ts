// The token handler's cookie-key reads draw from the request's one deadline like every other read
// (lambda/core/deadline.ts): a /bff request whose key reads run out of time ends in the broker's
// own 504, logged, not in Lambda's timeout. As in request-deadline.test.ts, the local adapter
// reports a function timeout of 3 s, so the request deadline is 2 s.

import { generateCookieKey } from '../../lambda/core/cookie-keys.js';
import { sessionCookiePairs } from '../helpers/bff.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { frontDoorEnv } from '../helpers/front-door.js';
import { logLineFor } from './support/net.js';

const REDIRECT = 'https://app.example.com/callback';
const KEYS_SECRET = 'cookie-key-deadline/cookie-keys';
let environment: Environment;

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'cookie-key-deadline',
    redirectUri: REDIRECT,
    brokerEnv: frontDoorEnv({
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_SESSION_ORIGINS: 'https://app.example.com',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET,
      // Every request reads the keys.
      TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0',
      TOKEN_BROKER_LOCAL_FUNCTION_TIMEOUT_MS: '3000',
    }),
  });
  environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(generateCookieKey()));
});

afterAll(async () => {
  await environment?.stop();
});

it('a session cookie whose key takes slow reads to look for: 504 from the broker at the deadline', async () => {
  // A key id the broker does not know: current, then previous (then both again, forced). The first
  // read takes 1.2 s, within its own 2 s timeout; the second is held for a minute, far longer than
  // this test may run. The answer can then only come from the deadline, while a read is still held,
  // however slow the machine: a broker that waited for its reads would not answer in time at all.
  const unknownKey = generateCookieKey();
  const now = Math.floor(Date.now() / 1000);
  const [cookie] = sessionCookiePairs({ v: 2, g: 0, rt: 'r'.repeat(40), c: 'client-x', sc: '', exp: now + 600, at: 'a'.repeat(40), ate: now + 600 }, unknownKey);
  environment.secrets.injectFault({ kind: 'delay', ms: 1200 });
  for (let i = 0; i < 3; i += 1) environment.secrets.injectFault({ kind: 'delay', ms: 60_000 });
  const response = await fetch(`${environment.broker.url}${ROUTES.bffSession.split(' ')[1]}`, {
    headers: { 'x-token-broker-csrf': '1', cookie: cookie! },
  });
  const body = (await response.json()) as Record<string, unknown>;
  // The broker's own answer at its deadline (2 s), not Lambda's at the function's timeout (3 s).
  expect([response.status, response.headers.get('x-amzn-errortype')]).toEqual([504, 'GatewayTimeoutException']);
  expect(body.error).toBe('temporarily_unavailable');
  const line = await logLineFor(environment.broker, { status: response.status, headers: Object.fromEntries(response.headers), body, text: '' });
  expect(line.detail).toBe('request deadline reached while reading the cookie keys');
}, 20_000);
