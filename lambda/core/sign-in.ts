// Where a browser sign-in begins: SSO OIDC's /authorize URL, in SSO OIDC's own dialect, with the
// broker's registered client, the broker's callback as redirect URI, and the client's redirect URI,
// state and scope sealed into the `state` sent (so the callback needs no server-side storage). Used
// by the front door's authorization endpoint and by cookie sessions' login/start, whose sign-ins are
// marked so that their codes are redeemed by /bff/login/end only.

import type { Audit } from './audit.js';
import type { FrontDoorDeps } from './front-door-grants.js';
import { expiresIn, sealFor } from './sealed.js';

/** How long a person has to sign in at SSO OIDC before the sealed state expires. */
const STATE_LIFETIME_SECONDS = 15 * 60;

export interface SignInRequest {
  /** A redirect URI the caller has checked against the allow list. */
  readonly redirectUri: string;
  readonly clientState?: string;
  /** Scope tokens the caller has checked (RFC 6749 §3.3). */
  readonly scopes: readonly string[];
  /** RFC 7636 §4.2, S256, checked. */
  readonly codeChallenge: string;
  /** A cookie session's sign-in. */
  readonly forSession: boolean;
}

/**
 * The scope reported as granted: the requested scopes without `openid`. SSO OIDC documents its
 * idToken as not supported, and a client that sees `openid` granted expects (and validates) an ID
 * token the broker cannot vouch for.
 */
export const grantedScope = (scopes: readonly string[]): string => scopes.filter((scope) => scope !== 'openid').join(' ');

/** SSO OIDC's /authorize URL for this sign-in, with the current registration. */
export async function upstreamAuthorizeUrl(request: SignInRequest, deps: FrontDoorDeps, audit: Audit): Promise<string> {
  const registration = await deps.registrations.get();
  audit.clientSecretExpiresAt = registration.clientSecretExpiresAt;
  const sealedState = sealFor(
    'state',
    {
      redirectUri: request.redirectUri,
      ...(request.clientState === undefined ? {} : { clientState: request.clientState }),
      scope: grantedScope(request.scopes),
      expiresAt: expiresIn(STATE_LIFETIME_SECONDS),
      ...(request.forSession ? { forSession: true } : {}),
    },
    registration,
  );
  // SSO OIDC's dialect, as the AWS CLI v2 sends it (awscli/botocore/utils.py,
  // SSOTokenFetcherAuth._get_authorization_uri): `scopes`, plural and space-separated.
  const upstream = new URLSearchParams({
    response_type: 'code',
    client_id: registration.clientId,
    redirect_uri: deps.callbackUrl,
    state: sealedState,
    code_challenge: request.codeChallenge,
    code_challenge_method: 'S256',
    ...(request.scopes.length > 0 ? { scopes: request.scopes.join(' ') } : {}),
  });
  const endpoint = registration.authorizationEndpoint ?? `https://oidc.${deps.config.oidcRegion}.amazonaws.com/authorize`;
  // %20 rather than URLSearchParams' `+` for spaces, as the CLI sends them.
  return `${endpoint}?${upstream.toString().replace(/\+/g, '%20')}`;
}

/** True when `uri` is on a cookie-session origin: such a redirect URI is reserved for /bff/login/end. */
export function isSessionRedirectUri(uri: string, sessionOrigins: ReadonlySet<string> | undefined): boolean {
  return sessionOrigins !== undefined && URL.canParse(uri) && sessionOrigins.has(new URL(uri).origin);
}
