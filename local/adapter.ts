// A small stand-in for API Gateway (HTTP API, payload format 2.0) in front of the Lambda handler, for
// `npm start` and the integration tests. It matches routes as API Gateway does, builds the same event
// and context shapes, and turns the handler's result back into an HTTP response. Everything the
// broker decides (CORS, errors, headers) is decided by the handler, so local and deployed agree.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { FUNCTION_TIMEOUT_MS } from '../lambda/core/config.js';
import { matchRoute, pathParameters, type RouteKey } from '../lambda/edge/routes.js';

export type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

export interface LocalApiOptions {
  readonly handler: LambdaHandler;
  readonly routes: readonly RouteKey[];
  readonly port?: number;
  readonly host?: string;
  /** The function timeout the context reports, as the CDK construct sets it. */
  readonly timeoutMs?: number;
}

export interface LocalApi {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

// API Gateway's own payload limit; the broker's smaller limit is the handler's business.
const GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/([a-z0-9.+-]+\+)?(json|xml|javascript|x-www-form-urlencoded))/i;

export async function startLocalApi(options: LocalApiOptions): Promise<LocalApi> {
  const server = http.createServer((req, res) => {
    serve(req, res, options).catch(() => {
      // The handler never throws (Middy turns errors into responses); this is API Gateway's
      // own answer when an integration fails.
      reply(res, 500, { 'content-type': 'application/json' }, '{"message":"Internal Server Error"}');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function serve(req: http.IncomingMessage, res: http.ServerResponse, options: LocalApiOptions): Promise<void> {
  const requestId = randomUUID();
  const body = await readBody(req);
  if (body === undefined) {
    reply(res, 413, { 'content-type': 'application/json', 'apigw-requestid': requestId }, '{"message":"Request Entity Too Large"}');
    return;
  }
  const target = requestTarget(req.url ?? '');
  const routeKey = target === undefined ? undefined : matchRoute(req.method ?? 'GET', target.pathname, options.routes);
  if (target === undefined || routeKey === undefined) {
    reply(res, 404, { 'content-type': 'application/json', 'apigw-requestid': requestId }, '{"message":"Not Found"}');
    return;
  }
  const event = toEvent(req, target, routeKey, body, requestId);
  const result = (await options.handler(event, toContext(requestId, options.timeoutMs ?? FUNCTION_TIMEOUT_MS))) as
    | APIGatewayProxyStructuredResultV2
    | undefined;
  const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId };
  for (const [name, value] of Object.entries(result?.headers ?? {})) headers[name] = String(value);
  // Payload 2.0: each entry of the result's `cookies` becomes one Set-Cookie header, as API Gateway does.
  if (result?.cookies !== undefined && result.cookies.length > 0) headers['set-cookie'] = [...result.cookies];
  const payload = result?.body ?? '';
  reply(res, result?.statusCode ?? 200, headers, result?.isBase64Encoded ? Buffer.from(payload, 'base64') : payload);
}

function reply(res: http.ServerResponse, status: number, headers: Record<string, string | string[]>, body: string | Buffer): void {
  res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The request body, or undefined when it is over API Gateway's limit. */
async function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > GATEWAY_MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

/** The path and query of a request, as sent (a URL object has both too). */
export interface RequestTarget {
  /** The raw path: not decoded, `//` and `..` segments kept. */
  readonly pathname: string;
  /** `?` and the raw query, or '' when there is none. */
  readonly search: string;
}

/**
 * The request target split as API Gateway splits it: the path exactly as sent, so that
 * `//evil.example/token` or `/token/../token` match no route (WHATWG URL parsing would read the first
 * as a host and resolve the second to `/token`). Undefined for a target that is not a path
 * (absolute-form `http://…`, asterisk-form `*`): those match nothing either.
 */
export function requestTarget(raw: string): RequestTarget | undefined {
  if (!raw.startsWith('/')) return undefined;
  const query = raw.indexOf('?');
  // A fragment is never sent by a client; anything after `#` is kept in the path, unmatched.
  return query === -1 ? { pathname: raw, search: '' } : { pathname: raw.slice(0, query), search: raw.slice(query) };
}

/** Builds the payload format 2.0 event, including API Gateway's base64 encoding of non-text bodies. */
export function toEvent(
  req: http.IncomingMessage,
  url: RequestTarget,
  routeKey: string,
  body: Buffer,
  requestId: string,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    // Payload 2.0: Cookie headers go to `event.cookies`, one entry per `name=value`, not to `headers`.
    if (name === 'cookie') {
      cookies.push(...value.split(';').map((pair) => pair.trim()).filter((pair) => pair !== ''));
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const contentType = headers['content-type'] ?? '';
  const isText = body.length === 0 || (TEXT_TYPES.test(contentType) && isUtf8(body));
  const now = Date.now();
  const query: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(url.search)) query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  // Path variables (`{name}`, `{proxy+}`), decoded as API Gateway decodes them.
  const params = Object.entries(pathParameters(routeKey.slice(routeKey.indexOf(' ') + 1), url.pathname) ?? {}).map(([name, value]) => [name, decoded(value)]);

  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(params.length > 0 ? { pathParameters: Object.fromEntries(params) } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0]!,
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function toContext(requestId: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const functionName = 'token-broker-local';
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    // As the CDK construct deploys it (DEFAULT_MEMORY_MB).
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
