// HTTP concerns of the API Gateway (payload format 2.0) interface: response headers, CORS, and the
// checks made before a body is parsed. Pure functions of the event and the configuration.

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { BrokerConfig } from '../core/config.js';
import { brokerError, invalidRequest, toOAuthWire, type BrokerError } from '../core/errors.js';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

export const MAX_BODY_BYTES = 16 * 1024;

/** Headers a browser may read from our answers: the error type and the request id. */
export const EXPOSED_HEADERS = ['x-amzn-ErrorType', 'x-amzn-RequestId'] as const;

/** Request headers a page (plain fetch or the AWS SDK for JavaScript in a browser) may send. */
export const ALLOWED_REQUEST_HEADERS = [
  'content-type',
  'amz-sdk-invocation-id',
  'amz-sdk-request',
  'x-amz-user-agent',
] as const;

const PREFLIGHT_MAX_AGE_SECONDS = 600;

// ---- token-handler sessions (/bff, issue 11) ----
/**
 * The custom header every /bff request must carry. A page cannot add a custom header to a
 * cross-origin request without a CORS preflight (Fetch standard, "CORS-safelisted request-header"),
 * and the preflight only succeeds for allowed origins: a form, link or image on another site can
 * never produce a /bff request that carries the session cookie and this header.
 */
export const CSRF_HEADER = 'x-token-broker-csrf';

/** The routes under /bff read or set the session cookies: credentialed CORS, CSRF header, JSON only. */
export const isBffPath = (path: string | undefined): boolean => path === '/bff' || (path?.startsWith('/bff/') ?? false);

/**
 * The CSRF rule, checked before anything else on a /bff route (even the origin): a request without
 * `x-token-broker-csrf: 1` is refused with nothing read, decrypted or sent upstream.
 */
export function checkCsrfHeader(event: APIGatewayProxyEventV2): void {
  if (event.headers?.[CSRF_HEADER] !== '1') {
    throw brokerError('CsrfHeaderRequiredException', `Requests to /bff routes must carry the header ${CSRF_HEADER}: 1.`);
  }
}

const JSON_CONTENT_TYPE = /^application\/json\s*(;|$)/i;

/** A /bff POST must say it is JSON (which a cross-site HTML form cannot send without a preflight). */
export function checkJsonContentType(event: APIGatewayProxyEventV2): void {
  if (!JSON_CONTENT_TYPE.test(event.headers?.['content-type'] ?? '')) {
    throw brokerError('UnsupportedMediaTypeException', 'The request body must be JSON (Content-Type: application/json).');
  }
}

/** Every answer, preflight included, must not be cached or sniffed, and keeps browsers on HTTPS. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'referrer-policy': 'no-referrer',
};

/** Every answer with a body is JSON, and may hold tokens. */
const BASE_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json', ...SECURITY_HEADERS };

export const originOf = (event: APIGatewayProxyEventV2): string | undefined => event.headers?.origin;

/** Requests with no Origin (servers, CLIs, SDKs) are allowed; browsers only from the allow list. */
export const isOriginAllowed = (origin: string | undefined, config: BrokerConfig): boolean =>
  origin === undefined || config.allowedOrigins.has(origin);

function corsHeaders(origin: string | undefined, config: BrokerConfig, credentials = false): Record<string, string> {
  const headers: Record<string, string> = { vary: 'Origin' };
  if (origin !== undefined && config.allowedOrigins.has(origin)) {
    headers['access-control-allow-origin'] = origin;
    headers['access-control-expose-headers'] = EXPOSED_HEADERS.join(', ');
    // Only /bff answers may be read by a page that sent cookies, and only by allowed origins
    // (Fetch standard, CORS check: credentials need an exact origin and this header).
    if (credentials) headers['access-control-allow-credentials'] = 'true';
  }
  return headers;
}

export interface ReplyContext {
  readonly origin: string | undefined;
  readonly config: BrokerConfig;
  readonly requestId: string | undefined;
  /** A /bff route: credentialed CORS. */
  readonly credentials?: boolean;
}

export function jsonResponse(
  statusCode: number,
  body: unknown,
  context: ReplyContext,
  extraHeaders: Record<string, string> = {},
): HttpResponse {
  return {
    statusCode,
    headers: {
      ...BASE_HEADERS,
      ...corsHeaders(context.origin, context.config, context.credentials),
      ...(context.requestId === undefined ? {} : { 'x-amzn-RequestId': context.requestId }),
      ...extraHeaders,
    },
    body: JSON.stringify(body),
  };
}

export function errorResponse(error: BrokerError, context: ReplyContext): HttpResponse {
  const response = jsonResponse(error.status, error.toWire(), context, { 'x-amzn-ErrorType': error.type });
  return error.cookies.length > 0 ? { ...response, cookies: [...error.cookies] } : response;
}

/** An error on a front-door JSON route: the RFC 6749 §5.2 body, the service's type in the header. */
export function oauthErrorResponse(
  error: BrokerError,
  context: { origin: string | undefined; config: BrokerConfig; requestId: string | undefined },
  triedHttpAuthentication = false,
): HttpResponse {
  // RFC 6749 §5.2: a client that tried HTTP authentication gets 401 with a challenge. Only then: a
  // challenge on a browser's fetch could make it prompt the person for a password.
  const challenge: Record<string, string> =
    error.status === 401 && triedHttpAuthentication ? { 'www-authenticate': 'Basic realm="token-broker"' } : {};
  return jsonResponse(error.status, toOAuthWire(error), context, { 'x-amzn-ErrorType': error.type, ...challenge });
}

/** Pages are static text: no script, no style from elsewhere, never framed. */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
};

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** A readable page for a person whose browser was sent here (the front door's authorize and callback). */
export function pageResponse(
  statusCode: number,
  title: string,
  message: string,
  context: { origin: string | undefined; config: BrokerConfig; requestId: string | undefined },
): HttpResponse {
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${
    context.requestId === undefined ? '' : `<p><small>Request id: ${escapeHtml(context.requestId)}</small></p>`
  }</body></html>
`;
  return {
    statusCode,
    headers: {
      ...SECURITY_HEADERS,
      ...PAGE_HEADERS,
      ...corsHeaders(context.origin, context.config),
      ...(context.requestId === undefined ? {} : { 'x-amzn-RequestId': context.requestId }),
    },
    body,
  };
}

/** A 302 to `location`, which the caller has validated. No-referrer keeps codes out of Referer headers. */
export function redirectResponse(
  location: string,
  context: { origin: string | undefined; config: BrokerConfig; requestId: string | undefined },
): HttpResponse {
  return {
    statusCode: 302,
    headers: {
      ...SECURITY_HEADERS,
      ...corsHeaders(context.origin, context.config),
      ...(context.requestId === undefined ? {} : { 'x-amzn-RequestId': context.requestId }),
      location,
    },
    body: '',
  };
}

/** The answer to a CORS preflight from an allowed origin (the origin check has already run). */
export function preflightResponse(origin: string | undefined, config: BrokerConfig, bff = false): HttpResponse {
  const headers: Record<string, string> = { ...SECURITY_HEADERS, ...corsHeaders(origin, config, bff) };
  if (origin !== undefined) {
    headers['access-control-allow-methods'] = 'GET, POST';
    headers['access-control-allow-headers'] = [...ALLOWED_REQUEST_HEADERS, ...(bff ? [CSRF_HEADER] : [])].join(', ');
    headers['access-control-max-age'] = String(PREFLIGHT_MAX_AGE_SECONDS);
  } else {
    headers.allow = 'GET, OPTIONS, POST';
  }
  return { statusCode: 204, headers, body: '' };
}

/** The body's size in bytes as the caller sent it (API Gateway base64-encodes binary bodies). */
export function bodyBytes(event: APIGatewayProxyEventV2): number {
  if (event.body === undefined || event.body === null) return 0;
  return event.isBase64Encoded ? Buffer.byteLength(event.body, 'base64') : Buffer.byteLength(event.body, 'utf8');
}

// `ignoreBOM` keeps a byte order mark in the text, as a body delivered as text keeps it: JSON.parse
// then refuses both alike.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The body as text. API Gateway base64-encodes a body it does not take for text (for JSON, one that
 * is not valid UTF-8). JSON must be UTF-8 (RFC 8259), and decoding it loosely would replace bytes
 * with U+FFFD and forward an altered code or token: such a body is refused instead.
 */
export function decodeBody(event: APIGatewayProxyEventV2): string | undefined {
  if (event.body === undefined || event.body === null || !event.isBase64Encoded) return event.body ?? undefined;
  try {
    return UTF8.decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw invalidRequest('The request body is not valid JSON: it is not UTF-8.');
  }
}

/** The checks that need no body: origin, then size. Throws the answer when one fails. */
export function checkRequest(event: APIGatewayProxyEventV2, config: BrokerConfig): void {
  if (!isOriginAllowed(originOf(event), config)) {
    throw brokerError('ForbiddenOriginException', 'This origin is not allowed to call the token broker.');
  }
  if (bodyBytes(event) > MAX_BODY_BYTES) {
    throw brokerError('PayloadTooLargeException', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);
  }
}
