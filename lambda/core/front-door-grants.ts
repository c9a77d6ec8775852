// The front door's token operations (RFC 6749 §4.1.3, §6; RFC 8628 §3.4) over the shared core:
// open the sealed code or refresh token with the registration that issued it, call SSO OIDC once
// with that registration (never a second time: a code or refresh token is single-use upstream),
// and hand back tokens with the refresh token sealed again. Exported for the token handler (/bff).

import { GRANT_TYPES } from './config.js';
import { brokerError } from './errors.js';
import { timed, type Audit, type BrokerDeps } from './grants.js';
import type { Registration } from './registration.js';
import type { TokenRequest } from '../surfaces/aws-json/request.js';
import type { TokenResponse } from './upstream.js';
import { frontDoorUrls } from '../surfaces/oauth/metadata.js';
import { isExpired, openSealed, sealFor, type Purpose } from './sealed.js';
import { requireIssuer } from '../surfaces/oauth/shared.js';

export interface OAuthTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresIn: number;
  /** The broker's sealed form of SSO OIDC's refresh token; absent when SSO OIDC sent none. */
  readonly refreshToken?: string;
  /** Space-separated, never with `openid`. */
  readonly scope?: string;
  /** SSO OIDC's idToken, untouched and unverified, when it sends one (it documents none). */
  readonly idToken?: string;
}

const invalidGrant = (description: string) => brokerError('InvalidGrantException', description);

async function open(value: string, purpose: Purpose, deps: BrokerDeps, what: string) {
  const opened = await openSealed(value, purpose, deps.registrations);
  if (opened === undefined) throw invalidGrant(`The ${what} is not valid: it was not issued by this token broker, or its client registration has expired.`);
  return opened;
}

/** RFC 6749 §4.1.3: redeems a code the front door's callback issued, with the client's PKCE verifier. */
export async function redeemAuthorizationCode(
  input: { readonly code: string; readonly redirectUri: string; readonly codeVerifier: string },
  deps: BrokerDeps,
  audit: Audit,
): Promise<OAuthTokens> {
  const issuer = requireIssuer(deps.config);
  audit.grantType = GRANT_TYPES.authorizationCode;
  const { value, registration } = await open(input.code, 'code', deps, 'authorization code');
  if (isExpired(value.e)) throw invalidGrant('The authorization code has expired.');
  // RFC 6749 §4.1.3: redirect_uri must be identical to the one of the authorization request.
  if (value.r !== input.redirectUri) throw invalidGrant('The redirect_uri is not the one the authorization code was issued for.');
  if (typeof value.c !== 'string') throw invalidGrant('The authorization code is not valid.');
  const scope = typeof value.sc === 'string' ? value.sc : undefined;
  return createToken(
    registration,
    // SSO OIDC issued its code to the broker's callback: that is the redirect URI it checks.
    { grantType: GRANT_TYPES.authorizationCode, code: value.c, codeVerifier: input.codeVerifier, redirectUri: frontDoorUrls(issuer).callback },
    scope,
    deps,
    audit,
  );
}

/** RFC 6749 §6: refreshes with a refresh token the front door issued, with the registration that issued it. */
export async function redeemRefreshToken(
  input: { readonly refreshToken: string; readonly scope?: string },
  deps: BrokerDeps,
  audit: Audit,
): Promise<OAuthTokens> {
  audit.grantType = GRANT_TYPES.refreshToken;
  const { value, registration } = await open(input.refreshToken, 'refresh_token', deps, 'refresh token');
  if (typeof value.t !== 'string') throw invalidGrant('The refresh token is not valid.');
  const granted = typeof value.sc === 'string' ? value.sc : '';
  // RFC 6749 §6: a refresh may narrow the scope, never widen it. `openid` is allowed and ignored:
  // clients send back what they asked for, and the broker never grants it.
  const grantedSet = new Set(granted.split(' '));
  const asked = (input.scope ?? '').split(' ').filter((scope) => scope !== '' && scope !== 'openid');
  if (asked.some((scope) => !grantedSet.has(scope))) {
    throw brokerError('InvalidScopeException', 'The scope asks for more than the refresh token was granted (RFC 6749 section 6).');
  }
  // SSO OIDC keeps the original grant's scope: the refresh is sent without one.
  return createToken(registration, { grantType: GRANT_TYPES.refreshToken, refreshToken: value.t }, granted, deps, audit);
}

/** RFC 8628 §3.4: polls with a device code the front door's device authorization issued. */
export async function redeemDeviceCode(
  input: { readonly deviceCode: string },
  deps: BrokerDeps,
  audit: Audit,
): Promise<OAuthTokens> {
  audit.grantType = GRANT_TYPES.deviceCode;
  const { value, registration } = await open(input.deviceCode, 'device_code', deps, 'device code');
  if (typeof value.d !== 'string') throw invalidGrant('The device code is not valid.');
  return createToken(registration, { grantType: GRANT_TYPES.deviceCode, deviceCode: value.d }, typeof value.sc === 'string' ? value.sc : undefined, deps, audit);
}

/** RFC 8628 §3.1–3.2: starts a device authorization with the current registration and the configured start URL. */
export async function startDeviceAuthorization(
  input: { readonly scope?: string },
  deps: BrokerDeps,
  audit: Audit,
): Promise<Record<string, unknown>> {
  audit.grantType = 'device_authorization';
  const { startUrl } = deps.config;
  if (startUrl === undefined) throw brokerError('UnsupportedGrantTypeException', 'Device authorization is not configured on this broker.');
  const registration = await deps.registrations.get();
  audit.clientSecretExpiresAt = registration.clientSecretExpiresAt;
  const { body } = await timed(audit, () => deps.upstream.startDeviceAuthorization(registration, startUrl));
  if (body.deviceCode === undefined || body.userCode === undefined) throw brokerError('BadGatewayException', 'SSO OIDC gave an answer the broker could not read.');
  const scope = (input.scope ?? '').split(' ').filter((token) => token !== '' && token !== 'openid').join(' ');
  return {
    device_code: sealFor({ d: body.deviceCode, sc: scope }, registration, 'device_code'),
    user_code: body.userCode,
    verification_uri: body.verificationUri,
    verification_uri_complete: body.verificationUriComplete,
    expires_in: body.expiresIn,
    interval: body.interval,
  };
}

async function createToken(
  registration: Registration,
  request: TokenRequest,
  scope: string | undefined,
  deps: BrokerDeps,
  audit: Audit,
): Promise<OAuthTokens> {
  audit.clientSecretExpiresAt = registration.clientSecretExpiresAt;
  // One call: no retry with another registration, the code or token belongs to this one.
  const { body } = await timed(audit, () => deps.upstream.createToken(registration, request));
  return toOAuthTokens(body, registration, scope);
}

function toOAuthTokens(body: TokenResponse, registration: Registration, scope: string | undefined): OAuthTokens {
  if (body.accessToken === undefined || body.expiresIn === undefined) {
    throw brokerError('BadGatewayException', 'SSO OIDC gave an answer the broker could not read.');
  }
  return {
    accessToken: body.accessToken,
    tokenType: body.tokenType ?? 'Bearer',
    expiresIn: body.expiresIn,
    // RFC 6749 §6: when SSO OIDC sends no new refresh token, none is returned; the client keeps its own.
    ...(body.refreshToken === undefined
      ? {}
      : { refreshToken: sealFor({ t: body.refreshToken, sc: scope ?? '' }, registration, 'refresh_token') }),
    ...(scope === undefined ? {} : { scope }),
    ...(body.idToken === undefined ? {} : { idToken: body.idToken }),
  };
}

/** RFC 6749 §5.1's member names. */
export function toTokenResponse(tokens: OAuthTokens): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    token_type: tokens.tokenType,
    expires_in: tokens.expiresIn,
    ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
    ...(tokens.scope === undefined ? {} : { scope: tokens.scope }),
    ...(tokens.idToken === undefined ? {} : { id_token: tokens.idToken }),
  };
}
