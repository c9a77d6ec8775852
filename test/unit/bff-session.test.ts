// The token handler's session logic (lambda/bff/session.ts) with fake grants and keys: cookie
// attributes, the generation slots under concurrent refreshes, tampered and misplaced cookies, key
// rotation, and sign-in's state and PKCE checks.

import { createHash } from 'node:crypto';
import { newAudit, type Audit } from '../../lambda/core/audit.js';
import {
  brokerCookies,
  clearAllCookies,
  cookiePaths,
  COOKIE_NAMES,
  MAX_COOKIE_BYTES,
  sealCookie,
  setCookie,
  type SessionState,
} from '../../lambda/surfaces/bff/cookies.js';
import { bffRoutes, type FrontDoorGrants, type SessionDeps } from '../../lambda/surfaces/bff/index.js';
import type { OAuthTokens } from '../../lambda/core/front-door-grants.js';
import { sealKeyOf } from '../../lambda/core/cookie-keys.js';
import { BrokerError, upstreamError } from '../../lambda/core/errors.js';
import { routeIdOf, ROUTES } from '../../lambda/edge/routes.js';
import type { SealKey } from '../../lambda/core/seal.js';

/** Answers one /bff route as the edge calls it; every /bff answer is JSON data with Set-Cookie values. */
async function answerBff(route: string, body: unknown, cookies: readonly string[], deps: SessionDeps, audit: Audit) {
  const handler = bffRoutes(deps)[routeIdOf(route) as keyof ReturnType<typeof bffRoutes>];
  return (await handler({ body, rawQuery: '', headers: {}, cookies }, audit)) as { statusCode: number; body: unknown; cookies?: readonly string[] };
}

const ISSUER = 'https://auth.example.com';
const REDIRECT = 'https://app.example.com/callback';
const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const key1 = sealKeyOf({ keyId: 'k1', key: 'a'.repeat(43) });
const key2 = sealKeyOf({ keyId: 'k2', key: 'b'.repeat(43) });
const key3 = sealKeyOf({ keyId: 'k3', key: 'c'.repeat(43) });

/** Keys as the secret holds them: current, and previous (still opens). */
function keyring(current: SealKey, previous?: SealKey) {
  const ring = { current, previous };
  return {
    ring,
    keys: {
      current: async () => ring.current,
      forKeyId: async (id: string | undefined) => [ring.current, ring.previous].find((k) => k !== undefined && k.id === id),
    },
  };
}

/** SSO OIDC through the front door, rotating refresh tokens: each one works once. */
function rotatingGrants() {
  const live = new Set<string>();
  let n = 0;
  const issue = (): OAuthTokens => {
    const refreshToken = `sealed-refresh-${++n}-${'x'.repeat(20)}`;
    live.add(refreshToken);
    return { accessToken: `access-${n}-${'y'.repeat(20)}`, tokenType: 'Bearer', expiresIn: 3600, refreshToken };
  };
  const calls: { grant: string; input: Record<string, string> }[] = [];
  const grants: FrontDoorGrants = {
    async authorizationCode(input) {
      calls.push({ grant: 'authorization_code', input });
      if (input.code !== 'good-code') throw (upstreamError({ status: 400, type: 'InvalidGrantException' }));
      return issue();
    },
    async refreshToken(input) {
      calls.push({ grant: 'refresh_token', input });
      if (!live.delete(input.refreshToken)) {
        throw (upstreamError({ status: 400, type: 'InvalidGrantException', description: 'Invalid refresh token provided' }));
      }
      return issue();
    },
  };
  return { grants, calls, issue, live };
}

function setup(options: { current?: SealKey; previous?: SealKey } = {}) {
  const { ring, keys } = keyring(options.current ?? key1, options.previous);
  const upstream = rotatingGrants();
  const deps: SessionDeps = {
    redirectUris: new Set([REDIRECT, 'https://app.example.com/other']),
    sessionMaxAgeSeconds: 8 * 3600,
    keys,
    paths: cookiePaths(''),
    frontDoor: { issuer: ISSUER, publicClientId: 'token-broker', grants: upstream.grants },
    now: () => NOW_MS,
  };
  const call = (route: string, body: unknown = {}, cookies: string[] = []) =>
    answerBff(route, body, cookies, deps, newAudit());
  return { deps, ring, upstream, call };
}

/** The `name=value` pairs a browser would send back for Set-Cookie values (Max-Age=0 ones dropped). */
const jar = (setCookies: readonly string[] | undefined): string[] =>
  (setCookies ?? []).filter((c) => !/Max-Age=0\b/.test(c)).map((c) => c.split(';')[0]!);
const cleared = (setCookies: readonly string[] | undefined): string[] =>
  (setCookies ?? []).filter((c) => /Max-Age=0\b/.test(c)).map((c) => c.split('=')[0]!);

function sessionCookie(state: SessionState, key: SealKey = key1, slot = state.g % 2): string {
  const name = COOKIE_NAMES.session[slot as 0 | 1];
  return `${name}=${sealCookie(name, state, key)}`;
}

async function rejected(promise: Promise<unknown>): Promise<BrokerError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof BrokerError) return error;
    throw error;
  }
  throw new Error('expected a BrokerError');
}

/** Signs in through login/start and login/end; returns the session cookies and the answers. */
async function signIn(t: ReturnType<typeof setup>) {
  const start = await t.call(ROUTES.bffLoginStart, {});
  const url = new URL((start.body as { authorizationUrl: string }).authorizationUrl);
  const pageUrl = `${REDIRECT}?code=good-code&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}`;
  const end = await t.call(ROUTES.bffLoginEnd, { pageUrl }, jar(start.cookies));
  return { start, url, end, cookies: jar(end.cookies) };
}

describe('cookies (RFC 6265bis)', () => {
  it('§4.1.2: every cookie is HttpOnly, Secure, SameSite=Strict, with a narrow Path and a Max-Age; §4.1.3.1 __Secure- prefix', async () => {
    const t = setup();
    const { start, end } = await signIn(t);
    const login = start.cookies![0]!;
    expect(login).toMatch(/^__Secure-token-broker-login=[^;]+; Path=\/bff\/login\/end; Max-Age=600; HttpOnly; Secure; SameSite=Strict$/);
    const [session, clearOther, clearLogin] = end.cookies!;
    expect(session).toMatch(/^__Secure-token-broker-session-0=[^;]+; Path=\/bff; Max-Age=28800; HttpOnly; Secure; SameSite=Strict$/);
    expect(clearOther).toBe('__Secure-token-broker-session-1=; Path=/bff; Max-Age=0; HttpOnly; Secure; SameSite=Strict');
    expect(clearLogin).toBe('__Secure-token-broker-login=; Path=/bff/login/end; Max-Age=0; HttpOnly; Secure; SameSite=Strict');
  });

  it('follow the issuer path when the broker is not at the domain root', () => {
    expect(cookiePaths('/broker/')).toEqual({ session: '/broker/bff', login: '/broker/bff/login/end' });
    expect(clearAllCookies(cookiePaths('/broker'))).toHaveLength(3);
  });

  it('§5.6: a cookie of 4096 bytes or more is refused with a 500 that names only its size', () => {
    let error: unknown;
    try {
      setCookie(COOKIE_NAMES.session[0], 'v'.repeat(MAX_COOKIE_BYTES), '/bff', 60);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).status).toBe(500);
    expect((error as BrokerError).logDetail).toMatch(/^__Secure-token-broker-session-0 would be \d+ bytes/);
  });

  it('a session with a 2,000-character upstream refresh token, sealed twice, stays under 4 KB', () => {
    // The front door seals SSO OIDC's token (about 1.37 x), the cookie seals that again.
    const frontDoorSealed = sealCookie('x', { v: 1, g: 0, rt: 'r'.repeat(2000), exp: NOW }, key1);
    const cookie = setCookie(COOKIE_NAMES.session[0], sealCookie(COOKIE_NAMES.session[0], { v: 1, g: 0, rt: frontDoorSealed, exp: NOW }, key1), '/bff', 60);
    expect(Buffer.byteLength(cookie)).toBeLessThan(MAX_COOKIE_BYTES);
  });

  it('reads only the broker cookies from payload 2.0 `cookies`, every value of a repeated name', () => {
    const found = brokerCookies(['other=1', '__Secure-token-broker-session-0=a', ' __Secure-token-broker-session-0=b', 'bad']);
    expect([...found.entries()]).toEqual([['__Secure-token-broker-session-0', ['a', 'b']]]);
  });
});

describe('sign-in', () => {
  it('login/start: RFC 7636 §4.2 S256 challenge and RFC 6749 §10.12 state, neither verifier nor state secret in the answer', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, { scope: 'sso:account:access' });
    const url = new URL((start.body as { authorizationUrl: string }).authorizationUrl);
    expect(url.origin + url.pathname).toBe(`${ISSUER}/oauth2/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'token-broker',
      redirect_uri: REDIRECT,
      state: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      code_challenge_method: 'S256',
      scope: 'sso:account:access',
    });
    // The answer body is all page script sees: only the URL, no cookie value.
    expect(Object.keys(start.body as object)).toEqual(['authorizationUrl']);
    expect(JSON.stringify(start.body)).not.toContain(start.cookies![0]!.split(';')[0]!.split('=')[1]);
  });

  it('login/end exchanges the code with the login cookie\u2019s verifier and starts a session; the challenge matches it (RFC 7636 §4.6)', async () => {
    const t = setup();
    const { url, end } = await signIn(t);
    expect(end.body).toEqual({
      isLoggedIn: true,
      accessToken: expect.stringMatching(/^access-1-/),
      tokenType: 'Bearer',
      expiresIn: 3600,
      sessionExpiresAt: NOW + 8 * 3600,
    });
    const exchange = t.upstream.calls[0]!;
    expect(exchange.input.redirectUri).toBe(REDIRECT);
    expect(createHash('sha256').update(exchange.input.codeVerifier!).digest('base64url')).toBe(url.searchParams.get('code_challenge'));
    expect(JSON.stringify(end.body)).not.toContain('sealed-refresh');
  });

  it('login/start refuses a redirect URI that is not exactly an allowed one (RFC 6749 §3.1.2.2)', async () => {
    const t = setup();
    for (const redirectUri of [`${REDIRECT}/`, REDIRECT.toUpperCase(), 'https://evil.example/callback']) {
      expect((await rejected(t.call(ROUTES.bffLoginStart, { redirectUri }))).status).toBe(400);
    }
    const other = await t.call(ROUTES.bffLoginStart, { redirectUri: 'https://app.example.com/other' });
    expect((other.body as { authorizationUrl: string }).authorizationUrl).toContain(encodeURIComponent('https://app.example.com/other'));
  });

  it('a page URL without code or error answers isLoggedIn false, touching nothing', async () => {
    const t = setup();
    const end = await t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?x=1` });
    expect(end).toEqual({ statusCode: 200, body: { isLoggedIn: false } });
    expect(t.upstream.calls).toEqual([]);
  });

  it('RFC 6749 §10.12: a state from another sign-in is refused, nothing sent upstream, the login cookie cleared', async () => {
    const t = setup();
    const mine = await t.call(ROUTES.bffLoginStart, {});
    const theirs = await t.call(ROUTES.bffLoginStart, {});
    const theirState = new URL((theirs.body as { authorizationUrl: string }).authorizationUrl).searchParams.get('state');
    const error = await rejected(
      t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?code=good-code&state=${theirState}&iss=${ISSUER}` }, jar(mine.cookies)),
    );
    expect([error.status, error.error]).toEqual([400, 'invalid_request']);
    expect(cleared(error.cookies)).toEqual([COOKIE_NAMES.login]);
    expect(t.upstream.calls).toEqual([]);
  });

  it('RFC 9207 §2.4: an iss other than the issuer (or none) is refused before anything else', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const state = new URL((start.body as { authorizationUrl: string }).authorizationUrl).searchParams.get('state');
    for (const iss of ['&iss=https://evil.example', '']) {
      const error = await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?code=good-code&state=${state}${iss}` }, jar(start.cookies)));
      expect(error.description).toMatch(/RFC 9207/);
    }
    expect(t.upstream.calls).toEqual([]);
  });

  it('a sign-in without the login cookie, or with an expired one, is refused', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const state = new URL((start.body as { authorizationUrl: string }).authorizationUrl).searchParams.get('state');
    const pageUrl = `${REDIRECT}?code=good-code&state=${state}&iss=${ISSUER}`;
    expect((await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl }))).status).toBe(400);
    const later = { ...t.deps, now: () => NOW_MS + 601_000 };
    const error = await rejected(answerBff(ROUTES.bffLoginEnd, { pageUrl }, jar(start.cookies), later, newAudit()));
    expect(error.status).toBe(400);
    expect(t.upstream.calls).toEqual([]);
  });

  it('an error the authorization server redirected (access_denied) reaches the SPA, with the login cookie cleared', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const state = new URL((start.body as { authorizationUrl: string }).authorizationUrl).searchParams.get('state');
    const error = await rejected(
      t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?error=access_denied&state=${state}&iss=${ISSUER}` }, jar(start.cookies)),
    );
    expect([error.status, error.error]).toEqual([400, 'access_denied']);
    expect(cleared(error.cookies)).toEqual([COOKIE_NAMES.login]);
  });

  it('a used code passes SSO OIDC\u2019s invalid_grant through and clears the login cookie', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const state = new URL((start.body as { authorizationUrl: string }).authorizationUrl).searchParams.get('state');
    const error = await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?code=used&state=${state}&iss=${ISSUER}` }, jar(start.cookies)));
    expect([error.status, error.error, error.type]).toEqual([400, 'invalid_grant', 'InvalidGrantException']);
    expect(cleared(error.cookies)).toEqual([COOKIE_NAMES.login]);
  });
});

describe('session, refresh and logout', () => {
  it('GET /bff/session says whether a session exists and when it ends', async () => {
    const t = setup();
    expect((await t.call(ROUTES.bffSession)).body).toEqual({ isLoggedIn: false });
    const { cookies } = await signIn(t);
    expect((await t.call(ROUTES.bffSession, {}, cookies)).body).toEqual({ isLoggedIn: true, sessionExpiresAt: NOW + 8 * 3600 });
  });

  it('refresh answers an access token only, and moves a rotated refresh token to the other slot', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    const first = await t.call(ROUTES.bffRefresh, {}, cookies);
    expect(first.body).toEqual({ accessToken: expect.stringMatching(/^access-2-/), tokenType: 'Bearer', expiresIn: 3600 });
    expect(jar(first.cookies).map((c) => c.split('=')[0])).toEqual([COOKIE_NAMES.session[1]]);
    expect(cleared(first.cookies)).toEqual([COOKIE_NAMES.session[0]]);
    const second = await t.call(ROUTES.bffRefresh, {}, jar(first.cookies));
    expect(jar(second.cookies).map((c) => c.split('=')[0])).toEqual([COOKIE_NAMES.session[0]]);
  });

  it('two concurrent refreshes: the loser clears only its own slot, the winner\u2019s cookie survives and refreshes', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    const results = await Promise.allSettled([t.call(ROUTES.bffRefresh, {}, cookies), t.call(ROUTES.bffRefresh, {}, cookies)]);
    const winner = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<Awaited<ReturnType<typeof t.call>>>;
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    const error = loser.reason as BrokerError;
    expect([error.status, error.error]).toEqual([401, 'session_expired']);
    // The loser clears slot 0 (the one it was given), never slot 1 (the winner's new cookie).
    expect(cleared(error.cookies)).toEqual([COOKIE_NAMES.session[0]]);
    // The browser applies both answers, in either order: slot 1 survives.
    const browser = jar(winner.value.cookies);
    expect((await t.call(ROUTES.bffSession, {}, browser)).body).toMatchObject({ isLoggedIn: true });
    expect((await t.call(ROUTES.bffRefresh, {}, browser)).statusCode).toBe(200);
  });

  it('uses the higher generation when both slots are sent', async () => {
    const t = setup();
    const old = t.upstream.issue().refreshToken!;
    const current = t.upstream.issue().refreshToken!;
    const cookies = [sessionCookie({ v: 1, g: 4, rt: old, exp: NOW + 60 }), sessionCookie({ v: 1, g: 5, rt: current, exp: NOW + 60 })];
    await t.call(ROUTES.bffRefresh, {}, cookies);
    expect(t.upstream.calls.at(-1)!.input.refreshToken).toBe(current);
  });

  it('refresh without a session is 401 session_expired that clears nothing (a concurrent sign-in may be setting one)', async () => {
    const t = setup();
    const error = await rejected(t.call(ROUTES.bffRefresh));
    expect([error.status, error.error, error.cookies]).toEqual([401, 'session_expired', []]);
    expect(t.upstream.calls).toEqual([]);
  });

  it('an expired session (past its own exp, whatever Max-Age did) is no session', async () => {
    const t = setup();
    const rt = t.upstream.issue().refreshToken!;
    const cookies = [sessionCookie({ v: 1, g: 0, rt, exp: NOW - 1 })];
    expect((await t.call(ROUTES.bffSession, {}, cookies)).body).toEqual({ isLoggedIn: false });
    expect((await rejected(t.call(ROUTES.bffRefresh, {}, cookies))).status).toBe(401);
  });

  it('SSO OIDC expired_token is 401 session_expired too; other errors pass through in the usual shape', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    t.deps.frontDoor!.grants.refreshToken = async () => {
      throw (upstreamError({ status: 400, type: 'ExpiredTokenException' }));
    };
    expect((await rejected(t.call(ROUTES.bffRefresh, {}, cookies))).error).toBe('session_expired');
    t.deps.frontDoor!.grants.refreshToken = async () => {
      throw (upstreamError({ status: 500, type: 'InternalServerException' }));
    };
    const error = await rejected(t.call(ROUTES.bffRefresh, {}, cookies));
    expect([error.status, error.type, error.cookies]).toEqual([500, 'InternalServerException', []]);
  });

  it('logout clears every broker cookie and says SSO OIDC has no revocation', async () => {
    const t = setup();
    const out = await t.call(ROUTES.bffLogout);
    expect(cleared(out.cookies).sort()).toEqual([COOKIE_NAMES.login, ...COOKIE_NAMES.session].sort());
    expect(out.body).toMatchObject({ isLoggedIn: false, refreshTokenRevoked: false, description: expect.stringMatching(/no revocation/) });
  });
});

describe('unusable cookies end the session cleanly: 401 session_expired, every broker cookie cleared', () => {
  const allCleared = [COOKIE_NAMES.login, ...COOKIE_NAMES.session].sort();

  it.each([
    ['tampered', (v: string) => `${v.slice(0, -5)}${v.slice(-5, -4) === 'A' ? 'B' : 'A'}${v.slice(-4)}`],
    ['truncated', (v: string) => v.slice(0, v.length - 10)],
    ['cut to its key id', (v: string) => v.slice(0, v.indexOf('.') + 1)],
    ['empty', () => ''],
    ['not sealed at all', () => 'hello'],
  ])('a %s session cookie', async (_name, damage) => {
    const t = setup();
    const { cookies } = await signIn(t);
    const [name, value] = [cookies[0]!.slice(0, cookies[0]!.indexOf('=')), cookies[0]!.slice(cookies[0]!.indexOf('=') + 1)];
    for (const route of [ROUTES.bffSession, ROUTES.bffRefresh]) {
      const error = await rejected(t.call(route, {}, [`${name}=${damage(value)}`]));
      expect([error.status, error.error]).toEqual([401, 'session_expired']);
      expect(cleared(error.cookies).sort()).toEqual(allCleared);
    }
    expect(t.upstream.calls.filter((c) => c.grant === 'refresh_token')).toEqual([]);
  });

  it('a login cookie presented as a session cookie (the cookie name is authenticated data)', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const loginValue = jar(start.cookies)[0]!.split('=')[1]!;
    const error = await rejected(t.call(ROUTES.bffRefresh, {}, [`${COOKIE_NAMES.session[0]}=${loginValue}`]));
    expect([error.status, error.error]).toEqual([401, 'session_expired']);
    expect(t.upstream.calls).toEqual([]);
  });

  it('a session cookie moved to the other slot\u2019s name', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    const value = cookies[0]!.split('=')[1]!;
    expect((await rejected(t.call(ROUTES.bffSession, {}, [`${COOKIE_NAMES.session[1]}=${value}`]))).error).toBe('session_expired');
  });

  it('a session cookie presented as the login cookie', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    const value = cookies[0]!.split('=')[1]!;
    const start = await t.call(ROUTES.bffLoginStart, {});
    const state = new URL((start.body as { authorizationUrl: string }).authorizationUrl).searchParams.get('state');
    const error = await rejected(
      t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?code=good-code&state=${state}&iss=${ISSUER}` }, [`${COOKIE_NAMES.login}=${value}`]),
    );
    expect([error.status, error.error]).toEqual([401, 'session_expired']);
  });
});

describe('cookie key rotation', () => {
  it('a session sealed under the previous key keeps refreshing (and is sealed again under the current key); once retired, 401', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    // Rotation: k2 current, k1 previous. Stop the refresh token rotating, to see the re-seal alone.
    t.ring.previous = key1;
    t.ring.current = key2;
    t.deps.frontDoor!.grants.refreshToken = async (input) => ({ accessToken: 'access-x'.padEnd(24, 'x'), tokenType: 'Bearer', expiresIn: 60, refreshToken: input.refreshToken });
    const refreshed = await t.call(ROUTES.bffRefresh, {}, cookies);
    expect(refreshed.statusCode).toBe(200);
    const resealed = jar(refreshed.cookies);
    expect(resealed.map((c) => c.split('=')[0])).toEqual([COOKIE_NAMES.session[0]]);
    expect(cleared(refreshed.cookies)).toEqual([]);
    expect(Buffer.from(resealed[0]!.split('=')[1]!.split('.')[0]!, 'base64url').toString()).toBe('k2');
    // The next rotation retires k1: the old cookie ends cleanly, the re-sealed one lives on.
    t.ring.previous = key2;
    t.ring.current = key3;
    const error = await rejected(t.call(ROUTES.bffRefresh, {}, cookies));
    expect([error.status, error.error]).toEqual([401, 'session_expired']);
    expect(cleared(error.cookies)).toHaveLength(3);
    expect((await t.call(ROUTES.bffRefresh, {}, resealed)).statusCode).toBe(200);
  });
});
