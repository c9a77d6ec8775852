// Request bodies, as the route table says (routes.ts `body`): JSON for the AWS dialect and the cookie
// sessions (through @middy/http-json-body-parser), a form's text for the front door (which parses it
// itself), nothing for the rest. A body API Gateway base64-encoded must be UTF-8.

import type { MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { brokerError, invalidRequest } from '../core/errors.js';
import type { RouteRequest } from '../surfaces/answer.js';
import type { BrokerContext } from './routing.js';
import { pathParameters, ROUTE_TABLE } from './routes.js';

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

// `ignoreBOM` keeps a byte order mark in the text, as a body delivered as text keeps it: JSON.parse
// then refuses both alike.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as text. API Gateway base64-encodes a body it does not take for text (for JSON, one that
 * is not valid UTF-8). JSON must be UTF-8 (RFC 8259), and decoding it loosely would replace bytes
 * with U+FFFD and forward an altered code or token: such a body is refused instead.
 */
function decodeBody(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null || !event.isBase64Encoded) return event.body ?? undefined;
  try {
    return UTF8.decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw invalidRequest('The request body is not valid JSON: it is not UTF-8.');
  }
}

export function bodies(): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, BrokerContext> {
  const json = httpJsonBodyParser();
  return {
    before(request) {
      const { event } = request;
      const route = ROUTE_TABLE[request.context.route];
      // Raw bodies (the bearer proxy) are passed on as they came, as bytes (routeRequestOf).
      if (route.body === 'raw') return undefined;
      if (route.session && route.method === 'POST') {
        // A cookie-session POST must say it is JSON, which a cross-site HTML form cannot send without a preflight.
        if (!JSON_CONTENT_TYPE.test(event.headers?.['content-type'] ?? '')) {
          throw brokerError('UnsupportedMediaTypeException', 'The request body must be JSON (Content-Type: application/json).');
        }
        // Some have nothing to say (refresh, logout): no body is an empty object.
        if (event.body === undefined || event.body === '') event.body = '{}';
      }
      // The JSON body parser decodes base64 loosely; it gets text known to be UTF-8 instead.
      if (event.isBase64Encoded) {
        event.body = decodeBody(event);
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
