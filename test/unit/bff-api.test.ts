// The bearer proxy (lambda/surfaces/bff/api.ts, core/api-proxy.ts, core/api-headers.ts) with a fake
// API: the access token from the session, refreshed when it is about to expire and once on the API's
// 401 (never twice), the API and method allow lists, paths that could leave the API's base refused
// before anything is sent, and the header policy both ways.

import { ANSWER_HEADERS, NEVER_FORWARDED, pickHeaders, REQUEST_HEADERS } from '../../lambda/core/api-headers.js';
import { checkedApiPath } from '../../lambda/core/api-proxy.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { COOKIE_NAMES } from '../../lambda/surfaces/bff/cookies.js';
import { ACCESS_TOKEN_SKEW_SECONDS } from '../../lambda/surfaces/bff/session.js';
import { cleared, ISSUER, jar, names, REDIRECT, rejected, setup } from '../helpers/bff-unit.js';

type T = ReturnType<typeof setup>;

async function signedIn(t: T) {
  const start = await t.call(ROUTES.bffLoginStart, {});
  const url = new URL((start.body as { authorizationUrl: string }).authorizationUrl);
  const end = await t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?code=good-code&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}` }, jar(start.cookies));
  return jar(end.cookies);
}

const proxy = (t: T, cookies: readonly string[], method = 'GET', path = 'orders/items/1', extra: Record<string, unknown> = {}) => {
  const [name, ...rest] = path.split('/');
  return t.call(ROUTES.bffApi, Buffer.from('{"a":1}'), cookies, { method, pathParameters: { name, proxy: rest.join('/') }, rawQuery: 'page=2', headers: { accept: 'application/json', cookie: 'x=1', 'x-token-broker-csrf': '1' }, ...extra });
};

describe('the access token, from the session', () => {
  it('is added by the broker; the API\u2019s answer comes back with only the allow-listed headers, and the session\u2019s cookies untouched', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    t.api.answerWith((_request, token) => ({ status: 201, headers: { 'content-type': 'application/json', etag: '"1"' }, body: Buffer.from(`{"token":"${token.slice(0, 8)}"}`) }));
    const answer = await proxy(t, cookies, 'POST');
    expect(answer.statusCode).toBe(201);
    expect(answer.passThrough?.headers).toEqual({ 'content-type': 'application/json', etag: '"1"' });
    expect(answer.cookies).toEqual([]);
    const [call] = t.api.calls;
    expect(call!.token).toMatch(/^access-/);
    expect(call!.request).toMatchObject({ method: 'POST', path: 'items/1', rawQuery: 'page=2', api: { name: 'orders' } });
    expect(Buffer.from(call!.request.body!).toString()).toBe('{"a":1}');
  });

  it('refreshes first when the access token is about to expire, and answers with the new session cookies', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    t.clock.ms += (3600 - ACCESS_TOKEN_SKEW_SECONDS + 1) * 1000;
    t.api.answerWith(() => ({ status: 200, headers: {}, body: Buffer.from('ok') }));
    const answer = await proxy(t, cookies);
    expect(answer.statusCode).toBe(200);
    expect(t.upstream.calls.filter((c) => c.grant === 'refresh_token')).toHaveLength(1);
    expect(names(jar(answer.cookies))).toEqual([COOKIE_NAMES.session[1]]);
    expect(t.api.calls.map((c) => c.token)).toEqual([expect.stringMatching(/^access-4-/)]);
  });

  it('the API\u2019s 401 (RFC 6750 §3.1): one refresh and one retry with the new token; a second 401 is the API\u2019s answer', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    const tokens: string[] = [];
    t.api.answerWith((_request, token) => {
      tokens.push(token);
      return tokens.length === 1 ? { status: 401, headers: {}, body: Buffer.from('no') } : { status: 200, headers: {}, body: Buffer.from('yes') };
    });
    const answer = await proxy(t, cookies);
    expect([answer.statusCode, Buffer.from(answer.passThrough!.body).toString()]).toEqual([200, 'yes']);
    expect(tokens).toHaveLength(2);
    expect(tokens[0]).not.toBe(tokens[1]);
    expect(names(jar(answer.cookies))).toEqual([COOKIE_NAMES.session[1]]);

    t.api.answerWith(() => ({ status: 401, headers: { 'content-type': 'application/json' }, body: Buffer.from('{"message":"invalid_token"}') }));
    const refused = await proxy(t, jar(answer.cookies, cookies));
    expect(refused.statusCode).toBe(401);
    expect(t.api.calls).toHaveLength(4);
    expect(t.upstream.calls.filter((c) => c.grant === 'refresh_token')).toHaveLength(2);
  });

  it('no second refresh when the token was refreshed for this very call', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    t.clock.ms += 3600 * 1000;
    t.api.answerWith(() => ({ status: 401, headers: {}, body: Buffer.from('no') }));
    expect((await proxy(t, cookies)).statusCode).toBe(401);
    expect(t.upstream.calls.filter((c) => c.grant === 'refresh_token')).toHaveLength(1);
    expect(t.api.calls).toHaveLength(1);
  });

  it('a session SSO OIDC no longer refreshes is 401 session_expired, its slot cleared; no session at all is 401 before any call', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    t.upstream.live.clear();
    t.clock.ms += 3600 * 1000;
    const error = await rejected(proxy(t, cookies));
    expect([error.status, error.error]).toEqual([401, 'session_expired']);
    expect(cleared(error.cookies)).toEqual([COOKIE_NAMES.session[0]]);
    expect((await rejected(proxy(t, []))).status).toBe(401);
    expect(t.api.calls).toEqual([]);
  });
});

describe('what may be proxied', () => {
  it('an API not in TOKEN_BROKER_APIS is 404, a method not in its list 405, both before any call', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    expect((await rejected(proxy(t, cookies, 'GET', 'billing/x'))).status).toBe(404);
    const error = await rejected(proxy(t, cookies, 'DELETE'));
    expect([error.status, error.type, error.description]).toEqual([405, 'MethodNotAllowedException', 'The API "orders" takes GET, POST through the broker (TOKEN_BROKER_APIS).']);
    expect(t.api.calls).toEqual([]);
  });

  it.each([
    ['..', 'orders/../admin'],
    ['.', 'orders/./admin'],
    ['an encoded ..', 'orders/%2e%2E/admin'],
    ['an encoded slash', 'orders/a%2Fb'],
    ['an encoded backslash', 'orders/a%5Cb'],
    ['an empty segment', 'orders/a//b'],
    ['a control character', 'orders/a%0Ab'],
    ['bad percent-encoding', 'orders/%zz'],
  ])('a path with %s (RFC 3986 §5.2.4: it could leave the API\u2019s base) is refused, nothing sent', async (_name, path) => {
    const t = setup();
    const cookies = await signedIn(t);
    expect((await rejected(proxy(t, cookies, 'GET', path))).status).toBe(400);
    expect(t.api.calls).toEqual([]);
  });

  it('checkedApiPath keeps a path that stays below the base exactly as sent', () => {
    expect(checkedApiPath('items/a%20b/c.json')).toBe('items/a%20b/c.json');
    expect(checkedApiPath('')).toBeUndefined();
  });
});

describe('the header policy', () => {
  it('neither allow list names a header that never crosses: cookies, credentials, the CSRF header, hop-by-hop headers', () => {
    for (const name of NEVER_FORWARDED) {
      expect(REQUEST_HEADERS as readonly string[]).not.toContain(name);
      expect(ANSWER_HEADERS as readonly string[]).not.toContain(name);
    }
    expect(NEVER_FORWARDED).toEqual(expect.arrayContaining(['cookie', 'set-cookie', 'authorization', 'x-token-broker-csrf', 'location', 'cache-control']));
  });

  it('picks only allow-listed headers with plain values: no CR/LF, no oversized value', () => {
    const picked = pickHeaders(
      { accept: 'application/json', cookie: 'a=1', authorization: 'Bearer x', 'x-token-broker-csrf': '1', 'content-type': 'text/plain\r\nx-evil: 1', 'if-match': 'x'.repeat(3000), 'x-request-id': ['a', 'b'] },
      REQUEST_HEADERS,
    );
    expect(picked).toEqual({ accept: 'application/json', 'x-request-id': 'a, b' });
  });
});
