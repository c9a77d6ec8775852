// Lambda entry point: API Gateway HTTP API (payload format 2.0) events for POST /token,
// POST /device_authorization (when the device grant is enabled) and CORS preflight, answered with
// JSON, and, when TOKEN_BROKER_ISSUER is set, the standard OAuth 2.0 front door's routes
// (lambda/oauth/), and with TOKEN_BROKER_COOKIE_SESSIONS=on the token handler's /bff routes
// (lambda/bff/). Wiring only: the work is done in broker.ts, oauth/, bff/ and the modules they use.

import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy, { type MiddlewareObj } from '@middy/core';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { brokerCookies, cookiePaths } from './surfaces/bff/cookies.js';
import { answerBff, type SessionDeps } from './surfaces/bff/session.js';
import { describeClient, exchangeToken, startDeviceAuthorization, type BrokerDeps } from './core/grants.js';
import { loadConfig, regionOfArn } from './core/config.js';
import { Deadline, withDeadline } from './core/deadline.js';
import { CookieKeySource } from './core/cookie-keys.js';
import { brokerHttp, type BrokerContext, type RouteResult } from './edge/middleware.js';
import { createHttpHandler } from './core/http-handler.js';
import { MAX_SECRET_ANSWER_BYTES, RegistrationSource } from './core/registration.js';
import { answerFrontDoor, FRONT_DOOR_ROUTES } from './surfaces/oauth/front-door.js';
import { redeemAuthorizationCode, redeemRefreshToken } from './surfaces/oauth/index.js';
import { BFF_ROUTES, ROUTE_TABLE, ROUTES, routeIdOf, routeKeysFor } from './edge/routes.js';
import { logger, metrics } from './core/telemetry.js';
import { createUpstream } from './core/upstream.js';

// Cold start: configuration is validated and the secret read begins before the first request.
const config = loadConfig();
// A secret named by its ARN is read in the ARN's region, which need not be the function's.
const secretRegion = regionOfArn(config.secretId);
const secretsClient = new SecretsManagerClient({
  ...(secretRegion ? { region: secretRegion } : {}),
  // One attempt: RegistrationSource bounds each read as a whole, and a failed read is retried by
  // the next request.
  maxAttempts: 1,
  requestHandler: createHttpHandler({
    connectionTimeoutMs: config.secretTimeoutMs,
    requestTimeoutMs: config.secretTimeoutMs,
    maxAnswerBytes: MAX_SECRET_ANSWER_BYTES,
  }),
});
const registrations = new RegistrationSource({
  secretId: config.secretId,
  maxAgeSeconds: config.secretMaxAgeSeconds,
  timeoutMs: config.secretTimeoutMs,
  provider: new SecretsProvider({ awsSdkV3Client: secretsClient }),
  previousProvider: new SecretsProvider({ awsSdkV3Client: secretsClient }),
});
registrations.prefetch();
const deps: BrokerDeps = { config, registrations, upstream: createUpstream(config) };

// ---- token-handler sessions (issue 11): only in cookie mode ----
function sessionDeps(): SessionDeps | undefined {
  if (config.cookieSessions === undefined || config.issuer === undefined) return undefined;
  const { keysSecretId } = config.cookieSessions;
  const keysRegion = regionOfArn(keysSecretId);
  const keysClient =
    keysRegion === secretRegion
      ? secretsClient
      : new SecretsManagerClient({
          ...(keysRegion ? { region: keysRegion } : {}),
          maxAttempts: 1,
          requestHandler: createHttpHandler({
            connectionTimeoutMs: config.secretTimeoutMs,
            requestTimeoutMs: config.secretTimeoutMs,
            maxAnswerBytes: MAX_SECRET_ANSWER_BYTES,
          }),
        });
  const keys = new CookieKeySource({
    secretId: keysSecretId,
    maxAgeSeconds: config.secretMaxAgeSeconds,
    timeoutMs: config.secretTimeoutMs,
    provider: new SecretsProvider({ awsSdkV3Client: keysClient }),
    previousProvider: new SecretsProvider({ awsSdkV3Client: keysClient }),
  });
  keys.prefetch();
  return {
    redirectUris: config.redirectUris,
    sessionMaxAgeSeconds: config.cookieSessions.sessionMaxAgeSeconds,
    keys,
    // Under the issuer's path, so that the cookies reach the broker wherever it is mounted.
    paths: cookiePaths(new URL(config.issuer).pathname),
    frontDoor: {
      issuer: config.issuer,
      publicClientId: config.publicClientId,
      grants: {
        authorizationCode: (input, audit) => redeemAuthorizationCode(input, deps, audit),
        refreshToken: (input, audit) => redeemRefreshToken(input, deps, audit),
      },
    },
  };
}
const bff = sessionDeps();
const bffRoutes: readonly string[] = BFF_ROUTES;

async function route(event: APIGatewayProxyEventV2, context: BrokerContext): Promise<RouteResult> {
  if (FRONT_DOOR_ROUTES.has(event.routeKey)) return answerFrontDoor(event, deps, context.audit);
  if (bff !== undefined && bffRoutes.includes(event.routeKey)) {
    // Cookies are read here only, by name, and never forwarded upstream or logged.
    return answerBff(event.routeKey, event.body, brokerCookies(event.cookies), bff, context.audit);
  }
  if (event.routeKey === ROUTES.client) return { statusCode: 200, body: await describeClient(deps, context.audit) };
  const result =
    event.routeKey === ROUTES.deviceAuthorization
      ? await startDeviceAuthorization(event.body, deps, context.audit)
      : await exchangeToken(event.body, deps, context.audit);
  // A success is 200 (RFC 6749 section 5.1) whatever 2xx SSO OIDC used: the body is the broker's own
  // rewrite of the modeled members, and a 204 or 205 could not carry it. The log keeps SSO OIDC's status.
  return { statusCode: 200, body: result.body };
}

// Only the CreateToken dialect's routes have a JSON body; the front door's are forms it parses itself.
const jsonBody = httpJsonBodyParser();
const parseJsonBodyOfPosts: MiddlewareObj<APIGatewayProxyEventV2> = {
  before: (request) => (ROUTE_TABLE[routeIdOf(request.event.routeKey)!]?.body === 'json' ? jsonBody.before?.(request as never) : undefined),
};

export const handler = middy<APIGatewayProxyEventV2, unknown, Error, BrokerContext>()
  // logEvent: false overrides POWERTOOLS_LOGGER_LOG_EVENT: the event holds codes and tokens.
  .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
  .use(logMetrics(metrics))
  .use(brokerHttp({ config, routes: routeKeysFor(config.grantTypes, { frontDoor: config.issuer !== undefined, cookieSessions: bff !== undefined }) }))
  .use(parseJsonBodyOfPosts)
  // One deadline for everything the request reads and calls (deadline.ts).
  .handler((event, context) => withDeadline(Deadline.forRequest(context.getRemainingTimeInMillis?.()), () => route(event, context)));
