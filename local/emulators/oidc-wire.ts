// SSO OIDC's wire format as the SSO OIDC emulator speaks it (see /work/shared/NOTES.md): the grant
// types, the service's error table and error answers, and the parsing of RegisterClient,
// CreateToken and /authorize requests into the inputs the emulator's logic takes.

import type { Reply } from './http.js';

export const AUTHORIZATION_CODE = 'authorization_code';
export const REFRESH_TOKEN = 'refresh_token';
export const DEVICE_CODE = 'urn:ietf:params:oauth:grant-type:device_code';
export const ALL_GRANT_TYPES = [AUTHORIZATION_CODE, REFRESH_TOKEN, DEVICE_CODE];

const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazonaws.sso.oidc/';

// The service's error table, kept here rather than imported from lambda/errors.ts on purpose: the
// emulator stands for the service, so a mistake in the broker's table must not be mirrored here.
export const ERRORS = {
  AccessDeniedException: [400, 'access_denied'],
  AuthorizationPendingException: [400, 'authorization_pending'],
  ExpiredTokenException: [400, 'expired_token'],
  InternalServerException: [500, 'server_error'],
  InvalidClientException: [401, 'invalid_client'],
  InvalidClientMetadataException: [400, 'invalid_client_metadata'],
  InvalidGrantException: [400, 'invalid_grant'],
  InvalidRedirectUriException: [400, 'invalid_redirect_uri'],
  InvalidRequestException: [400, 'invalid_request'],
  InvalidScopeException: [400, 'invalid_scope'],
  SlowDownException: [400, 'slow_down'],
  UnauthorizedClientException: [400, 'unauthorized_client'],
  UnsupportedGrantTypeException: [400, 'unsupported_grant_type'],
} as const satisfies Record<string, readonly [number, string]>;

export type OidcErrorType = keyof typeof ERRORS;

export interface RegisterClientInput {
  clientName: string;
  clientType: string;
  scopes?: string[];
  grantTypes?: string[];
  redirectUris?: string[];
  issuerUrl?: string;
  entitledApplicationArn?: string;
}

export interface AuthorizeInput {
  clientId: string;
  redirectUri: string;
  codeChallenge?: string;
  scopes?: string[];
  /** Only used by the HTTP flow, which echoes it in the redirect. */
  state?: string;
}

export interface TokenRequest {
  clientId?: string;
  clientSecret?: string;
  grantType: string;
  code?: string;
  codeVerifier?: string;
  redirectUri?: string;
  refreshToken?: string;
  deviceCode?: string;
  scope?: string[];
}

/** A modeled service error; becomes the JSON error answer. */
export class OidcError extends Error {
  constructor(
    readonly type: OidcErrorType,
    readonly description: string,
    readonly reason?: string,
  ) {
    super(description);
    this.name = type;
  }
}

/** A problem on a browser page (/authorize, /device): a 400 HTML page, never a redirect. */
export class PageError extends Error {
  override name = 'PageError';
}

/** The service's error shape: the type in a header, OAuth-style members in the body, no `message`. */
export function errorReply(type: string, status: number, error: string | undefined, description?: string, reason?: string): Reply {
  // JSON.stringify leaves out undefined members, as the service leaves out absent ones.
  return {
    status,
    headers: { 'x-amzn-ErrorType': `${type}${ERROR_TYPE_SUFFIX}` },
    json: { error, error_description: description, reason },
  };
}

export function oidcErrorReply(error: OidcError): Reply {
  const [status, code] = ERRORS[error.type];
  return errorReply(error.type, status, code, error.description, error.reason);
}

/** The OAuth `error` code of a modeled type; undefined for a type the table does not know. */
export function knownError(type: string): string | undefined {
  return type in ERRORS ? ERRORS[type as OidcErrorType][1] : undefined;
}

export function redirect(uri: string, params: Record<string, string | undefined>): Reply {
  const location = new URL(uri);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined) location.searchParams.set(name, value);
  }
  return { status: 302, headers: { Location: location.href } };
}

export function invalidRequest(description: string): never {
  throw new OidcError('InvalidRequestException', description);
}

export function invalidGrant(description: string): OidcError {
  return new OidcError('InvalidGrantException', description);
}

export function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') invalidRequest(`${key} must be a string`);
  return value;
}

function optionalStrings(
  body: Record<string, unknown>,
  key: string,
  fail: (description: string) => never,
): string[] | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) fail(`${key} must be a list of strings`);
  return value as string[];
}

export function parseTokenRequest(json: Record<string, unknown> | undefined): TokenRequest {
  const body = json ?? invalidRequest('Invalid JSON body');
  const grantType = optionalString(body, 'grantType');
  if (grantType === undefined || grantType === '') invalidRequest('grantType is required');
  const request: TokenRequest = { grantType };
  for (const key of ['clientId', 'clientSecret', 'code', 'codeVerifier', 'redirectUri', 'refreshToken', 'deviceCode'] as const) {
    const value = optionalString(body, key);
    if (value !== undefined) request[key] = value;
  }
  const scope = optionalStrings(body, 'scope', invalidRequest);
  if (scope !== undefined) request.scope = scope;
  return request;
}

export function parseRegisterInput(json: Record<string, unknown> | undefined): RegisterClientInput {
  const body = json ?? invalidRequest('Invalid JSON body');
  const metadata: (description: string) => never = (description) => {
    throw new OidcError('InvalidClientMetadataException', description);
  };
  const text = (key: string): string | undefined => {
    const value = body[key];
    if (value !== undefined && value !== null && typeof value !== 'string') metadata(`${key} must be a string`);
    return (value ?? undefined) as string | undefined;
  };
  const clientName = text('clientName');
  const clientType = text('clientType');
  if (clientName === undefined || clientType === undefined) metadata('clientName and clientType are required');
  const input: RegisterClientInput = { clientName, clientType };
  for (const key of ['scopes', 'grantTypes', 'redirectUris'] as const) {
    const value = optionalStrings(body, key, metadata);
    if (value !== undefined) input[key] = value;
  }
  for (const key of ['issuerUrl', 'entitledApplicationArn'] as const) {
    const value = text(key);
    if (value !== undefined) input[key] = value;
  }
  return input;
}

/** The /authorize parameters a sign-in page carries through its form. */
export const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'state', 'code_challenge', 'code_challenge_method', 'scopes'];

/** The /authorize query or form as an AuthorizeInput; checks what only the HTTP form carries. */
export function parseAuthorizeParams(params: URLSearchParams): AuthorizeInput {
  const get = (name: string): string | undefined => params.get(name) ?? undefined;
  if (get('response_type') !== 'code') throw new PageError('response_type must be code');
  const codeChallenge = get('code_challenge');
  const method = get('code_challenge_method');
  if ((codeChallenge !== undefined || method !== undefined) && (codeChallenge === undefined || method !== 'S256')) {
    throw new PageError('PKCE requires code_challenge with code_challenge_method=S256');
  }
  const scopes = get('scopes')?.split(/[\s,]+/).filter((scope) => scope !== '');
  return {
    clientId: get('client_id') ?? '',
    redirectUri: get('redirect_uri') ?? '',
    ...(codeChallenge === undefined ? {} : { codeChallenge }),
    ...(scopes === undefined ? {} : { scopes }),
    ...(params.has('state') ? { state: get('state') } : {}),
  };
}
