// The HTTP API's routes, shared by the Lambda handler, the local adapter and the CDK construct so
// that the three cannot disagree about what exists.

import { GRANT_TYPES, type GrantType } from './config.js';

export const ROUTES = {
  token: 'POST /token',
  deviceAuthorization: 'POST /device_authorization',
  // The public half of the registration (client id, authorize endpoint): frontends build their
  // /authorize URL from it, so a rotated registration reaches them without a redeploy.
  client: 'GET /client',
  // CORS preflight is answered by the function (not API Gateway's built-in CORS) so that local
  // and deployed behaviour come from the same code.
  preflight: 'OPTIONS /{proxy+}',
} as const;

export type RouteKey = (typeof ROUTES)[keyof typeof ROUTES];

/** The routes that exist for a set of enabled grant types: the device route only with the device grant. */
export function routeKeysFor(grantTypes: Iterable<GrantType>): RouteKey[] {
  const keys: RouteKey[] = [ROUTES.token, ROUTES.client, ROUTES.preflight];
  if ([...grantTypes].includes(GRANT_TYPES.deviceCode)) keys.push(ROUTES.deviceAuthorization);
  return keys;
}

/** Matches a method and path the way API Gateway matches these routes; undefined means 404. */
export function matchRoute(method: string, path: string, routes: readonly RouteKey[]): RouteKey | undefined {
  return routes.find((route) => {
    const [routeMethod, routePath] = route.split(' ') as [string, string];
    if (routeMethod !== method.toUpperCase()) return false;
    return routePath === '/{proxy+}' ? path.length > 1 : routePath === path;
  });
}
