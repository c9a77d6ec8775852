// The edge (lambda/edge/) composed as lambda/handler.ts composes it, around a fake route handler, and
// driven with API Gateway payload 2.0 events: routing (404), the guards in their order (CSRF header,
// origin, size) and the CORS preflight, the bodies each route is given, every answer and error
// written in its route's format with the security headers, and the request's one log line.

import { jest } from '@jest/globals';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Audit } from '../../lambda/core/audit.js';
import { loadConfig, type BrokerConfig } from '../../lambda/core/config.js';
import { brokerError, upstreamError } from '../../lambda/core/errors.js';
import { metrics } from '../../lambda/core/telemetry.js';
import { answers } from '../../lambda/edge/answers.js';
import { bodies, routeRequestOf } from '../../lambda/edge/bodies.js';
import { CSRF_HEADER } from '../../lambda/edge/cors.js';
import { guards, MAX_BODY_BYTES } from '../../lambda/edge/guards.js';
import { requestLog } from '../../lambda/edge/request-log.js';
import type { HttpResponse } from '../../lambda/edge/responses.js';
import { featuresOf, matchRoute, ROUTE_TABLE, routeIdOf, routeKeysFor, ROUTES, type RouteId } from '../../lambda/edge/routes.js';
import { routing, type BrokerContext } from '../../lambda/edge/routing.js';
import type { Answer, RouteRequest } from '../../lambda/surfaces/answer.js';

const ORIGIN = 'https://app.example.com';
/** The cookie-session SPA's origin: a door of its own (TOKEN_BROKER_SESSION_ORIGINS). */
const SESSION_ORIGIN = 'https://spa.example.com';
const FOREIGN = 'https://evil.example';
const ISSUER = 'https://auth.example.com';
const BASE_ENV = { TOKEN_BROKER_SECRET_ID: 'registration', AWS_REGION: 'us-east-1', TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN };

/** Every surface on: front door and cookie sessions (the default grants: no device routes). */
const FULL = loadConfig({
  ...BASE_ENV,
  TOKEN_BROKER_REDIRECT_URIS: `${ORIGIN}/callback,${SESSION_ORIGIN}/`,
  TOKEN_BROKER_ISSUER: ISSUER,
  TOKEN_BROKER_COOKIE_SESSIONS: 'on',
  TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: 'cookie-keys',
  TOKEN_BROKER_SESSION_ORIGINS: SESSION_ORIGIN,
  TOKEN_BROKER_APIS: 'orders=https://api.example.com/v1 GET PUT',
});
/** The AWS JSON dialect only. */
const PLAIN = loadConfig(BASE_ENV);

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'referrer-policy': 'no-referrer',
};

interface Sent {
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly base64?: boolean;
  readonly query?: string;
  readonly cookies?: string[];
}

/** A payload 2.0 event as API Gateway (and local/adapter.ts toEvent) builds it; routeKey as the full table matches. */
function eventFor(method: string, path: string, sent: Sent = {}): APIGatewayProxyEventV2 {
  const routeKey = matchRoute(method, path, Object.values(ROUTES)) ?? '$default';
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: sent.query ?? '',
    ...(sent.cookies === undefined ? {} : { cookies: sent.cookies }),
    headers: sent.headers ?? {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      domainName: 'auth.example.com',
      domainPrefix: 'auth',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
      requestId: 'apigw-1',
      routeKey,
      stage: '$default',
      time: '05/Dec/2026:17:49:31 +0000',
      timeEpoch: 1_796_000_000_000,
    },
    ...(sent.body === undefined ? {} : { body: sent.body }),
    isBase64Encoded: sent.base64 ?? false,
  };
}

let invocation = 0;
function lambdaContext(): BrokerContext {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'token-broker-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:token-broker-test',
    memoryLimitInMB: '1024',
    awsRequestId: `lambda-request-${++invocation}`,
    logGroupName: '/aws/lambda/token-broker-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 25_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as unknown as BrokerContext;
}

type FakeHandler = (request: RouteRequest, audit: Audit) => Promise<Answer>;

/** The edge around a fake handler, composed as lambda/handler.ts composes it. */
function edgeOf(config: BrokerConfig) {
  const calls: { route: RouteId; request: RouteRequest }[] = [];
  let respond: FakeHandler = async () => ({ statusCode: 200, body: { ok: true } });
  const routes = routeKeysFor(config.grantTypes, featuresOf(config)).map((key) => routeIdOf(key)!);
  const handler = middy<APIGatewayProxyEventV2, unknown, Error, BrokerContext>()
    .use(logMetrics(metrics))
    .use(requestLog(config))
    .use(answers(config))
    .use(routing(routes))
    .use(guards(config))
    .use(bodies())
    .handler((event, context) => {
      const request = routeRequestOf(event, context);
      calls.push({ route: context.route, request });
      return respond(request, context.audit);
    });
  const invoke = async (event: APIGatewayProxyEventV2, context = lambdaContext()) => (await handler(event, context)) as HttpResponse;
  return {
    calls,
    answerWith(fake: FakeHandler) {
      respond = fake;
    },
    /** A request to one route of the table, by its id. */
    send: (id: RouteId, sent: Sent = {}) => invoke(eventFor(ROUTE_TABLE[id].method, ROUTE_TABLE[id].path, sent)),
    raw: (method: string, path: string, sent: Sent = {}) => invoke(eventFor(method, path, sent)),
    invoke,
  };
}

const json = (response: HttpResponse): Record<string, unknown> => JSON.parse(String(response.body)) as Record<string, unknown>;
const sessionHeaders = (extra: Record<string, string> = {}) => ({ origin: SESSION_ORIGIN, [CSRF_HEADER]: '1', 'content-type': 'application/json', ...extra });
const preflightHeaders = (origin?: string) => ({
  ...(origin === undefined ? {} : { origin }),
  'access-control-request-method': 'POST',
  'access-control-request-headers': 'content-type',
});

// ---- what the process writes: the request's EMF line (and the Logger's lines) ----

let output = '';
const restore: (() => void)[] = [];
beforeEach(() => {
  output = '';
  for (const stream of [process.stdout, process.stderr]) {
    const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      output += String(chunk);
      return true;
    });
    restore.push(() => spy.mockRestore());
  }
});
afterEach(() => {
  while (restore.length > 0) restore.pop()!();
});

type LogRecord = Record<string, unknown>;
const records = (): LogRecord[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogRecord);
/** The per-request lines: EMF records that carry the request's log fields. */
const requestLines = (): LogRecord[] => records().filter((r) => '_aws' in r && /^request (completed|failed)$/.test(String(r.message)));

describe('routing: the request\'s row of the route table, or 404', () => {
  it('answers 404 for a route of the table the configuration does not enable, without calling the handler', async () => {
    const edge = edgeOf(PLAIN);
    for (const id of ['deviceAuthorization', 'oauthToken', 'oauthAuthorize', 'bffRefresh'] as const) {
      const response = await edge.send(id, { headers: { 'content-type': 'application/json', [CSRF_HEADER]: '1' }, body: '{}' });
      expect([id, response.statusCode, response.headers['x-amzn-ErrorType']]).toEqual([id, 404, 'NotFoundException']);
      // A 404 knows no route: it is written in the AWS dialect, whatever the row would have said.
      expect(json(response)).toEqual({
        __type: 'NotFoundException',
        error: 'invalid_request',
        error_description: 'The token broker has no such route.',
        message: 'The token broker has no such route.',
      });
    }
    expect(edge.calls).toEqual([]);
  });

  it('answers 404 for a route key the table does not have', async () => {
    const edge = edgeOf(FULL);
    const response = await edge.raw('GET', '/admin');
    expect([response.statusCode, response.headers['x-amzn-ErrorType']]).toEqual([404, 'NotFoundException']);
    expect(edge.calls).toEqual([]);
  });

  it('answers 404 to a preflight for a path no enabled route has (a readable 404, not a CORS failure later)', async () => {
    const edge = edgeOf(PLAIN);
    for (const path of ['/nowhere', ROUTE_TABLE.deviceAuthorization.path, ROUTE_TABLE.bffRefresh.path, `${ROUTE_TABLE.token.path}/`]) {
      const response = await edge.raw('OPTIONS', path, { headers: preflightHeaders(ORIGIN) });
      expect([path, response.statusCode, response.headers['x-amzn-ErrorType']]).toEqual([path, 404, 'NotFoundException']);
    }
    expect((await edge.raw('OPTIONS', ROUTE_TABLE.token.path, { headers: preflightHeaders(ORIGIN) })).statusCode).toBe(204);
  });

  it('calls the handler of the route the event names, with the route id in the context', async () => {
    const edge = edgeOf(FULL);
    await edge.send('client');
    await edge.send('oauthMetadata');
    expect(edge.calls.map((call) => call.route)).toEqual(['client', 'oauthMetadata']);
  });
});

describe('guards: the CSRF header on session routes first, then the origin, then the size', () => {
  it('refuses a session route without the CSRF header before looking at the origin', async () => {
    const edge = edgeOf(FULL);
    const response = await edge.send('bffRefresh', { headers: { origin: FOREIGN, 'content-type': 'application/json' } });
    expect([response.statusCode, response.headers['x-amzn-ErrorType']]).toEqual([403, 'CsrfHeaderRequiredException']);
    // With the header, the same foreign origin is refused for what it is.
    const withHeader = await edge.send('bffRefresh', { headers: { ...sessionHeaders(), origin: FOREIGN } });
    expect([withHeader.statusCode, withHeader.headers['x-amzn-ErrorType']]).toEqual([403, 'ForbiddenOriginException']);
    expect(edge.calls).toEqual([]);
  });

  it('refuses a session route whose CSRF header is anything but "1", on GET routes too', async () => {
    const edge = edgeOf(FULL);
    for (const value of ['0', 'true', '', '1 ']) {
      const response = await edge.send('bffRefresh', { headers: sessionHeaders({ [CSRF_HEADER]: value }) });
      expect([value, response.headers['x-amzn-ErrorType']]).toEqual([value, 'CsrfHeaderRequiredException']);
    }
    const session = await edge.send('bffSession', { headers: { origin: SESSION_ORIGIN } });
    expect(session.headers['x-amzn-ErrorType']).toBe('CsrfHeaderRequiredException');
    expect(edge.calls).toEqual([]);
    expect((await edge.send('bffSession', { headers: { origin: SESSION_ORIGIN, [CSRF_HEADER]: '1' } })).statusCode).toBe(200);
  });

  it('asks no CSRF header on routes that are not session routes', async () => {
    const edge = edgeOf(FULL);
    const response = await edge.send('token', { headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: '{}' });
    expect(response.statusCode).toBe(200);
    expect(edge.calls.map((call) => call.route)).toEqual(['token']);
  });

  it('refuses an origin not on the allow list, and allows a request with no Origin (servers, CLIs, SDKs)', async () => {
    const edge = edgeOf(PLAIN);
    const foreign = await edge.send('token', { headers: { origin: FOREIGN, 'content-type': 'application/json' }, body: '{}' });
    expect([foreign.statusCode, foreign.headers['x-amzn-ErrorType']]).toEqual([403, 'ForbiddenOriginException']);
    expect(json(foreign)).toMatchObject({ error: 'access_denied' });
    // The answer (and the log line) name the refused origin and the setting that would allow it.
    expect(String(json(foreign).error_description)).toContain(`"${FOREIGN}" is not allowed to call the token broker: if it is yours, add it to TOKEN_BROKER_ALLOWED_ORIGINS`);
    expect(requestLines().at(-1)).toMatchObject({ status: 403, outcome: 'ForbiddenOriginException', detail: `origin "${FOREIGN}" is not in TOKEN_BROKER_ALLOWED_ORIGINS` });
    // The foreign page may not read the refusal either.
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    // "null" (sandboxed frames, file:) is an origin like any other: not on the list.
    expect((await edge.send('token', { headers: { origin: 'null', 'content-type': 'application/json' }, body: '{}' })).statusCode).toBe(403);
    expect(edge.calls).toEqual([]);
    expect((await edge.send('token', { headers: { 'content-type': 'application/json' }, body: '{}' })).statusCode).toBe(200);
  });

  it('checks the origin before the size, and the size before the body is parsed', async () => {
    const edge = edgeOf(FULL);
    const big = `{"a":"${'x'.repeat(MAX_BODY_BYTES)}"}`;
    const foreign = await edge.send('token', { headers: { origin: FOREIGN, 'content-type': 'application/json' }, body: big });
    expect(foreign.headers['x-amzn-ErrorType']).toBe('ForbiddenOriginException');
    const noCsrf = await edge.send('bffLoginEnd', { headers: { origin: FOREIGN, 'content-type': 'application/json' }, body: big });
    expect(noCsrf.headers['x-amzn-ErrorType']).toBe('CsrfHeaderRequiredException');
    // Too large and not JSON: the size speaks first.
    const notJson = await edge.send('token', { headers: { origin: ORIGIN, 'content-type': 'application/json' }, body: `{${'x'.repeat(MAX_BODY_BYTES)}` });
    expect(notJson.headers['x-amzn-ErrorType']).toBe('PayloadTooLargeException');
    expect(edge.calls).toEqual([]);
  });

  it(`allows a body of ${MAX_BODY_BYTES} bytes and refuses one byte more with 413, counted in bytes, not characters`, async () => {
    const edge = edgeOf(PLAIN);
    const body = (bytes: number) => `{"a":"${'x'.repeat(bytes - 8)}"}`;
    expect(Buffer.byteLength(body(MAX_BODY_BYTES))).toBe(MAX_BODY_BYTES);
    const headers = { 'content-type': 'application/json' };
    expect((await edge.send('token', { headers, body: body(MAX_BODY_BYTES) })).statusCode).toBe(200);
    const over = await edge.send('token', { headers, body: body(MAX_BODY_BYTES + 1) });
    expect([over.statusCode, over.headers['x-amzn-ErrorType']]).toEqual([413, 'PayloadTooLargeException']);
    // 'é' is two bytes in UTF-8: 8193 characters are 16386 bytes.
    const multibyte = await edge.send('token', { headers, body: `"${'é'.repeat(MAX_BODY_BYTES / 2)}"` });
    expect(multibyte.statusCode).toBe(413);
  });

  it('counts a base64-encoded body by the bytes it stands for', async () => {
    const edge = edgeOf(PLAIN);
    const headers = { 'content-type': 'application/json' };
    // 16384 bytes are 21848 characters of base64: allowed; 16385 bytes are not.
    const atLimit = Buffer.from(`{"a":"${'x'.repeat(MAX_BODY_BYTES - 8)}"}`).toString('base64');
    expect(atLimit.length).toBeGreaterThan(MAX_BODY_BYTES);
    expect((await edge.send('token', { headers, body: atLimit, base64: true })).statusCode).toBe(200);
    const over = Buffer.from(`{"a":"${'x'.repeat(MAX_BODY_BYTES - 7)}"}`).toString('base64');
    expect((await edge.send('token', { headers, body: over, base64: true })).statusCode).toBe(413);
  });
});

describe('the CORS preflight, answered by the edge', () => {
  it('answers 204 to an allowed origin on a route that is not a session route: no credentials, no CSRF header allowed', async () => {
    const edge = edgeOf(FULL);
    const response = await edge.raw('OPTIONS', ROUTE_TABLE.token.path, { headers: preflightHeaders(ORIGIN) });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(response.headers).toMatchObject({
      ...SECURITY_HEADERS,
      vary: 'Origin',
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-methods': 'GET, POST',
      'access-control-max-age': '600',
      'access-control-expose-headers': 'x-amzn-ErrorType, x-amzn-RequestId',
    });
    expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    const allowed = response.headers['access-control-allow-headers']!.split(', ');
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent']));
    expect(allowed).not.toContain(CSRF_HEADER);
    expect(edge.calls).toEqual([]);
  });

  it('answers 204 with credentials and the CSRF header allowed on a session path, which needs no CSRF header itself', async () => {
    const edge = edgeOf(FULL);
    for (const id of ['bffRefresh', 'bffSession', 'bffLoginStart'] as const) {
      const response = await edge.raw('OPTIONS', ROUTE_TABLE[id].path, { headers: preflightHeaders(SESSION_ORIGIN) });
      expect([id, response.statusCode]).toEqual([id, 204]);
      expect(response.headers).toMatchObject({ 'access-control-allow-origin': SESSION_ORIGIN, 'access-control-allow-credentials': 'true' });
      expect(response.headers['access-control-allow-headers']!.split(', ')).toContain(CSRF_HEADER);
    }
    expect(edge.calls).toEqual([]);
  });

  it('refuses the preflight of an origin not on the allow list with 403, which the page cannot read', async () => {
    const edge = edgeOf(FULL);
    for (const path of [ROUTE_TABLE.token.path, ROUTE_TABLE.bffRefresh.path]) {
      const response = await edge.raw('OPTIONS', path, { headers: preflightHeaders(FOREIGN) });
      expect([path, response.statusCode, response.headers['x-amzn-ErrorType']]).toEqual([path, 403, 'ForbiddenOriginException']);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('answers an OPTIONS without Origin (not a browser) with the methods, and no CORS header', async () => {
    const edge = edgeOf(FULL);
    const response = await edge.raw('OPTIONS', ROUTE_TABLE.token.path);
    expect(response.statusCode).toBe(204);
    expect(response.headers).toMatchObject({ ...SECURITY_HEADERS, allow: 'GET, OPTIONS, POST', vary: 'Origin' });
    expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
  });

  it('writes no log line for a preflight it answers (docs/operations.md), and one for a preflight it refuses', async () => {
    const edge = edgeOf(FULL);
    await edge.raw('OPTIONS', ROUTE_TABLE.token.path, { headers: preflightHeaders(ORIGIN) });
    expect(requestLines()).toEqual([]);
    await edge.raw('OPTIONS', ROUTE_TABLE.token.path, { headers: preflightHeaders(FOREIGN) });
    // The route's key is a pattern: the line also names the path as sent.
    expect(requestLines()).toEqual([expect.objectContaining({ route: ROUTES.preflight, path: ROUTE_TABLE.token.path, status: 403, outcome: 'ForbiddenOriginException' })]);
  });

  it('names the path only where the route\'s key does not say it', async () => {
    const edge = edgeOf(FULL);
    await edge.send('client');
    expect(requestLines().at(-1)).toMatchObject({ route: ROUTES.client, status: 200 });
    expect(requestLines().at(-1)).not.toHaveProperty('path');
  });
});

describe('bodies: what each route is given', () => {
  it('parses JSON for JSON routes', async () => {
    const edge = edgeOf(PLAIN);
    await edge.send('token', { headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"grantType":"refresh_token","n":1}' });
    expect(edge.calls[0]!.request.body).toEqual({ grantType: 'refresh_token', n: 1 });
  });

  it('leaves a form route\'s body as the text sent, whatever its content type says', async () => {
    const edge = edgeOf(FULL);
    await edge.send('oauthToken', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token&x=%2B+' });
    await edge.send('oauthToken', { headers: { 'content-type': 'application/json' }, body: '{"grant_type":"refresh_token"}' });
    expect(edge.calls.map((call) => call.request.body)).toEqual(['grant_type=refresh_token&x=%2B+', '{"grant_type":"refresh_token"}']);
  });

  it('gives a route without a body kind no body, even when one was sent', async () => {
    const edge = edgeOf(FULL);
    await edge.send('client', { headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    await edge.send('oauthAuthorize', { body: 'code=x', query: 'a=1&a=2' });
    expect(edge.calls.map((call) => call.request.body)).toEqual([undefined, undefined]);
    // The query goes through as sent, repeats and encoding kept (RFC 6749 §3.1 is the surface's check).
    expect(edge.calls[1]!.request.rawQuery).toBe('a=1&a=2');
  });

  it('passes the headers and cookies on as API Gateway gave them', async () => {
    const edge = edgeOf(FULL);
    await edge.send('bffSession', { headers: { origin: SESSION_ORIGIN, [CSRF_HEADER]: '1' }, cookies: ['a=1', 'b=2'] });
    expect(edge.calls[0]!.request).toMatchObject({ rawQuery: '', cookies: ['a=1', 'b=2'], headers: { origin: SESSION_ORIGIN, [CSRF_HEADER]: '1' } });
  });

  it('refuses a body a JSON route cannot read: not JSON (400), another media type (415), a forbidden key (400)', async () => {
    const edge = edgeOf(PLAIN);
    const broken = await edge.send('token', { headers: { 'content-type': 'application/json' }, body: '{"grantType":' });
    expect([broken.statusCode, json(broken)]).toEqual([400, expect.objectContaining({ __type: 'InvalidRequestException', error_description: 'The request body is not valid JSON.' })]);
    const form = await edge.send('token', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=refresh_token' });
    expect([form.statusCode, form.headers['x-amzn-ErrorType']]).toEqual([415, 'UnsupportedMediaTypeException']);
    // A form at the JSON door is usually a standard client: it is told where its door is.
    expect(String(json(form).error_description)).toContain(ROUTE_TABLE.oauthToken.path);
    const proto = await edge.send('token', { headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"x":1}}' });
    expect([proto.statusCode, String(json(proto).error_description)]).toEqual([400, expect.stringContaining('forbidden key')]);
    expect(edge.calls).toEqual([]);
  });

  it('decodes a base64 body that is UTF-8, and refuses one that is not rather than altering it', async () => {
    const edge = edgeOf(FULL);
    await edge.send('token', { headers: { 'content-type': 'application/json' }, body: Buffer.from('{"code":"é"}').toString('base64'), base64: true });
    await edge.send('oauthToken', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from('code=é').toString('base64'), base64: true });
    expect(edge.calls.map((call) => call.request.body)).toEqual([{ code: 'é' }, 'code=é']);

    const notUtf8 = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64');
    const aws = await edge.send('token', { headers: { 'content-type': 'application/json' }, body: notUtf8, base64: true });
    expect([aws.statusCode, json(aws).error_description]).toEqual([400, 'The request body is not valid JSON: it is not UTF-8.']);
    const oauth = await edge.send('oauthToken', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: notUtf8, base64: true });
    // A form is not JSON: the answer names the real problem (RFC 6749 appendix B: form parameters are UTF-8).
    expect([oauth.statusCode, json(oauth)]).toEqual([
      400,
      { error: 'invalid_request', error_description: 'The request body is not UTF-8: application/x-www-form-urlencoded parameters are UTF-8 (RFC 6749 appendix B).' },
    ]);
    expect(edge.calls).toHaveLength(2);
  });

  it('RFC 9110 §5.6.6: a JSON content type with whitespace before its parameters is read as JSON, as the session routes\' own check already accepts it', async () => {
    const edge = edgeOf(FULL);
    const contentType = 'application/json ; charset=utf-8';
    const session = await edge.send('bffLoginStart', { headers: sessionHeaders({ 'content-type': contentType }), body: '{"a":1}' });
    expect([session.statusCode, session.headers['x-amzn-ErrorType']]).toEqual([200, undefined]);
    const token = await edge.send('token', { headers: { 'content-type': contentType }, body: '{"a":1}' });
    expect([token.statusCode, token.headers['x-amzn-ErrorType']]).toEqual([200, undefined]);
    expect(edge.calls.map((call) => call.request.body)).toEqual([{ a: 1 }, { a: 1 }]);
  });

  it('one JSON content-type rule for every JSON route (RFC 8259 §11, RFC 6839 §3.1), and each route\'s own advice when it is not met', async () => {
    const edge = edgeOf(FULL);
    const accepted = ['application/json', 'Application/JSON;charset=UTF-8', 'application/json\t;charset=utf-8', 'application/vnd.api+json'];
    const refused = ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', 'application/json+xml', 'application/json, text/plain', 'application/ json'];
    for (const route of ['token', 'bffLoginStart'] as const) {
      const headers = (contentType: string) => (route === 'token' ? { 'content-type': contentType } : sessionHeaders({ 'content-type': contentType }));
      for (const contentType of accepted) expect([route, contentType, (await edge.send(route, { headers: headers(contentType), body: '{}' })).statusCode]).toEqual([route, contentType, 200]);
      for (const contentType of refused) expect([route, contentType, (await edge.send(route, { headers: headers(contentType), body: '{}' })).statusCode]).toEqual([route, contentType, 415]);
    }
    const session = await edge.send('bffRefresh', { headers: sessionHeaders({ 'content-type': 'text/plain' }), body: '{}' });
    // The cookie-session routes are not the AWS dialect: no CreateToken advice there.
    expect(json(session).error_description).toBe('The request body must be JSON (Content-Type: application/json).');
  });

  it('on session POSTs: the JSON content type is required (a cross-site form cannot send it), and no body is {}', async () => {
    const edge = edgeOf(FULL);
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
      const response = await edge.send('bffRefresh', { headers: sessionHeaders({ 'content-type': contentType }), body: '{}' });
      expect([contentType, response.statusCode, response.headers['x-amzn-ErrorType']]).toEqual([contentType, 415, 'UnsupportedMediaTypeException']);
    }
    const missing = await edge.send('bffLogout', { headers: { origin: SESSION_ORIGIN, [CSRF_HEADER]: '1' } });
    expect(missing.statusCode).toBe(415);
    expect(edge.calls).toEqual([]);

    await edge.send('bffRefresh', { headers: sessionHeaders() });
    await edge.send('bffLogout', { headers: sessionHeaders(), body: '' });
    expect(edge.calls.map((call) => call.request.body)).toEqual([{}, {}]);
  });
});

describe('answers: a surface\'s Answer on the wire', () => {
  it('writes JSON data with the request id, CORS for an allowed origin, and no credentials off the session routes', async () => {
    const edge = edgeOf(FULL);
    edge.answerWith(async () => ({ statusCode: 201, body: { accessToken: 'at', n: [1, 2] } }));
    const context = lambdaContext();
    const response = await edge.invoke(eventFor('GET', ROUTE_TABLE.client.path, { headers: { origin: ORIGIN } }), context);
    expect(response.statusCode).toBe(201);
    expect(json(response)).toEqual({ accessToken: 'at', n: [1, 2] });
    expect(response.headers).toEqual({
      ...SECURITY_HEADERS,
      'content-type': 'application/json',
      vary: 'Origin',
      'access-control-allow-origin': ORIGIN,
      'access-control-expose-headers': 'x-amzn-ErrorType, x-amzn-RequestId',
      'x-amzn-RequestId': context.awsRequestId,
    });
    expect(response.cookies).toBeUndefined();
  });

  it('quotes SSO OIDC\'s request id instead of Lambda\'s once the request called it', async () => {
    const edge = edgeOf(PLAIN);
    edge.answerWith(async (_request, audit) => {
      audit.upstreamRequestId = 'upstream-request-7';
      return { statusCode: 200, body: {} };
    });
    expect((await edge.send('client')).headers['x-amzn-RequestId']).toBe('upstream-request-7');
  });

  it('allows credentials on session routes, and turns the Answer\'s cookies into Set-Cookie values', async () => {
    const edge = edgeOf(FULL);
    const cookies = ['__Host-a=1; Path=/; Secure; HttpOnly; SameSite=Strict', 'b=; Max-Age=0'];
    edge.answerWith(async () => ({ statusCode: 200, body: { signedIn: true }, cookies }));
    const response = await edge.send('bffRefresh', { headers: sessionHeaders() });
    expect(response.cookies).toEqual(cookies);
    expect(response.headers).toMatchObject({ 'access-control-allow-origin': SESSION_ORIGIN, 'access-control-allow-credentials': 'true' });
    // A page from a foreign origin never gets here; one without Origin gets no CORS header at all.
    const noOrigin = await edge.send('bffRefresh', { headers: { [CSRF_HEADER]: '1', 'content-type': 'application/json' } });
    expect(noOrigin.headers['access-control-allow-origin']).toBeUndefined();
    expect(noOrigin.headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('writes a page as static HTML, escaped, under a CSP that allows no script and no framing', async () => {
    const edge = edgeOf(FULL);
    edge.answerWith(async () => ({ statusCode: 400, page: { title: 'Refused <b>', message: '"<script>alert(1)</script>" & more' } }));
    const response = await edge.send('oauthAuthorize');
    expect(response.statusCode).toBe(400);
    expect(response.headers).toMatchObject({
      ...SECURITY_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
      'x-frame-options': 'DENY',
    });
    expect(response.body).toContain('<title>Refused &#60;b&#62;</title>');
    expect(response.body).toContain('&#34;&#60;script&#62;alert(1)&#60;/script&#62;&#34; &#38; more');
    expect(response.body).not.toContain('<script>');
    expect(response.headers.location).toBeUndefined();
  });

  it('writes a redirect as a 302 with no body, and no Referer to leak the code', async () => {
    const edge = edgeOf(FULL);
    const location = `${ORIGIN}/callback?code=c&state=s&iss=${encodeURIComponent(ISSUER)}`;
    edge.answerWith(async () => ({ statusCode: 302, location }));
    const response = await edge.send('oauthCallback');
    expect(response).toMatchObject({ statusCode: 302, body: '', headers: { ...SECURITY_HEADERS, location } });
    expect(response.headers['content-type']).toBeUndefined();
  });
});

describe('errors, in the route\'s format', () => {
  it('aws: the vocabulary\'s JSON with x-amzn-ErrorType, and the error\'s Set-Cookie values', async () => {
    const edge = edgeOf(FULL);
    const clear = ['__Host-session=; Max-Age=0; Path=/; Secure; HttpOnly; SameSite=Strict'];
    edge.answerWith(async () => {
      throw brokerError('SessionExpiredException', 'The session has expired.').withCookies(clear);
    });
    const response = await edge.send('bffRefresh', { headers: sessionHeaders() });
    expect(response.statusCode).toBe(401);
    expect(response.headers).toMatchObject({ ...SECURITY_HEADERS, 'content-type': 'application/json', 'x-amzn-ErrorType': 'SessionExpiredException', 'access-control-allow-credentials': 'true' });
    // The broker's own error: `message` too, which the AWS CLI and SDKs print.
    expect(json(response)).toEqual({ __type: 'SessionExpiredException', error: 'session_expired', error_description: 'The session has expired.', message: 'The session has expired.' });
    expect(response.cookies).toEqual(clear);
    // A 401 on the AWS dialect never challenges (a browser would prompt for a password).
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('aws: an error with no cookies sets none', async () => {
    const edge = edgeOf(PLAIN);
    edge.answerWith(async () => {
      throw upstreamError({ status: 400, type: 'InvalidGrantException', error: 'invalid_grant', description: 'used', requestId: 'up-1' });
    });
    const response = await edge.send('token', { headers: { 'content-type': 'application/json' }, body: '{}' });
    // SSO OIDC's answer passes through exactly: no `message` added.
    expect([response.statusCode, response.cookies, json(response)]).toEqual([400, undefined, { __type: 'InvalidGrantException', error: 'invalid_grant', error_description: 'used' }]);
  });

  it('oauth (RFC 6749 §5.2): only error and error_description in the body; the service\'s type stays in x-amzn-ErrorType', async () => {
    const edge = edgeOf(FULL);
    edge.answerWith(async () => {
      throw brokerError('InvalidGrantException', 'The authorization code has expired.');
    });
    const response = await edge.send('oauthToken', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect(response.statusCode).toBe(400);
    expect(json(response)).toEqual({ error: 'invalid_grant', error_description: 'The authorization code has expired.' });
    expect(response.headers).toMatchObject({ ...SECURITY_HEADERS, 'content-type': 'application/json', 'x-amzn-ErrorType': 'InvalidGrantException' });
  });

  it('oauth (RFC 6749 §5.2): the guards\' own errors are RFC 6749 codes too', async () => {
    const edge = edgeOf(FULL);
    const response = await edge.send('oauthToken', { headers: { origin: FOREIGN, 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect([response.statusCode, json(response)]).toEqual([
      403,
      {
        error: 'access_denied',
        error_description: `The origin "${FOREIGN}" is not allowed to call the token broker: if it is yours, add it to TOKEN_BROKER_ALLOWED_ORIGINS (scheme, host and port exactly as the browser sends them).`,
      },
    ]);
  });

  it('oauth (RFC 6749 §5.2): 401 invalid_client carries a challenge only when the client tried HTTP authentication', async () => {
    const edge = edgeOf(FULL);
    edge.answerWith(async () => {
      throw brokerError('InvalidClientException', 'The client_id is not a client of this token broker.');
    });
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const basic = await edge.send('oauthToken', { headers: { ...form, authorization: 'Basic dG9rZW4tYnJva2VyOnNlY3JldA==' }, body: 'a=1' });
    expect([basic.statusCode, json(basic).error, basic.headers['www-authenticate']]).toEqual([401, 'invalid_client', 'Basic realm="token-broker"']);
    // Without HTTP authentication no challenge: a browser's fetch could prompt the person for a password.
    const none = await edge.send('oauthToken', { headers: form, body: 'a=1' });
    expect([none.statusCode, none.headers['www-authenticate']]).toEqual([401, undefined]);
  });

  it('oauth (RFC 6749 §5.2): an error other than 401 never challenges, even with an Authorization header', async () => {
    const edge = edgeOf(FULL);
    edge.answerWith(async () => {
      throw brokerError('InvalidGrantException', 'x');
    });
    const response = await edge.send('oauthToken', { headers: { authorization: 'Basic eDp5', 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' });
    expect([response.statusCode, response.headers['www-authenticate']]).toEqual([400, undefined]);
  });

  it('page (RFC 6749 §4.1.2.1): a readable page, never a redirect, on the routes a person\'s browser is sent to', async () => {
    const edge = edgeOf(FULL);
    edge.answerWith(async () => {
      throw brokerError('InvalidRequestException', 'The request has a parameter that is not valid percent-encoded UTF-8.');
    });
    const refused = await edge.send('oauthAuthorize', { query: `redirect_uri=${encodeURIComponent(`${ORIGIN}/callback`)}` });
    expect(refused.statusCode).toBe(400);
    expect(refused.headers).toMatchObject({ 'content-type': 'text/html; charset=utf-8', 'x-frame-options': 'DENY', 'x-amzn-RequestId': expect.any(String) });
    expect(refused.headers.location).toBeUndefined();
    expect(refused.body).toContain('<h1>Sign-in request refused</h1>');
    expect(refused.body).toContain('not valid percent-encoded UTF-8');

    edge.answerWith(async () => {
      throw brokerError('GatewayTimeoutException', 'SSO OIDC did not answer within 8000 ms.');
    });
    const unavailable = await edge.send('oauthCallback');
    expect(unavailable.statusCode).toBe(504);
    expect(unavailable.body).toContain('<h1>Sign-in is unavailable</h1>');
    expect(unavailable.headers.location).toBeUndefined();
  });

  it('an error that is not the vocabulary\'s: a generic 500, its message in neither the answer nor the log', async () => {
    const edge = edgeOf(PLAIN);
    edge.answerWith(async () => {
      throw new TypeError('cannot read refreshToken of secret-token-value');
    });
    const response = await edge.send('client');
    expect(response.statusCode).toBe(500);
    expect(json(response)).toEqual({
      __type: 'InternalServerException',
      error: 'server_error',
      error_description: 'The token broker could not complete the request.',
      message: 'The token broker could not complete the request.',
    });
    expect(response.headers).toMatchObject(SECURITY_HEADERS);
    expect(records()).toContainEqual(expect.objectContaining({ level: 'ERROR', message: 'unexpected error', errorName: 'TypeError' }));
    expect(requestLines()).toEqual([expect.objectContaining({ status: 500, level: 'ERROR', outcome: 'InternalServerException', detail: 'unexpected TypeError' })]);
    expect(output).not.toContain('secret-token-value');
  });
});

describe('the security headers, on every answer', () => {
  it.each<[string, (edge: ReturnType<typeof edgeOf>) => Promise<HttpResponse>]>([
    ['JSON data', (edge) => edge.send('client')],
    ['a page', (edge) => (edge.answerWith(async () => ({ statusCode: 200, page: { title: 't', message: 'm' } })), edge.send('oauthAuthorize'))],
    ['a redirect', (edge) => (edge.answerWith(async () => ({ statusCode: 302, location: `${ORIGIN}/callback` })), edge.send('oauthCallback'))],
    ['a preflight', (edge) => edge.raw('OPTIONS', ROUTE_TABLE.token.path, { headers: preflightHeaders(ORIGIN) })],
    ['a 404', (edge) => edge.raw('GET', '/nowhere')],
    ['a guard\'s refusal', (edge) => edge.send('token', { headers: { origin: FOREIGN } })],
    ['an oauth error', (edge) => edge.send('oauthToken', { headers: { origin: FOREIGN } })],
    ['a page error', (edge) => edge.send('oauthAuthorize', { headers: { origin: FOREIGN } })],
  ])('%s', async (_what, send) => {
    const response = await send(edgeOf(FULL));
    expect(response.headers).toMatchObject(SECURITY_HEADERS);
  });
});

describe('the request\'s one log line', () => {
  it('is written once per answered request, with the route, status, outcome, grant type and Lambda request id', async () => {
    const edge = edgeOf(PLAIN);
    edge.answerWith(async (_request, audit) => {
      audit.grantType = 'refresh_token';
      return { statusCode: 200, body: { accessToken: 'at-secret-value' } };
    });
    const context = lambdaContext();
    await edge.invoke(eventFor('POST', ROUTE_TABLE.token.path, { headers: { 'content-type': 'application/json' }, body: '{"refreshToken":"rt-secret-value"}' }), context);
    const lines = requestLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'INFO',
      message: 'request completed',
      route: ROUTES.token,
      status: 200,
      outcome: 'Success',
      grantType: 'refresh_token',
      function_request_id: context.awsRequestId,
      upstreamCalls: 0,
      Requests: 1,
    });
    // Never a body, header or token.
    expect(output).not.toMatch(/secret-value/);
  });

  it('is written once for a refused request too, with the vocabulary\'s error type, INFO below 500', async () => {
    const edge = edgeOf(FULL);
    await edge.send('bffRefresh', { headers: { origin: FOREIGN } });
    await edge.raw('GET', '/nowhere');
    expect(requestLines()).toEqual([
      expect.objectContaining({ route: ROUTES.bffRefresh, status: 403, outcome: 'CsrfHeaderRequiredException', level: 'INFO', message: 'request completed' }),
      expect.objectContaining({ route: '$default', status: 404, outcome: 'NotFoundException' }),
    ]);
  });

  it('says the request failed when the answer is a 5xx', async () => {
    const edge = edgeOf(PLAIN);
    edge.answerWith(async () => {
      throw brokerError('BadGatewayException', 'SSO OIDC could not be reached.', { upstream: { status: undefined, requestId: undefined } });
    });
    await edge.send('client');
    expect(requestLines()).toEqual([expect.objectContaining({ status: 502, level: 'ERROR', message: 'request failed', outcome: 'BadGatewayException' })]);
  });
});
