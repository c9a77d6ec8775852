// The edge (lambda/edge/) composed as lambda/handler.ts composes it, around a fake route handler:
// every error written in its route's format (aws, oauth, page), the security headers on every answer,
// and the request's one log line.

import { brokerError, upstreamError } from '../../lambda/core/errors.js';
import type { HttpResponse } from '../../lambda/edge/responses.js';
import { ROUTE_TABLE, ROUTES } from '../../lambda/edge/routes.js';
import { eventFor, lambdaContext } from '../helpers/edge.js';
import { captureOutput, edgeOf, FOREIGN, FULL, json, ORIGIN, PLAIN, preflightHeaders, SECURITY_HEADERS, sessionHeaders } from './support/edge.js';

const { records, requestLines, written } = captureOutput();

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
    expect(written()).not.toContain('secret-token-value');
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
    expect(written()).not.toMatch(/secret-value/);
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
