// The HTTP answers the edge writes (API Gateway payload format 2.0): a surface's Answer, an error in
// its route's format, and a preflight. Every answer is not to be cached or sniffed and keeps browsers
// on HTTPS; bodies are JSON except the pages a person's browser is sent to.

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { BrokerConfig } from '../core/config.js';
import { toOAuthWire, toPortalWire, type BrokerError } from '../core/errors.js';
import type { Answer } from '../surfaces/answer.js';
import { corsHeaders, preflightHeaders, type PreflightScope } from './cors.js';
import type { ErrorFormat } from './routes.js';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'referrer-policy': 'no-referrer',
};

/** Every answer with a body is JSON, and may hold tokens. */
const BASE_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json', ...SECURITY_HEADERS };

/** Pages are static text: no script, no style from elsewhere, never framed. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
};

export interface ReplyContext {
  readonly origin: string | undefined;
  readonly config: BrokerConfig;
  readonly requestId: string | undefined;
  /** A cookie-session route: credentialed CORS. */
  readonly credentials: boolean;
}

const requestIdHeader = (context: ReplyContext): Record<string, string> =>
  context.requestId === undefined ? {} : { 'x-amzn-RequestId': context.requestId };

function jsonResponse(statusCode: number, body: unknown, context: ReplyContext, extraHeaders: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: {
      ...BASE_HEADERS,
      ...corsHeaders(context.origin, context.config, context.credentials),
      ...requestIdHeader(context),
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  };
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A readable page for a person whose browser was sent here (the front door's authorize and callback). */
function pageResponse(statusCode: number, title: string, message: string, context: ReplyContext): HttpResponse {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${
    context.requestId === undefined ? '' : `<p><small>Request id: ${escapeHtml(context.requestId)}</small></p>`
  }</body></html>
`;
  return {
    statusCode,
    headers: { ...SECURITY_HEADERS, ...PAGE_HEADERS, ...corsHeaders(context.origin, context.config), ...requestIdHeader(context) },
    body,
  };
}

/** A 302 to `location`, which the route has validated. No-referrer keeps codes out of Referer headers. */
function redirectResponse(location: string, context: ReplyContext): HttpResponse {
  return {
    statusCode: 302,
    headers: { ...SECURITY_HEADERS, ...corsHeaders(context.origin, context.config), ...requestIdHeader(context), location },
    body: '',
  };
}

/**
 * Another service's answer passed on (the bearer proxy): its allow-listed headers and its bytes as
 * they came (base64, so any body survives API Gateway), under the broker's own security headers.
 */
function passThroughResponse(statusCode: number, passed: { readonly headers: Readonly<Record<string, string>>; readonly body: Uint8Array }, context: ReplyContext): HttpResponse {
  return {
    statusCode,
    headers: { ...passed.headers, ...SECURITY_HEADERS, ...corsHeaders(context.origin, context.config, context.credentials), ...requestIdHeader(context) },
    // A view of the bytes, not a copy of them (Buffer.from of a Uint8Array copies).
    body: Buffer.from(passed.body.buffer, passed.body.byteOffset, passed.body.byteLength).toString('base64'),
    isBase64Encoded: true,
  };
}

/** A surface's answer on the wire; Set-Cookie values become payload 2.0 `cookies`. */
export function answerResponse(answer: Answer, context: ReplyContext): HttpResponse {
  if ('location' in answer) return redirectResponse(answer.location, context);
  if ('page' in answer) return pageResponse(answer.statusCode, answer.page.title, answer.page.message, context);
  const response = 'passThrough' in answer ? passThroughResponse(answer.statusCode, answer.passThrough, context) : jsonResponse(answer.statusCode, answer.body, context);
  return answer.cookies === undefined ? response : { ...response, cookies: [...answer.cookies] };
}

/**
 * An error in its route's format: the AWS dialect's JSON, RFC 6749 §5.2 JSON, the access portal's
 * JSON (`message`, which its SDKs and the CLI read), or a page where a person's browser was sent
 * (never a redirect: RFC 6749 §4.1.2.1 allows redirecting only to a validated redirect URI, which
 * the route decides itself).
 */
export function errorResponse(error: BrokerError, format: ErrorFormat, context: ReplyContext, triedHttpAuthentication: boolean): HttpResponse {
  if (format === 'page') {
    const title = error.status >= 500 ? 'Sign-in is unavailable' : 'Sign-in request refused';
    return pageResponse(error.status, title, error.description ?? error.error, context);
  }
  if (format === 'oauth') {
    // RFC 6749 §5.2: a client that tried HTTP authentication gets 401 with a challenge. Only then: a
    // challenge on a browser's fetch could make it prompt the person for a password.
    const challenge: Record<string, string> =
      error.status === 401 && triedHttpAuthentication ? { 'www-authenticate': 'Basic realm="token-broker"' } : {};
    return jsonResponse(error.status, toOAuthWire(error), context, { 'x-amzn-ErrorType': error.type, ...challenge });
  }
  if (format === 'portal') return jsonResponse(error.status, toPortalWire(error), context, { 'x-amzn-ErrorType': error.type });
  const response = jsonResponse(error.status, error.toWire(), context, { 'x-amzn-ErrorType': error.type });
  return error.cookies.length > 0 ? { ...response, cookies: [...error.cookies] } : response;
}

/** The answer to a CORS preflight from an allowed origin (the origin check has already run). */
export function preflightResponse(context: ReplyContext, scope: PreflightScope): HttpResponse {
  return { statusCode: 204, headers: { ...SECURITY_HEADERS, ...preflightHeaders(context.origin, context.config, context.credentials, scope) }, body: '' };
}
