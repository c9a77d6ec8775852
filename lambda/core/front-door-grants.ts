// The grants over the front door's sealed values (sealed.ts), shared by the OAuth 2.0 front door
// and the token handler's cookie sessions: open the sealed code, refresh token or device code with
// the registration that issued it, call SSO OIDC once with that registration (never a second time:
// a code or refresh token is single-use upstream), and hand back tokens with the refresh token
// sealed again (RFC 6749 §4.1.3, §6; RFC 8628 §3.4).

import type { Audit } from './audit.js';
import { GRANT_TYPES } from './config.js';
import { brokerError } from './errors.js';
import { createToken, startDeviceAuthorization as startUpstreamDevice, type GrantDeps } from './grants.js';
import type { Registration } from './registration.js';
import { expiresIn, isExpired, openSealed, sealFor, type Purpose } from './sealed.js';
import { UNREADABLE, type TokenRequest, type TokenResponse } from './upstream.js';
import { scopeParameter } from './validation.js';

export interface FrontDoorDeps extends GrantDeps {
  readonly issuer: string;
  /** `${issuer}/oauth2/callback`: the redirect URI SSO OIDC issued its codes to. */
  readonly callbackUrl: string;
}

export interface OAuthTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresIn: number;
  /** The broker's sealed form of SSO OIDC's refresh token; absent when SSO OIDC sent none. */
  readonly refreshToken?: string;
  /**
   * The scope SSO OIDC was asked for, space-separated, never with `openid`. Absent when none is known
   * to be granted: none was sent to SSO OIDC (its registration's scopes apply), or only `openid`, or
   * the device flow (StartDeviceAuthorization takes no scope). RFC 6749 §3.3 allows no empty scope,
   * and §5.1 says to report one only when it is what was issued.
   */
  readonly scope?: string;
  /** SSO OIDC's idToken, untouched and unverified, when it sends one (it documents none). */
  readonly idToken?: string;
}

/** RFC 6749 §4.1.2 recommends at most 10 minutes; SSO OIDC's own code lives about as long. */
const CODE_LIFETIME_SECONDS = 5 * 60;

const invalidGrant = (description: string) => brokerError('InvalidGrantException', description);

async function open<P extends Purpose>(purpose: P, value: string, deps: GrantDeps, what: string) {
  const opened = await openSealed(purpose, value, deps.registrations);
  if (opened === undefined) throw invalidGrant(`The ${what} is not valid: it was not issued by this token broker, or its client registration has expired.`);
  return opened;
}

/**
 * The code SSO OIDC sent to the callback, sealed for the client with what its token request must
 * match; a cookie session's code is marked so, and only /bff/login/end redeems it.
 */
export const sealCode = (code: string, redirectUri: string, scope: string, registration: Registration, forSession = false): string =>
  sealFor('code', { code, redirectUri, scope, expiresAt: expiresIn(CODE_LIFETIME_SECONDS), ...(forSession ? { forSession: true } : {}) }, registration);

export interface CodeRedemption {
  readonly code: string;
  readonly redirectUri: string;
  readonly codeVerifier: string;
}

/**
 * RFC 6749 §4.1.3: the sealed code's CreateToken call (one, with the registration that issued it),
 * once the code is known to be this door's (`forSession`), unexpired and for this redirect URI.
 */
export async function exchangeCode(input: CodeRedemption, forSession: boolean, deps: FrontDoorDeps, audit: Audit) {
  audit.grantType = GRANT_TYPES.authorizationCode;
  const { value, registration } = await open('code', input.code, deps, 'authorization code');
  // The doors are apart: page script cannot redeem a cookie session's code at the token endpoints,
  // and /bff/login/end redeems no code of the front door's.
  if ((value.forSession === true) !== forSession) {
    throw invalidGrant(
      forSession
        ? 'The authorization code was not issued to a cookie-session sign-in.'
        : 'The authorization code was issued to a cookie-session sign-in: only the broker\u2019s cookie sessions redeem it.',
    );
  }
  if (isExpired(value.expiresAt)) throw invalidGrant('The authorization code has expired.');
  // RFC 6749 §4.1.3: redirect_uri must be identical to the one of the authorization request.
  if (value.redirectUri !== input.redirectUri) throw invalidGrant('The redirect_uri is not the one the authorization code was issued for.');
  // SSO OIDC issued its code to the broker's callback: that is the redirect URI it checks.
  const request = { grantType: GRANT_TYPES.authorizationCode, code: value.code, codeVerifier: input.codeVerifier, redirectUri: deps.callbackUrl };
  const { body } = await createToken(registration, request, deps, audit);
  return { body: usableTokens(body), registration, scope: value.scope };
}

/** RFC 6749 §4.1.3: redeems a code the front door's callback issued, with the client's PKCE verifier. */
export async function redeemAuthorizationCode(input: CodeRedemption, deps: FrontDoorDeps, audit: Audit): Promise<OAuthTokens> {
  const { body, registration, scope } = await exchangeCode(input, false, deps, audit);
  return toOAuthTokens(body, registration, scope);
}

/** RFC 6749 §6: refreshes with a refresh token the front door issued, with the registration that issued it. */
export async function redeemRefreshToken(
  input: { readonly refreshToken: string; readonly scope?: string },
  deps: GrantDeps,
  audit: Audit,
): Promise<OAuthTokens> {
  audit.grantType = GRANT_TYPES.refreshToken;
  const { value, registration } = await open('refresh_token', input.refreshToken, deps, 'refresh token');
  // RFC 6749 §6: a refresh may narrow the scope, never widen it. `openid` is allowed and ignored:
  // clients send back what they asked for, and the broker never grants it.
  const granted = new Set(value.scope.split(' '));
  const asked = scopeTokensOf(input.scope).filter((scope) => scope !== 'openid');
  if (asked.some((scope) => !granted.has(scope))) {
    throw brokerError('InvalidScopeException', 'The scope asks for more than the refresh token was granted (RFC 6749 section 6).');
  }
  // SSO OIDC keeps the original grant's scope: the refresh is sent without one.
  return tokensOf(registration, { grantType: GRANT_TYPES.refreshToken, refreshToken: value.refreshToken }, value.scope, deps, audit);
}

/**
 * RFC 8628 §3.4: polls with a device code the front door's device authorization issued. The tokens
 * report no scope: none was sent to SSO OIDC (RFC 6749 §5.1).
 */
export async function redeemDeviceCode(input: { readonly deviceCode: string }, deps: GrantDeps, audit: Audit): Promise<OAuthTokens> {
  audit.grantType = GRANT_TYPES.deviceCode;
  const { value, registration } = await open('device_code', input.deviceCode, deps, 'device code');
  return tokensOf(registration, { grantType: GRANT_TYPES.deviceCode, deviceCode: value.deviceCode }, '', deps, audit);
}

/** What RFC 8628 §3.2 answers, with SSO OIDC's device code sealed. */
export interface DeviceAuthorization {
  readonly deviceCode: string;
  readonly userCode: string;
  readonly verificationUri: string | undefined;
  readonly verificationUriComplete: string | undefined;
  readonly expiresIn: number | undefined;
  readonly interval: number | undefined;
}

/**
 * RFC 8628 §3.1–3.2: starts a device authorization with the current registration and the configured
 * start URL. A `scope` is checked (RFC 6749 §3.3) and otherwise ignored: SSO OIDC's
 * StartDeviceAuthorization takes none, so its tokens carry the registration's scopes.
 */
export async function startDeviceAuthorization(
  input: { readonly scope?: string },
  deps: GrantDeps,
  audit: Audit,
): Promise<DeviceAuthorization> {
  scopeTokensOf(input.scope);
  audit.grantType = 'device_authorization';
  const { startUrl } = deps.config;
  if (startUrl === undefined) throw brokerError('UnsupportedGrantTypeException', 'Device authorization is not configured on this broker.');
  const registration = await deps.registrations.get();
  const { body } = await startUpstreamDevice(registration, startUrl, deps, audit);
  return {
    deviceCode: sealFor('device_code', { deviceCode: body.deviceCode }, registration),
    userCode: body.userCode,
    verificationUri: body.verificationUri,
    verificationUriComplete: body.verificationUriComplete,
    expiresIn: body.expiresIn,
    interval: body.interval,
  };
}

/** The tokens of a `scope` parameter (RFC 6749 §3.3), none when it is absent; invalid_scope when it is not one. */
function scopeTokensOf(scope: string | undefined): string[] {
  const checked = scopeParameter(scope);
  if ('problem' in checked) throw brokerError('InvalidScopeException', checked.problem);
  return checked;
}

/** One CreateToken call with the registration that issued the grant: no retry with another. */
async function tokensOf(
  registration: Registration,
  request: TokenRequest,
  scope: string,
  deps: GrantDeps,
  audit: Audit,
): Promise<OAuthTokens> {
  const { body } = await createToken(registration, request, deps, audit);
  return toOAuthTokens(body, registration, scope);
}

/**
 * A token answer with what the front door and cookie sessions need besides its access token: its
 * lifetime (CreateToken's pass-through at /token does without).
 */
export function usableTokens(body: TokenResponse): TokenResponse & { readonly expiresIn: number } {
  const { expiresIn } = body;
  if (expiresIn === undefined) throw brokerError('BadGatewayException', UNREADABLE);
  return { ...body, expiresIn };
}

function toOAuthTokens(answer: TokenResponse, registration: Registration, scope: string): OAuthTokens {
  const body = usableTokens(answer);
  return {
    accessToken: body.accessToken,
    tokenType: body.tokenType ?? 'Bearer',
    expiresIn: body.expiresIn,
    // RFC 6749 §6: when SSO OIDC sends no new refresh token, none is returned; the client keeps its own.
    ...(body.refreshToken === undefined ? {} : { refreshToken: sealFor('refresh_token', { refreshToken: body.refreshToken, scope }, registration) }),
    ...(scope === '' ? {} : { scope }),
    ...(body.idToken === undefined ? {} : { idToken: body.idToken }),
  };
}
