// The SSO OIDC calls on the wire (rest-json, unsigned: the registration travels in the body), and
// the mapping of every answer onto the caller's: a usable success, SSO OIDC's own error passed
// through as it came, or the broker's 502/504. Never retried: a retried CreateToken would replay a
// single-use authorization code or refresh token (the handler resends only a request that never
// left, http-handler.ts). Written over rest-json.ts rather than with @aws-sdk/client-sso-oidc's
// client: the same bytes on the wire, answers passed on as SSO OIDC wrote them instead of through
// the SDK's exceptions, and none of the client's middleware, endpoint rules and serde on every call
// and at every cold start (docs/performance.md). `test/integration/sdk-compat.test.ts` and the
// emulator suites hold it to what the SDK's client sees.

import { partition } from '@aws-sdk/core/client';
import type { BrokerConfig, GrantType } from './config.js';
import { oidcEndpointOf } from './endpoints.js';
import { brokerError, upstreamError, type BrokerError, type UpstreamCall } from './errors.js';
import type { Registration } from './registration.js';
import type { UpstreamResult } from './audit.js';
import { errorTypeOf, membersOf, restJsonCaller, unreadableMessage, type RestJsonAnswer, type RestJsonCall } from './rest-json.js';

/** What CreateToken is sent besides the registration: only members relevant to the grant. */
export interface TokenRequest {
  readonly grantType: GrantType;
  readonly code?: string;
  readonly codeVerifier?: string;
  readonly redirectUri?: string;
  readonly refreshToken?: string;
  readonly deviceCode?: string;
  readonly scope?: string[];
}

/** A CreateToken answer the broker can use: an access token at least (pick checks it). */
export interface TokenResponse {
  readonly accessToken: string;
  readonly tokenType?: string;
  readonly expiresIn?: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
}

/** A StartDeviceAuthorization answer the broker can use: a device code and a user code at least (pick checks them). */
export interface DeviceAuthorizationResponse {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri?: string;
  readonly verificationUriComplete?: string;
  readonly expiresIn?: number;
  readonly interval?: number;
}

export interface Upstream {
  createToken(registration: Registration, request: TokenRequest): Promise<UpstreamResult<TokenResponse>>;
  startDeviceAuthorization(
    registration: Registration,
    startUrl: string,
  ): Promise<UpstreamResult<DeviceAuthorizationResponse>>;
}

/** SSO OIDC's two operations the broker calls, as its model (`sso-oidc` 2019-06-10) routes them. */
const OPERATIONS = {
  CreateToken: '/token',
  StartDeviceAuthorization: '/device_authorization',
} as const;

type EndpointConfig = Pick<BrokerConfig, 'oidcRegion' | 'oidcEndpoint'>;

/**
 * SSO OIDC's URL: the configured override, else the region's endpoint by the SDK's rules (with the
 * SDK's partitions table). A variant the partition does not offer (FIPS in a partition without it)
 * stops the cold start, as the SDK's client would fail every call.
 */
export function oidcEndpointFor(config: EndpointConfig): string {
  const { override, fips, dualStack } = config.oidcEndpoint;
  if (override !== undefined) return override;
  const url = oidcEndpointOf(config.oidcRegion, partition(config.oidcRegion), { fips, dualStack });
  if (url === undefined) {
    const variant = [fips ? 'FIPS' : '', dualStack ? 'dual-stack' : ''].filter(Boolean).join(' and ');
    throw new Error(`SSO OIDC has no ${variant} endpoint in ${config.oidcRegion} (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT)`);
  }
  return url;
}

export function createUpstream(config: EndpointConfig & Pick<BrokerConfig, 'upstreamTimeoutMs'>, call: RestJsonCall = oidcCaller(config)): Upstream {
  const send = async <T extends object>(
    operation: keyof typeof OPERATIONS,
    input: Readonly<Record<string, unknown>>,
    registration: Registration,
    pickMembers: (body: object) => T | undefined,
  ): Promise<UpstreamResult<T>> => {
    const answer = await call({ method: 'POST', path: OPERATIONS[operation], json: JSON.stringify(input) }, registration.clientSecret);
    const result = { status: answer.status, requestId: answer.requestId };
    if (answer.status < 200 || answer.status > 299) throw errorOf(answer, registration.clientSecret);
    const body = typeof answer.body === 'object' && answer.body !== null ? usable(pickMembers(answer.body), registration) : undefined;
    return { ...result, body: body ?? unreadable(result) };
  };

  return {
    createToken(registration, request) {
      // The registration last, so that nothing in a request could ever stand in for it.
      const input = { ...request, clientId: registration.clientId, clientSecret: registration.clientSecret };
      return send('CreateToken', input, registration, pickTokenMembers);
    },
    startDeviceAuthorization(registration, startUrl) {
      const input = { clientId: registration.clientId, clientSecret: registration.clientSecret, startUrl };
      return send('StartDeviceAuthorization', input, registration, pickDeviceMembers);
    },
  };
}

/** The calls to SSO OIDC: its endpoint, the broker's upstream timeout, answers up to MAX_ANSWER_BYTES (over `handler`, the broker's own by default). */
export const oidcCaller = (config: EndpointConfig & Pick<BrokerConfig, 'upstreamTimeoutMs'>, handler?: Parameters<typeof restJsonCaller>[1]): RestJsonCall =>
  restJsonCaller({ name: 'SSO OIDC', endpoint: oidcEndpointFor(config), timeoutMs: config.upstreamTimeoutMs, maxAnswerBytes: MAX_ANSWER_BYTES }, handler);

/**
 * A success that quotes the client secret anywhere cannot be passed on, and a token cannot be
 * redacted without breaking it: such an answer is unreadable.
 */
function usable<T extends object>(body: T | undefined, registration: Registration): T | undefined {
  if (body === undefined) return undefined;
  const quotesSecret = Object.values(body).some((value) => typeof value === 'string' && value.includes(registration.clientSecret));
  return quotesSecret ? undefined : body;
}

/**
 * The largest SSO OIDC answer read. A token answer is a few KB (an access token and a refresh token
 * of one to two KB each, an optional ID token, a handful of small members), an error answer less: 64
 * KiB is ten times that and more, and still nothing for a function with 1 GB of memory and a 6 MB
 * response limit. A larger answer is not SSO OIDC's: it is refused (502) without reading the rest.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** The JSON type of each modeled member: a 200 may carry anything. */
export type Shape<T> = { readonly [K in keyof T]-?: 'string' | 'number' };

/**
 * Only the modeled members reach the caller, in a fixed order, undefined ones left out. Undefined
 * when a required member is missing or a member has another type: a 200 the caller could not use
 * (no access token, `"expiresIn": "soon"`) is an unreadable answer, not a success.
 */
export function pick<T extends object>(answer: object, shape: Shape<T>, required: readonly (keyof T)[]): T | undefined {
  const source = answer as { readonly [K in keyof T]?: unknown };
  const members = (Object.keys(shape) as (keyof T)[]).filter((m) => source[m] != null);
  if (required.some((m) => !members.includes(m))) return undefined;
  if (members.some((m) => typeof source[m] !== shape[m])) return undefined;
  // JSON has no Infinity or NaN (`1e999` parses as Infinity, and would be written back as null).
  if (members.some((m) => typeof source[m] === 'number' && !Number.isFinite(source[m]))) return undefined;
  return Object.fromEntries(members.map((m) => [m, source[m]])) as T;
}

const TOKEN_SHAPE: Shape<TokenResponse> = {
  accessToken: 'string',
  tokenType: 'string',
  expiresIn: 'number',
  refreshToken: 'string',
  idToken: 'string',
};
const DEVICE_SHAPE: Shape<DeviceAuthorizationResponse> = {
  deviceCode: 'string',
  userCode: 'string',
  verificationUri: 'string',
  verificationUriComplete: 'string',
  expiresIn: 'number',
  interval: 'number',
};

const pickTokenMembers = (body: object): TokenResponse | undefined => pick(body, TOKEN_SHAPE, ['accessToken']);
const pickDeviceMembers = (body: object): DeviceAuthorizationResponse | undefined => pick(body, DEVICE_SHAPE, ['deviceCode', 'userCode']);

/** What the caller is told of an SSO OIDC answer the broker could not read (one string for every such refusal). */
export const UNREADABLE = unreadableMessage('SSO OIDC');

/** A 200 whose body is not a usable answer: the same 502 as any other unreadable answer. */
function unreadable(result: UpstreamCall): never {
  throw brokerError('BadGatewayException', UNREADABLE, { upstream: { status: result.status, requestId: result.requestId } });
}

/**
 * An error type passed on must be a plain identifier: it becomes the x-amzn-ErrorType header, where
 * CR/LF or a character outside Latin-1 makes the answer unsendable and a long one an oversized header.
 * SSO OIDC's longest is 29 characters.
 */
export const ERROR_TYPE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** RFC 6749 section 5.2: `error` is printable ASCII without `"` and `\`; short, as every code is. */
const ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/;
/** Error answers passed on keep an error status; anything else (status 600, a typed 302) is not SSO OIDC's. */
export const isErrorStatus = (status: number): boolean => Number.isInteger(status) && status >= 400 && status <= 599;
const REDACTED = '[redacted]';
const LOGGED_CHARACTERS = 100;

/** Removes the client secret from a text SSO OIDC wrote, before it is passed on or logged. */
export function redact(text: string, secret: string | undefined): string {
  return secret === undefined || secret === '' ? text : text.split(secret).join(REDACTED);
}

/** A text for the log: the secret removed, cut to 100 characters, every character outside printable ASCII escaped. */
export function forLog(text: string, secret?: string): string {
  const clean = redact(text, secret);
  const cut = clean.length > LOGGED_CHARACTERS ? clean.slice(0, LOGGED_CHARACTERS) : clean;
  const escaped = JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length > LOGGED_CHARACTERS ? `${escaped}... (${clean.length} characters)` : escaped;
}

/** The 502 for an error answer that cannot be passed on; what was wrong goes to the log only. */
const unusableError = (logDetail: string, status: number | undefined, requestId: string | undefined): BrokerError =>
  brokerError('BadGatewayException', UNREADABLE, { logDetail, upstream: { status, requestId } });

/** The names the SDK gives an error answer that carries no type: such an answer is unreadable, as it is to the SDK's caller. */
const UNTYPED = new Set(['Unknown', 'UnknownError']);

/**
 * SSO OIDC's error answer as the caller gets it. What SSO OIDC wrote is passed on only when it is a
 * valid, bounded answer (a typed error with a JSON body, an error status, an RFC 6749 `error`), and
 * never with `clientSecret` in it; anything else is the broker's 502, what was wrong in the log only.
 */
export function errorOf(answer: RestJsonAnswer, clientSecret?: string): BrokerError {
  const { status, requestId } = answer;
  const rawType = errorTypeOf(answer);
  if (rawType === undefined || UNTYPED.has(rawType)) return unusableError(`status ${status} without an error type`, status, requestId);
  // An error body that is not JSON is unreadable to the SDK too.
  if (answer.body === null) return unusableError(`error ${forLog(rawType, clientSecret)} with a body that is not JSON`, status, requestId);
  const type = redact(rawType, clientSecret);
  if (!ERROR_TYPE.test(type)) return unusableError(`error type not a plain identifier: ${forLog(rawType, clientSecret)}`, status, requestId);
  if (!isErrorStatus(status)) return unusableError(`error ${type} with status ${status}, not 400-599`, status, requestId);
  const fields = membersOf(answer.body);
  const text = (key: string): string | undefined => (typeof fields[key] === 'string' ? redact(fields[key] as string, clientSecret) : undefined);
  const code = text('error');
  if (code !== undefined && !ERROR_CODE.test(code)) {
    return unusableError(`error ${type} with an error code that is not RFC 6749's: ${forLog(code)}`, status, requestId);
  }
  return upstreamError({ status, type, error: code, description: text('error_description'), reason: text('reason'), requestId });
}
