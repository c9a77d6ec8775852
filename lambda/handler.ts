// Lambda entry point: API Gateway HTTP API (payload format 2.0) events for POST /token,
// POST /device_authorization (when the device grant is enabled) and CORS preflight, answered with
// JSON. Wiring only: the work is done in broker.ts and the modules it uses.

import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { exchangeToken, startDeviceAuthorization, type BrokerDeps } from './broker.js';
import { loadConfig } from './config.js';
import { brokerHttp, type BrokerContext, type RouteResult } from './middleware.js';
import { RegistrationSource } from './registration.js';
import { ROUTES, routeKeysFor } from './routes.js';
import { logger, metrics } from './telemetry.js';
import { createUpstream } from './upstream.js';

// Cold start: configuration is validated and the secret read begins before the first request.
const config = loadConfig();
const registrations = new RegistrationSource({
  secretId: config.secretId,
  maxAgeSeconds: config.secretMaxAgeSeconds,
  provider: new SecretsProvider({
    awsSdkV3Client: new SecretsManagerClient({
      maxAttempts: 2,
      requestHandler: { connectionTimeout: config.secretTimeoutMs, requestTimeout: config.secretTimeoutMs },
    }),
  }),
});
registrations.prefetch();
const deps: BrokerDeps = { config, registrations, upstream: createUpstream(config) };

async function route(event: APIGatewayProxyEventV2, context: BrokerContext): Promise<RouteResult> {
  const result =
    event.routeKey === ROUTES.deviceAuthorization
      ? await startDeviceAuthorization(event.body, deps, context.audit)
      : await exchangeToken(event.body, deps, context.audit);
  return { statusCode: result.status, body: result.body };
}

export const handler = middy<APIGatewayProxyEventV2, unknown, Error, BrokerContext>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .use(brokerHttp({ config, routes: routeKeysFor(config.grantTypes) }))
  .use(httpJsonBodyParser())
  .handler(route);
