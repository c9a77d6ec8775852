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
import type { RouteHandler, RouteRequest } from '../answer.js';

type PortalRoute = 'portalAccounts' | 'portalRoles' | 'portalCredentials' | 'portalLogout';

/** The token first, as the portal checks it first. */
const tokenOf = (request: RouteRequest): string => accessTokenOf(request.headers[PORTAL_BEARER_HEADER]);

export function portalRoutes(deps: PortalDeps): Record<PortalRoute, RouteHandler> {
  return {
    async portalAccounts(request, audit) {
      const accessToken = tokenOf(request);
      return { statusCode: 200, body: await listAccounts(accessToken, listAccountsInput(request.rawQuery), deps, audit) };
    },
    async portalRoles(request, audit) {
      const accessToken = tokenOf(request);
      return { statusCode: 200, body: await listAccountRoles(accessToken, listAccountRolesInput(request.rawQuery), deps, audit) };
    },
    async portalCredentials(request, audit) {
      const accessToken = tokenOf(request);
      return { statusCode: 200, body: await getRoleCredentials(accessToken, getRoleCredentialsInput(request.rawQuery), deps, audit) };
    },
    // The portal answers Logout with an empty 200, and so does the broker.
    async portalLogout(request, audit) {
      await logout(tokenOf(request), deps.client, audit);
      return { statusCode: 200, body: undefined };
    },
  };
}
