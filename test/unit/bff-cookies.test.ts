// The token handler's cookies (lambda/surfaces/bff/cookies.ts, session-cookie.ts): RFC 6265bis
// attributes, one sealed payload split into chunks under the browsers' and API Gateway's limits for
// any realistic token size, a clear error for a token set too big even for chunks, and planted or
// damaged cookies: a junk value beside a valid one is ignored, junk alone ends the session cleanly.

import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { BrokerError } from '../../lambda/core/errors.js';
import { seal, sealBytes, unsealBytes } from '../../lambda/core/seal.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { brokerCookies, clearAllCookies, cookiePaths, COOKIE_NAMES, MAX_COOKIE_BYTES, SESSION_CHUNK_NAMES, setCookie } from '../../lambda/surfaces/bff/cookies.js';
import { MAX_SESSION_COOKIE_BYTES, readSession, sealSession, sessionSetCookies, type SessionState } from '../../lambda/surfaces/bff/session-cookie.js';
import { cleared, ISSUER, jar, key1, key2, names, NOW, REDIRECT, rejected, setup } from '../helpers/bff-unit.js';

const paths = cookiePaths('');
const state = (over: Partial<SessionState> = {}): SessionState => ({ v: 2, g: 0, rt: 'refresh-x', c: 'client-1', sc: 'sso:account:access', exp: NOW + 3600, at: 'access-x', ate: NOW + 3600, ...over });
/** Random base64url text, as SSO OIDC's tokens look (and as incompressible). */
const token = (prefix: string, chars: number): string => {
  let text = prefix;
  while (text.length < chars) text += Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString('base64url');
  return text.slice(0, chars);
};
const keyFor = async (id: string | undefined) => [key1, key2].find((key) => key.id === id);
const write = (s: SessionState, present: readonly string[] = []) =>
  sessionSetCookies(s, key1, { paths, nowSeconds: NOW, present: brokerCookies(present), clearOther: true });
const read = (cookies: readonly string[]) => readSession(brokerCookies(cookies), keyFor, NOW);

describe('cookies (RFC 6265bis)', () => {
  it('§4.1.2: every session chunk is HttpOnly, Secure, SameSite=Strict, Path=/bff, with the session\u2019s Max-Age; §4.1.3.1 __Secure- prefix', () => {
    const set = write(state({ rt: token('aor', 4096), at: token('aoa', 2048) }));
    expect(set.length).toBeGreaterThan(1);
    for (const cookie of set) expect(cookie).toMatch(/^__Secure-token-broker-session-0(\.\d)?=[^;]+; Path=\/bff; Max-Age=3600; HttpOnly; Secure; SameSite=Strict$/);
  });

  it('follow the issuer path when the broker is not at the domain root', () => {
    expect(cookiePaths('/broker/')).toEqual({ session: '/broker/bff', login: '/broker/bff/login/end' });
    expect(clearAllCookies(cookiePaths('/broker'))).toHaveLength(1 + 2 * SESSION_CHUNK_NAMES[0].length);
  });

  it('§5.6: a cookie of 4096 bytes or more is refused with a 500 that names only its size', () => {
    let error: unknown;
    try {
      setCookie(COOKIE_NAMES.session[0], 'v'.repeat(MAX_COOKIE_BYTES), '/bff', 60);
    } catch (caught) {
      error = caught;
    }
    expect((error as BrokerError).status).toBe(500);
    expect((error as BrokerError).logDetail).toMatch(/^__Secure-token-broker-session-0 would be \d+ bytes/);
  });

  it('reads only the broker cookies from payload 2.0 `cookies`, chunks included, every value of a repeated name', () => {
    const found = brokerCookies(['other=1', '__Secure-token-broker-session-0=a', ' __Secure-token-broker-session-0=b', '__Secure-token-broker-session-1.2=c', 'bad']);
    expect([...found.entries()]).toEqual([
      ['__Secure-token-broker-session-0', ['a', 'b']],
      ['__Secure-token-broker-session-1.2', ['c']],
    ]);
  });
});

describe('one sealed payload, in chunks', () => {
  it('holds SSO OIDC\u2019s raw tokens, the client id, scope, generation and expiry, sealed once: a small session is one cookie of its tokens\u2019 size', () => {
    const small = state({ rt: token('aor', 67), at: token('aoa', 67) });
    const [cookie, ...rest] = write(small);
    expect(rest).toEqual([]);
    // Two tokens of 67 characters make a cookie of under 450 bytes with its name and attributes (sealed twice,
    // one such refresh token alone made 494).
    expect(Buffer.byteLength(cookie!)).toBeLessThan(450);
  });

  it.each([1024, 2048, 3072, 4096])(
    'a %i-character refresh token with a 2,048-character access token and a 300-character scope: every Set-Cookie under 4,096 bytes, all of them within %s',
    async (refreshChars) => {
      const big = state({ rt: token('aor', refreshChars), at: token('aoa', 2048), sc: Array.from({ length: 25 }, (_, i) => `sso:app:scope-${i}`).join(' ').slice(0, 300) });
      expect(big.sc.length).toBe(300);
      const set = write(big);
      for (const cookie of set) expect(Buffer.byteLength(cookie)).toBeLessThan(MAX_COOKIE_BYTES);
      const pairs = jar(set);
      expect(Buffer.byteLength(pairs.join('; '))).toBeLessThanOrEqual(MAX_SESSION_COOKIE_BYTES);
      expect(names(pairs)).toEqual(SESSION_CHUNK_NAMES[0].slice(0, pairs.length));
      expect((await read(pairs)).best?.state).toEqual(big);
    },
  );

  it('a token set too big even for chunks is a clear error whose log line names the sizes, never the values', () => {
    const huge = state({ rt: token('aor', 8000), at: token('aoa', 4000) });
    let error: BrokerError | undefined;
    try {
      write(huge);
    } catch (caught) {
      error = caught as BrokerError;
    }
    expect([error?.status, error?.type]).toEqual([500, 'SessionTooLargeException']);
    expect(error?.description).toMatch(/too large to keep in the session cookies/);
    expect(error?.logDetail).toMatch(/refresh token 8000 characters, access token 4000, scope 18/);
    expect(`${error?.description} ${error?.logDetail}`).not.toContain(huge.rt!.slice(0, 20));
  });

  it('clears the chunks the request carried that the new session no longer needs, and the other slot\u2019s', () => {
    const before = jar(write(state({ rt: token('aor', 4096), at: token('aoa', 2048) })));
    expect(before.length).toBe(2);
    const next = write(state({ g: 0 }), [...before, `${COOKIE_NAMES.session[1]}=old`]);
    expect(names(jar(next))).toEqual([COOKIE_NAMES.session[0]]);
    expect(cleared(next).sort()).toEqual([COOKIE_NAMES.session[1], `${COOKIE_NAMES.session[0]}.1`].sort());
  });

  it('chunks cannot be mixed or moved: another seal\u2019s chunk, or a chunk under another slot\u2019s name, opens as nothing', async () => {
    const a = jar(write(state({ rt: token('aor', 4096), at: token('aoa', 2048) })));
    const b = jar(write(state({ rt: token('aor', 4096), at: token('aoa', 2048) })));
    expect((await read([a[0]!, b[1]!])).best).toBeUndefined();
    const moved = a.map((pair) => pair.replace(COOKIE_NAMES.session[0], COOKIE_NAMES.session[1]));
    expect(await read(moved)).toEqual({ unusable: true });
  });
});

// zlib's output chunks are an implementation detail (session-cookie.ts takes them from Node's Buffer
// pool): the deflate stream is the same bytes, so sessions written before open now, and sessions
// written now open in a release that rolls back.
describe('the sealed format across releases', () => {
  const sealedAsBefore = (s: SessionState): string =>
    sealBytes(deflateRawSync(Buffer.from(JSON.stringify(s), 'utf8'), { level: 1 }), key1, COOKIE_NAMES.session[0]);

  it('a session sealed with zlib’s default output chunks opens, small or a few kilobytes', async () => {
    for (const s of [state(), state({ rt: token('aor', 1800), at: token('aoa', 900) })]) {
      const read1 = await read([`${COOKIE_NAMES.session[0]}=1~${sealedAsBefore(s)}`]);
      expect(read1.best?.state).toEqual(s);
    }
  });

  it('a session sealed now holds the same deflate stream, and inflates with zlib’s defaults', () => {
    // A long scope repeats itself: deflate's matching, not only its Huffman coding, is in the stream.
    const scope = Array.from({ length: 30 }, (_, i) => `sso:account:access app-${i}:read app-${i}:write`).join(' ');
    for (const s of [state({ sc: scope }), state({ rt: token('aor', 4096), at: token('aoa', 2048), sc: scope })]) {
      const plain = unsealBytes(sealSession(s, key1), key1, COOKIE_NAMES.session[0])!;
      expect(plain.equals(deflateRawSync(Buffer.from(JSON.stringify(s), 'utf8'), { level: 1 }))).toBe(true);
      expect(JSON.parse(inflateRawSync(plain).toString('utf8'))).toEqual(s);
    }
  });
});

describe('planted and damaged cookies', () => {
  async function signedIn() {
    const t = setup({ sizes: { refreshTokenChars: 4096, accessTokenChars: 2048 } });
    const start = await t.call(ROUTES.bffLoginStart, {});
    const url = new URL((start.body as { authorizationUrl: string }).authorizationUrl);
    const pageUrl = `${REDIRECT}?code=good-code&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}`;
    const end = await t.call(ROUTES.bffLoginEnd, { pageUrl }, jar(start.cookies));
    return { t, cookies: jar(end.cookies) };
  }

  it.each([
    ['a junk value of the first chunk', (cookies: string[]) => [`${COOKIE_NAMES.session[0]}=junk`, ...cookies]],
    ['a junk value of the second chunk', (cookies: string[]) => [...cookies, `${COOKIE_NAMES.session[0]}.1=junk`]],
    ['a planted session of another key under both names', (cookies: string[]) => [...cookies, `${COOKIE_NAMES.session[0]}=2~${sealSession(state(), key2).slice(0, 30)}`, `${COOKIE_NAMES.session[0]}.1=x`]],
    ['a planted cookie in the other slot', (cookies: string[]) => [`${COOKIE_NAMES.session[1]}=1~planted.value`, ...cookies]],
    ['a cookie of the previous format (sealed JSON, version 1)', (cookies: string[]) => [`${COOKIE_NAMES.session[1]}=${seal({ v: 1, g: 1, rt: 'old', exp: NOW + 60 }, key1, COOKIE_NAMES.session[1])}`, ...cookies]],
  ])('%s beside a valid session: the session survives and refreshes', async (_name, plant) => {
    const { t, cookies } = await signedIn();
    expect(cookies.length).toBe(2);
    const planted = plant(cookies);
    expect((await t.call(ROUTES.bffSession, {}, planted)).body).toMatchObject({ isLoggedIn: true });
    const refreshed = await t.call(ROUTES.bffRefresh, {}, planted);
    expect(refreshed.statusCode).toBe(200);
    // The new generation goes to slot 1, and slot 0 (ours, and the planted values with it) is cleared: never the other way round.
    expect(names(jar(refreshed.cookies)).every((name) => name.startsWith(COOKIE_NAMES.session[1]))).toBe(true);
  });

  it('a junk login cookie beside the real one: the sign-in completes', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const url = new URL((start.body as { authorizationUrl: string }).authorizationUrl);
    const pageUrl = `${REDIRECT}?code=good-code&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}`;
    const end = await t.call(ROUTES.bffLoginEnd, { pageUrl }, [`${COOKIE_NAMES.login}=junk`, ...jar(start.cookies)]);
    expect(end.statusCode).toBe(200);
  });

  it.each([
    ['tampered', (v: string) => `${v.slice(0, -5)}${v.slice(-5, -4) === 'A' ? 'B' : 'A'}${v.slice(-4)}`],
    ['truncated', (v: string) => v.slice(0, v.length - 10)],
    ['empty', () => ''],
    ['not sealed at all', () => 'hello'],
    ['previous-format (version 1, before sealing once)', () => seal({ v: 1, g: 0, rt: 'old', exp: NOW + 60 }, key1, COOKIE_NAMES.session[0])],
  ])('a %s session cookie alone is 401 session_expired, every broker cookie cleared, nothing sent upstream', async (_name, damage) => {
    const { t, cookies } = await signedIn();
    const [first, ...rest] = cookies;
    const damaged = [`${COOKIE_NAMES.session[0]}=${damage(first!.slice(first!.indexOf('=') + 1))}`, ...rest];
    for (const route of [ROUTES.bffSession, ROUTES.bffRefresh]) {
      const error = await rejected(t.call(route, {}, damaged));
      expect([error.status, error.error]).toEqual([401, 'session_expired']);
      expect(cleared(error.cookies)).toEqual(expect.arrayContaining([COOKIE_NAMES.login, ...SESSION_CHUNK_NAMES[0], ...SESSION_CHUNK_NAMES[1]]));
    }
    expect(t.upstream.calls.filter((c) => c.grant === 'refresh_token')).toEqual([]);
  });

  it('a login cookie presented as a session cookie (the cookie name is authenticated data)', async () => {
    const t = setup();
    const start = await t.call(ROUTES.bffLoginStart, {});
    const loginValue = jar(start.cookies)[0]!.split('=')[1]!;
    const error = await rejected(t.call(ROUTES.bffRefresh, {}, [`${COOKIE_NAMES.session[0]}=1~${loginValue}`]));
    expect([error.status, error.error]).toEqual([401, 'session_expired']);
  });
});
