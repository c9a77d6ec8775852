// The token handler end to end over HTTP: sign-in through SSO OIDC (the emulator) and the front
// door's callback, session, refresh and logout, with the emulator ROTATING refresh tokens (each works
// once): page script receives no token at all (page tokens none); two concurrent refreshes of one
// session leave it alive and a later refresh works; a registration rotation and a cookie key rotation
// keep sessions refreshing; nothing secret in answers or logs.

import { COOKIE_NAMES, SESSION_CHUNK_NAMES } from '../../lambda/surfaces/bff/cookies.js';
import { generateCookieKey } from '../../lambda/core/cookie-keys.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { bff, CookieJar, openBrokerCookies, pageUrlAfterSignIn, type BffAnswer } from '../helpers/bff.js';
import { ALL_GRANTS, startEnvironment, type Environment } from '../helpers/environment.js';
import { LOOPBACK_CALLBACK, frontDoorEnv } from '../helpers/front-door.js';

const ORIGIN = 'https://app.example.com';
const REDIRECT = 'https://app.example.com/callback';
const KEYS_SECRET = 'bff-flow/cookie-keys';

let environment: Environment;
/** Every token, verifier, state, cookie value and key this file sees; none may appear in the broker's output. */
const sensitive = new Set<string>();
const remember = (...values: unknown[]): void => {
  for (const value of values) if (typeof value === 'string' && value.length >= 16) sensitive.add(value);
};

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'bff-flow',
    redirectUri: REDIRECT,
    extraRedirectUris: [LOOPBACK_CALLBACK],
    oidc: { rotateRefreshTokens: true },
    brokerEnv: frontDoorEnv({
      TOKEN_BROKER_SESSION_ORIGINS: ORIGIN,
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET,
      // Every request reads the secrets again: rotations in the emulator are seen at once.
      TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0',
    }),
  });
  const key = generateCookieKey();
  remember(key.key, environment.registration.clientSecret);
  environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(key));
});

afterAll(async () => {
  await environment?.stop();
});

const call = (route: string, jar: CookieJar, options: { body?: unknown; apply?: boolean; origin?: string } = {}): Promise<BffAnswer> =>
  bff(environment.broker.url, route, jar, { origin: ORIGIN, ...options }).then((answer) => {
    remember(answer.body.accessToken, ...answer.setCookies.map((c) => c.split(';')[0]!.split('=')[1]));
    return answer;
  });
const upstreamRefreshes = (): number => environment.oidc.calls.filter((c) => c.path === '/token' && c.grantType === 'refresh_token').length;
const ALL_COOKIES = [COOKIE_NAMES.login, ...SESSION_CHUNK_NAMES[0], ...SESSION_CHUNK_NAMES[1]].length;
const pairs = (jar: CookieJar): string[] => [...jar.cookies].map(([name, value]) => `${name}=${value}`);

/** login/start, the browser's legs, login/end: a signed-in jar, and what the login cookie held. */
async function signIn(jar = new CookieJar()) {
  const start = await call(ROUTES.bffLoginStart, jar);
  expect(start.status).toBe(200);
  const opener = await openBrokerCookies(environment.secrets.url, KEYS_SECRET);
  const login = opener.login(jar.cookies.get(COOKIE_NAMES.login)!)!;
  remember(login.codeVerifier, login.stateSecret);
  const pageUrl = await pageUrlAfterSignIn(start.body.authorizationUrl as string);
  remember(new URL(pageUrl).searchParams.get('code'));
  const end = await call(ROUTES.bffLoginEnd, jar, { body: { pageUrl } });
  return { start, login, pageUrl, end, jar };
}

describe('sign-in, session, refresh, logout', () => {
  it('signs in: the SPA sees an authorize URL and when its session ends, never a token, the verifier or the state secret', async () => {
    const { start, login, pageUrl, end, jar } = await signIn();
    const authorizationUrl = new URL(start.body.authorizationUrl as string);
    // Straight to SSO OIDC, with the broker's registered client and its callback: never the front door's public endpoint.
    expect(authorizationUrl.origin).toBe(environment.oidc.url);
    expect(authorizationUrl.searchParams.get('client_id')).toBe(environment.registration.clientId);
    expect(authorizationUrl.searchParams.get('redirect_uri')).toBe(`${environment.broker.url}/oauth2/callback`);
    expect(new URL(pageUrl).searchParams.get('iss')).toBe(environment.broker.url);
    expect(end.status).toBe(200);
    expect(end.body).toEqual({ isLoggedIn: true, expiresIn: 3600, sessionExpiresAt: expect.any(Number) });
    expect([...jar.cookies.keys()]).toEqual([COOKIE_NAMES.session[0]]);
    const opener = await openBrokerCookies(environment.secrets.url, KEYS_SECRET);
    const session = (await opener.session(pairs(jar)))!;
    remember(session.rt, session.at);
    // SSO OIDC's own tokens, sealed once, and the registration that issued them.
    expect(session).toMatchObject({ v: 2, g: 0, rt: expect.stringMatching(/^aor/), at: expect.stringMatching(/^aoa/), c: environment.registration.clientId });
    const seen = [start.text, pageUrl, end.text].join('\n');
    for (const secret of [login.codeVerifier, login.stateSecret, session.rt!, session.at]) expect(seen).not.toContain(secret);
  });

  it('GET /bff/session, then refresh: one SSO OIDC call, the rotated refresh token moves to the other slot', async () => {
    const { jar } = await signIn();
    expect((await call(ROUTES.bffSession, jar)).body).toEqual({ isLoggedIn: true, sessionExpiresAt: expect.any(Number), accessTokenExpiresAt: expect.any(Number) });
    const before = upstreamRefreshes();
    const refreshed = await call(ROUTES.bffRefresh, jar);
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.body).sort()).toEqual(['expiresIn', 'isLoggedIn', 'sessionExpiresAt']);
    expect(upstreamRefreshes()).toBe(before + 1);
    expect([...jar.cookies.keys()]).toEqual([COOKIE_NAMES.session[1]]);
    expect((await call(ROUTES.bffRefresh, jar)).status).toBe(200);
    expect([...jar.cookies.keys()]).toEqual([COOKIE_NAMES.session[0]]);
  });

  it('logout ends the Identity Center session (the access portal\u2019s Logout) and clears the cookies; even the old cookies no longer refresh', async () => {
    const { jar } = await signIn();
    const before = jar.copy();
    const out = await call(ROUTES.bffLogout, jar);
    expect(out.body).toMatchObject({ isLoggedIn: false, identityCenterSignedOut: true });
    expect(environment.oidc.callCount('/logout')).toBeGreaterThan(0);
    expect(jar.cookies.size).toBe(0);
    const replayed = await call(ROUTES.bffRefresh, before, { apply: false });
    expect([replayed.status, replayed.body.error]).toEqual([401, 'session_expired']);
    expect((await call(ROUTES.bffSession, jar)).body).toEqual({ isLoggedIn: false });
    const refresh = await call(ROUTES.bffRefresh, jar);
    expect([refresh.status, refresh.body.error]).toEqual([401, 'session_expired']);
  });

  it('a sign-in page URL replayed in another browser (no login cookie) is refused, nothing sent upstream', async () => {
    const jar = new CookieJar();
    const start = await call(ROUTES.bffLoginStart, jar);
    const pageUrl = await pageUrlAfterSignIn(start.body.authorizationUrl as string);
    const tokenCalls = environment.oidc.callCount('/token');
    const elsewhere = await call(ROUTES.bffLoginEnd, new CookieJar(), { body: { pageUrl } });
    expect([elsewhere.status, elsewhere.body.error]).toEqual([400, 'invalid_request']);
    expect(environment.oidc.callCount('/token')).toBe(tokenCalls);
  });

  it('the login cookie presented as a session cookie is refused: 401 session_expired, cookies cleared, nothing upstream', async () => {
    const jar = new CookieJar();
    await call(ROUTES.bffLoginStart, jar);
    const forged = new CookieJar([[COOKIE_NAMES.session[0], jar.cookies.get(COOKIE_NAMES.login)!]]);
    const before = upstreamRefreshes();
    const answer = await call(ROUTES.bffRefresh, forged, { apply: false });
    expect([answer.status, answer.body.error]).toEqual([401, 'session_expired']);
    expect(answer.setCookies.filter((c) => c.includes('Max-Age=0'))).toHaveLength(ALL_COOKIES);
    expect(upstreamRefreshes()).toBe(before);
  });
});

describe('two tabs refreshing at once, SSO OIDC rotating refresh tokens', () => {
  it.each(['winner first', 'loser first'])(
    'both answers applied (%s): the session stays alive, the loser retries once after GET /bff/session, a later refresh works',
    async (order) => {
      const { jar } = await signIn();
      const before = upstreamRefreshes();
      // Both tabs send the same cookie at the same moment; neither answer is applied yet.
      const [a, b] = await Promise.all([call(ROUTES.bffRefresh, jar, { apply: false }), call(ROUTES.bffRefresh, jar, { apply: false })]);
      expect(upstreamRefreshes()).toBe(before + 2);
      const statuses = [a.status, b.status].sort();
      expect(statuses).toEqual([200, 401]);
      const [winner, loser] = a.status === 200 ? [a, b] : [b, a];
      expect(loser.body).toMatchObject({ error: 'session_expired' });
      // The loser clears only the slot it was given; the winner set the other one.
      expect(loser.setCookies).toEqual([expect.stringMatching(new RegExp(`^${COOKIE_NAMES.session[0]}=; .*Max-Age=0`))]);
      expect(winner.setCookies[0]).toMatch(new RegExp(`^${COOKIE_NAMES.session[1]}=[^;]+;`));
      if (order === 'winner first') {
        jar.apply(winner.setCookies);
        jar.apply(loser.setCookies);
      } else {
        jar.apply(loser.setCookies);
        jar.apply(winner.setCookies);
      }
      // The losing tab does what the SPA does: asks whether the session lives on, and retries once.
      expect((await call(ROUTES.bffSession, jar)).body).toMatchObject({ isLoggedIn: true });
      expect((await call(ROUTES.bffRefresh, jar)).status).toBe(200);
      expect((await call(ROUTES.bffRefresh, jar)).status).toBe(200);
    },
  );

  it('the premise: a rotated-out refresh token is dead at SSO OIDC, so a stale cookie gets session_expired', async () => {
    const { jar } = await signIn();
    const old = jar.copy();
    expect((await call(ROUTES.bffRefresh, jar)).status).toBe(200);
    // The old cookie now carries a used refresh token: SSO OIDC refuses it.
    const stale = await call(ROUTES.bffRefresh, old);
    expect([stale.status, stale.body.error]).toEqual([401, 'session_expired']);
  });
});

describe('rotations keep sessions refreshing', () => {
  it('a client registration rotation: a session opened before it refreshes after it, one SSO OIDC call each', async () => {
    const { jar } = await signIn();
    const rotated = environment.oidc.registerClient({
      clientName: 'bff-flow-rotated',
      clientType: 'public',
      grantTypes: ALL_GRANTS,
      redirectUris: [REDIRECT, LOOPBACK_CALLBACK],
      issuerUrl: environment.oidc.url,
    });
    remember(rotated.clientSecret);
    environment.secrets.putSecret(environment.secretId, JSON.stringify(rotated));
    const before = environment.oidc.callCount('/token');
    expect((await call(ROUTES.bffRefresh, jar)).status).toBe(200);
    expect((await call(ROUTES.bffRefresh, jar)).status).toBe(200);
    expect(environment.oidc.callCount('/token')).toBe(before + 2);
    // New sign-ins use the new registration.
    const fresh = await signIn();
    expect(fresh.end.status).toBe(200);
    expect(environment.oidc.calls.at(-1)!.clientId).toBe(rotated.clientId);
  });

  it('a cookie key rotation: old-key sessions keep refreshing; once the key is retired they end with 401 session_expired', async () => {
    const { jar } = await signIn();
    const oldKeyJar = jar.copy();
    const second = generateCookieKey();
    remember(second.key);
    environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(second));
    // Sealed under the previous key: still refreshes (and comes back sealed under the current key).
    const refreshed = await call(ROUTES.bffRefresh, jar);
    expect(refreshed.status).toBe(200);
    const third = generateCookieKey();
    remember(third.key);
    environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(third));
    const retired = await call(ROUTES.bffRefresh, oldKeyJar);
    expect([retired.status, retired.body.error]).toEqual([401, 'session_expired']);
    expect(retired.setCookies.filter((c) => c.includes('Max-Age=0'))).toHaveLength(ALL_COOKIES);
    // The session that refreshed after the first rotation was sealed under the second key: it lives on.
    expect((await call(ROUTES.bffRefresh, jar)).status).toBe(200);
  });
});

describe('logs', () => {
  it('never contain a token, code, verifier, state secret, cookie value or key', () => {
    const output = environment.broker.output();
    expect(output).toMatch(/"route":"POST \/bff\/refresh"/);
    expect(sensitive.size).toBeGreaterThan(40);
    expect([...sensitive].filter((value) => output.includes(value))).toEqual([]);
  });
});
