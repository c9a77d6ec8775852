// The bearer proxy, /bff/api/{name}/{proxy+}: a page with a cookie session calls one of the
// deployer's APIs (TOKEN_BROKER_APIS) through the broker, which adds the session's access token
// (refreshed when it is about to expire, and once when the API answers 401), so that page script
// never holds a token. What crosses is the allow-listed headers (core/api-headers.ts: never a cookie
// or the CSRF header upstream, never Set-Cookie back), the body as it came, and the API's answer as
// it came; an API that cannot be reached or read gets the broker's own 502 or 504.

import type { Audit } from '../../core/audit.js';
import type { ApiAnswer, ApiClient } from '../../core/api-proxy.js';
import { checkedApiPath } from '../../core/api-proxy.js';
import type { ApiTarget } from '../../core/config.js';
import { brokerError, invalidRequest } from '../../core/errors.js';
import type { Answer, RouteRequest } from '../answer.js';
import type { RequestCookies } from './cookies.js';
import { withAccessToken, type SessionDeps } from './session.js';

export interface ApiDeps {
  readonly apis: ReadonlyMap<string, ApiTarget>;
  readonly callApi: ApiClient;
}

/** ANY /bff/api/{name}/{proxy+}: the API's answer, with the session's new cookies when it changed. */
export async function proxyApi(request: RouteRequest, cookies: RequestCookies, deps: SessionDeps & ApiDeps, audit: Audit): Promise<Answer> {
  const name = request.pathParameters?.name ?? '';
  const api = deps.apis.get(name);
  if (api === undefined) throw brokerError('NotFoundException', 'The token broker proxies no API of that name (TOKEN_BROKER_APIS).');
  const method = (request.method ?? '').toUpperCase();
  if (!(api.methods as ReadonlySet<string>).has(method)) {
    throw brokerError('MethodNotAllowedException', `The API "${name}" takes ${[...api.methods].join(', ')} through the broker (TOKEN_BROKER_APIS).`);
  }
  const path = checkedApiPath(request.pathParameters?.proxy ?? '');
  if (path === undefined) {
    throw invalidRequest('The API path must be non-empty segments without "." or "..", encoded slashes or control characters.');
  }
  const body = request.body instanceof Uint8Array ? request.body : undefined;
  const call = (accessToken: string): Promise<ApiAnswer> =>
    deps.callApi({ api, method, path, rawQuery: request.rawQuery, headers: request.headers, body }, accessToken, audit);
  // RFC 6750 §3.1: an API refusing the token answers 401 (invalid_token).
  const { result, cookies: written } = await withAccessToken(cookies, deps, audit, call, (answer) => answer.status === 401);
  return { statusCode: result.status, passThrough: { headers: result.headers, body: result.body }, cookies: written };
}
