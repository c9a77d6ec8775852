// The checks made before a body is parsed or a surface is called: the CSRF header on cookie-session
// routes, the origin allow list, the body's size, and the CORS preflight answered from them. A request
// that fails one never reaches a surface, and nothing is read, decrypted or sent upstream for it.

import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ENV, type BrokerConfig } from '../core/config.js';
import { brokerError } from '../core/errors.js';
import { clip } from '../core/validation.js';
import { CSRF_HEADER, isOriginAllowed } from './cors.js';
import { preflightResponse, type HttpResponse } from './responses.js';
import { replyContext, type BrokerContext } from './routing.js';
import { ROUTE_TABLE } from './routes.js';

export const MAX_BODY_BYTES = 16 * 1024;

/** The body's size in bytes as the caller sent it (API Gateway base64-encodes binary bodies). */
function bodyBytes(event: APIGatewayProxyEventV2): number {
  if (event.body === undefined || event.body === null) return 0;
  return event.isBase64Encoded ? Buffer.byteLength(event.body, 'base64') : Buffer.byteLength(event.body, 'utf8');
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
      if (!isOriginAllowed(origin, config)) {
        // Page script sees only a failed fetch: the answer (in the browser's network panel) and the
        // log line name the origin and the setting that would allow it.
        const named = JSON.stringify(clip(origin ?? ''));
        throw brokerError(
          'ForbiddenOriginException',
          `The origin ${named} is not allowed to call the token broker: if it is yours, add it to ${ENV.allowedOrigins} (scheme, host and port exactly as the browser sends them).`,
          { logDetail: `origin ${named} is not in ${ENV.allowedOrigins}` },
        );
      }
      if (bodyBytes(event) > MAX_BODY_BYTES) {
        throw brokerError('PayloadTooLargeException', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
      }
      return route === 'preflight' ? preflightResponse(replyContext(request, config)) : undefined;
    },
  };
}
