// RFC 8414 authorization server metadata, served at /.well-known/oauth-authorization-server and
// /.well-known/openid-configuration (the name OIDC libraries look at). Only what the broker can
// honestly promise: no jwks_uri or userinfo_endpoint (SSO OIDC signs no ID tokens the broker could
// vouch for, and has no userinfo), no `openid` in scopes_supported.

import { GRANT_TYPES, type BrokerConfig } from '../../core/config.js';
import { ROUTE_TABLE } from '../../edge/routes.js';

export function authorizationServerMetadata(config: BrokerConfig, issuer: string): Record<string, unknown> {
  const device = config.grantTypes.has(GRANT_TYPES.deviceCode);
  return {
    issuer,
    authorization_endpoint: `${issuer}${ROUTE_TABLE.oauthAuthorize.path}`,
    token_endpoint: `${issuer}${ROUTE_TABLE.oauthToken.path}`,
    ...(device ? { device_authorization_endpoint: `${issuer}${ROUTE_TABLE.oauthDeviceAuthorization.path}` } : {}),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    // Enabled grants, by their RFC names, in a fixed order.
    grant_types_supported: Object.values(GRANT_TYPES).filter((grant) => config.grantTypes.has(grant)),
    // RFC 7636: PKCE is mandatory, and only S256 (SSO OIDC's one method).
    code_challenge_methods_supported: ['S256'],
    // Public clients only: the registration's secret stays in the broker.
    token_endpoint_auth_methods_supported: ['none'],
    // RFC 9207: every authorization response carries `iss`.
    authorization_response_iss_parameter_supported: true,
    // RFC 7009 revocation (RFC 8414 section 2), for public clients: ends the token's Identity Center session.
    revocation_endpoint: `${issuer}${ROUTE_TABLE.oauthRevoke.path}`,
    revocation_endpoint_auth_methods_supported: ['none'],
  };
}
