// Request bodies, as the route table says (routes.ts `body`): JSON for the AWS dialect and the cookie
// sessions (through @middy/http-json-body-parser, after the one JSON content-type rule of
// core/validation.ts), a form's text for the front door (which parses it itself), nothing for the
// rest. A body API Gateway base64-encoded must be UTF-8.

import type { MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { brokerError, invalidRequest, type BrokerError } from '../core/errors.js';
import { isJsonContentType } from '../core/validation.js';
import type { RouteRequest } from '../surfaces/answer.js';
import type { BrokerContext } from './routing.js';
import { pathParameters, ROUTE_TABLE, type Route, type RouteId } from './routes.js';

// `ignoreBOM` keeps a byte order mark in the text, as a body delivered as text keeps it: JSON.parse
// then refuses both alike.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** What a body that is not UTF-8 is told, by the kind of body the route reads. */
const NOT_UTF8 = {
  json: 'The request body is not valid JSON: it is not UTF-8.',
  form: 'The request body is not UTF-8: application/x-www-form-urlencoded parameters are UTF-8 (RFC 6749 appendix B).',
  none: 'The request body is not UTF-8.',
} as const;

/**
 * The body as text. API Gateway base64-encodes a body it does not take for text (for JSON, one that
 * is not valid UTF-8). JSON and form parameters must be UTF-8, and decoding loosely would replace
 * bytes with U+FFFD and forward an altered code or token: such a body is refused instead.
 */
function decodeBody(event: APIGatewayProxyEventV2, kind: keyof typeof NOT_UTF8): string | undefined {
  if (event.body === undefined || event.body === null || !event.isBase64Encoded) return event.body ?? undefined;
  try {
    return UTF8.decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw invalidRequest(NOT_UTF8[kind]);
  }
}

/** A JSON route's refusal of another media type, with the advice its callers need. */
function notJson(route: RouteId): BrokerError {
  if (ROUTE_TABLE[route].session) {
    return brokerError('UnsupportedMediaTypeException', 'The request body must be JSON (Content-Type: application/json).');
  }
  // A form body at the JSON door is usually a standard OAuth 2.0 client: it is told where its door is.
  return brokerError(
    'UnsupportedMediaTypeException',
    "The request body must be JSON (Content-Type: application/json) with CreateToken's camelCase members. " +
      `Standard OAuth 2.0 clients send forms to POST ${ROUTE_TABLE.oauthToken.path} (the front door, when TOKEN_BROKER_ISSUER is set).`,
  );
}

export function bodies(): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, BrokerContext> {
  // The content type is checked here, by the one rule, before the parser runs.
  const json = httpJsonBodyParser({ disableContentTypeCheck: true });
  return {
    before(request) {
      const { event } = request;
      const id = request.context.route;
      const route = ROUTE_TABLE[id] as Route;
      // Raw bodies (the bearer proxy) are passed on as they came, as bytes (routeRequestOf).
      if (route.body === 'raw') return undefined;
      if (route.body === 'json') {
        // A cookie-session POST must say it is JSON, which a cross-site HTML form cannot send without
        // a preflight; the AWS dialect's POSTs are JSON too.
        if (!isJsonContentType(event.headers?.['content-type'])) throw notJson(id);
        // Some have nothing to say (refresh, logout): no body is an empty object.
        if (route.session && (event.body === undefined || event.body === '')) event.body = '{}';
      }
      // The JSON body parser decodes base64 loosely; it gets text known to be UTF-8 instead.
      if (event.isBase64Encoded) {
        event.body = decodeBody(event, route.body);
        event.isBase64Encoded = false;
      }
      return route.body === 'json' ? json.before?.(request as never) : undefined;
    },
  };
}

/** A raw body's bytes: base64-decoded when API Gateway encoded it, else the text's UTF-8. */
const rawBody = (event: APIGatewayProxyEventV2): Buffer =>
  event.body === undefined || event.body === null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');

/** What the route's surface is given: the body as the table says, and nothing of the event it does not need. */
export function routeRequestOf(event: APIGatewayProxyEventV2, context: BrokerContext): RouteRequest {
  const route = ROUTE_TABLE[context.route];
  return {
    body: route.body === 'none' ? undefined : route.body === 'raw' ? rawBody(event) : event.body,
    method: event.requestContext?.http?.method?.toUpperCase() ?? route.method,
    // From the raw path, not API Gateway's decoded pathParameters: the proxy passes on what was sent.
    pathParameters: pathParameters(route.path, event.rawPath ?? '') ?? {},
    rawQuery: event.rawQueryString ?? '',
    headers: event.headers ?? {},
    cookies: event.cookies ?? [],
  };
}
