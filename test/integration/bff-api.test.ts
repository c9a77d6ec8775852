// The bearer proxy (/bff/api/{name}/{proxy+}) against the broker as `npm start` runs it and a real
// API on 127.0.0.1 (local/demo-api.ts) that accepts only a live access token (it asks the access
// portal emulator) and echoes what it received: the session's token added, an allow list of headers
// each way (never the browser's Cookie or the CSRF header upstream, never the API's Set-Cookie,
// caching or redirect headers back), bodies passed on as they came and bounded both ways, one refresh
// and one retry on the API's 401, the broker's own 502/504 when the API fails, within the request's
// deadline, and no token, cookie or body in the broker's logs.

import http from 'node:http';
import { generateCookieKey } from '../../lambda/core/cookie-keys.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { startDemoApi, type DemoApi } from '../../local/demo-api.js';
import { bff, CookieJar, openBrokerCookies, pageUrlAfterSignIn } from '../helpers/bff.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';
import { frontDoorEnv, LOOPBACK_CALLBACK } from '../helpers/front-door.js';

const ORIGIN = 'https://app.example.com';
const KEYS_SECRET = 'bff-api/cookie-keys';
let environment: Environment;
let api: DemoApi;
let jar: CookieJar;
const sensitive = new Set<string>();

beforeAll(async () => {
  // The API first: its URL goes into TOKEN_BROKER_APIS. Its portal is the emulator started with the environment.
  const portal = { url: '' };
  api = await startDemoApi({ get portalUrl() { return portal.url; } } as { portalUrl: string });
  environment = await startEnvironment({
    name: 'bff-api',
    redirectUri: `${ORIGIN}/`,
    extraRedirectUris: [LOOPBACK_CALLBACK],
    oidc: { rotateRefreshTokens: true },
    brokerEnv: frontDoorEnv({
      TOKEN_BROKER_SESSION_ORIGINS: ORIGIN,
      TOKEN_BROKER_COOKIE_SESSIONS: 'on',
      TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: KEYS_SECRET,
      TOKEN_BROKER_APIS: `orders=${api.url}/v1 GET POST`,
      TOKEN_BROKER_API_TIMEOUT_MS: '1000',
    }),
  });
  portal.url = environment.oidc.url;
  const key = generateCookieKey();
  sensitive.add(key.key);
  environment.secrets.putSecret(KEYS_SECRET, JSON.stringify(key));
  jar = new CookieJar();
  const start = await call(ROUTES.bffLoginStart);
  const end = await call(ROUTES.bffLoginEnd, { body: { pageUrl: await pageUrlAfterSignIn(String(start.body.authorizationUrl)) } });
  expect(end.status).toBe(200);
});

afterAll(async () => {
  await environment?.stop();
  await api?.stop();
});

function call(route: string, options: { body?: unknown } = {}) {
  return bff(environment.broker.url, route, jar, { origin: ORIGIN, ...options }).then((answer) => {
    for (const cookie of answer.setCookies) sensitive.add(cookie.split(';')[0]!.split('=')[1]!);
    sensitive.delete('');
    return answer;
  });
}

/** A request to the proxy as a page sends it: the session cookies, the CSRF header, its Origin. */
async function proxy(path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}) {
  const response = await fetch(`${environment.broker.url}/bff/api/${path}`, {
    method: init.method ?? 'GET',
    headers: { origin: ORIGIN, 'x-token-broker-csrf': '1', cookie: jar.header(), ...init.headers },
    ...(init.body === undefined ? {} : { body: typeof init.body === 'string' ? init.body : new Uint8Array(init.body) }),
  });
  const body = Buffer.from(await response.arrayBuffer());
  jar.apply(response.headers.getSetCookie());
  return { status: response.status, headers: response.headers, body, text: body.toString('utf8') };
}

/** A GET with the path exactly as written: fetch's URL parser would resolve `%2e%2e` before sending. */
function rawGet(path: string): Promise<number> {
  const target = new URL(environment.broker.url);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: target.hostname, port: target.port, path, headers: { origin: ORIGIN, 'x-token-broker-csrf': '1', cookie: jar.header() } }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', reject);
    request.end();
  });
}

const refreshes = (): number => environment.oidc.calls.filter((c) => c.path === '/token' && c.grantType === 'refresh_token').length;

describe('the session\u2019s access token, added by the broker', () => {
  it('reaches the API as a live bearer token; the API gets allow-listed headers only, the page gets the API\u2019s answer with allow-listed headers only', async () => {
    const before = api.calls.length;
    const answer = await proxy('orders/items/7?page=2&q=a%20b', {
      headers: { accept: 'application/json', 'x-request-id': 'req-1', referer: 'https://app.example.com/page', 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer page-made-this-up', 'x-custom': 'no' },
    });
    expect(answer.status).toBe(200);
    const [received] = api.calls.slice(before);
    expect(received).toMatchObject({ method: 'GET', path: '/v1/items/7', query: 'page=2&q=a%20b', bearer: 'live' });
    // Node's fetch adds accept-language itself: allow-listed, so it crosses.
    expect(Object.keys(received!.headers).sort()).toEqual(['accept', 'accept-encoding', 'accept-language', 'connection', 'host', 'x-request-id']);
    expect(received!.headers['accept-encoding']).toBe('identity');
    // The token the API accepted is the session's, never one the page could have made up.
    const opener = await openBrokerCookies(environment.secrets.url, KEYS_SECRET);
    const session = (await opener.session([...jar.cookies].map(([name, value]) => `${name}=${value}`)))!;
    expect(api.acceptedTokens.at(-1)).toBe(session.at);
    sensitive.add(session.at).add(session.rt!);
    // Back: the API's body and allow-listed headers; never its Set-Cookie, caching or redirect headers.
    expect(JSON.parse(answer.text)).toMatchObject({ ok: true, path: '/v1/items/7' });
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('etag')).toBe('"v1"');
    expect(answer.headers.get('x-request-id')).toBe('demo-api-1');
    expect(answer.headers.get('location')).toBeNull();
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.headers.getSetCookie().filter((cookie) => cookie.includes('api-session'))).toEqual([]);
    expect(answer.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  it('never forwards the browser\u2019s cookies or the CSRF header (GHSA-vvg7-p7jw-8qr3)', async () => {
    const before = api.calls.length;
    await proxy('orders/x', { headers: { cookie: `${jar.header()}; theme=dark` } });
    const [received] = api.calls.slice(before);
    expect(received!.headers).not.toHaveProperty('cookie');
    expect(received!.headers).not.toHaveProperty('x-token-broker-csrf');
    expect(received!.headers).not.toHaveProperty('origin');
  });

  it('passes a body on as it came, any media type', async () => {
    const before = api.calls.length;
    const body = JSON.stringify({ item: 'é', n: [1, 2, 3] });
    const answer = await proxy('orders/items', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body });
    expect(answer.status).toBe(200);
    expect(api.calls.slice(before)[0]).toMatchObject({ method: 'POST', body, headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(body)) } });
  });

  it('the API\u2019s 401 (RFC 6750 §3.1): one refresh, one retry with the new token, and the new session cookies in the answer', async () => {
    const before = { calls: api.calls.length, refreshes: refreshes() };
    api.injectFault({ kind: 'status', status: 401, body: '{"message":"invalid_token"}' });
    const answer = await proxy('orders/x');
    expect(answer.status).toBe(200);
    expect(api.calls.length - before.calls).toBe(2);
    expect(refreshes() - before.refreshes).toBe(1);
    expect(answer.headers.getSetCookie().some((cookie) => cookie.startsWith('__Secure-token-broker-session-1='))).toBe(true);
    // And the session lives on with its rotated refresh token.
    expect((await proxy('orders/y')).status).toBe(200);
  });

  it('a 401 that survives the refresh is the API\u2019s own answer, passed on; one refresh, not two', async () => {
    const before = refreshes();
    api.injectFault({ kind: 'status', status: 401, body: '{"message":"no"}' });
    api.injectFault({ kind: 'status', status: 401, body: '{"message":"still no"}' });
    const answer = await proxy('orders/x');
    expect([answer.status, answer.text]).toEqual([401, '{"message":"still no"}']);
    expect(answer.headers.get('x-amzn-errortype')).toBeNull();
    expect(refreshes() - before).toBe(1);
  });
});

describe('what the proxy refuses, before anything is sent', () => {
  it('an unknown API (404), a method the API does not allow (405), a path that could leave the API\u2019s base (400), a body over 1 MiB (413)', async () => {
    const before = api.calls.length;
    expect((await proxy('billing/x')).status).toBe(404);
    const put = await proxy('orders/x', { method: 'PUT', body: '{}' });
    expect([put.status, put.headers.get('x-amzn-errortype')]).toEqual([405, 'MethodNotAllowedException']);
    expect(await rawGet('/bff/api/orders/%2e%2e/admin')).toBe(400);
    expect(await rawGet('/bff/api/orders/a%2Fb')).toBe(400);
    const big = await proxy('orders/x', { method: 'POST', body: Buffer.alloc(1024 * 1024 + 1, 0x61) });
    expect([big.status, big.headers.get('x-amzn-errortype')]).toEqual([413, 'PayloadTooLargeException']);
    expect(api.calls.length).toBe(before);
  });
});

describe('an API that fails: the broker\u2019s own 502 and 504', () => {
  it('too slow: 504 GatewayTimeoutException after TOKEN_BROKER_API_TIMEOUT_MS, in the broker\u2019s shape', async () => {
    api.injectFault({ kind: 'delay', ms: 3000 });
    const answer = await proxy('orders/slow');
    expect([answer.status, answer.headers.get('x-amzn-errortype')]).toEqual([504, 'GatewayTimeoutException']);
    expect(JSON.parse(answer.text)).toEqual({ __type: 'GatewayTimeoutException', error: 'temporarily_unavailable', error_description: 'The API did not answer within 1000 ms.', message: 'The API did not answer within 1000 ms.' });
  });

  it('no answer at all: 502 BadGatewayException, the API could not be reached', async () => {
    api.injectFault({ kind: 'drop' });
    const answer = await proxy('orders/x');
    expect([answer.status, JSON.parse(answer.text).error_description]).toEqual([502, 'The API could not be reached.']);
  });

  it('an answer over 1 MiB: 502, not read further', async () => {
    api.injectFault({ kind: 'large', bytes: 2 * 1024 * 1024 });
    const answer = await proxy('orders/x');
    expect([answer.status, JSON.parse(answer.text).error_description]).toEqual([502, 'The API gave an answer larger than the broker passes on.']);
  });

  it('the API\u2019s own 5xx is its answer, passed on', async () => {
    api.injectFault({ kind: 'status', status: 503, body: 'maintenance' });
    const answer = await proxy('orders/x');
    expect([answer.status, answer.text]).toEqual([503, 'maintenance']);
  });
});

describe('logs', () => {
  it('name the API and its status, never a token, cookie value or key', () => {
    const output = environment.broker.output();
    const lines = environment.broker.logs().filter((line) => line.route === ROUTES.bffApi);
    expect(lines.length).toBeGreaterThan(8);
    expect(lines.find((line) => line.status === 504)).toMatchObject({ api: 'orders', detail: 'API orders: no answer within 1000 ms' });
    expect(lines.find((line) => line.status === 200)).toMatchObject({ api: 'orders', apiStatus: 200 });
    expect([...sensitive].filter((value) => output.includes(value))).toEqual([]);
    expect(output).not.toContain('invalid_token');
  });
});
