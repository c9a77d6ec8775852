// The AWS access portal API on the wire (service `sso`: rest-json, unsigned, the access token in the
// header x-amz-sso_bearer_token), and the mapping of every way a call can fail onto the error
// vocabulary, as upstream.ts does for SSO OIDC. Written over the SDK's own HTTP handler
// (http-handler.ts: bounded answers, a request retried only when it provably never left) rather than
// with @aws-sdk/client-sso's SSOClient, for two reasons: SSOClient adds 11.6 KB to a bundle that must
// stay under 300,000 B (measured: 300,206 B with it, before any portal code; docs/portal.md), and
// the broker passes the portal's answers on, status, error type and message as the portal wrote
// them, where SSOClient would turn them into exceptions first. The access token is sent as given and
// appears in no log line, message or error.

import { partition } from '@aws-sdk/core/client';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { UpstreamResult } from './audit.js';
import type { BrokerConfig } from './config.js';
import { currentDeadline, outOfTime } from './deadline.js';
import { BrokerError, brokerError, portalErrorCode, upstreamError, type UpstreamCall } from './errors.js';
import { AnswerTooLarge, createHttpHandler } from './http-handler.js';
import { PORTAL_BEARER_HEADER } from './portal-config.js';
import { CONNECTION_ERRORS, ERROR_TYPE, forLog, isErrorStatus, MIN_CALL_MS, plainRequestId, redact } from './upstream.js';

/** The header that carries the access token. */
export const BEARER_HEADER = PORTAL_BEARER_HEADER;

/** The portal's four operations, as its model (botocore `sso` 2019-06-10) routes them. */
export const PORTAL_OPERATIONS = {
  ListAccounts: { method: 'GET', path: '/assignment/accounts' },
  ListAccountRoles: { method: 'GET', path: '/assignment/roles' },
  GetRoleCredentials: { method: 'GET', path: '/federation/credentials' },
  Logout: { method: 'POST', path: '/logout' },
} as const;

export type PortalOperation = keyof typeof PORTAL_OPERATIONS;

export interface PortalClient {
  /**
   * One call: the portal's 200 with its JSON body (undefined when empty), or a BrokerError: the
   * portal's own error answer passed on (fromUpstream), or the broker's 502/504 when there was none
   * it could pass on. `query` holds the portal's query names and checked values.
   */
  call(operation: PortalOperation, accessToken: string, query?: Readonly<Record<string, string>>): Promise<UpstreamResult<unknown>>;
}

/**
 * The largest portal answer read. The longest is a ListAccounts page of 100 accounts (the most
 * max_result allows): each an id, a name and an email address, about 200 bytes, so some 20 KB;
 * role credentials are under 4 KB. 256 KiB is ten times the first; a larger answer is refused (502)
 * without reading the rest.
 */
export const MAX_PORTAL_ANSWER_BYTES = 256 * 1024;

/** The portal of a region: `https://portal.sso.<region>.<the partition's DNS suffix>`, as the SDK's endpoint rules build it. */
export function portalEndpointOf(region: string): string {
  return `https://portal.sso.${region}.${partition(region).dnsSuffix}`;
}

const SERVICE = 'The AWS access portal';
const UNREADABLE = `${SERVICE} gave an answer the broker could not read.`;

type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];

export function createPortalClient(
  config: Pick<BrokerConfig, 'oidcRegion' | 'portalEndpoint' | 'upstreamTimeoutMs'>,
  handler: Pick<NodeHttpHandler, 'handle'> = createHttpHandler({
    connectionTimeoutMs: Math.min(config.upstreamTimeoutMs, 3000),
    requestTimeoutMs: config.upstreamTimeoutMs,
    maxAnswerBytes: MAX_PORTAL_ANSWER_BYTES,
  }),
): PortalClient {
  const endpoint = new URL(config.portalEndpoint ?? portalEndpointOf(config.oidcRegion));
  const prefix = endpoint.pathname.replace(/\/+$/, '');
  return {
    async call(operation, accessToken, query = {}) {
      const left = currentDeadline()?.remainingMs();
      if (left !== undefined && left < MIN_CALL_MS) {
        throw outOfTime('about to call the AWS access portal');
      }
      const timeoutMs = Math.min(config.upstreamTimeoutMs, left ?? Number.POSITIVE_INFINITY);
      // As upstream.ts: a timer cleared when the call ends.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), timeoutMs);
      timer.unref();
      const { method, path } = PORTAL_OPERATIONS[operation];
      const request = {
        protocol: endpoint.protocol,
        hostname: endpoint.hostname,
        ...(endpoint.port === '' ? {} : { port: Number(endpoint.port) }),
        method,
        path: `${prefix}${path}`,
        query: { ...query },
        headers: { [BEARER_HEADER]: accessToken },
      } as unknown as HttpRequest;
      const upstream: UpstreamCall = { status: undefined, requestId: undefined };
      try {
        const { response } = await handler.handle(request, { abortSignal: deadline.signal });
        // The SDK's handler keeps Node's header names: lower case.
        const { headers } = response;
        Object.assign(upstream, { status: response.statusCode, requestId: plainRequestId(headers['x-amzn-requestid'], accessToken) });
        const chunks: Buffer[] = [];
        for await (const chunk of response.body as AsyncIterable<Buffer>) chunks.push(chunk);
        return answerOf(upstream, headers, Buffer.concat(chunks).toString('utf8'), accessToken);
      } catch (error) {
        throw toPortalError(error, deadline.signal.aborted, timeoutMs, upstream);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The 502 for an answer that is not the portal's; what was wrong goes to the log only. */
const unreadable = (upstream: UpstreamCall, logDetail: string): BrokerError =>
  brokerError('BadGatewayException', UNREADABLE, { logDetail, upstream });

/** The portal's JSON: undefined for an empty body, null for one that is not JSON. */
function parseJson(text: string): unknown {
  try {
    return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

/** The 200 passed on, or the portal's error answer as a BrokerError (thrown). */
function answerOf(upstream: UpstreamCall, headers: Record<string, string>, text: string, accessToken: string): UpstreamResult<unknown> {
  const { status, requestId } = upstream as { status: number; requestId: string | undefined };
  const body = parseJson(text);
  if (status === 200) {
    if (body === null) throw unreadable(upstream, 'body not JSON');
    return { body, status, requestId };
  }
  if (!isErrorStatus(status)) throw unreadable(upstream, `status ${status}, not 200 or 400-599`);
  // An error answer with a type is the portal's even when its body is not JSON: passed on without a message.
  const fields = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;
  // As the SDKs read it: x-amzn-ErrorType (the text before `:`), else the body's `__type` or `code` (after `#`).
  const raw = headers['x-amzn-errortype']?.split(':')[0] ?? [fields.__type, fields.code].find((v) => typeof v === 'string');
  if (typeof raw !== 'string' || raw === '') throw unreadable(upstream, `error status ${status} without an error type`);
  const type = redact(raw.split('#').at(-1)!, accessToken);
  if (!ERROR_TYPE.test(type)) throw unreadable(upstream, `error type not a plain identifier: ${forLog(raw, accessToken)}`);
  const message = [fields.message, fields.Message].find((v): v is string => typeof v === 'string');
  throw upstreamError({
    status,
    type,
    error: portalErrorCode(type, status),
    description: message === undefined ? undefined : redact(message, accessToken),
    requestId,
  });
}

/** Maps whatever the call threw onto the answer the caller gets; never reads error messages. */
function toPortalError(error: unknown, deadlineReached: boolean, timeoutMs: number, upstream: UpstreamCall): BrokerError {
  if (error instanceof BrokerError) return error;
  if (error instanceof AnswerTooLarge) return unreadable(upstream, `answer over ${error.limitBytes} bytes, not read further`);
  const code = (error as { code?: unknown }).code;
  const connectionFailed = typeof code === 'string' && CONNECTION_ERRORS.has(code);
  const name = (error as { name?: unknown }).name;
  if (deadlineReached || (name === 'TimeoutError' && !connectionFailed)) {
    return brokerError('GatewayTimeoutException', `${SERVICE} did not answer within ${timeoutMs} ms.`, { upstream });
  }
  return brokerError('BadGatewayException', connectionFailed ? `${SERVICE} could not be reached.` : UNREADABLE, { upstream });
}
