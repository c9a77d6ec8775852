// The token handler's sign-in and sessions (lambda/surfaces/bff/login.ts, session.ts) with fake grants
// and keys: what page script receives in each page-token mode, the sign-in's state and PKCE checks,
// the generation slots under concurrent refreshes, key rotation, and the order of reads (every key a
// request needs before SSO OIDC is called).

import { createHash } from 'node:crypto';
import { upstreamError } from '../../lambda/core/errors.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { COOKIE_NAMES } from '../../lambda/surfaces/bff/cookies.js';
import { sealSession, type SessionState } from '../../lambda/surfaces/bff/session-cookie.js';
import { cleared, ISSUER, jar, key1, key2, key3, names, NOW, REDIRECT, rejected, setup } from '../helpers/bff-unit.js';

type T = ReturnType<typeof setup>;

/** login/start and login/end with the emulated redirect; the browser's cookies after it. */
async function signIn(t: T) {
  const start = await t.call(ROUTES.bffLoginStart, {});
  const url = new URL((start.body as { authorizationUrl: string }).authorizationUrl);
  const pageUrl = `${REDIRECT}?code=good-code&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}`;
  const end = await t.call(ROUTES.bffLoginEnd, { pageUrl }, jar(start.cookies));
  return { start, url, end, pageUrl, cookies: jar(end.cookies, jar(start.cookies)) };
}

const pageUrlFor = (start: { body?: unknown }, params = 'code=good-code') => {
  const state = new URL((start.body as { authorizationUrl: string }).authorizationUrl).searchParams.get('state');
  return `${REDIRECT}?${params}&state=${state}&iss=${encodeURIComponent(ISSUER)}`;
};

const session = (state: Partial<SessionState>): SessionState => ({ v: 2, g: 0, c: 'client-1', sc: 'sso:account:access', exp: NOW + 600, at: 'access-x', ate: NOW + 600, ...state });
const cookieOf = (state: SessionState, key = key1): string => `${COOKIE_NAMES.session[(state.g % 2) as 0 | 1]}=1~${sealSession(state, key)}`;

describe('sign-in', () => {
  it('login/start: RFC 7636 §4.2 S256 challenge and RFC 6749 §10.12 state go to the sign-in, marked as a cookie session\u2019s; neither verifier nor state secret in the answer', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, { scope: 'sso:account:access openid' });
    expect(Object.keys(start.body as object)).toEqual(['authorizationUrl']);
    const [signIn] = t.upstream.calls;
    expect(signIn).toEqual({
      grant: 'sign_in',
      input: { redirectUri: REDIRECT, clientState: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), scopes: ['sso:account:access', 'openid'], codeChallenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), forSession: true },
    });
    expect(JSON.stringify(start.body)).not.toContain(start.cookies![0]!.split(';')[0]!.split('=')[1]);
    expect(start.cookies![0]).toMatch(/^__Secure-token-broker-login=[^;]+; Path=\/bff\/login\/end; Max-Age=600; HttpOnly; Secure; SameSite=Strict$/);
  });

  it('login/start refuses a redirect URI that is not exactly one on a cookie-session origin (RFC 6749 §3.1.2.2)', async () => {
    const t = setup();
    for (const redirectUri of [`${REDIRECT}/`, REDIRECT.toUpperCase(), 'https://evil.example/callback']) {
      expect((await rejected(t.call(ROUTES.bffLoginStart, { redirectUri }))).status).toBe(400);
    }
    await t.call(ROUTES.bffLoginStart, { redirectUri: 'https://app.example.com/other' });
    expect(t.upstream.calls.map((c) => c.input.redirectUri)).toEqual(['https://app.example.com/other']);
  });

  it('login/end exchanges the code with the login cookie\u2019s verifier (RFC 7636 §4.6) and answers, with page tokens none, no token at all', async () => {
    const t = setup();
    const { end, url } = await signIn(t);
    expect(end.statusCode).toBe(200);
    expect(end.body).toEqual({ isLoggedIn: true, expiresIn: 3600, sessionExpiresAt: NOW + 8 * 3600 });
    const exchange = t.upstream.calls.find((c) => c.grant === 'authorization_code')!;
    expect(exchange.input.redirectUri).toBe(REDIRECT);
    expect(createHash('sha256').update(String(exchange.input.codeVerifier)).digest('base64url')).toBe(url.searchParams.get('code_challenge'));
    expect(cleared(end.cookies)).toEqual([COOKIE_NAMES.login]);
    expect(names(jar(end.cookies))).toEqual([COOKIE_NAMES.session[0]]);
  });

  it('with page tokens access, login/end and refresh also answer the access token (never the refresh token)', async () => {
    const t = setup({ pageTokens: 'access' });
    const { end, cookies } = await signIn(t);
    expect(end.body).toEqual({ isLoggedIn: true, expiresIn: 3600, sessionExpiresAt: NOW + 8 * 3600, accessToken: expect.stringMatching(/^access-/), tokenType: 'Bearer', scope: 'sso:account:access' });
    const refreshed = await t.call(ROUTES.bffRefresh, {}, cookies);
    expect(Object.keys(refreshed.body as object).sort()).toEqual(['accessToken', 'expiresIn', 'isLoggedIn', 'scope', 'sessionExpiresAt', 'tokenType']);
    expect(JSON.stringify([end.body, refreshed.body])).not.toMatch(/refresh-/);
  });

  it('a page URL without code or error answers isLoggedIn false, touching nothing', async () => {
    const t = setup();
    expect(await t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?x=1` })).toEqual({ statusCode: 200, body: { isLoggedIn: false } });
    expect(t.upstream.calls).toEqual([]);
  });

  it('RFC 6749 §10.12: a state from another sign-in is refused, nothing sent upstream, the login cookie cleared', async () => {
    const t = setup();
    const mine = await t.call(ROUTES.bffLoginStart, {});
    const theirs = await t.call(ROUTES.bffLoginStart, {});
    const error = await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: pageUrlFor(theirs) }, jar(mine.cookies)));
    expect([error.status, error.error]).toEqual([400, 'invalid_request']);
    expect(cleared(error.cookies)).toEqual([COOKIE_NAMES.login]);
    expect(t.upstream.calls.filter((c) => c.grant === 'authorization_code')).toEqual([]);
  });

  it('RFC 9207 §2.4: an iss other than the issuer (or none) is refused before anything else', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const state = new URL((start.body as { authorizationUrl: string }).authorizationUrl).searchParams.get('state');
    for (const iss of ['&iss=https://evil.example', '']) {
      const error = await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?code=good-code&state=${state}${iss}` }, jar(start.cookies)));
      expect(error.description).toMatch(/RFC 9207/);
    }
    expect(t.upstream.calls.filter((c) => c.grant === 'authorization_code')).toEqual([]);
  });

  it('a sign-in without the login cookie, or with an expired one, is refused', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    expect((await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: pageUrlFor(start) }))).status).toBe(400);
    t.clock.ms += 601_000;
    expect((await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: pageUrlFor(start) }, jar(start.cookies)))).status).toBe(400);
    expect(t.upstream.calls.filter((c) => c.grant === 'authorization_code')).toEqual([]);
  });

  it('an error the authorization server redirected (access_denied) reaches the SPA, with the login cookie cleared', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const error = await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: pageUrlFor(start, 'error=access_denied') }, jar(start.cookies)));
    expect([error.status, error.error]).toEqual([400, 'access_denied']);
    expect(cleared(error.cookies)).toEqual([COOKIE_NAMES.login]);
  });

  it('a used code passes SSO OIDC\u2019s invalid_grant through and clears the login cookie', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const error = await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: pageUrlFor(start, 'code=used') }, jar(start.cookies)));
    expect([error.status, error.error, error.type]).toEqual([400, 'invalid_grant', 'InvalidGrantException']);
    expect(cleared(error.cookies)).toEqual([COOKIE_NAMES.login]);
  });

  it('a transient failure keeps the login cookie: the cookie key read fails before the code is sent, and the same redirect then signs in', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    t.ring.failNext = 1;
    const error = await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: pageUrlFor(start) }, jar(start.cookies)));
    expect([error.status, error.cookies]).toEqual([500, []]);
    // Nothing was sent upstream: the code is still good.
    expect(t.upstream.calls.filter((c) => c.grant === 'authorization_code')).toEqual([]);
    const retried = await t.call(ROUTES.bffLoginEnd, { pageUrl: pageUrlFor(start) }, jar(start.cookies));
    expect(retried.statusCode).toBe(200);
  });

  it('SSO OIDC failing (5xx) keeps the login cookie too (a 4xx clears it: the used code above)', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    t.deps.grants.redeemCode = async () => {
      throw upstreamError({ status: 500, type: 'InternalServerException' });
    };
    const error = await rejected(t.call(ROUTES.bffLoginEnd, { pageUrl: pageUrlFor(start) }, jar(start.cookies)));
    expect([error.status, error.cookies]).toEqual([500, []]);
  });
});

describe('session, refresh and logout', () => {
  it('GET /bff/session says whether a session exists, when it ends and when its access token expires', async () => {
    const t = setup();
    expect((await t.call(ROUTES.bffSession)).body).toEqual({ isLoggedIn: false });
    const { cookies } = await signIn(t);
    expect((await t.call(ROUTES.bffSession, {}, cookies)).body).toEqual({ isLoggedIn: true, sessionExpiresAt: NOW + 8 * 3600, accessTokenExpiresAt: NOW + 3600 });
  });

  it('refresh answers no token (page tokens none), and moves a rotated refresh token to the other slot', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    const first = await t.call(ROUTES.bffRefresh, {}, cookies);
    expect(first.body).toEqual({ isLoggedIn: true, expiresIn: 3600, sessionExpiresAt: NOW + 8 * 3600 });
    expect(names(jar(first.cookies))).toEqual([COOKIE_NAMES.session[1]]);
    expect(cleared(first.cookies)).toEqual([COOKIE_NAMES.session[0]]);
    const second = await t.call(ROUTES.bffRefresh, {}, jar(first.cookies, cookies));
    expect(names(jar(second.cookies))).toEqual([COOKIE_NAMES.session[0]]);
    // The refresh names the registration that issued the token, with the scope it was granted.
    expect(t.upstream.calls.filter((c) => c.grant === 'refresh_token').map((c) => [c.input.clientId, c.input.scope])).toEqual([
      ['client-1', 'sso:account:access'],
      ['client-1', 'sso:account:access'],
    ]);
  });

  it('two concurrent refreshes: the loser clears only its own slot, the winner\u2019s cookie survives and refreshes', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    const results = await Promise.allSettled([t.call(ROUTES.bffRefresh, {}, cookies), t.call(ROUTES.bffRefresh, {}, cookies)]);
    const winner = results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ cookies?: readonly string[] }>;
    const error = (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as Awaited<ReturnType<typeof rejected>>;
    expect([error.status, error.error]).toEqual([401, 'session_expired']);
    expect(cleared(error.cookies)).toEqual([COOKIE_NAMES.session[0]]);
    for (const order of [[winner.value.cookies, error.cookies], [error.cookies, winner.value.cookies]]) {
      const browser = jar(order[1], jar(order[0], cookies));
      expect((await t.call(ROUTES.bffSession, {}, browser)).body).toMatchObject({ isLoggedIn: true });
    }
    expect((await t.call(ROUTES.bffRefresh, {}, jar(winner.value.cookies, cookies))).statusCode).toBe(200);
  });

  it('uses the higher generation when both slots are sent', async () => {
    const t = setup();
    const old = t.upstream.issue().refreshToken!;
    const current = t.upstream.issue().refreshToken!;
    await t.call(ROUTES.bffRefresh, {}, [cookieOf(session({ g: 4, rt: old })), cookieOf(session({ g: 5, rt: current }))]);
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
    const cookies = [cookieOf(session({ rt: t.upstream.issue().refreshToken!, exp: NOW - 1 }))];
    expect((await t.call(ROUTES.bffSession, {}, cookies)).body).toEqual({ isLoggedIn: false });
    expect((await rejected(t.call(ROUTES.bffRefresh, {}, cookies))).status).toBe(401);
  });

  it('SSO OIDC expired_token is 401 session_expired too; other errors pass through in the usual shape, clearing nothing', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    t.deps.grants.refresh = async () => {
      throw upstreamError({ status: 400, type: 'ExpiredTokenException' });
    };
    expect((await rejected(t.call(ROUTES.bffRefresh, {}, cookies))).error).toBe('session_expired');
    t.deps.grants.refresh = async () => {
      throw upstreamError({ status: 500, type: 'InternalServerException' });
    };
    const error = await rejected(t.call(ROUTES.bffRefresh, {}, cookies));
    expect([error.status, error.type, error.cookies]).toEqual([500, 'InternalServerException', []]);
  });

  it('reads the cookie key before SSO OIDC: a failed key read ends the refresh before the refresh token is spent', async () => {
    const t = setup();
    const { cookies } = await signIn(t);
    const refreshesBefore = t.upstream.calls.filter((c) => c.grant === 'refresh_token').length;
    t.ring.failNext = 1;
    expect((await rejected(t.call(ROUTES.bffRefresh, {}, cookies))).status).toBe(500);
    expect(t.upstream.calls.filter((c) => c.grant === 'refresh_token').length).toBe(refreshesBefore);
    // The refresh token was never sent: the next refresh works (SSO OIDC rotates tokens here).
    expect((await t.call(ROUTES.bffRefresh, {}, cookies)).statusCode).toBe(200);
  });

});

describe('cookie key rotation', () => {
  it('a session sealed under the previous key keeps refreshing (and is sealed again under the current key); once retired, 401', async () => {
    const t = setup();
    t.deps.grants.refresh = async (input) => ({ accessToken: 'access-same', tokenType: 'Bearer', expiresIn: 60, refreshToken: input.refreshToken, clientId: input.clientId, scope: input.scope });
    const { cookies } = await signIn(t);
    t.ring.previous = key1;
    t.ring.current = key2;
    const refreshed = await t.call(ROUTES.bffRefresh, {}, cookies);
    const resealed = jar(refreshed.cookies, cookies);
    expect(cleared(refreshed.cookies)).toEqual([]);
    expect(Buffer.from(resealed.find((c) => c.startsWith(`${COOKIE_NAMES.session[0]}=`))!.split('=')[1]!.slice(2).split('.')[0]!, 'base64url').toString()).toBe('k2');
    t.ring.previous = key2;
    t.ring.current = key3;
    const error = await rejected(t.call(ROUTES.bffRefresh, {}, cookies));
    expect([error.status, error.error]).toEqual([401, 'session_expired']);
    expect(cleared(error.cookies)).toEqual(expect.arrayContaining([COOKIE_NAMES.login, ...COOKIE_NAMES.session]));
    expect((await t.call(ROUTES.bffRefresh, {}, resealed)).statusCode).toBe(200);
  });
});
