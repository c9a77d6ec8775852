// The edge (lambda/edge/) composed as lambda/handler.ts composes it, around a fake route handler:
// the bodies each route is given, and a surface's Answer written on the wire (JSON data, cookies, a
// page, a redirect). Routing and the guards are in edge-guards.test.ts.

import { CSRF_HEADER } from '../../lambda/edge/cors.js';
import { ROUTE_TABLE } from '../../lambda/edge/routes.js';
import { eventFor, lambdaContext } from '../helpers/edge.js';
import { captureOutput, edgeOf, FULL, ISSUER, json, ORIGIN, PLAIN, SECURITY_HEADERS, SESSION_ORIGIN, sessionHeaders } from './support/edge.js';

// Quiets what the process writes, as for every edge test.
captureOutput();

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
