// The bearer proxy's one call to a deployer's API (TOKEN_BROKER_APIS): the session's access token in
// `Authorization: Bearer`, the allow-listed headers (api-headers.ts), the body as it came, the answer
// read up to a limit, all within the request's deadline. Sent through the same HTTP handler as every
// other upstream call (http-handler.ts): a request that may have reached the API is never sent again.
// Nothing here logs; the token is never put into an error.

import type { Readable } from 'node:stream';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { timedApiCall, type Audit } from './audit.js';
import { callTime, outOfTime } from './deadline.js';
import { brokerError, type BrokerError } from './errors.js';
import { AnswerTooLarge, createHttpHandler, readBody } from './http-handler.js';
import { ANSWER_HEADERS, pickHeaders, REQUEST_HEADERS } from './api-headers.js';
import type { ApiTarget } from './session-config.js';

/** The largest request body passed on, and the largest answer read (an API's JSON, not a download). */
export const MAX_API_BODY_BYTES = 1024 * 1024;

export interface ApiRequest {
  readonly api: ApiTarget;
  readonly method: string;
  /** The path below the API's base, as the page sent it (checked by checkedApiPath). */
  readonly path: string;
  /** The query as sent, without `?`. */
  readonly rawQuery: string;
  /** The page's request headers (lower-case names); only REQUEST_HEADERS are passed on. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Uint8Array | undefined;
}

export interface ApiAnswer {
  readonly status: number;
  /** ANSWER_HEADERS only. */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export type ApiClient = (request: ApiRequest, accessToken: string, audit: Audit) => Promise<ApiAnswer>;

/**
 * The path below an API's base as it will be sent, or undefined when it could leave the base: a
 * `.` or `..` segment (a server would resolve it, RFC 3986 §5.2.4), percent-encoded or not, an
 * encoded `/` or `\` that a server might decode into one, an empty segment, or a control character.
 */
export function checkedApiPath(rest: string): string | undefined {
  if (rest.length === 0 || rest.length > 2048) return undefined;
  for (const segment of rest.split('/')) {
    if (segment === '' || !/^[A-Za-z0-9\-._~!$&'()*+,;=:@%]+$/.test(segment)) return undefined;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return undefined;
    }
    if (decoded === '.' || decoded === '..' || /[/\\\x00-\x1f\x7f]/.test(decoded)) return undefined;
  }
  return rest;
}

const apiFailure = (type: 'BadGatewayException' | 'GatewayTimeoutException', description: string, logDetail: string): BrokerError =>
  brokerError(type, description, { logDetail });

export function createApiClient(options: { readonly timeoutMs: number }): ApiClient {
  const handler: NodeHttpHandler = createHttpHandler({
    connectionTimeoutMs: Math.min(options.timeoutMs, 3000),
    requestTimeoutMs: options.timeoutMs,
    maxAnswerBytes: MAX_API_BODY_BYTES,
  });
  return async (request, accessToken, audit) => {
    const time = callTime(options.timeoutMs);
    if (time === undefined) throw outOfTime(`about to call the API ${request.api.name}`);
    const base = new URL(request.api.url);
    const body = request.body === undefined || request.body.byteLength === 0 ? undefined : request.body;
    const headers: Record<string, string> = {
      ...pickHeaders(request.headers, REQUEST_HEADERS),
      // Uncompressed: the answer is passed on as it came, and its size is bounded as read.
      'accept-encoding': 'identity',
      authorization: `Bearer ${accessToken}`,
      ...(body === undefined ? {} : { 'content-length': String(body.byteLength) }),
    };
    audit.api = request.api.name;
    try {
      return await timedApiCall(audit, async () => {
        // handle() reads only the request's fields (IHttpRequest); the class's methods are never called on it.
        const sent = {
          protocol: base.protocol,
          hostname: base.hostname,
          ...(base.port === '' ? {} : { port: Number(base.port) }),
          method: request.method,
          path: `${base.pathname.replace(/\/+$/, '')}/${request.path}${request.rawQuery === '' ? '' : `?${request.rawQuery}`}`,
          query: {},
          headers,
          body,
        } as unknown as Parameters<NodeHttpHandler['handle']>[0];
        const { response } = await handler.handle(sent, { abortSignal: time.signal });
        const answerBody = await readBody(response.body as Readable, time.signal);
        audit.apiStatus = response.statusCode;
        return { status: response.statusCode, headers: pickHeaders(response.headers, ANSWER_HEADERS), body: answerBody };
      });
    } catch (error) {
      audit.apiFailed = true;
      if (error instanceof AnswerTooLarge) {
        throw apiFailure('BadGatewayException', 'The API gave an answer larger than the broker passes on.', `API ${request.api.name}: answer over ${error.limitBytes} bytes`);
      }
      if (time.signal.aborted) {
        throw apiFailure('GatewayTimeoutException', `The API did not answer within ${time.timeoutMs} ms.`, `API ${request.api.name}: no answer within ${time.timeoutMs} ms`);
      }
      const code = (error as { code?: unknown }).code;
      throw apiFailure('BadGatewayException', 'The API could not be reached.', `API ${request.api.name}: ${typeof code === 'string' ? code : errorName(error)}`);
    } finally {
      time.done();
    }
  };
}

const errorName = (error: unknown): string => {
  const name = (error as { name?: unknown }).name;
  return typeof name === 'string' ? name : 'error';
};
