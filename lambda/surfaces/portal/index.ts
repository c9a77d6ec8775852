// The AWS access portal API through the broker (present only when TOKEN_BROKER_PORTAL=on), in the
// portal's own dialect (service `sso`): the portal's query names in, its JSON and errors out, so
// that an unmodified SSOClient (@aws-sdk/client-sso, in a browser too), boto3's `sso` client or
// `aws sso ... --endpoint-url <broker>/portal` works unchanged. The access token comes in the
// portal's header and goes on to the portal as it came; the role policy is the core's (core/portal.ts).

import { PORTAL_BEARER_HEADER } from '../../core/portal-config.js';
import {
  accessTokenOf,
  getRoleCredentials,
  getRoleCredentialsInput,
  listAccountRoles,
  listAccountRolesInput,
  listAccounts,
  listAccountsInput,
  logout,
  type PortalDeps,
} from '../../core/portal.js';
import type { Audit } from '../../core/audit.js';
import type { RouteHandler } from '../answer.js';

type PortalRoute = 'portalAccounts' | 'portalRoles' | 'portalCredentials' | 'portalLogout';

export function portalRoutes(deps: PortalDeps): Record<PortalRoute, RouteHandler> {
  /** A route: its input (the portal's query names) and operation; the token first, as the portal checks it first. */
  const route =
    <I>(input: (rawQuery: string) => I, operation: (accessToken: string, input: I, deps: PortalDeps, audit: Audit) => Promise<unknown>): RouteHandler =>
    async ({ headers, rawQuery }, audit) => {
      const accessToken = accessTokenOf(headers[PORTAL_BEARER_HEADER]);
      return { statusCode: 200, body: await operation(accessToken, input(rawQuery), deps, audit) };
    };
  return {
    portalAccounts: route(listAccountsInput, listAccounts),
    portalRoles: route(listAccountRolesInput, listAccountRoles),
    portalCredentials: route(getRoleCredentialsInput, getRoleCredentials),
    // The portal answers Logout with an empty 200, and so does the broker.
    portalLogout: route(
      () => undefined,
      (accessToken, _input, _deps, audit) => logout(accessToken, deps.client, audit),
    ),
  };
}
