// The standard OAuth 2.0 front door's routes (present only when TOKEN_BROKER_ISSUER is set): each
// request is handed to its module. The handler calls this; everything else is pure mapping over
// the shared core (config, registration source, upstream client, error vocabulary).

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Audit, BrokerDeps } from '../../core/grants.js';
import { brokerError } from '../../core/errors.js';
import type { RouteResult } from '../../edge/middleware.js';
import { ROUTES } from '../../edge/routes.js';
import { GRANT_TYPES } from '../../core/config.js';
import { authorize } from './authorize.js';
import { callback } from './callback.js';
import { authorizationServerMetadata } from './metadata.js';
import { requireIssuer } from './shared.js';
import { parseDeviceForm, parseTokenForm } from './token-form.js';
import { redeemAuthorizationCode, redeemDeviceCode, redeemRefreshToken, startDeviceAuthorization, toTokenResponse } from '../../core/front-door-grants.js';

export const FRONT_DOOR_ROUTES: ReadonlySet<string> = new Set([
  ROUTES.oauthMetadata,
  ROUTES.openidConfiguration,
  ROUTES.oauthAuthorize,
  ROUTES.oauthCallback,
  ROUTES.oauthToken,
  ROUTES.oauthDeviceAuthorization,
]);

export async function answerFrontDoor(event: APIGatewayProxyEventV2, deps: BrokerDeps, audit: Audit): Promise<RouteResult> {
  switch (event.routeKey) {
    case ROUTES.oauthMetadata:
    case ROUTES.openidConfiguration:
      return { statusCode: 200, body: authorizationServerMetadata({ ...deps.config, issuer: requireIssuer(deps.config) }) };
    case ROUTES.oauthAuthorize:
      return authorize(event.rawQueryString, deps, audit);
    case ROUTES.oauthCallback:
      return callback(event.rawQueryString, deps, audit);
    case ROUTES.oauthToken:
      return { statusCode: 200, body: toTokenResponse(await token(event, deps, audit)) };
    case ROUTES.oauthDeviceAuthorization: {
      const request = parseDeviceForm({ body: event.body, headers: event.headers ?? {} });
      await checkClientId(request.clientId, deps);
      return { statusCode: 200, body: await startDeviceAuthorization(request, deps, audit) };
    }
    default:
      throw brokerError('NotFoundException', 'The token broker has no such route.');
  }
}

async function token(event: APIGatewayProxyEventV2, deps: BrokerDeps, audit: Audit) {
  const request = parseTokenForm({ body: event.body, headers: event.headers ?? {} }, deps.config);
  audit.grantType = request.grantType;
  await checkClientId(request.clientId, deps);
  switch (request.grantType) {
    case GRANT_TYPES.authorizationCode:
      return redeemAuthorizationCode(request, deps, audit);
    case GRANT_TYPES.refreshToken:
      return redeemRefreshToken(request, deps, audit);
    case GRANT_TYPES.deviceCode:
      return redeemDeviceCode(request, deps, audit);
  }
}

/**
 * The public alias (TOKEN_BROKER_PUBLIC_CLIENT_ID), stable across rotations, or a real client id
 * the secret holds (current or previous); anything else is invalid_client (RFC 6749 §5.2).
 */
async function checkClientId(clientId: string, deps: BrokerDeps): Promise<void> {
  if (clientId === deps.config.publicClientId) return;
  const registration = await deps.registrations.forClient(clientId);
  if (registration?.clientId !== clientId) {
    throw brokerError('InvalidClientException', 'The client_id is not a client of this token broker.');
  }
}
