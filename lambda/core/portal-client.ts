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
import { brokerError, portalErrorCode, upstreamError, type UpstreamCall } from './errors.js';
import { PORTAL_BEARER_HEADER } from './portal-config.js';
import { errorTypeOf, membersOf, restJsonCaller, unreadableMessage, type RestJsonAnswer } from './rest-json.js';
import { ERROR_TYPE, forLog, isErrorStatus, redact } from './upstream.js';

/** The header that carries the access token. */
const BEARER_HEADER = PORTAL_BEARER_HEADER;

/** The portal's four operations, as its model (botocore `sso` 2019-06-10) routes them. */
const PORTAL_OPERATIONS = {
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
const UNREADABLE = unreadableMessage(SERVICE);

export function createPortalClient(
  config: Pick<BrokerConfig, 'oidcRegion' | 'portalEndpoint' | 'upstreamTimeoutMs'>,
  handler?: Pick<NodeHttpHandler, 'handle'>,
): PortalClient {
  const service = {
    name: SERVICE,
    endpoint: config.portalEndpoint ?? portalEndpointOf(config.oidcRegion),
    timeoutMs: config.upstreamTimeoutMs,
    maxAnswerBytes: MAX_PORTAL_ANSWER_BYTES,
  };
  const call = restJsonCaller(service, handler);
  return {
    async call(operation, accessToken, query = {}) {
      const { method, path } = PORTAL_OPERATIONS[operation];
      return answerOf(await call({ method, path, query, headers: { [BEARER_HEADER]: accessToken } }, accessToken), accessToken);
    },
  };
}

/** The 502 for an answer that is not the portal's; what was wrong goes to the log only. */
const unreadable = (upstream: UpstreamCall, logDetail: string) => brokerError('BadGatewayException', UNREADABLE, { logDetail, upstream });

/** The 200 passed on, or the portal's error answer as a BrokerError (thrown). */
function answerOf(answer: RestJsonAnswer, accessToken: string): UpstreamResult<unknown> {
  const { status, requestId, body } = answer;
  const upstream = { status, requestId };
  if (status === 200) {
    if (body === null) throw unreadable(upstream, 'body not JSON');
    return { body, status, requestId };
  }
  if (!isErrorStatus(status)) throw unreadable(upstream, `status ${status}, not 200 or 400-599`);
  // An error answer with a type is the portal's even when its body is not JSON: passed on without a message.
  const raw = errorTypeOf(answer);
  if (raw === undefined) throw unreadable(upstream, `error status ${status} without an error type`);
  const type = redact(raw, accessToken);
  if (!ERROR_TYPE.test(type)) throw unreadable(upstream, `error type not a plain identifier: ${forLog(raw, accessToken)}`);
  const fields = membersOf(body);
  const message = [fields.message, fields.Message].find((v): v is string => typeof v === 'string');
  throw upstreamError({
    status,
    type,
    error: portalErrorCode(type, status),
    description: message === undefined ? undefined : redact(message, accessToken),
    requestId,
  });
}
