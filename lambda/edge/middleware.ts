// The Middy middleware that owns the broker's HTTP edge: route and origin checks and CORS preflight
// before the body is parsed, the JSON response after the handler, and on any error the one wire
// shape from errors.ts, plus the request's log line and metrics.

import type { MiddlewareObj, Request } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { newAudit, type Audit } from '../core/grants.js';
import type { BrokerConfig } from '../core/config.js';
import { BrokerError, brokerError, internalError, invalidRequest } from '../core/errors.js';
import {
  checkCsrfHeader,
  checkJsonContentType,
  checkRequest,
  decodeBody,
  isBffPath,
  errorResponse,
  jsonResponse,
  oauthErrorResponse,
  originOf,
  pageResponse,
  preflightResponse,
  redirectResponse,
  type HttpResponse,
} from './http.js';
import { ROUTE_TABLE, ROUTES, routeIdOf, type RouteKey } from './routes.js';
import { logger, recordRequest } from '../core/telemetry.js';
import { UpstreamFailure } from '../core/upstream.js';

export interface BrokerContext extends Context {
  audit: Audit;
}

/**
 * What a route handler returns; headers are added here. A JSON body, or (front door) a readable
 * page for a person, or a redirect to a location the route has validated.
 */
export type RouteResult =
  /** `cookies`: Set-Cookie values (API Gateway payload 2.0 `cookies`: one Set-Cookie header each). */
  | { readonly statusCode: number; readonly body: unknown; readonly cookies?: readonly string[] }
  | { readonly statusCode: number; readonly page: { readonly title: string; readonly message: string } }
  | { readonly statusCode: 302; readonly location: string };

type BrokerRequest = Request<APIGatewayProxyEventV2, HttpResponse | RouteResult, Error, BrokerContext>;

export function brokerHttp(options: {
  config: BrokerConfig;
  routes: readonly RouteKey[];
}): MiddlewareObj<APIGatewayProxyEventV2, HttpResponse | RouteResult, Error, BrokerContext> {
  const { config, routes } = options;
  // Preflight is routed for any path (OPTIONS /{proxy+}); it is answered only for paths that exist,
  // so that a browser sees a readable 404 rather than a CORS failure on the request that follows.
  const paths = new Set(routes.filter((route) => route !== ROUTES.preflight).map((route) => route.split(' ')[1]));
  const replyContext = (request: BrokerRequest) => ({
    origin: originOf(request.event),
    config,
    requestId: request.context.audit?.upstreamRequestId ?? request.context.awsRequestId,
    credentials: isBffPath(request.event.rawPath),
  });

  return {
    before(request) {
      request.context.audit = newAudit();
      const { routeKey, rawPath } = request.event;
      if (!routes.includes(routeKey as RouteKey) || (routeKey === ROUTES.preflight && !paths.has(rawPath))) {
        throw brokerError('NotFoundException', 'The token broker has no such route.');
      }
      const bff = isBffPath(rawPath);
      // The CSRF header first, on every /bff route but the preflight (which cannot carry it).
      if (bff && routeKey !== ROUTES.preflight) checkCsrfHeader(request.event);
      checkRequest(request.event, config);
      if (routeKey === ROUTES.preflight) return preflightResponse(originOf(request.event), config, bff);
      if (bff && routeKey.startsWith('POST ')) {
        checkJsonContentType(request.event);
        // Some /bff POSTs have nothing to say (refresh, logout): no body is an empty object.
        if (request.event.body === undefined || request.event.body === '') request.event.body = '{}';
      }
      // The JSON body parser decodes base64 loosely; it gets text known to be UTF-8 instead.
      if (request.event.isBase64Encoded) {
        request.event.body = decodeBody(request.event);
        request.event.isBase64Encoded = false;
      }
      return undefined;
    },
    after(request) {
      const result = request.response as RouteResult;
      const context = replyContext(request);
      const response =
        'location' in result
          ? redirectResponse(result.location, context)
          : 'page' in result
            ? pageResponse(result.statusCode, result.page.title, result.page.message, context)
            : jsonResponse(result.statusCode, result.body, context);
      const cookies = 'body' in result ? result.cookies : undefined;
      request.response = cookies === undefined ? response : { ...response, cookies: [...cookies] };
      recordRequest(
        request.context.audit,
        { route: request.event.routeKey, status: result.statusCode, requestId: request.context.awsRequestId },
        config.expiryWarningDays,
      );
    },
    onError(request) {
      const error = toBrokerError(request.error);
      request.context.audit ??= newAudit();
      request.response = errorAnswer(request.event, error, replyContext(request));
      recordRequest(
        request.context.audit,
        { route: request.event.routeKey, status: error.status, error, requestId: request.context.awsRequestId },
        config.expiryWarningDays,
      );
    },
  };
}

/**
 * The error's wire form for the route: the CreateToken dialect's JSON, RFC 6749 §5.2 JSON on the
 * front door's endpoints, or a page where a person's browser was sent (never a redirect: RFC 6749
 * §4.1.2.1 allows redirecting only to a validated redirect URI, which the route decides itself).
 */
function errorAnswer(
  event: APIGatewayProxyEventV2,
  error: BrokerError,
  context: Parameters<typeof errorResponse>[1],
): HttpResponse {
  const { routeKey } = event;
  const format = ROUTE_TABLE[routeIdOf(routeKey)!]?.errors;
  if (format === 'oauth') return oauthErrorResponse(error, context, event.headers?.authorization !== undefined);
  if (format === 'page') {
    const title = error.status >= 500 ? 'Sign-in is unavailable' : 'Sign-in request refused';
    return pageResponse(error.status, title, error.description ?? error.error, context);
  }
  return errorResponse(error, context);
}

/** Maps anything thrown on the way to the vocabulary. Unexpected errors are logged by name and stack only. */
export function toBrokerError(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  if (error instanceof UpstreamFailure) return error.answer;
  const status = (error as { statusCode?: unknown }).statusCode;
  const message = (error as { message?: unknown }).message;
  // @middy/http-json-body-parser's errors: 415 for the content type, 422 for the JSON itself.
  if (status === 415) {
    // A form body here is usually a standard OAuth 2.0 client at the JSON door: say where its door is.
    return brokerError(
      'UnsupportedMediaTypeException',
      'The request body must be JSON (Content-Type: application/json) with CreateToken\'s camelCase members. ' +
        'Standard OAuth 2.0 clients send forms to POST /oauth2/token (the front door, when TOKEN_BROKER_ISSUER is set).',
    );
  }
  if (status === 422) {
    return message === 'Forbidden key in JSON body'
      ? invalidRequest('The request body contains a forbidden key ("__proto__" or "constructor").')
      : invalidRequest('The request body is not valid JSON.');
  }
  const name = (error as { name?: unknown }).name;
  // The stack repeats the message, which may quote input: only its `at` lines are logged.
  const frames = String((error as { stack?: unknown }).stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 5)
    .join('\n');
  logger.error('unexpected error', { errorName: typeof name === 'string' ? name : typeof error, frames });
  return internalError(`unexpected ${typeof name === 'string' ? name : 'error'}`);
}
