// The AWS JSON dialect: SSO OIDC's own wire format (camelCase JSON, the service's error types), so
// that a frontend written against SSO OIDC, an AWS SDK or the AWS CLI works with its endpoint set to
// the broker. POST /token (CreateToken), POST /device_authorization (StartDeviceAuthorization) and
// GET /client (the public half of the registration).

import type { Audit } from '../../core/audit.js';
import { createToken, startDeviceAuthorization, withNamedClient, type GrantDeps } from '../../core/grants.js';
import type { RouteHandler } from '../answer.js';
import { parseDeviceAuthorizationRequest, parseTokenRequest, requestedClientId } from './request.js';

/** The registration's public members, for frontends: never the secret. */
export interface PublicClient {
  readonly clientId: string;
  readonly authorizationEndpoint?: string;
}

async function describeClient(deps: GrantDeps, audit: Audit): Promise<PublicClient> {
  const registration = await deps.registrations.get();
  audit.clientSecretExpiresAt = registration.clientSecretExpiresAt;
  return registration.authorizationEndpoint === undefined
    ? { clientId: registration.clientId }
    : { clientId: registration.clientId, authorizationEndpoint: registration.authorizationEndpoint };
}

export function awsJsonRoutes(deps: GrantDeps): Record<'token' | 'deviceAuthorization' | 'client', RouteHandler> {
  return {
    // A success is 200 (RFC 6749 section 5.1) whatever 2xx SSO OIDC used: the body is the broker's
    // own rewrite of the modeled members, and a 204 or 205 could not carry it. The log keeps SSO OIDC's status.
    async token({ body }, audit) {
      const request = parseTokenRequest(body, deps.config);
      audit.grantType = request.grantType;
      const result = await withNamedClient(requestedClientId(body), deps, audit, (registration) =>
        createToken(registration, request, deps, audit),
      );
      return { statusCode: 200, body: result.body };
    },
    async deviceAuthorization({ body }, audit) {
      const { startUrl } = parseDeviceAuthorizationRequest(body);
      audit.grantType = 'device_authorization';
      const result = await withNamedClient(requestedClientId(body), deps, audit, (registration) =>
        startDeviceAuthorization(registration, startUrl, deps, audit),
      );
      return { statusCode: 200, body: result.body };
    },
    async client(_request, audit) {
      return { statusCode: 200, body: await describeClient(deps, audit) };
    },
  };
}
