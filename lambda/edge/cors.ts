// CORS, answered by the function itself (not API Gateway's built-in CORS, which would ignore the
// function's headers) so that local and deployed behaviour come from the same code. Browsers may read
// an answer only from an allowed origin; requests with no Origin (servers, CLIs, SDKs) are always
// allowed (Fetch standard, CORS protocol). Two doors, two origin lists: the token routes answer
// TOKEN_BROKER_ALLOWED_ORIGINS, the cookie-session routes (credentialed) TOKEN_BROKER_SESSION_ORIGINS.

import { ANSWER_HEADERS, REQUEST_HEADERS } from '../core/api-headers.js';
import type { BrokerConfig } from '../core/config.js';
import { PORTAL_BEARER_HEADER } from '../core/portal-config.js';

/** Headers a browser may read from our answers: the error type and the request id. */
export const EXPOSED_HEADERS = ['x-amzn-ErrorType', 'x-amzn-RequestId'] as const;

/** Request headers a page (plain fetch or the AWS SDK for JavaScript in a browser) may send. */
const ALLOWED_REQUEST_HEADERS = ['content-type', 'amz-sdk-invocation-id', 'amz-sdk-request', 'x-amz-user-agent'] as const;

/**
 * The custom header every cookie-session request must carry. A page cannot add a custom header to a
 * cross-origin request without a CORS preflight (Fetch standard, "CORS-safelisted request-header"),
 * and the preflight only succeeds for allowed origins: a form, link or image on another site can
 * never produce a session request that carries the session cookie and this header.
 */
export const CSRF_HEADER = 'x-token-broker-csrf';

const PREFLIGHT_MAX_AGE_SECONDS = 600;

const NONE: ReadonlySet<string> = new Set();

/** The origins of a door: the cookie-session origins for credentialed (session) routes, the token-API origins otherwise. */
export const doorOrigins = (credentials: boolean, config: BrokerConfig): ReadonlySet<string> =>
  credentials ? (config.cookieSessions?.origins ?? NONE) : config.allowedOrigins;

/**
 * The CORS headers of an answer. Only cookie-session answers may be read by a page that sent
 * cookies, and only by a session origin (Fetch standard, CORS check: credentials need an exact
 * origin and Access-Control-Allow-Credentials).
 */
export function corsHeaders(origin: string | undefined, config: BrokerConfig, credentials = false): Record<string, string> {
  const headers: Record<string, string> = { vary: 'Origin' };
  if (origin !== undefined && doorOrigins(credentials, config).has(origin)) {
    headers['access-control-allow-origin'] = origin;
    // Session answers may be an API's, passed on with its allow-listed headers.
    headers['access-control-expose-headers'] = [...EXPOSED_HEADERS, ...(credentials ? ANSWER_HEADERS : [])].join(', ');
    if (credentials) headers['access-control-allow-credentials'] = 'true';
  }
  return headers;
}

/**
 * What a preflight allows: the methods of its path's routes, whether the bearer proxy's request
 * headers are among them, and whether the access portal's bearer header is (only on the access
 * portal's paths, where a browser SSOClient sends it).
 */
export interface PreflightScope {
  readonly methods: readonly string[];
  readonly proxy: boolean;
  readonly bearer: boolean;
}

/** The headers of a preflight answer from an allowed origin (the origin check has already run); the CSRF header only on cookie-session paths. */
export function preflightHeaders(origin: string | undefined, config: BrokerConfig, credentials: boolean, scope: PreflightScope): Record<string, string> {
  const headers = corsHeaders(origin, config, credentials);
  if (origin !== undefined) {
    headers['access-control-allow-methods'] = scope.methods.join(', ');
    headers['access-control-allow-headers'] = [
      ...new Set([
        ...ALLOWED_REQUEST_HEADERS,
        ...(credentials ? [CSRF_HEADER] : []),
        ...(scope.proxy ? REQUEST_HEADERS : []),
        ...(scope.bearer ? [PORTAL_BEARER_HEADER] : []),
      ]),
    ].join(', ');
    headers['access-control-max-age'] = String(PREFLIGHT_MAX_AGE_SECONDS);
  } else {
    headers.allow = [...new Set([...scope.methods, 'OPTIONS'])].sort().join(', ');
  }
  return headers;
}
