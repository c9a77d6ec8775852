// RFC 7009 token revocation, for the front door: a token is revoked by ending the IAM Identity
// Center sign-in session it belongs to, with the AWS access portal's Logout (which "invalidates the
// corresponding server-side IAM Identity Center sign in session"): its access tokens and refresh
// tokens then all stop working. SSO OIDC has no revocation operation of its own.
//   an access token          Logout with it
//   a sealed refresh token   redeemed once with SSO OIDC for an access token, then Logout with that
// A token that is unknown or already invalid is revoked as far as anyone can tell (RFC 7009 §2.2):
// the caller gets the same answer as for one that was.

import type { Audit } from './audit.js';
import { BrokerError } from './errors.js';
import { redeemRefreshToken } from './front-door-grants.js';
import type { GrantDeps } from './grants.js';
import type { PortalClient } from './portal-client.js';
import { isUnauthorized, logout } from './portal.js';

export interface RevocationDeps extends GrantDeps {
  /** The access portal, for Logout. No role policy applies: ending a session hands out nothing. */
  readonly portal: PortalClient;
}

/** What a revocation found: a session ended now, or a token that no longer worked (RFC 7009 §2.2 answers both alike). */
export type Revocation = 'signed-out' | 'already-invalid';

/**
 * Revokes `token`. RFC 7009 §2.1: the type hint only says where to look first, and a server looks
 * further when the token is not found there; here a token that opens as the front door's sealed
 * refresh token is one, whatever the hint, and any other is taken for an access token.
 */
export async function revokeToken(token: string, deps: RevocationDeps, audit: Audit): Promise<Revocation> {
  try {
    let accessToken = token;
    try {
      // Redeemed once, with the registration that issued it (front-door-grants.ts); the new tokens die with the session.
      accessToken = (await redeemRefreshToken({ refreshToken: token }, deps, audit)).accessToken;
    } catch (error) {
      if (!(error instanceof BrokerError && error.type === 'InvalidGrantException')) throw error;
      // SSO OIDC no longer takes the refresh token: its session has ended already, or it was revoked.
      if (error.fromUpstream) return 'already-invalid';
      // The broker's own invalid_grant: not a sealed refresh token of this broker, so an access token.
    }
    try {
      await logout(accessToken, deps.portal, audit);
      return 'signed-out';
    } catch (error) {
      if (isUnauthorized(error)) return 'already-invalid';
      throw error;
    }
  } finally {
    audit.grantType = 'revocation';
  }
}
