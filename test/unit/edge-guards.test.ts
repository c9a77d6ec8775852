// The edge (lambda/edge/) composed as lambda/handler.ts composes it, around a fake route handler, and
// driven with API Gateway payload 2.0 events: routing (404), the guards in their order (CSRF header,
// origin, size) and the CORS preflight. The bodies and answers are in edge-answers.test.ts, the errors,
// security headers and the log line in edge-errors.test.ts.

import { CSRF_HEADER } from '../../lambda/edge/cors.js';
import { MAX_BODY_BYTES } from '../../lambda/edge/guards.js';
import { ROUTE_TABLE, ROUTES } from '../../lambda/edge/routes.js';
import { captureOutput, edgeOf, FOREIGN, FULL, json, ORIGIN, PLAIN, preflightHeaders, SECURITY_HEADERS, SESSION_ORIGIN, sessionHeaders } from './support/edge.js';

const { requestLines } = captureOutput();

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
