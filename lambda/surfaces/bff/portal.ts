// The AWS access portal for cookie sessions (/bff/portal/...): ListAccounts, ListAccountRoles and
// GetRoleCredentials with the portal's paths and query names and the portal's answers, the access
// token taken from the session (refreshed when it is about to expire, and once when the portal
// answers UnauthorizedException), the deployment's role policy applied by the core (core/portal.ts).
// So page script lists accounts and roles and gets role credentials without ever holding a token.
// And sign-out: POST /bff/logout asks the portal to end the IAM Identity Center session (Logout),
// then clears the cookies whatever the portal said.

import type { Audit } from '../../core/audit.js';
import type { PortalClient } from '../../core/portal-client.js';
import {
  getRoleCredentials,
  getRoleCredentialsInput,
  isUnauthorized,
  listAccountRoles,
  listAccountRolesInput,
  listAccounts,
  listAccountsInput,
  logout as portalLogout,
  type PortalDeps,
} from '../../core/portal.js';
import { BrokerError } from '../../core/errors.js';
import type { Answer, RouteHandler } from '../answer.js';
import { brokerCookies, clearAllCookies, type RequestCookies } from './cookies.js';
import { sessionOf, withAccessToken, type SessionDeps } from './session.js';

export interface SessionPortalDeps {
  /** The portal client (Logout), always there with cookie sessions. */
  readonly portalClient: PortalClient;
  /** The /bff/portal routes' client and role policy; undefined when TOKEN_BROKER_PORTAL is off. */
  readonly portal: PortalDeps | undefined;
}

type Outcome<T> = { readonly value: T } | { readonly refused: BrokerError };

/** One portal operation with the session's access token; the portal refusing the token is the cue to refresh once. */
async function withSessionToken<T>(cookies: RequestCookies, deps: SessionDeps, audit: Audit, operation: (accessToken: string) => Promise<T>) {
  const attempt = async (accessToken: string): Promise<Outcome<T>> => {
    try {
      return { value: await operation(accessToken) };
    } catch (error) {
      if (isUnauthorized(error)) return { refused: error as BrokerError };
      throw error;
    }
  };
  const { result, cookies: written } = await withAccessToken(cookies, deps, audit, attempt, (outcome) => 'refused' in outcome);
  if ('refused' in result) throw result.refused.withCookies(written);
  return { value: result.value, cookies: written };
}

export function bffPortalRoutes(deps: SessionDeps & SessionPortalDeps): Record<'bffPortalAccounts' | 'bffPortalRoles' | 'bffPortalCredentials', RouteHandler> {
  // Input is checked before the session is opened or anything is sent.
  const route =
    <I, T>(input: (rawQuery: string) => I, operation: (accessToken: string, input: I, portal: PortalDeps, audit: Audit) => Promise<T>): RouteHandler =>
    async (request, audit) => {
      const checked = input(request.rawQuery);
      const { value, cookies } = await withSessionToken(brokerCookies(request.cookies), deps, audit, (token) => operation(token, checked, deps.portal!, audit));
      return { statusCode: 200, body: value, cookies };
    };
  return {
    bffPortalAccounts: route(listAccountsInput, listAccounts),
    bffPortalRoles: route(listAccountRolesInput, listAccountRoles),
    bffPortalCredentials: route(getRoleCredentialsInput, getRoleCredentials),
  };
}

/**
 * POST /bff/logout: the portal's Logout with the session's access token (which ends the IAM Identity
 * Center sign-in session, and with it every refresh token of the session), then every broker cookie
 * cleared, whatever the portal answered. The answer says whether Identity Center confirmed it.
 */
export async function logout(cookies: RequestCookies, deps: SessionDeps & SessionPortalDeps, audit: Audit): Promise<Answer> {
  const cleared = clearAllCookies(deps.paths);
  let confirmed = false;
  let why = 'There was no session in this browser.';
  try {
    const { best } = await sessionOf(cookies, deps);
    if (best !== undefined) {
      await withSessionToken(cookies, deps, audit, (token) => portalLogout(token, deps.portalClient, audit));
      confirmed = true;
    }
  } catch (error) {
    if (!(error instanceof BrokerError)) throw error;
    why =
      error.error === 'session_expired' || isUnauthorized(error)
        ? 'The session had already ended at IAM Identity Center.'
        : `IAM Identity Center did not confirm the sign-out (${error.type}): the user may still be signed in to the AWS access portal.`;
  }
  return {
    statusCode: 200,
    body: {
      isLoggedIn: false,
      identityCenterSignedOut: confirmed,
      description: confirmed
        ? 'Signed out: IAM Identity Center ended the sign-in session (its refresh tokens no longer work), and the broker cookies are cleared.'
        : `The broker cookies are cleared. ${why}`,
    },
    cookies: cleared,
  };
}
