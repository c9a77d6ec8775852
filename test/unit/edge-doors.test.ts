// Two doors: the token routes answer the token-API origins (TOKEN_BROKER_ALLOWED_ORIGINS), the
// cookie-session routes the session origins (TOKEN_BROKER_SESSION_ORIGINS), and no route that
// acquires a token answers a session origin, so page script there can never obtain one of its own.
// And the bearer proxy's route as API Gateway matches it: a greedy path under ANY, its preflight, its
// raw body.

import { loadConfig } from '../../lambda/core/config.js';
import { CSRF_HEADER } from '../../lambda/edge/cors.js';
import { matchRoute, ROUTE_TABLE, ROUTES } from '../../lambda/edge/routes.js';
import { edgeOf } from '../helpers/edge.js';

const TOKENS_ORIGIN = 'https://tools.example.com';
const SESSION_ORIGIN = 'https://app.example.com';
const config = loadConfig({
  TOKEN_BROKER_SECRET_ID: 'registration',
  AWS_REGION: 'us-east-1',
  TOKEN_BROKER_GRANT_TYPES: 'authorization_code,refresh_token,urn:ietf:params:oauth:grant-type:device_code',
  TOKEN_BROKER_START_URL: 'https://d-1.awsapps.com/start',
  TOKEN_BROKER_ALLOWED_ORIGINS: TOKENS_ORIGIN,
  TOKEN_BROKER_REDIRECT_URIS: `${TOKENS_ORIGIN}/callback,${SESSION_ORIGIN}/`,
  TOKEN_BROKER_ISSUER: 'https://auth.example.com',
  TOKEN_BROKER_COOKIE_SESSIONS: 'on',
  TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: 'cookie-keys',
  TOKEN_BROKER_SESSION_ORIGINS: SESSION_ORIGIN,
  TOKEN_BROKER_APIS: 'orders=https://api.example.com/v1 GET PUT',
});

const ACQUIRING = ['token', 'deviceAuthorization', 'oauthToken', 'oauthDeviceAuthorization'] as const;
const contentType = (id: (typeof ACQUIRING)[number]) => (ROUTE_TABLE[id].body === 'form' ? 'application/x-www-form-urlencoded' : 'application/json');

describe('separate doors', () => {
  it('every token-acquiring route refuses a cookie-session origin, request and preflight alike, before its handler', async () => {
    expect(Object.entries(ROUTE_TABLE).filter(([, route]) => 'acquiresTokens' in route).map(([id]) => id).sort()).toEqual([...ACQUIRING].sort());
    const edge = edgeOf(config);
    for (const id of ACQUIRING) {
      const response = await edge.raw('POST', ROUTE_TABLE[id].path, { headers: { origin: SESSION_ORIGIN, 'content-type': contentType(id) }, body: id === 'token' ? '{}' : 'grant_type=x' });
      expect([id, response.statusCode, response.headers['x-amzn-ErrorType']]).toEqual([id, 403, 'ForbiddenOriginException']);
      expect(String(JSON.parse(String(response.body)).error_description ?? '')).toMatch(/uses cookie sessions/);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await edge.raw('OPTIONS', ROUTE_TABLE[id].path, { headers: { origin: SESSION_ORIGIN, 'access-control-request-method': 'POST' } });
      expect([id, preflight.statusCode]).toEqual([id, 403]);
    }
    expect(edge.calls).toEqual([]);
    // The token-API origin is still served there.
    expect((await edge.raw('POST', ROUTE_TABLE.token.path, { headers: { origin: TOKENS_ORIGIN, 'content-type': 'application/json' }, body: '{}' })).statusCode).toBe(200);
  });

  it('a session route refuses a token-API origin, and answers its own origin with credentials', async () => {
    const edge = edgeOf(config);
    const headers = { [CSRF_HEADER]: '1', 'content-type': 'application/json' };
    const refused = await edge.raw('POST', ROUTE_TABLE.bffRefresh.path, { headers: { ...headers, origin: TOKENS_ORIGIN }, body: '{}' });
    expect([refused.statusCode, refused.headers['access-control-allow-origin']]).toEqual([403, undefined]);
    // The refusal names the origin and the setting of this door, not the token-API origins' one.
    expect(JSON.parse(String(refused.body)).error_description).toBe(
      `The origin "${TOKENS_ORIGIN}" is not allowed to call the token broker: if it is yours, add it to TOKEN_BROKER_SESSION_ORIGINS (scheme, host and port exactly as the browser sends them).`,
    );
    const served = await edge.raw('POST', ROUTE_TABLE.bffRefresh.path, { headers: { ...headers, origin: SESSION_ORIGIN }, body: '{}' });
    expect(served.headers).toMatchObject({ 'access-control-allow-origin': SESSION_ORIGIN, 'access-control-allow-credentials': 'true' });
  });
});

describe('the bearer proxy route (API Gateway HTTP API route selection)', () => {
  it('ANY /bff/api/{name}/{proxy+} takes every method under an API\u2019s name; the most specific route wins; the greedy part must not be empty', () => {
    const all = Object.values(ROUTES);
    expect(matchRoute('PUT', '/bff/api/orders/items/1', all)).toBe(ROUTES.bffApi);
    expect(matchRoute('GET', '/bff/api/orders/x', all)).toBe(ROUTES.bffApi);
    // The proxy's path is more specific than OPTIONS /{proxy+}: the edge treats any OPTIONS as a preflight.
    expect(matchRoute('OPTIONS', '/bff/api/orders/x', all)).toBe(ROUTES.bffApi);
    expect(matchRoute('POST', '/bff/api/orders', all)).toBeUndefined();
    expect(matchRoute('OPTIONS', '/bff/api/orders', all)).toBe(ROUTES.preflight);
    // A full match beats a greedy one, a named method beats ANY.
    expect(matchRoute('POST', '/bff/refresh', all)).toBe(ROUTES.bffRefresh);
    expect(matchRoute('OPTIONS', '/bff/refresh', all)).toBe(ROUTES.preflight);
  });

  it('its preflight allows the API\u2019s own methods and the proxy\u2019s request headers, with credentials; an unknown API allows no method', async () => {
    const edge = edgeOf(config);
    const preflight = await edge.raw('OPTIONS', '/bff/api/orders/items/1', { headers: { origin: SESSION_ORIGIN, 'access-control-request-method': 'PUT' } });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers).toMatchObject({ 'access-control-allow-methods': 'GET, PUT', 'access-control-allow-credentials': 'true' });
    expect(preflight.headers['access-control-allow-headers']!.split(', ')).toEqual(expect.arrayContaining([CSRF_HEADER, 'content-type', 'accept', 'if-match']));
    const unknown = await edge.raw('OPTIONS', '/bff/api/billing/x', { headers: { origin: SESSION_ORIGIN, 'access-control-request-method': 'GET' } });
    expect(unknown.headers['access-control-allow-methods']).toBe('');
    expect(edge.calls).toEqual([]);
  });

  it('the handler gets the method, the path parameters as sent and the raw body, of any media type and up to 1 MiB', async () => {
    const edge = edgeOf(config);
    const body = Buffer.alloc(100 * 1024, 7);
    const response = await edge.raw('PUT', '/bff/api/orders/a%20b/c', {
      headers: { origin: SESSION_ORIGIN, [CSRF_HEADER]: '1', 'content-type': 'application/octet-stream' },
      body: body.toString('base64'),
      base64: true,
      query: 'x=1',
    });
    expect(response.statusCode).toBe(200);
    const [call] = edge.calls;
    expect(call!.request).toMatchObject({ method: 'PUT', pathParameters: { name: 'orders', proxy: 'a%20b/c' }, rawQuery: 'x=1' });
    expect(Buffer.compare(call!.request.body as Buffer, body)).toBe(0);
    const tooBig = await edge.raw('POST', '/bff/api/orders/x', { headers: { origin: SESSION_ORIGIN, [CSRF_HEADER]: '1' }, body: 'x'.repeat(1024 * 1024 + 1) });
    expect([tooBig.statusCode, tooBig.headers['x-amzn-ErrorType']]).toEqual([413, 'PayloadTooLargeException']);
  });

  it('is a session route: the CSRF header first, the session origin only', async () => {
    const edge = edgeOf(config);
    expect((await edge.raw('GET', '/bff/api/orders/x', { headers: { origin: SESSION_ORIGIN } })).headers['x-amzn-ErrorType']).toBe('CsrfHeaderRequiredException');
    expect((await edge.raw('GET', '/bff/api/orders/x', { headers: { origin: TOKENS_ORIGIN, [CSRF_HEADER]: '1' } })).statusCode).toBe(403);
    expect(edge.calls).toEqual([]);
  });

  it('a passed-on answer keeps its bytes (a view into a larger buffer: only its own) and allow-listed headers under the broker\u2019s security headers, readable by the session origin', async () => {
    const edge = edgeOf(config);
    edge.answerWith(async () => ({ statusCode: 418, passThrough: { headers: { 'content-type': 'image/png', etag: '"e"' }, body: Buffer.from([9, 0, 1, 2, 255, 9]).subarray(1, 5) }, cookies: [] }));
    const response = await edge.raw('GET', '/bff/api/orders/x', { headers: { origin: SESSION_ORIGIN, [CSRF_HEADER]: '1' } });
    expect(response.statusCode).toBe(418);
    expect(response.isBase64Encoded).toBe(true);
    expect([...Buffer.from(String(response.body), 'base64')]).toEqual([0, 1, 2, 255]);
    expect(response.headers).toMatchObject({ 'content-type': 'image/png', etag: '"e"', 'cache-control': 'no-store', 'access-control-allow-credentials': 'true' });
    expect(response.headers['access-control-expose-headers']).toContain('etag');
  });
});
