// The edge (lambda/edge/) composed as lambda/handler.ts composes it, around a fake route handler, and
// driven with API Gateway payload 2.0 events built as API Gateway (and local/adapter.ts) builds them.

import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Audit } from '../../lambda/core/audit.js';
import type { BrokerConfig } from '../../lambda/core/config.js';
import { answers } from '../../lambda/edge/answers.js';
import { bodies, routeRequestOf } from '../../lambda/edge/bodies.js';
import { guards } from '../../lambda/edge/guards.js';
import { requestLog } from '../../lambda/edge/request-log.js';
import type { HttpResponse } from '../../lambda/edge/responses.js';
import { featuresOf, matchRoute, ROUTE_TABLE, routeIdOf, routeKeysFor, ROUTES, type RouteId } from '../../lambda/edge/routes.js';
import { routing, type BrokerContext } from '../../lambda/edge/routing.js';
import type { Answer, RouteRequest } from '../../lambda/surfaces/answer.js';

export interface Sent {
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly base64?: boolean;
  readonly query?: string;
  readonly cookies?: string[];
}

/** A payload 2.0 event as API Gateway (and local/adapter.ts toEvent) builds it; routeKey as the full table matches. */
export function eventFor(method: string, path: string, sent: Sent = {}): APIGatewayProxyEventV2 {
  const routeKey = matchRoute(method, path, Object.values(ROUTES)) ?? '$default';
  return {
    version: '2.0',
    routeKey,
    rawPath: path,
    rawQueryString: sent.query ?? '',
    ...(sent.cookies === undefined ? {} : { cookies: sent.cookies }),
    headers: sent.headers ?? {},
    requestContext: {
      accountId: '123456789012',
      apiId: 'test',
      domainName: 'auth.example.com',
      domainPrefix: 'auth',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '192.0.2.1', userAgent: 'jest' },
      requestId: 'apigw-1',
      routeKey,
      stage: '$default',
      time: '05/Dec/2026:17:49:31 +0000',
      timeEpoch: 1_796_000_000_000,
    },
    ...(sent.body === undefined ? {} : { body: sent.body }),
    isBase64Encoded: sent.base64 ?? false,
  };
}

let invocation = 0;
/** A Lambda context with a request id of its own per call. */
export function lambdaContext(): BrokerContext {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'token-broker-test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:token-broker-test',
    memoryLimitInMB: '1024',
    awsRequestId: `lambda-request-${++invocation}`,
    logGroupName: '/aws/lambda/token-broker-test',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 25_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as unknown as BrokerContext;
}

type FakeHandler = (request: RouteRequest, audit: Audit) => Promise<Answer>;

/**
 * The edge around a fake handler, composed as lambda/handler.ts composes it. `logged` adds the
 * request-log middleware in front, for the tests that read the request's log line.
 */
export function edgeOf(config: BrokerConfig, { logged = false }: { readonly logged?: boolean } = {}) {
  const calls: { route: RouteId; request: RouteRequest }[] = [];
  let respond: FakeHandler = async () => ({ statusCode: 200, body: { ok: true } });
  const routes = routeKeysFor(config.grantTypes, featuresOf(config)).map((key) => routeIdOf(key)!);
  const handler = middy<APIGatewayProxyEventV2, unknown, Error, BrokerContext>();
  if (logged) handler.use(requestLog(config));
  handler
    .use(answers(config))
    .use(routing(routes))
    .use(guards(config))
    .use(bodies())
    .handler((event, context) => {
      const request = routeRequestOf(event, context);
      calls.push({ route: context.route, request });
      return respond(request, context.audit);
    });
  const invoke = async (event: APIGatewayProxyEventV2, context = lambdaContext()) => (await handler(event, context)) as HttpResponse;
  return {
    calls,
    answerWith(fake: FakeHandler) {
      respond = fake;
    },
    /** A request to one route of the table, by its id. */
    send: (id: RouteId, sent: Sent = {}) => invoke(eventFor(ROUTE_TABLE[id].method, ROUTE_TABLE[id].path, sent)),
    raw: (method: string, path: string, sent: Sent = {}) => invoke(eventFor(method, path, sent)),
    invoke,
  };
}
