// Lambda entry point: API Gateway HTTP API (payload format 2.0) events for the routes of the route
// table (edge/routes.ts) that the configuration enables. Wiring only: the core (core/) is built once
// at cold start, each surface (surfaces/) is given its part of it, and the edge (edge/) reads each
// request, calls the route's handler under one deadline and writes the answer.

import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createApiClient } from './core/api-proxy.js';
import { loadConfig, regionOfArn, type CookieSessionConfig } from './core/config.js';
import { CookieKeySource } from './core/cookie-keys.js';
import { Deadline, withDeadline } from './core/deadline.js';
import type { FrontDoorDeps } from './core/front-door-grants.js';
import type { GrantDeps } from './core/grants.js';
import { createHttpHandler } from './core/http-handler.js';
import { createPortalClient, type PortalClient } from './core/portal-client.js';
import { MAX_SECRET_ANSWER_BYTES, RegistrationSource } from './core/registration.js';
import { SecretReader } from './core/secret-reader.js';
import { redeemSessionCode, refreshSession } from './core/session-grants.js';
import { isSessionRedirectUri, upstreamAuthorizeUrl } from './core/sign-in.js';
import { createUpstream } from './core/upstream.js';
import { answers } from './edge/answers.js';
import { bodies, routeRequestOf } from './edge/bodies.js';
import { guards } from './edge/guards.js';
import { requestLog } from './edge/request-log.js';
import { ROUTE_TABLE, routeIdOf, routeKeysFor, featuresOf, type RouteId } from './edge/routes.js';
import { routing, type BrokerContext } from './edge/routing.js';
import type { RouteHandler } from './surfaces/answer.js';
import { awsJsonRoutes } from './surfaces/aws-json/index.js';
import { bffRoutes, type ApiDeps, type SessionDeps, type SessionPortalDeps } from './surfaces/bff/index.js';
import { cookiePaths } from './surfaces/bff/cookies.js';
import { oauthRoutes } from './surfaces/oauth/index.js';
import { portalRoutes } from './surfaces/portal/index.js';

// Cold start: configuration is validated and the secret reads begin before the first request.
const config = loadConfig();

/** One Secrets Manager client per region: a secret named by its ARN is read in the ARN's region. */
const secretsClients = new Map<string | undefined, SecretsManagerClient>();
function secretsClientFor(secretId: string): SecretsManagerClient {
  const region = regionOfArn(secretId);
  let client = secretsClients.get(region);
  if (client === undefined) {
    client = new SecretsManagerClient({
      ...(region ? { region } : {}),
      // One attempt: the secret cache bounds each read as a whole, and a failed read is retried by the next request.
      maxAttempts: 1,
      // Set, not read from AWS_RETRY_MODE: adaptive retry is not bundled (lambda/bundle/retry.ts).
      retryMode: 'standard',
      requestHandler: createHttpHandler({
        connectionTimeoutMs: config.secretTimeoutMs,
        requestTimeoutMs: config.secretTimeoutMs,
        maxAnswerBytes: MAX_SECRET_ANSWER_BYTES,
      }),
    });
    secretsClients.set(region, client);
  }
  return client;
}

/** The options of a versioned secret (core/secrets.ts); AWSPREVIOUS gets a provider of its own. */
function secretOptions(secretId: string) {
  const client = secretsClientFor(secretId);
  return {
    secretId,
    maxAgeSeconds: config.secretMaxAgeSeconds,
    timeoutMs: config.secretTimeoutMs,
    provider: new SecretReader(client),
    previousProvider: new SecretReader(client),
  };
}

const registrations = new RegistrationSource(secretOptions(config.secretId));
registrations.prefetch();
const grants: GrantDeps = { config, registrations, upstream: createUpstream(config) };

const frontDoor: FrontDoorDeps | undefined =
  config.issuer === undefined ? undefined : { ...grants, issuer: config.issuer, callbackUrl: `${config.issuer}${ROUTE_TABLE.oauthCallback.path}` };

function sessionDeps(frontDoor: FrontDoorDeps, sessions: CookieSessionConfig, portalClient: PortalClient): SessionDeps & ApiDeps & SessionPortalDeps {
  const keys = new CookieKeySource(secretOptions(sessions.keysSecretId));
  keys.prefetch();
  return {
    issuer: frontDoor.issuer,
    // The redirect URIs on cookie-session origins: reserved for login/end (loadConfig made sure there is one).
    redirectUris: [...config.redirectUris].filter((uri) => isSessionRedirectUri(uri, sessions.origins)),
    sessionMaxAgeSeconds: sessions.sessionMaxAgeSeconds,
    pageTokens: sessions.pageTokens,
    keys,
    // Under the issuer's path, so that the cookies reach the broker wherever it is mounted.
    paths: cookiePaths(new URL(frontDoor.issuer).pathname),
    grants: {
      signInUrl: (request, audit) => upstreamAuthorizeUrl(request, frontDoor, audit),
      redeemCode: (input, audit) => redeemSessionCode(input, frontDoor, audit),
      refresh: (input, audit) => refreshSession(input, frontDoor, audit),
    },
    apis: sessions.apis,
    callApi: createApiClient({ timeoutMs: sessions.apiTimeoutMs }),
    // Sign-out ends the Identity Center session (Logout); the /bff/portal routes apply the role policy.
    portalClient,
    portal: config.portal === undefined ? undefined : { client: portalClient, policy: config.portal.roles },
  };
}

// The AWS access portal: its routes (TOKEN_BROKER_PORTAL=on) and the front door's revocation (Logout) call it.
const portalClient = config.portal === undefined && frontDoor === undefined ? undefined : createPortalClient(config);

const { cookieSessions } = config;
const handlers: Partial<Record<RouteId, RouteHandler>> = {
  ...awsJsonRoutes(grants),
  ...(frontDoor === undefined ? {} : oauthRoutes(frontDoor, portalClient!)),
  ...(config.portal === undefined ? {} : portalRoutes({ client: portalClient!, policy: config.portal.roles })),
  ...(frontDoor === undefined || cookieSessions === undefined
    ? {}
    : bffRoutes(sessionDeps(frontDoor, cookieSessions, portalClient!))),
};

// Every route the configuration enables has its handler (the preflight is answered by the edge): checked at cold start.
const routes = routeKeysFor(config.grantTypes, featuresOf(config)).map((key) => routeIdOf(key)!);
const unserved = routes.filter((id) => id !== 'preflight' && handlers[id] === undefined);
if (unserved.length > 0) throw new Error(`no handler for the enabled routes ${unserved.join(', ')}`);

export const handler = middy<APIGatewayProxyEventV2, unknown, Error, BrokerContext>()
  // No injectLambdaContext: the Logger is made at its first line (core/telemetry.ts logger), which
  // adds the request's context itself, and the event (codes, tokens) is never logged.
  // The edge, one middleware per concern; `after` and `onError` run in the reverse order.
  .use(requestLog(config))
  .use(answers(config))
  .use(routing(routes))
  .use(guards(config))
  .use(bodies())
  // One deadline for everything the request reads and calls (core/deadline.ts).
  .handler((event, context) =>
    withDeadline(Deadline.forRequest(context.getRemainingTimeInMillis?.()), () =>
      handlers[context.route]!(routeRequestOf(event, context), context.audit),
    ),
  );
