// The SSO OIDC calls, through the AWS SDK's client, and the mapping of every way they can fail onto
// the error vocabulary. The client never retries: a retried CreateToken would replay a single-use
// authorization code or refresh token (the SDK's default sends it three times on a 500).

import {
  CreateTokenCommand,
  SSOOIDCClient,
  SSOOIDCServiceException,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';
import type { BrokerConfig, GrantType } from './config.js';
import { currentDeadline, outOfTime } from './deadline.js';
import { brokerError, upstreamError, type BrokerError } from './errors.js';
import { AnswerTooLarge, createHttpHandler } from './http-handler.js';
import type { Registration } from './registration.js';
import type { UpstreamResult } from './audit.js';

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

export function createUpstream(config: BrokerConfig, client = createOidcClient(config)): Upstream {
  type Output<T> = T & { $metadata: { httpStatusCode?: number; requestId?: string } };
  const send = async <T extends object>(
    registration: Registration,
    call: (abortSignal: AbortSignal) => Promise<Output<T>>,
  ): Promise<UpstreamResult<T>> => {
    // The call's own timeout, or what is left of the request's deadline when that is less.
    const left = currentDeadline()?.remainingMs();
    if (left !== undefined && left < MIN_CALL_MS) {
      // Too little time for SSO OIDC to answer: better not sent at all than sent and abandoned (a code spent for nothing).
      throw outOfTime('about to call SSO OIDC').fromCall({ status: undefined, requestId: undefined });
    }
    const timeoutMs = Math.min(config.upstreamTimeoutMs, left ?? Number.POSITIVE_INFINITY);
    // A timer cleared when the call ends, not AbortSignal.timeout: that one cannot be cleared and
    // costs a tracked timer per request for its full length (docs/performance.md, the warm path).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    timer.unref();
    try {
      const { $metadata, ...body } = await call(deadline.signal);
      return { body: body as T, status: $metadata.httpStatusCode ?? 200, requestId: plainRequestId($metadata.requestId, registration.clientSecret) };
    } catch (error) {
      throw toUpstreamError(error, deadline.signal.aborted, timeoutMs, registration.clientSecret);
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    async createToken(registration, request) {
      // The registration last, so that nothing in a request could ever stand in for it.
      const command = new CreateTokenCommand({
        ...request,
        clientId: registration.clientId,
        clientSecret: registration.clientSecret,
      });
      const result = await send(registration, (abortSignal) => client.send(command, { abortSignal }));
      return { ...result, body: usable(pickTokenMembers(result.body), registration) ?? unreadable(result) };
    },
    async startDeviceAuthorization(registration, startUrl) {
      const command = new StartDeviceAuthorizationCommand({
        clientId: registration.clientId,
        clientSecret: registration.clientSecret,
        startUrl,
      });
      const result = await send(registration, (abortSignal) => client.send(command, { abortSignal }));
      return { ...result, body: usable(pickDeviceMembers(result.body), registration) ?? unreadable(result) };
    },
  };
}

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
 * SSO OIDC's request ids are UUIDs; anything else is not echoed in a header or logged, and neither
 * is one that quotes the client secret (an answer is the service's to write, not to be trusted).
 */
const REQUEST_ID = /^[A-Za-z0-9-]{1,128}$/;
export const plainRequestId = (requestId: string | undefined, secret?: string): string | undefined =>
  requestId !== undefined && REQUEST_ID.test(requestId) && (secret === undefined || !requestId.includes(secret)) ? requestId : undefined;

/** An SSO OIDC call is not started with less of the request's time left than this. */
export const MIN_CALL_MS = 250;

/**
 * The largest SSO OIDC answer read. A token answer is a few KB (an access token and a refresh token
 * of one to two KB each, an optional ID token, a handful of small members), an error answer less: 64
 * KiB is ten times that and more, and still nothing for a function with 1 GB of memory and a 6 MB
 * response limit. A larger answer is not SSO OIDC's: it is refused (502) without reading the rest.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;

export function createOidcClient(config: BrokerConfig): SSOOIDCClient {
  return new SSOOIDCClient({
    region: config.oidcRegion,
    // No SDK retry: a retried CreateToken would replay a code. The handler retries only a request
    // that never reached SSO OIDC (http-handler.ts).
    maxAttempts: 1,
    // Set, not read from AWS_RETRY_MODE: adaptive retry is not bundled (lambda/bundle/retry.ts).
    retryMode: 'standard',
    // The abort signal bounds the whole call; these bound its parts.
    requestHandler: createHttpHandler({
      connectionTimeoutMs: Math.min(config.upstreamTimeoutMs, 3000),
      requestTimeoutMs: config.upstreamTimeoutMs,
      maxAnswerBytes: MAX_ANSWER_BYTES,
    }),
  });
}

/** The JSON type of each modeled member. The SDK does not check them: a 200 may carry anything. */
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
export const UNREADABLE = 'SSO OIDC gave an answer the broker could not read.';

/** A 200 whose body is not a usable answer: the same 502 as any other unreadable answer. */
function unreadable(result: UpstreamResult<unknown>): never {
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

/** The names the SDK gives an error answer that carried no type (no x-amzn-ErrorType, no code, no __type). */
const UNTYPED = new Set(['Unknown', 'UnknownError']);

export const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ETIMEDOUT']);

/**
 * Maps whatever the SDK threw onto the answer the caller gets. Never reads error messages. What SSO
 * OIDC wrote is passed on only when it is a valid, bounded answer, and never with `clientSecret` in it.
 */
export function toUpstreamError(
  error: unknown,
  deadlineReached: boolean,
  timeoutMs: number,
  clientSecret?: string,
): BrokerError {
  const metadata = (error as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
  const status = metadata?.httpStatusCode ?? (error as { $response?: { statusCode?: number } }).$response?.statusCode;
  const requestId = plainRequestId(metadata?.requestId, clientSecret);
  const name = (error as { name?: unknown }).name;
  const upstream = { status, requestId };

  if (error instanceof AnswerTooLarge) {
    return brokerError('BadGatewayException', UNREADABLE, { logDetail: `answer over ${error.limitBytes} bytes, not read further`, upstream });
  }

  const code = (error as { code?: unknown }).code;
  const connectionFailed = typeof code === 'string' && CONNECTION_ERRORS.has(code);
  // The SDK's HTTP handler names a reset connection 'TimeoutError' too: the code decides first.
  if (deadlineReached || (name === 'TimeoutError' && !connectionFailed)) {
    return brokerError('GatewayTimeoutException', `SSO OIDC did not answer within ${timeoutMs} ms.`, { upstream });
  }
  // A typed error answer from the service, modeled or not: passed through as it came. An answer that
  // names no type (an empty 503 from a load balancer) is one the SDK calls "Unknown": unreadable.
  if (error instanceof SSOOIDCServiceException && !UNTYPED.has(String(name)) && status !== undefined) {
    const fields = error as unknown as Record<string, unknown>;
    const text = (key: string): string | undefined =>
      typeof fields[key] === 'string' ? redact(fields[key] as string, clientSecret) : undefined;
    const type = redact(error.name, clientSecret);
    if (!ERROR_TYPE.test(type)) return unusableError(`error type not a plain identifier: ${forLog(error.name, clientSecret)}`, status, requestId);
    if (!isErrorStatus(status)) return unusableError(`error ${type} with status ${status}, not 400-599`, status, requestId);
    const code = text('error');
    if (code !== undefined && !ERROR_CODE.test(code)) {
      return unusableError(`error ${type} with an error code that is not RFC 6749's: ${forLog(code)}`, status, requestId);
    }
    return upstreamError({ status, type, error: code, description: text('error_description'), reason: text('reason'), requestId });
  }
  const detail = connectionFailed ? 'SSO OIDC could not be reached.' : UNREADABLE;
  return brokerError('BadGatewayException', detail, { upstream });
}
