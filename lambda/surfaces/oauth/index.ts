// The standard OAuth 2.0 front door (present only when TOKEN_BROKER_ISSUER is set): RFC 8414
// metadata, the authorization endpoint and SSO OIDC's callback (pages and redirects), and the token,
// device authorization and revocation endpoints (forms in, RFC 6749 §5.1 JSON out), for standard
// client libraries. Each route is handed to its module; the grants and the revocation are the core's.

import { GRANT_TYPES } from '../../core/config.js';
import { brokerError } from '../../core/errors.js';
import {
  redeemAuthorizationCode,
  redeemDeviceCode,
  redeemRefreshToken,
  startDeviceAuthorization,
  type FrontDoorDeps,
  type OAuthTokens,
} from '../../core/front-door-grants.js';
import type { Audit } from '../../core/audit.js';
import type { PortalClient } from '../../core/portal-client.js';
import { revokeToken } from '../../core/revocation.js';
import type { RouteHandler, RouteRequest } from '../answer.js';
import { authorize } from './authorize.js';
import { callback } from './callback.js';
import { authorizationServerMetadata } from './metadata.js';
import { parseDeviceForm, parseRevocationForm, parseTokenForm } from './token-form.js';

type FrontDoorRoute =
  | 'oauthMetadata'
  | 'openidConfiguration'
  | 'oauthAuthorize'
  | 'oauthCallback'
  | 'oauthToken'
  | 'oauthDeviceAuthorization'
  | 'oauthRevoke';

/** `portal`: the access portal, whose Logout ends the session of a revoked token. */
export function oauthRoutes(deps: FrontDoorDeps, portal: PortalClient): Record<FrontDoorRoute, RouteHandler> {
  const metadata: RouteHandler = async () => ({ statusCode: 200, body: authorizationServerMetadata(deps.config, deps.issuer) });
  return {
    oauthMetadata: metadata,
    openidConfiguration: metadata,
    oauthAuthorize: ({ rawQuery }, audit) => authorize(rawQuery, deps, audit),
    oauthCallback: ({ rawQuery }, audit) => callback(rawQuery, deps, audit),
    oauthToken: async (request, audit) => ({ statusCode: 200, body: toTokenResponse(await token(request, deps, audit)) }),
    async oauthDeviceAuthorization(request, audit) {
      const form = parseDeviceForm(formOf(request));
      await checkClientId(form.clientId, deps);
      const started = await startDeviceAuthorization(form, deps, audit);
      // RFC 8628 §3.2's member names.
      return {
        statusCode: 200,
        body: {
          device_code: started.deviceCode,
          user_code: started.userCode,
          verification_uri: started.verificationUri,
          verification_uri_complete: started.verificationUriComplete,
          expires_in: started.expiresIn,
          interval: started.interval,
        },
      };
    },
    // RFC 7009 §2.2: 200, with nothing to read, whether the token was revoked now or was already
    // invalid; an error only when the request is bad or the revocation could not be done.
    async oauthRevoke(request, audit) {
      const form = parseRevocationForm(formOf(request));
      await checkClientId(form.clientId, deps);
      await revokeToken(form.token, { ...deps, portal }, audit);
      return { statusCode: 200, body: undefined };
    },
  };
}

const formOf = (request: RouteRequest) => ({ body: request.body as string | undefined, headers: request.headers });

async function token(request: RouteRequest, deps: FrontDoorDeps, audit: Audit): Promise<OAuthTokens> {
  const form = parseTokenForm(formOf(request), deps.config);
  audit.grantType = form.grantType;
  await checkClientId(form.clientId, deps);
  switch (form.grantType) {
    case GRANT_TYPES.authorizationCode:
      return redeemAuthorizationCode(form, deps, audit);
    case GRANT_TYPES.refreshToken:
      return redeemRefreshToken(form, deps, audit);
    case GRANT_TYPES.deviceCode:
      return redeemDeviceCode(form, deps, audit);
  }
}

/**
 * The public alias (TOKEN_BROKER_PUBLIC_CLIENT_ID), stable across rotations, or a real client id
 * the secret holds (current or previous); anything else is invalid_client (RFC 6749 §5.2).
 */
async function checkClientId(clientId: string, deps: FrontDoorDeps): Promise<void> {
  if (clientId === deps.config.publicClientId) return;
  const registration = await deps.registrations.forClient(clientId);
  if (registration?.clientId !== clientId) {
    throw brokerError('InvalidClientException', 'The client_id is not a client of this token broker.');
  }
}

/** RFC 6749 §5.1's member names. */
function toTokenResponse(tokens: OAuthTokens): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    token_type: tokens.tokenType,
    expires_in: tokens.expiresIn,
    ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
    ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
    ...(tokens.idToken === undefined ? {} : { id_token: tokens.idToken }),
  };
}
