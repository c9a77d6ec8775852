// One call to an AWS rest-json service on the wire, over the broker's HTTP handler (http-handler.ts:
// pooled connections checked before reuse, a request retried only when it provably never left,
// answers read up to a limit). SSO OIDC (upstream.ts) and the AWS access portal (portal-client.ts)
// are both called this way, and each reads its own answers. What this file owns: the call's time
// (deadline.ts callTime), reading and parsing the answer, the error type as the SDKs read it,
// and every way a call can fail without an answer, mapped onto the broker's 502 and 504.
//
// Written by hand rather than through the SDK's clients: the broker passes the services' answers on
// as they were written (status, error type, members), where a client turns them into exceptions and
// back; and the SDK's middleware stack, endpoint rules and serde cost more CPU per call than the
// broker's whole request handling (docs/performance.md, the warm path).

import { loadRestJsonErrorCode } from '@smithy/core/protocols';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { callTime, outOfTime } from './deadline.js';
import { BrokerError, brokerError, type UpstreamCall } from './errors.js';
import type { Readable } from 'node:stream';
import { AnswerTooLarge, createHttpHandler, readBody } from './http-handler.js';

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ETIMEDOUT']);

/**
 * Request ids are UUIDs; anything else is not echoed in a header or logged, and neither is one that
 * quotes a secret (an answer is the service's to write, not to be trusted).
 */
const REQUEST_ID = /^[A-Za-z0-9-]{1,128}$/;
const plainRequestId = (requestId: string | undefined, secret?: string): string | undefined =>
  requestId !== undefined && REQUEST_ID.test(requestId) && (secret === undefined || !requestId.includes(secret)) ? requestId : undefined;

/** A service called on the wire. */
export interface RestJsonService {
  /** Its name in messages and log lines: "SSO OIDC", "The AWS access portal". */
  readonly name: string;
  /** Its endpoint URL (a path prefix is kept). */
  readonly endpoint: string;
  /** The longest a call may take. */
  readonly timeoutMs: number;
  /** The largest answer read; a larger one is refused (502) without reading the rest. */
  readonly maxAnswerBytes: number;
}

export interface RestJsonRequest {
  readonly method: 'GET' | 'POST';
  /** The operation's path, below the endpoint's own. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly headers?: Readonly<Record<string, string>>;
  /** A JSON document, sent as application/json. */
  readonly json?: string;
}

export interface RestJsonAnswer extends UpstreamCall {
  readonly status: number;
  /** Node's header names: lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body's JSON: undefined when empty, null when not JSON. */
  readonly body: unknown;
}

export type RestJsonCall = (request: RestJsonRequest, secret: string) => Promise<RestJsonAnswer>;

type HttpRequest = Parameters<NodeHttpHandler['handle']>[0];

/** What a caller is told of an answer the broker could not read (one string per service). */
export const unreadableMessage = (service: string): string => `${service} gave an answer the broker could not read.`;

/**
 * Makes the calls to one service. `secret` is what the call carries that no request id, log line or
 * message may quote (the client secret, an access token).
 */
export function restJsonCaller(
  service: RestJsonService,
  handler: Pick<NodeHttpHandler, 'handle'> = createHttpHandler({
    connectionTimeoutMs: Math.min(service.timeoutMs, 3000),
    requestTimeoutMs: service.timeoutMs,
    maxAnswerBytes: service.maxAnswerBytes,
  }),
): RestJsonCall {
  const endpoint = new URL(service.endpoint);
  const prefix = endpoint.pathname.replace(/\/+$/, '');
  const port = endpoint.port === '' ? {} : { port: Number(endpoint.port) };
  const lowerName = service.name.replace(/^The /, 'the ');
  return async (call, secret) => {
    const time = callTime(service.timeoutMs);
    if (time === undefined) throw outOfTime(`about to call ${lowerName}`).fromCall({ status: undefined, requestId: undefined });
    const headers: Record<string, string> = { ...call.headers };
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(call.json));
    }
    const request = {
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...port,
      method: call.method,
      path: `${prefix}${call.path}`,
      query: { ...call.query },
      headers,
      body: call.json,
    } as unknown as HttpRequest;
    let upstream: UpstreamCall = { status: undefined, requestId: undefined };
    try {
      const { response } = await handler.handle(request, { abortSignal: time.signal });
      const answerHeaders = response.headers;
      // As the SDK reads it ($metadata.requestId).
      const requestId = answerHeaders['x-amzn-requestid'] ?? answerHeaders['x-amzn-request-id'] ?? answerHeaders['x-amz-request-id'];
      upstream = { status: response.statusCode, requestId: plainRequestId(requestId, secret) };
      const text = (await readBody(response.body as Readable, time.signal)).toString('utf8');
      return { status: response.statusCode, requestId: upstream.requestId, headers: answerHeaders, body: parseJson(text) };
    } catch (error) {
      throw failureOf(service.name, error, time.signal.aborted, time.timeoutMs, upstream);
    } finally {
      time.done();
    }
  };
}

/** The JSON of a body: undefined for an empty one, null for one that is not JSON. */
function parseJson(text: string): unknown {
  try {
    return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

/** Maps whatever a call threw before its answer was read onto the answer the caller gets; never reads error messages. */
function failureOf(service: string, error: unknown, deadlineReached: boolean, timeoutMs: number, upstream: UpstreamCall): BrokerError {
  if (error instanceof BrokerError) return error;
  if (error instanceof AnswerTooLarge) {
    return brokerError('BadGatewayException', unreadableMessage(service), { logDetail: `answer over ${error.limitBytes} bytes, not read further`, upstream });
  }
  const code = (error as { code?: unknown }).code;
  const connectionFailed = typeof code === 'string' && CONNECTION_ERRORS.has(code);
  // The SDK's HTTP handler names a reset connection 'TimeoutError' too: the code decides first.
  if (deadlineReached || ((error as { name?: unknown }).name === 'TimeoutError' && !connectionFailed)) {
    return brokerError('GatewayTimeoutException', `${service} did not answer within ${timeoutMs} ms.`, { upstream });
  }
  return brokerError('BadGatewayException', connectionFailed ? `${service} could not be reached.` : unreadableMessage(service), { upstream });
}

/** The members of an answer's JSON object; an empty record when it is none. */
export const membersOf = (body: unknown): Readonly<Record<string, unknown>> =>
  (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : {}) as Record<string, unknown>;

/**
 * An error answer's type as the SDKs read it (rest-json: x-amzn-ErrorType, else the body's `code`,
 * else its `__type`; the text before `:` and after `#`), undefined when it names none or is not text.
 */
export function errorTypeOf(answer: RestJsonAnswer): string | undefined {
  try {
    const type: unknown = loadRestJsonErrorCode({ headers: answer.headers } as never, membersOf(answer.body));
    return typeof type === 'string' && type !== '' ? type : undefined;
  } catch {
    // A `code` that is neither text nor a number.
    return undefined;
  }
}
