// The broker's error vocabulary: every error a caller can see, whether SSO OIDC raised it (passed
// through as it came) or the broker raised it itself, in one wire shape:
//   status, `x-amzn-ErrorType: <Type>`, `{ "__type", "error", "error_description", "message"?, "reason"? }`.
// The body carries `__type` because API Gateway may rename `x-amzn-*` headers that an integration
// returns; AWS SDKs read the type from the header first and fall back to the body's `__type`.
// The broker's own errors also carry `message` (the description again): the AWS CLI and SDKs print
// an error's `message`, and would print nothing for the broker's advice. SSO OIDC's answers have no
// `message`, and pass through without one.
// What a caller sees is decided here; what the log sees never includes request data, but for a
// refused Origin (the setting to fix is then named with it).

/** SSO OIDC CreateToken / StartDeviceAuthorization error types, as the service models them. */
export const UPSTREAM_ERRORS = {
  AccessDeniedException: { status: 400, error: 'access_denied' },
  AuthorizationPendingException: { status: 400, error: 'authorization_pending' },
  ExpiredTokenException: { status: 400, error: 'expired_token' },
  InternalServerException: { status: 500, error: 'server_error' },
  InvalidClientException: { status: 401, error: 'invalid_client' },
  InvalidGrantException: { status: 400, error: 'invalid_grant' },
  InvalidRequestException: { status: 400, error: 'invalid_request' },
  InvalidScopeException: { status: 400, error: 'invalid_scope' },
  SlowDownException: { status: 400, error: 'slow_down' },
  UnauthorizedClientException: { status: 400, error: 'unauthorized_client' },
  UnsupportedGrantTypeException: { status: 400, error: 'unsupported_grant_type' },
} as const;

type UpstreamErrorType = keyof typeof UPSTREAM_ERRORS;

/**
 * The AWS access portal's error types (service `sso`) besides InvalidRequestException (400, above):
 * the three more it models and ForbiddenException, which it is seen to send for a role the user
 * lacks. Their `error` values are what an OAuth 2.0 client would read in them (RFC 6750 section 3.1
 * for the token).
 */
export const PORTAL_ERRORS = {
  UnauthorizedException: { status: 401, error: 'invalid_token' },
  ForbiddenException: { status: 403, error: 'access_denied' },
  ResourceNotFoundException: { status: 404, error: 'invalid_request' },
  TooManyRequestsException: { status: 429, error: 'temporarily_unavailable' },
} as const;

type PortalErrorType = keyof typeof PORTAL_ERRORS;

/** Errors only the broker raises. Their `error` values are OAuth 2.0 (RFC 6749) error codes. */
export const BROKER_ERRORS = {
  ForbiddenOriginException: { status: 403, error: 'access_denied' },
  NotFoundException: { status: 404, error: 'invalid_request' },
  PayloadTooLargeException: { status: 413, error: 'invalid_request' },
  UnsupportedMediaTypeException: { status: 415, error: 'invalid_request' },
  BadGatewayException: { status: 502, error: 'temporarily_unavailable' },
  GatewayTimeoutException: { status: 504, error: 'temporarily_unavailable' },
  // Token-handler sessions (/bff). `session_expired` is not an RFC 6749 code: it is what a
  // token handler tells its SPA (as Curity's agent does) when the session cookie is gone or unusable.
  SessionExpiredException: { status: 401, error: 'session_expired' },
  CsrfHeaderRequiredException: { status: 403, error: 'access_denied' },
  // The tokens SSO OIDC issued do not fit in the cookies a browser request may carry.
  SessionTooLargeException: { status: 500, error: 'server_error' },
  // The bearer proxy: a method the API's allow list (TOKEN_BROKER_APIS) does not name.
  MethodNotAllowedException: { status: 405, error: 'invalid_request' },
  // The access portal routes: a role the deployment's role policy (TOKEN_BROKER_PORTAL_ROLES) leaves out.
  RoleNotAllowedException: { status: 403, error: 'access_denied' },
} as const;

type BrokerErrorType = keyof typeof BROKER_ERRORS;
export type ErrorType = UpstreamErrorType | PortalErrorType | BrokerErrorType;

/** Every type the vocabulary knows, with its status and `error`. */
const KNOWN_ERRORS: Readonly<Record<string, { readonly status: number; readonly error: string }>> = {
  ...UPSTREAM_ERRORS,
  ...PORTAL_ERRORS,
  ...BROKER_ERRORS,
};

interface WireError {
  readonly __type: string;
  readonly error: string;
  readonly error_description?: string;
  readonly message?: string;
  readonly reason?: string;
}

/** What the log records of an upstream call that ended in an error: its HTTP status and request id. */
export interface UpstreamCall {
  readonly status: number | undefined;
  readonly requestId: string | undefined;
}

/**
 * An error with its wire form. `type` is open (a string) because unknown upstream types pass through.
 * `logDetail` is for the log only and must never hold secrets, tokens or codes, nor request data but
 * what an operator needs to fix the configuration (a refused Origin, which a browser sends openly). `upstream` is
 * set when the error ended an upstream call (whoever wrote the answer: the service, or the broker
 * when the service's answer could not be used).
 */
export class BrokerError extends Error {
  readonly status: number;
  readonly type: string;
  readonly error: string;
  readonly description: string | undefined;
  readonly reason: string | undefined;
  /** True when SSO OIDC produced this answer; false when the broker did. */
  readonly fromUpstream: boolean;
  readonly logDetail: string | undefined;
  /** Set-Cookie values sent with this answer (a session_expired clears the broker's cookies). */
  readonly cookies: readonly string[];
  readonly upstream: UpstreamCall | undefined;

  constructor(init: {
    status: number;
    type: string;
    error: string;
    description?: string | undefined;
    reason?: string | undefined;
    fromUpstream?: boolean;
    logDetail?: string | undefined;
    cookies?: readonly string[];
    upstream?: UpstreamCall | undefined;
  }) {
    super(init.description ?? init.error);
    this.name = 'BrokerError';
    this.status = init.status;
    this.type = init.type;
    this.error = init.error;
    this.description = init.description;
    this.reason = init.reason;
    this.fromUpstream = init.fromUpstream ?? false;
    this.logDetail = init.logDetail;
    this.cookies = init.cookies ?? [];
    this.upstream = init.upstream;
  }

  /** The same answer, with Set-Cookie values. */
  withCookies(cookies: readonly string[]): BrokerError {
    return new BrokerError({ ...this, cookies });
  }

  /** The same answer, as the end of an upstream call. */
  fromCall(upstream: UpstreamCall): BrokerError {
    return new BrokerError({ ...this, upstream });
  }

  toWire(): WireError {
    return {
      __type: this.type,
      error: this.error,
      ...(this.description === undefined ? {} : { error_description: this.description }),
      ...(this.fromUpstream ? {} : { message: this.description ?? this.error }),
      ...(this.reason === undefined ? {} : { reason: this.reason }),
    };
  }
}

/** An error raised by the broker itself, in the shared vocabulary. */
export function brokerError(
  type: ErrorType,
  description: string,
  extra: { reason?: string; logDetail?: string; upstream?: UpstreamCall } = {},
): BrokerError {
  const known = KNOWN_ERRORS[type]!;
  return new BrokerError({ status: known.status, type, error: known.error, description, ...extra });
}

export const invalidRequest = (description: string): BrokerError => brokerError('InvalidRequestException', description);

/** The generic answer when something inside the broker failed; details go to the log only. */
export const internalError = (logDetail: string): BrokerError =>
  brokerError('InternalServerException', 'The token broker could not complete the request.', { logDetail });

/** An SSO OIDC error answer, passed through as the service gave it. */
export function upstreamError(init: {
  status: number;
  type: string;
  error?: string | undefined;
  description?: string | undefined;
  reason?: string | undefined;
  requestId?: string | undefined;
}): BrokerError {
  const known = UPSTREAM_ERRORS[init.type as UpstreamErrorType] as { error: string } | undefined;
  return new BrokerError({
    status: init.status,
    type: init.type,
    // Only when the service sent no `error` do we fill in the one its model pairs with the type.
    error: init.error ?? known?.error ?? 'server_error',
    description: init.description,
    reason: init.reason,
    fromUpstream: true,
    upstream: { status: init.status, requestId: init.requestId },
  });
}

/**
 * The error codes a standard OAuth 2.0 client understands: RFC 6749 §4.1.2.1 (authorization
 * endpoint) and §5.2 (token endpoint), RFC 8628 §3.5 (device polling).
 */
export const RFC_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'unsupported_response_type',
  'invalid_scope',
  'access_denied',
  'server_error',
  'temporarily_unavailable',
  'authorization_pending',
  'slow_down',
  'expired_token',
]);

/** The error codes of an authorization response (RFC 6749 §4.1.2.1): all a redirect may carry. */
export const AUTHORIZATION_ERRORS: ReadonlySet<string> = new Set([
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
]);

/** An answer in the RFC 6749 §5.2 shape, for the front door. */
interface OAuthWireError {
  readonly error: string;
  readonly error_description?: string;
}

/**
 * The RFC 6749 / RFC 8628 `error` a vocabulary error stands for. SSO OIDC's types name them (see
 * UPSTREAM_ERRORS); an error type the broker does not know keeps the service's `error` when that is
 * a registered code, and otherwise becomes the generic code its status class implies.
 */
export function rfcErrorCode(error: BrokerError): string {
  const known = (UPSTREAM_ERRORS as Record<string, { error: string }>)[error.type] ?? (BROKER_ERRORS as Record<string, { error: string }>)[error.type];
  if (known !== undefined) return known.error;
  if (RFC_ERRORS.has(error.error)) return error.error;
  return error.status >= 500 ? 'server_error' : 'invalid_request';
}

/** The RFC 6749 §5.2 body for an error; the service's own type stays in `x-amzn-ErrorType`. */
export function toOAuthWire(error: BrokerError): OAuthWireError {
  return {
    error: rfcErrorCode(error),
    ...(error.description === undefined ? {} : { error_description: error.description }),
  };
}

/** The `error` a portal error type stands for: the vocabulary's, or the generic code its status class implies. */
export const portalErrorCode = (type: string, status: number): string =>
  KNOWN_ERRORS[type]?.error ?? (status >= 500 ? 'server_error' : 'invalid_request');

/** An answer in the AWS access portal's shape: `message` (rest-json), and `__type` as every AWS-dialect answer of the broker has it. */
interface PortalWireError {
  readonly __type: string;
  readonly message?: string;
}

/**
 * The portal's error body for an error: its message (absent when the portal sent none), with the
 * type in `__type` too (SDKs read x-amzn-ErrorType first, then `__type`), as the AWS dialect does.
 */
export function toPortalWire(error: BrokerError): PortalWireError {
  return { __type: error.type, ...(error.description === undefined ? {} : { message: error.description }) };
}
