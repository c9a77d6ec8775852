// The HTTP API's routes, shared by the Lambda handler, the local adapter and the CDK construct so
// that the three cannot disagree about what exists.

import { GRANT_TYPES, type GrantType } from '../core/config.js';

export const ROUTES = {
  token: 'POST /token',
  deviceAuthorization: 'POST /device_authorization',
  // The public half of the registration (client id, authorize endpoint): frontends build their
  // /authorize URL from it, so a rotated registration reaches them without a redeploy.
  client: 'GET /client',
  // CORS preflight is answered by the function (not API Gateway's built-in CORS) so that local
  // and deployed behaviour come from the same code.
  preflight: 'OPTIONS /{proxy+}',
  // The standard OAuth 2.0 front door (lambda/oauth/), present only when an issuer is configured.
  // Metadata at both well-known names: many OIDC libraries look only at the second (RFC 8414 §5).
  oauthMetadata: 'GET /.well-known/oauth-authorization-server',
  openidConfiguration: 'GET /.well-known/openid-configuration',
  oauthAuthorize: 'GET /oauth2/authorize',
  // Where SSO OIDC sends the browser back: the one redirect URI registered with SSO OIDC for it.
  oauthCallback: 'GET /oauth2/callback',
  oauthToken: 'POST /oauth2/token',
  oauthDeviceAuthorization: 'POST /oauth2/device_authorization',
  // Token-handler sessions (issue 11, lambda/bff/): only with TOKEN_BROKER_COOKIE_SESSIONS=on.
  bffLoginStart: 'POST /bff/login/start',
  bffLoginEnd: 'POST /bff/login/end',
  bffSession: 'GET /bff/session',
  bffRefresh: 'POST /bff/refresh',
  bffLogout: 'POST /bff/logout',
} as const;

/** The token handler's routes, in the order they are used. */
export const BFF_ROUTES = [
  ROUTES.bffLoginStart,
  ROUTES.bffLoginEnd,
  ROUTES.bffSession,
  ROUTES.bffRefresh,
  ROUTES.bffLogout,
] as const;

export type RouteKey = (typeof ROUTES)[keyof typeof ROUTES];

/** Path of the front door's callback, below the issuer. */
export const CALLBACK_PATH = '/oauth2/callback';

/** Routes whose request body is JSON (the CreateToken dialect, and /bff's POSTs); the front door's bodies are forms. */
export const JSON_BODY_ROUTES: ReadonlySet<string> = new Set([
  ROUTES.token,
  ROUTES.deviceAuthorization,
  ROUTES.bffLoginStart,
  ROUTES.bffLoginEnd,
  ROUTES.bffRefresh,
  ROUTES.bffLogout,
]);

/** Front-door routes a browser navigates to: their errors are readable pages, not JSON. */
export const PAGE_ROUTES: ReadonlySet<string> = new Set([ROUTES.oauthAuthorize, ROUTES.oauthCallback]);

/** Front-door routes that answer errors in the RFC 6749 §5.2 shape. */
export const OAUTH_JSON_ROUTES: ReadonlySet<string> = new Set([
  ROUTES.oauthMetadata,
  ROUTES.openidConfiguration,
  ROUTES.oauthToken,
  ROUTES.oauthDeviceAuthorization,
]);

export interface RouteOptions {
  /** True when the standard OAuth 2.0 front door is on (config.issuer is set). */
  readonly frontDoor?: boolean;
  /** True in cookie-session mode (issue 11): the /bff routes. */
  readonly cookieSessions?: boolean;
}

/**
 * The routes that exist for a set of enabled grant types: the device routes only with the device
 * grant, the front door's only when it is on, the /bff routes only in cookie mode.
 */
export function routeKeysFor(grantTypes: Iterable<GrantType>, options: RouteOptions = {}): RouteKey[] {
  const device = [...grantTypes].includes(GRANT_TYPES.deviceCode);
  const keys: RouteKey[] = [ROUTES.token, ROUTES.client, ROUTES.preflight];
  if (device) keys.push(ROUTES.deviceAuthorization);
  if (options.frontDoor) {
    keys.push(ROUTES.oauthMetadata, ROUTES.openidConfiguration, ROUTES.oauthAuthorize, ROUTES.oauthCallback, ROUTES.oauthToken);
    if (device) keys.push(ROUTES.oauthDeviceAuthorization);
  }
  if (options.cookieSessions) keys.push(...BFF_ROUTES);
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
