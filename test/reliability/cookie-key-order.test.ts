// The order of reads, against the broker as `npm start` runs it and the emulators over HTTP: every
// key a cookie-session request needs is read before SSO OIDC is called, so once SSO OIDC has rotated
// a refresh token nothing can fail before the new one is in a cookie. Here the cookie keys secret
// starts failing while SSO OIDC is rotating the session's refresh token: the refresh still succeeds
// (nothing was left to read), and the session goes on refreshing. The other way round, a key read
// failing first ends the request before SSO OIDC is called, and the refresh token is not spent.

import { generateCookieKey } from '../../lambda/core/cookie-keys.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { bff, CookieJar, pageUrlAfterSignIn } from '../helpers/bff.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { frontDoorEnv, LOOPBACK_CALLBACK } from '../helpers/front-door.js';
import { eventually } from '../browser/support.js';

const ORIGIN = 'https://app.example.com';
const KEYS_SECRET = 'cookie-key-order/cookie-keys';
const FAILURE = { kind: 'error', type: 'InternalServiceError', status: 500 } as const;
let environment: Environment;

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'cookie-key-order',
    redirectUri: `${ORIGIN}/`,
    extraRedirectUris: [LOOPBACK_CALLBACK],
    oidc: { rotateRefreshTokens: true },
    brokerEnv: frontDoorEnv({
      TOKEN_BROKER_SESSION_ORIGINS: ORIGIN,
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET,
      // Every request reads the secrets: a failure injected now is met by the next read.
      TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0',
    }),
  });
  environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(generateCookieKey()));
});

afterAll(async () => {
  await environment?.stop();
});

const refreshCalls = (): number => environment.oidc.calls.filter((c) => c.path === '/token' && c.grantType === 'refresh_token').length;

async function signedIn(): Promise<CookieJar> {
  const jar = new CookieJar();
  const start = await bff(environment.broker.url, ROUTES.bffLoginStart, jar, { origin: ORIGIN });
  const end = await bff(environment.broker.url, ROUTES.bffLoginEnd, jar, { origin: ORIGIN, body: { pageUrl: await pageUrlAfterSignIn(String(start.body.authorizationUrl)) } });
  expect(end.status).toBe(200);
  return jar;
}

/** Reads the keys secret directly until the queued failures are used up (each read meets one). */
async function drainFailures(): Promise<number> {
  let drained = 0;
  for (;;) {
    const response = await fetch(environment.secrets.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: JSON.stringify({ SecretId: KEYS_SECRET }),
    });
    await response.arrayBuffer();
    if (response.status === 200) return drained;
    drained += 1;
  }
}

it('the keys secret failing while SSO OIDC rotates the refresh token: the refresh succeeds, and the next ones too', async () => {
  const jar = await signedIn();
  const before = refreshCalls();
  environment.oidc.injectFault({ kind: 'delay', ms: 700 });
  const refreshing = bff(environment.broker.url, ROUTES.bffRefresh, jar, { origin: ORIGIN });
  // SSO OIDC has the refresh token in hand: from now on, every read of the keys secret fails.
  await eventually(() => (refreshCalls() > before ? true : undefined), 'the refresh reaching SSO OIDC');
  for (let i = 0; i < 4; i += 1) environment.secrets.injectFault(FAILURE);
  const refreshed = await refreshing;
  expect(refreshed.status).toBe(200);
  expect(refreshed.setCookies.some((cookie) => cookie.startsWith('__Secure-token-broker-session-1='))).toBe(true);
  // Nothing was read after SSO OIDC answered: every failure is still waiting.
  expect(await drainFailures()).toBe(4);
  // The rotated refresh token is in the cookie: the session refreshes on.
  expect((await bff(environment.broker.url, ROUTES.bffRefresh, jar, { origin: ORIGIN })).status).toBe(200);
  expect((await bff(environment.broker.url, ROUTES.bffRefresh, jar, { origin: ORIGIN })).status).toBe(200);
});

it('the keys secret failing first: 500 before SSO OIDC is called, the refresh token unspent, the next refresh works', async () => {
  const jar = await signedIn();
  const before = refreshCalls();
  for (let i = 0; i < 4; i += 1) environment.secrets.injectFault(FAILURE);
  const failed = await bff(environment.broker.url, ROUTES.bffRefresh, jar, { origin: ORIGIN });
  expect([failed.status, failed.body.__type, failed.setCookies]).toEqual([500, 'InternalServerException', []]);
  expect(refreshCalls()).toBe(before);
  await drainFailures();
  expect((await bff(environment.broker.url, ROUTES.bffRefresh, jar, { origin: ORIGIN })).status).toBe(200);
});
