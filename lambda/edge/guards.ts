// The checks made before a body is parsed or a surface is called: the CSRF header on cookie-session
// routes, the origin (each door its own list, and no token-acquiring route for a cookie-session
// origin), the body's size, and the CORS preflight answered from them. A request that fails one
// never reaches a surface, and nothing is read, decrypted or sent upstream for it.

import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MAX_API_BODY_BYTES } from '../core/api-proxy.js';
import { ENV, type BrokerConfig } from '../core/config.js';
import { brokerError } from '../core/errors.js';
import { clip } from '../core/validation.js';
import { CSRF_HEADER, doorOrigins, type PreflightScope } from './cors.js';
import { preflightResponse, type HttpResponse } from './responses.js';
import { replyContext, type BrokerContext } from './routing.js';
import { pathParameters, ROUTE_TABLE, type Route, type RouteId } from './routes.js';

export const MAX_BODY_BYTES = 16 * 1024;

/** The body's size in bytes as the caller sent it (API Gateway base64-encodes binary bodies). */
function bodyBytes(event: APIGatewayProxyEventV2): number {
  if (event.body === undefined || event.body === null) return 0;
  return event.isBase64Encoded ? Buffer.byteLength(event.body, 'base64') : Buffer.byteLength(event.body, 'utf8');
}

/**
 * The methods and headers a preflight of `path` allows: GET and POST (every route of the broker's
 * own is one or the other), or for the bearer proxy the API's own methods and its header allow list;
 * the access portal's bearer header on the portal's paths.
 */
function preflightScope(targets: readonly RouteId[], path: string, config: BrokerConfig): PreflightScope {
  const bearer = targets.some((id) => (ROUTE_TABLE[id] as Route).bearer === true);
  const proxy = targets.find((id) => ROUTE_TABLE[id].method === 'ANY');
  if (proxy === undefined) return { methods: ['GET', 'POST'], proxy: false, bearer };
  const api = config.cookieSessions?.apis.get(pathParameters(ROUTE_TABLE[proxy].path, path)?.name ?? '');
  return { methods: [...(api?.methods ?? [])], proxy: true, bearer };
}

/**
 * The guards, in order: on a cookie-session route (but its preflight, which cannot carry it) the CSRF
 * header first, even before the origin; then the origin; then the size. A preflight that passes is
 * answered here.
 */
export function guards(config: BrokerConfig): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse, Error, BrokerContext> {
  return {
    before(request) {
      const { event, context } = request;
      const route = context.route;
      if (route !== 'preflight' && ROUTE_TABLE[route].session && event.headers?.[CSRF_HEADER] !== '1') {
        throw brokerError('CsrfHeaderRequiredException', `Requests to /bff routes must carry the header ${CSRF_HEADER}: 1.`);
      }
      const origin = event.headers?.origin;
      const targets = route === 'preflight' ? context.preflightOf : [route];
      if (origin !== undefined && config.cookieSessions?.origins.has(origin) && targets.some((id) => (ROUTE_TABLE[id] as Route).acquiresTokens === true)) {
        // Separate doors: page script on a cookie-session origin never acquires a token of its own.
        throw brokerError(
          'ForbiddenOriginException',
          'This origin uses cookie sessions (TOKEN_BROKER_SESSION_ORIGINS): it may not acquire tokens. Its pages sign in with /bff/login/start and call APIs through the broker.',
        );
      }
      if (origin !== undefined && !doorOrigins(context.credentials, config).has(origin)) {
        // Page script sees only a failed fetch: the answer (in the browser's network panel) and the
        // log line name the origin and the setting (of this door) that would allow it.
        const named = JSON.stringify(clip(origin));
        const setting = context.credentials ? ENV.sessionOrigins : ENV.allowedOrigins;
        throw brokerError(
          'ForbiddenOriginException',
          `The origin ${named} is not allowed to call the token broker: if it is yours, add it to ${setting} (scheme, host and port exactly as the browser sends them).`,
          { logDetail: `origin ${named} is not in ${setting}` },
        );
      }
      const limit = route !== 'preflight' && ROUTE_TABLE[route].body === 'raw' ? MAX_API_BODY_BYTES : MAX_BODY_BYTES;
      if (bodyBytes(event) > limit) {
        throw brokerError('PayloadTooLargeException', `The request body is larger than ${limit} bytes.`);
      }
      return route === 'preflight' ? preflightResponse(replyContext(request, config), preflightScope(targets, event.rawPath, config)) : undefined;
    },
  };
}
