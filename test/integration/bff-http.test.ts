// The token handler's HTTP edge through the local API Gateway adapter, as deployed: the CSRF header
// before anything else, credentialed CORS on /bff only and for the session origins only, the JSON
// content type, payload 2.0 cookies in (event.cookies) and out (one Set-Cookie each), clean 401s that
// clear every broker cookie, cookie key rotation, and logs free of cookies and keys.

import { ROUTES } from '../../lambda/edge/routes.js';
import { COOKIE_NAMES, SESSION_CHUNK_NAMES } from '../../lambda/surfaces/bff/cookies.js';
import type { SessionState } from '../../lambda/surfaces/bff/session-cookie.js';
import { generateCookieKey, type CookieKey } from '../../lambda/core/cookie-keys.js';
import { sessionCookiePairs } from '../helpers/bff.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { frontDoorEnv } from '../helpers/front-door.js';

/** The SPA's origin: a cookie-session origin (TOKEN_BROKER_SESSION_ORIGINS). */
const ORIGIN = 'https://app.example.com';
/** A page that may acquire tokens (TOKEN_BROKER_ALLOWED_ORIGINS): the other door. */
const TOOLS = 'https://tools.example.com';
const OTHER = 'https://evil.example';
const REDIRECT = 'https://app.example.com/callback';
const KEYS_SECRET = 'bff-http/cookie-keys';
const CSRF = { 'x-token-broker-csrf': '1' };

let environment: Environment;
let firstKey: CookieKey;
const sensitive = new Set<string>();

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'bff-http',
    redirectUri: REDIRECT,
    // Sign-in goes through the front door; its issuer is the broker's own URL.
    brokerEnv: frontDoorEnv({
      TOKEN_BROKER_ALLOWED_ORIGINS: TOOLS,
      TOKEN_BROKER_SESSION_ORIGINS: ORIGIN,
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET,
      // Every request reads the keys again, so a rotation in the emulator is seen at once.
      TOKEN_BROKER_SECRET_MAX_AGE_SECONDS: '0',
    }),
  });
  firstKey = generateCookieKey();
  sensitive.add(firstKey.key);
  environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(firstKey));
});

afterAll(async () => {
  await environment?.stop();
});

const url = (route: string): string => `${environment.broker.url}${route.split(' ')[1]}`;

async function call(route: string, headers: Record<string, string> = {}, body?: string) {
  const method = route.split(' ')[0]!;
  const response = await fetch(url(route), {
    method,
    headers: { ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

function sessionCookie(key: CookieKey, state: Partial<SessionState> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const [pair] = sessionCookiePairs({ v: 2, g: 0, rt: `rt-${Math.random()}`.padEnd(40, 'r'), c: 'client-x', sc: '', exp: now + 600, at: `at-${Math.random()}`.padEnd(40, 'a'), ate: now + 600, ...state }, key);
  sensitive.add(pair!.slice(pair!.indexOf('=') + 1));
  return pair!;
}

const clearedNames = (headers: Headers): string[] =>
  headers
    .getSetCookie()
    .filter((c) => /Max-Age=0;/.test(c))
    .map((c) => c.split('=')[0]!)
    .sort();
const ALL = [COOKIE_NAMES.login, ...SESSION_CHUNK_NAMES[0], ...SESSION_CHUNK_NAMES[1]].sort();

describe('CSRF header (x-token-broker-csrf: 1)', () => {
  it.each([ROUTES.bffSession, ROUTES.bffRefresh, ROUTES.bffLogout, ROUTES.bffLoginStart, ROUTES.bffLoginEnd])(
    '%s without it is refused first (before the origin check), with no cookie read or set and nothing sent upstream',
    async (route) => {
      const upstreamBefore = environment.oidc.calls.length;
      const attempts: Record<string, string>[] = [{ origin: OTHER, cookie: sessionCookie(firstKey) }, { 'x-token-broker-csrf': 'true' }, {}];
      for (const headers of attempts) {
        const response = await call(route, headers, route.startsWith('POST') ? '{}' : undefined);
        expect(response.status).toBe(403);
        expect(response.headers.get('x-amzn-errortype')).toBe('CsrfHeaderRequiredException');
        expect(response.body.error_description).toMatch(/x-token-broker-csrf: 1/);
        expect(response.headers.getSetCookie()).toEqual([]);
      }
      expect(environment.oidc.calls.length).toBe(upstreamBefore);
    },
  );
});

describe('CORS on /bff (Fetch standard: credentialed requests)', () => {
  it('an allowed origin gets its origin and Access-Control-Allow-Credentials: true', async () => {
    const response = await call(ROUTES.bffSession, { ...CSRF, origin: ORIGIN });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('another origin is refused (403) and gets neither header', async () => {
    const response = await call(ROUTES.bffSession, { ...CSRF, origin: OTHER, cookie: sessionCookie(firstKey) });
    expect(response.status).toBe(403);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('routes outside /bff never allow credentials; they answer the token-API origins, never a session origin', async () => {
    const response = await call('POST /token', { origin: TOOLS }, '{}');
    expect(response.headers.get('access-control-allow-origin')).toBe(TOOLS);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    const fromSession = await call('POST /token', { origin: ORIGIN }, '{}');
    expect([fromSession.status, fromSession.headers.get('access-control-allow-origin')]).toEqual([403, null]);
    // And the other way round: a token-API origin has no session door.
    expect((await call(ROUTES.bffSession, { ...CSRF, origin: TOOLS })).status).toBe(403);
  });

  it('the preflight of a /bff route allows the CSRF header and credentials; the one of /token does not', async () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${environment.broker.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-token-broker-csrf' },
      });
    const bff = await preflight('/bff/refresh', ORIGIN);
    expect(bff.status).toBe(204);
    expect(bff.headers.get('access-control-allow-headers')).toContain('x-token-broker-csrf');
    expect(bff.headers.get('access-control-allow-credentials')).toBe('true');
    const token = await preflight('/token', TOOLS);
    expect(token.headers.get('access-control-allow-headers')).not.toContain('x-token-broker-csrf');
    expect(token.headers.get('access-control-allow-credentials')).toBeNull();
    const evil = await preflight('/bff/refresh', OTHER);
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('a /bff POST that is not JSON is 415 (a cross-site form cannot send JSON without a preflight)', async () => {
    const response = await call(ROUTES.bffLogout, { ...CSRF, 'content-type': 'text/plain' }, '{}');
    expect(response.status).toBe(415);
    expect(response.headers.getSetCookie()).toEqual([]);
  });
});

describe('cookies through API Gateway payload 2.0', () => {
  it('a valid session cookie is read from the Cookie header (event.cookies), among other cookies', async () => {
    const response = await call(ROUTES.bffSession, { ...CSRF, origin: ORIGIN, cookie: `theme=dark; ${sessionCookie(firstKey)}; other=1` });
    expect(response.body).toEqual({ isLoggedIn: true, sessionExpiresAt: expect.any(Number), accessTokenExpiresAt: expect.any(Number) });
  });

  it('logout answers one Set-Cookie per broker cookie, each clearing it', async () => {
    const response = await call(ROUTES.bffLogout, { ...CSRF, origin: ORIGIN });
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()).toHaveLength(ALL.length);
    expect(clearedNames(response.headers)).toEqual(ALL);
    // No session in this request: nothing for IAM Identity Center to end.
    expect(response.body).toMatchObject({ isLoggedIn: false, identityCenterSignedOut: false });
  });

  it.each([
    ['tampered', (v: string) => v.replace(/.(?=.{6}$)/, (c) => (c === 'A' ? 'B' : 'A'))],
    ['truncated', (v: string) => v.slice(0, -12)],
  ])('a %s session cookie is 401 session_expired with every broker cookie cleared', async (_name, damage) => {
    const [name, value] = sessionCookie(firstKey).split('=') as [string, string];
    for (const route of [ROUTES.bffSession, ROUTES.bffRefresh]) {
      const response = await call(route, { ...CSRF, origin: ORIGIN, cookie: `${name}=${damage(value)}` });
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: 'session_expired', __type: 'SessionExpiredException' });
      expect(clearedNames(response.headers)).toEqual(ALL);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    }
  });
});

describe('cookie key rotation', () => {
  it('sessions sealed under the previous key still open; after the key is retired they end with 401 session_expired', async () => {
    const old = sessionCookie(firstKey);
    const second = generateCookieKey();
    const third = generateCookieKey();
    sensitive.add(second.key).add(third.key);
    // putSecret makes the new version AWSCURRENT and the one it replaces AWSPREVIOUS, as finishSecret does.
    environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(second));
    expect((await call(ROUTES.bffSession, { ...CSRF, cookie: old })).body).toMatchObject({ isLoggedIn: true });
    expect((await call(ROUTES.bffSession, { ...CSRF, cookie: sessionCookie(second) })).body).toMatchObject({ isLoggedIn: true });
    environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(third));
    const retired = await call(ROUTES.bffSession, { ...CSRF, cookie: old });
    expect([retired.status, retired.body.error]).toEqual([401, 'session_expired']);
    expect(clearedNames(retired.headers)).toEqual(ALL);
  });
});

describe('logs', () => {
  it('never contain a cookie value or key material', () => {
    const output = environment.broker.output();
    expect(output).toMatch(/"route":"GET \/bff\/session"/);
    expect(sensitive.size).toBeGreaterThan(8);
    expect([...sensitive].filter((value) => output.includes(value))).toEqual([]);
  });
});
