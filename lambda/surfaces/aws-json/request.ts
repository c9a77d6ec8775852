// Turns a parsed JSON body into a request the broker may send upstream, or a 4xx BrokerError that
// names the offending member. Nothing that fails here reaches SSO OIDC.
// Only the members relevant to the grant are kept; unknown members are dropped, never forwarded;
// `clientSecret` is accepted (AWS SDK models require it) and ignored; `clientId` is read separately
// (requestedClientId) and never overrides the registration's.

import { ENV, GRANT_TYPES, type BrokerConfig, type GrantType } from '../../core/config.js';
import { brokerError, invalidRequest } from '../../core/errors.js';
import { isSessionRedirectUri } from '../../core/sign-in.js';
import type { TokenRequest } from '../../core/upstream.js';
import { asObject, MAX_SCOPES, optionalString, PKCE_CHARACTERS, PKCE_VALUE, refusedRedirectUri, requiredString, type JsonObject } from '../../core/validation.js';

type Body = JsonObject;

function optionalScopes(body: Body): string[] | undefined {
  if (!Object.hasOwn(body, 'scope') || body.scope === undefined || body.scope === null) return undefined;
  const scope = body.scope;
  if (!Array.isArray(scope) || !scope.every((item) => typeof item === 'string' && item.length > 0)) {
    throw invalidRequest('The member "scope" must be an array of non-empty strings.');
  }
  if (scope.length > MAX_SCOPES) throw invalidRequest(`The member "scope" may hold at most ${MAX_SCOPES} entries.`);
  return [...(scope as string[])];
}

// The OAuth 2.0 form members (RFC 6749 section 4.1.3) a caller may have sent in place of
// CreateToken's camelCase ones: a body with these and no grantType was written for another dialect.
const SNAKE_CASE_MEMBERS: Readonly<Record<string, string>> = {
  grant_type: 'grantType',
  client_id: 'clientId',
  client_secret: 'clientSecret',
  redirect_uri: 'redirectUri',
  code_verifier: 'codeVerifier',
  refresh_token: 'refreshToken',
  device_code: 'deviceCode',
};

/** Names the camelCase members when the body looks like an OAuth 2.0 (snake_case) token request. */
function dialectHint(body: Body): string {
  const found = Object.keys(SNAKE_CASE_MEMBERS).filter((member) => Object.hasOwn(body, member));
  if (found.length === 0) return '';
  const renamed = found.map((member) => `"${member}" -> "${SNAKE_CASE_MEMBERS[member]}"`).join(', ');
  return ` This endpoint takes SSO OIDC CreateToken's camelCase JSON members, not OAuth 2.0 form names: ${renamed}.`;
}

/**
 * A hint for a grant type spelled the short way: `device_code` is how the CDK setting and the logs
 * name the device grant, but on the wire it is the RFC 8628 section 3.4 URN.
 */
function grantTypeHint(grant: string, config: BrokerConfig): string {
  if (grant !== 'device_code') return '';
  return config.grantTypes.has(GRANT_TYPES.deviceCode)
    ? ` The device grant's grantType is the URN "${GRANT_TYPES.deviceCode}" (RFC 8628 section 3.4).`
    : ` The device grant's grantType is the URN "${GRANT_TYPES.deviceCode}" (RFC 8628 section 3.4); it is not enabled on this broker either (${ENV.grantTypes}).`;
}

export function parseTokenRequest(raw: unknown, config: BrokerConfig): TokenRequest {
  const body = asObject(raw);
  const grant = optionalString(body, 'grantType');
  if (grant === undefined) throw invalidRequest(`The member "grantType" is required.${dialectHint(body)}`);
  if (!(config.grantTypes as ReadonlySet<string>).has(grant)) {
    // The name is echoed, cut short: an answer should not mirror kilobytes of input.
    const named = grant.length > 64 ? `${grant.slice(0, 64)}…` : grant;
    throw brokerError('UnsupportedGrantTypeException', `The grant type "${named}" is not enabled on this broker.${grantTypeHint(grant, config)}`);
  }
  const grantType = grant as GrantType;
  const scope = optionalScopes(body);
  const withScope = scope === undefined ? {} : { scope };

  switch (grantType) {
    case GRANT_TYPES.authorizationCode: {
      const why = 'for the authorization_code grant';
      const code = requiredString(body, 'code', why);
      const redirectUri = requiredString(body, 'redirectUri', why);
      const codeVerifier = requiredString(body, 'codeVerifier', `${why} (PKCE is mandatory)`);
      if (!PKCE_VALUE.test(codeVerifier)) {
        throw invalidRequest(`The member "codeVerifier" must be ${PKCE_CHARACTERS} (RFC 7636).`);
      }
      if (config.redirectUris.size > 0 && !config.redirectUris.has(redirectUri)) {
        throw invalidRequest(`The member "redirectUri" is not one of the redirect URIs allowed on this broker${refusedRedirectUri(redirectUri, config.redirectUris, ENV.redirectUris)}`);
      }
      // Reserved for the broker's cookie sessions: page script there must never redeem a code itself.
      if (isSessionRedirectUri(redirectUri, config.cookieSessions?.origins)) {
        throw invalidRequest(`The member "redirectUri" is on a cookie-session origin (${ENV.sessionOrigins}): only the broker's cookie sessions redeem codes sent there.`);
      }
      return { grantType, code, codeVerifier, redirectUri, ...withScope };
    }
    case GRANT_TYPES.refreshToken:
      return { grantType, refreshToken: requiredString(body, 'refreshToken', 'for the refresh_token grant'), ...withScope };
    case GRANT_TYPES.deviceCode:
      return { grantType, deviceCode: requiredString(body, 'deviceCode', 'for the device_code grant'), ...withScope };
  }
}

export function parseDeviceAuthorizationRequest(raw: unknown): { readonly startUrl: string } {
  const body = asObject(raw);
  const startUrl = requiredString(body, 'startUrl', 'to start a device authorization');
  if (!URL.canParse(startUrl) || !/^https?:$/.test(new URL(startUrl).protocol)) {
    throw invalidRequest('The member "startUrl" must be an absolute http(s) URL.');
  }
  return { startUrl };
}

/**
 * The client a caller names, if any: the one it signed in with. The broker answers with that
 * registration (current or, just after a rotation, previous) or 401 InvalidClientException.
 */
export function requestedClientId(raw: unknown): string | undefined {
  return optionalString(asObject(raw), 'clientId');
}
