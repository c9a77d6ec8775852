// Drives the Lambda handler in-process with API Gateway HTTP API (payload format 2.0) events, as
// API Gateway would deliver a request: header names in lower case, the body base64-encoded when it
// is not text. The handler module reads its configuration at import, so the environment is set first.

import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { toAnswer, type Answer } from './answers.js';
import type { Case } from './hostile.js';

type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body?: string }>;

/** Variables of the outer environment that would point the handler somewhere else. */
const SCRUBBED = /^(AWS_|TOKEN_BROKER_|POWERTOOLS_)/;

/** Sets the environment (and nothing of the outer one leaks in), imports the handler; `restore` undoes the environment. */
export async function importHandler(env: Record<string, string>): Promise<{ handler: Handler; restore(): void }> {
  const saved = { ...process.env };
  for (const name of Object.keys(process.env)) if (SCRUBBED.test(name)) delete process.env[name];
  Object.assign(process.env, env);
  const module = (await import('../../../lambda/handler.js')) as unknown as { handler: Handler };
  return {
    handler: module.handler,
    restore: () => {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    },
  };
}

let counter = 0;

export function toEvent(c: Pick<Case, 'route' | 'headers' | 'body' | 'base64'>): APIGatewayProxyEventV2 {
  const requestId = `in-process-${++counter}`;
  const path = c.route.split(' ')[1]!;
  const now = Date.now();
  const hasBody = c.body !== undefined && c.body.length > 0;
  return {
    version: '2.0',
    routeKey: c.route,
    rawPath: path,
    rawQueryString: '',
    headers: { ...c.headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: c.headers['user-agent'] ?? '' },
      requestId,
      routeKey: c.route,
      stage: '$default',
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(hasBody ? { body: c.base64 ? c.body!.toString('base64') : c.body!.toString('utf8') } : {}),
    isBase64Encoded: hasBody && c.base64,
  };
}

function toContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'token-broker-in-process',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:token-broker-in-process',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/token-broker-in-process',
    logStreamName: 'in-process',
    getRemainingTimeInMillis: () => 25_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export async function invoke(handler: Handler, c: Pick<Case, 'route' | 'headers' | 'body' | 'base64'>): Promise<Answer> {
  const event = toEvent(c);
  const result = await handler(event, toContext(event.requestContext.requestId));
  return toAnswer(result.statusCode, result.headers ?? {}, result.body ?? '');
}
