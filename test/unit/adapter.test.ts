// The local adapter matches the request path as API Gateway does: the raw path, never normalised.
// WHATWG URL parsing would read `//evil.example/token` as a host plus `/token`, and resolve
// `/token/../token` to `/token`; API Gateway routes neither to POST /token.
import http from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { requestTarget, startLocalApi, type LocalApi } from '../../local/adapter.js';
import { ROUTES } from '../../lambda/edge/routes.js';

let api: LocalApi;
const seen: APIGatewayProxyEventV2[] = [];

beforeAll(async () => {
  api = await startLocalApi({
    routes: [ROUTES.token, ROUTES.client, ROUTES.preflight],
    handler: async (event) => {
      seen.push(event);
      return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    },
  });
});

afterAll(async () => {
  await api.close();
});

/** Sends `path` byte for byte (fetch and URL would normalise it first). */
function send(method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port: api.port, method, path, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the local adapter routes the raw path, as API Gateway does', () => {
  it.each([
    ['POST', '//evil.example/token'],
    ['POST', '/token/../token'],
    ['POST', '/x/../token'],
    ['POST', '/./token'],
    ['POST', '/token/.'],
    ['POST', '//token'],
    ['POST', '/%74oken'],
    ['GET', '//client'],
    ['OPTIONS', '/'],
  ])('%s %s is not found, and the handler never sees it', async (method, path) => {
    const before = seen.length;
    expect(await send(method, path)).toBe(404);
    expect(seen.length).toBe(before);
  });

  it('POST /token with a query reaches the handler with the raw path and query', async () => {
    expect(await send('POST', '/token?a=1&a=2&b=%2F')).toBe(200);
    const event = seen.at(-1)!;
    expect([event.routeKey, event.rawPath, event.rawQueryString, event.requestContext.http.path]).toEqual([
      'POST /token',
      '/token',
      'a=1&a=2&b=%2F',
      '/token',
    ]);
    expect(event.queryStringParameters).toEqual({ a: '1,2', b: '/' });
  });

  it('OPTIONS on any path reaches the preflight route with that path as sent', async () => {
    expect(await send('OPTIONS', '/token/../client')).toBe(200);
    expect([seen.at(-1)!.routeKey, seen.at(-1)!.rawPath]).toEqual(['OPTIONS /{proxy+}', '/token/../client']);
  });
});

describe('requestTarget', () => {
  it('splits the path and the query without decoding or resolving anything', () => {
    expect(requestTarget('/a/../b//c?x=%20')).toEqual({ pathname: '/a/../b//c', search: '?x=%20' });
    expect(requestTarget('/token')).toEqual({ pathname: '/token', search: '' });
  });

  it('refuses targets that are not paths (absolute-form, asterisk-form)', () => {
    expect(requestTarget('http://evil.example/token')).toBeUndefined();
    expect(requestTarget('*')).toBeUndefined();
  });
});
