// The grants of cookie sessions (surfaces/bff/): the same one CreateToken path as every surface
// (grants.ts), but what comes back stays raw, because the session seals it once, whole, into its own
// cookie: SSO OIDC's refresh token, the access token, and the registration that issued them (by its
// client id, which a refresh names to get that registration back, current or AWSPREVIOUS).

import type { Audit } from './audit.js';
import { GRANT_TYPES } from './config.js';
import { brokerError } from './errors.js';
import { exchangeCode, usableTokens, type CodeRedemption, type FrontDoorDeps } from './front-door-grants.js';
import { createToken, type GrantDeps } from './grants.js';
import type { Registration } from './registration.js';
import type { TokenResponse } from './upstream.js';

/** What a session keeps of a token answer. */
export interface SessionTokens {
  readonly accessToken: string;
  readonly tokenType: string;
  readonly expiresIn: number;
  /** SSO OIDC's own refresh token; absent when it sent none (a refresh keeps the one it had). */
  readonly refreshToken?: string;
  /** The registration that issued the tokens: the one a refresh must use. */
  readonly clientId: string;
  /** Space-separated, never with `openid`. */
  readonly scope: string;
}

const sessionTokens = (body: TokenResponse, registration: Registration, scope: string): SessionTokens => {
  const usable = usableTokens(body);
  return {
    accessToken: usable.accessToken,
    tokenType: usable.tokenType ?? 'Bearer',
    expiresIn: usable.expiresIn,
    ...(usable.refreshToken === undefined ? {} : { refreshToken: usable.refreshToken }),
    clientId: registration.clientId,
    scope,
  };
};

/** RFC 6749 §4.1.3: redeems a cookie session's code (sealed by the callback, marked for sessions). */
export async function redeemSessionCode(input: CodeRedemption, deps: FrontDoorDeps, audit: Audit): Promise<SessionTokens> {
  const { body, registration, scope } = await exchangeCode(input, true, deps, audit);
  return sessionTokens(body, registration, scope);
}

/**
 * RFC 6749 §6: refreshes a session's raw refresh token with the registration that issued it. One
 * call, never repeated (a refresh token is single-use when SSO OIDC rotates it). A registration the
 * secret no longer holds (rotated twice since) is invalid_grant: the session has ended.
 */
export async function refreshSession(
  input: { readonly refreshToken: string; readonly clientId: string; readonly scope: string },
  deps: GrantDeps,
  audit: Audit,
): Promise<SessionTokens> {
  audit.grantType = GRANT_TYPES.refreshToken;
  const registration = await deps.registrations.forClient(input.clientId);
  if (registration === undefined || registration.clientId !== input.clientId) {
    throw brokerError('InvalidGrantException', 'The session\u2019s client registration has expired.');
  }
  const { body } = await createToken(registration, { grantType: GRANT_TYPES.refreshToken, refreshToken: input.refreshToken }, deps, audit);
  return sessionTokens(body, registration, input.scope);
}
