// The broker's routes: one typed table, and everything that needs to know about a route reads its
// row: the Lambda handler (which body parser, which error format, credentialed CORS and the CSRF
// rule), the local API Gateway adapter (route matching), the CDK construct (API routes and their
// cdk-nag reasons, ROUTE_DOCS) and `npm start`'s banner (ROUTE_DOCS' notes). No other file writes a
// route's path.
// Pure data: the construct imports it without loading the function's code.

import { GRANT_TYPES, type BrokerConfig, type GrantType } from '../core/config.js';

/** How a route's request body is read: JSON (the AWS dialect, /bff), a form (RFC 6749 §3.2), or none. */
type BodyKind = 'json' | 'form' | 'none';

/**
 * How a route's errors are written: the AWS dialect's JSON (`__type`, `error`, `error_description`),
 * RFC 6749 §5.2's JSON, a readable page where a person's browser was sent (never a redirect), or the
 * AWS access portal's own (`x-amzn-ErrorType`, `{ message }`), which its SDKs and the CLI parse.
 */
export type ErrorFormat = 'aws' | 'oauth' | 'page' | 'portal';

/** What a configuration turns on; a route exists only when its `enabled` says so. */
export interface Features {
  readonly grantTypes: Iterable<GrantType>;
  /** The standard OAuth 2.0 front door: TOKEN_BROKER_ISSUER is set. */
  readonly frontDoor?: boolean;
  /** Token-handler sessions: TOKEN_BROKER_COOKIE_SESSIONS=on. */
  readonly cookieSessions?: boolean;
  /** The AWS access portal: TOKEN_BROKER_PORTAL=on. */
  readonly portal?: boolean;
}

export interface Route {
  readonly method: 'GET' | 'POST' | 'OPTIONS';
  /** As API Gateway writes it; `/{proxy+}` matches any path but `/`. */
  readonly path: string;
  readonly body: BodyKind;
  readonly errors: ErrorFormat;
  /**
   * A cookie-session route: it reads or sets the session cookies, so its answers allow credentials
   * (CORS), and every request but the preflight must carry the CSRF header.
   */
  readonly session: boolean;
  readonly enabled: (features: Features) => boolean;
  /**
   * Page script sends the access token in the portal's header (x-amz-sso_bearer_token): the CORS
   * preflight of this path allows it, and only of such paths.
   */
  readonly bearer?: boolean;
}

/** The table's columns for people: read by `npm start`'s banner and the CDK construct, never by the function. */
export interface RouteDocs {
  /** What the route is for, in `npm start`'s banner. */
  readonly note: string;
  /** Why the route has no API Gateway authorizer (cdk-nag AwsSolutions-APIG4). */
  readonly publicBecause: string;
}

const always = (): boolean => true;
const hasDevice = (features: Features): boolean => [...features.grantTypes].includes(GRANT_TYPES.deviceCode);
const frontDoor = (features: Features): boolean => features.frontDoor === true;
const frontDoorDevice = (features: Features): boolean => frontDoor(features) && hasDevice(features);
const cookieSessions = (features: Features): boolean => features.cookieSessions === true;
const portalOn = (features: Features): boolean => features.portal === true;

/** JSON routes of the AWS dialect. */
const awsJson = { body: 'json', errors: 'aws', session: false } as const;
/** Cookie-session routes: JSON bodies, AWS-dialect errors, credentials. */
const bff = { errors: 'aws', session: true, enabled: cookieSessions } as const;
/** Where the access portal's routes are: an SDK's endpoint for service `sso` is the broker's URL and this. */
export const PORTAL_BASE_PATH = '/portal';
/** The access portal's routes (PORTAL_BASE_PATH and the portal's own paths): its query names in, its answers and errors out; no body. */
const portal = { body: 'none', errors: 'portal', session: false, bearer: true, enabled: portalOn } as const;

export const ROUTE_TABLE = {
  token: {
    method: 'POST',
    path: '/token',
    ...awsJson,
    enabled: always,
  },
  // The public half of the registration (client id, authorize endpoint): frontends build their
  // /authorize URL from it, so a rotated registration reaches them without a redeploy.
  client: {
    method: 'GET',
    path: '/client',
    body: 'none',
    errors: 'aws',
    session: false,
    enabled: always,
  },
  // CORS preflight is answered by the function (not API Gateway's built-in CORS) so that local and
  // deployed behaviour come from the same code.
  preflight: {
    method: 'OPTIONS',
    path: '/{proxy+}',
    body: 'none',
    errors: 'aws',
    session: false,
    enabled: always,
  },
  deviceAuthorization: {
    method: 'POST',
    path: '/device_authorization',
    ...awsJson,
    enabled: hasDevice,
  },
  // The standard OAuth 2.0 front door. Metadata at both well-known names: many OIDC libraries look
  // only at the second (RFC 8414 §5).
  oauthMetadata: {
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    body: 'none',
    errors: 'oauth',
    session: false,
    enabled: frontDoor,
  },
  openidConfiguration: {
    method: 'GET',
    path: '/.well-known/openid-configuration',
    body: 'none',
    errors: 'oauth',
    session: false,
    enabled: frontDoor,
  },
  oauthAuthorize: {
    method: 'GET',
    path: '/oauth2/authorize',
    body: 'none',
    errors: 'page',
    session: false,
    enabled: frontDoor,
  },
  // Where SSO OIDC sends the browser back: the one redirect URI registered with SSO OIDC for it.
  oauthCallback: {
    method: 'GET',
    path: '/oauth2/callback',
    body: 'none',
    errors: 'page',
    session: false,
    enabled: frontDoor,
  },
  oauthToken: {
    method: 'POST',
    path: '/oauth2/token',
    body: 'form',
    errors: 'oauth',
    session: false,
    enabled: frontDoor,
  },
  oauthDeviceAuthorization: {
    method: 'POST',
    path: '/oauth2/device_authorization',
    body: 'form',
    errors: 'oauth',
    session: false,
    enabled: frontDoorDevice,
  },
  // RFC 7009 token revocation: ends the token's IAM Identity Center session (the portal's Logout).
  oauthRevoke: {
    method: 'POST',
    path: '/oauth2/revoke',
    body: 'form',
    errors: 'oauth',
    session: false,
    enabled: frontDoor,
  },
  // The AWS access portal API (service `sso`) in its own dialect, so that an unmodified SSOClient,
  // boto3 or the AWS CLI works with its endpoint at `<broker>/portal`; the role policy applies.
  portalAccounts: { method: 'GET', path: '/portal/assignment/accounts', ...portal },
  portalRoles: { method: 'GET', path: '/portal/assignment/roles', ...portal },
  portalCredentials: { method: 'GET', path: '/portal/federation/credentials', ...portal },
  portalLogout: { method: 'POST', path: '/portal/logout', ...portal },
  // Token-handler sessions: the session cookie is the credential, checked by the function.
  bffLoginStart: {
    method: 'POST',
    path: '/bff/login/start',
    body: 'json',
    ...bff,
  },
  bffLoginEnd: {
    method: 'POST',
    path: '/bff/login/end',
    body: 'json',
    ...bff,
  },
  bffSession: {
    method: 'GET',
    path: '/bff/session',
    body: 'none',
    ...bff,
  },
  bffRefresh: {
    method: 'POST',
    path: '/bff/refresh',
    body: 'json',
    ...bff,
  },
  bffLogout: {
    method: 'POST',
    path: '/bff/logout',
    body: 'json',
    ...bff,
  },
} as const satisfies Record<string, Route>;

export type RouteId = keyof typeof ROUTE_TABLE;

/**
 * The rest of each row: its banner note and why it needs no authorizer. A map of its own, with a
 * row for every route (the type says so), so that the function's bundle, which never reads it,
 * leaves it out (esbuild drops an unused constant): about 3.5 KB.
 */
export const ROUTE_DOCS: { readonly [K in RouteId]: RouteDocs } = {
  token: {
    note: 'CreateToken without the secret (JSON, camelCase members)',
    publicBecause:
      'An OAuth token endpoint for public clients: like SSO OIDC CreateToken itself (unsigned, noAuth), callers ' +
      'prove themselves with the authorization code and PKCE verifier, the refresh token or the device code. The ' +
      'function enforces the origin list, body limits and redirect URIs; default-stage throttling bounds abuse.',
  },
  client: {
    note: 'the client id and authorize endpoint, for frontends',
    publicBecause:
      'Returns only the public half of the registration (clientId, authorization endpoint), which a frontend needs ' +
      'before any user has signed in, so there is no credential to check; the clientSecret never leaves the function.',
  },
  preflight: {
    note: 'CORS preflight, any path',
    publicBecause:
      'CORS preflight requests carry no credentials by definition (Fetch standard); the function answers them from ' +
      'the allowed-origins list and they never reach SSO OIDC.',
  },
  deviceAuthorization: {
    note: 'StartDeviceAuthorization (device grant)',
    publicBecause:
      'Starts a device authorization for a public client, like SSO OIDC StartDeviceAuthorization itself (unsigned, ' +
      'noAuth): the caller has no credentials yet, that is what the flow obtains. Throttled at the stage.',
  },
  oauthMetadata: {
    note: 'front door: the same metadata, at its RFC 8414 name',
    publicBecause:
      'RFC 8414 authorization server metadata: public by definition (clients read it before they have anything), ' +
      'built from configuration only.',
  },
  openidConfiguration: {
    note: 'front door: metadata (RFC 8414; also at /.well-known/oauth-authorization-server)',
    publicBecause:
      'The same RFC 8414 metadata at the name OIDC libraries read: public by definition, built from configuration only.',
  },
  oauthAuthorize: {
    note: 'front door: authorization endpoint (code + PKCE S256)',
    publicBecause:
      "The front door's authorization endpoint (RFC 6749 section 4.1.1): a browser navigation before anyone has " +
      'signed in, so there is no credential to check; the function allows only listed redirect URIs and requires PKCE.',
  },
  oauthCallback: {
    note: 'front door: where SSO OIDC sends the browser back',
    publicBecause:
      'Where SSO OIDC sends the browser back after sign-in: a navigation carrying a code and a state the function ' +
      'sealed itself (AES-GCM); anything it cannot open is refused with a page, never redirected.',
  },
  oauthToken: {
    note: 'front door: token endpoint (form-encoded, RFC 6749)',
    publicBecause:
      "The front door's token endpoint for public clients (RFC 6749 section 3.2, client authentication \"none\"): " +
      'callers prove themselves with the sealed code and PKCE verifier, the sealed refresh token or device code. ' +
      'The function enforces the origin list and body limits; default-stage throttling bounds abuse.',
  },
  oauthDeviceAuthorization: {
    note: 'front door: device authorization (RFC 8628)',
    publicBecause:
      'Starts a device authorization for a public client (RFC 8628 section 3.1), like SSO OIDC ' +
      'StartDeviceAuthorization itself: the caller has no credentials yet. Throttled at the stage.',
  },
  oauthRevoke: {
    note: 'front door: token revocation (RFC 7009), ends the IAM Identity Center session',
    publicBecause:
      "The front door's revocation endpoint for public clients (RFC 7009 section 2.1): the token to revoke is the " +
      'credential. The function sends it only to the AWS access portal\'s Logout (a sealed refresh token first ' +
      'redeemed once with SSO OIDC), answers nothing about it, and enforces the origin list and body limits.',
  },
  portalAccounts: {
    note: 'access portal: ListAccounts (accounts with a role the policy allows)',
    publicBecause:
      'Passes the AWS access portal\'s ListAccounts through: like the portal itself (unsigned, noAuth), the caller ' +
      'proves itself with the IAM Identity Center access token in x-amz-sso_bearer_token, which the portal checks. ' +
      'The function checks the input, applies the role policy and enforces the origin list; throttled at the stage.',
  },
  portalRoles: {
    note: 'access portal: ListAccountRoles (only the roles the policy allows)',
    publicBecause:
      'Passes the AWS access portal\'s ListAccountRoles through: the credential is the IAM Identity Center access ' +
      'token the portal checks (unsigned, noAuth, as the portal itself); the function answers only the roles its role ' +
      'policy allows and enforces the origin list.',
  },
  portalCredentials: {
    note: 'access portal: GetRoleCredentials (refused outside the role policy)',
    publicBecause:
      'Passes the AWS access portal\'s GetRoleCredentials through for the roles of the role policy only (others are ' +
      'refused before any call): the credential is the IAM Identity Center access token the portal checks, as for ' +
      'the portal itself (unsigned, noAuth); the origin list is enforced.',
  },
  portalLogout: {
    note: 'access portal: Logout (ends the IAM Identity Center session)',
    publicBecause:
      'Passes the AWS access portal\'s Logout through: the credential is the access token of the session it ends, ' +
      'checked by the portal (unsigned, noAuth, as the portal itself); the origin list is enforced.',
  },
  bffLoginStart: {
    note: 'cookie sessions: begin a sign-in (the SPA gets the authorize URL)',
    publicBecause:
      'Starts a browser sign-in for a user who has no credential yet: the function makes the PKCE verifier and state ' +
      'itself and keeps them in a sealed login cookie; the CSRF header, origin list and JSON content type are enforced.',
  },
  bffLoginEnd: {
    note: 'cookie sessions: finish it; the refresh token goes into a cookie',
    publicBecause:
      'Finishes a browser sign-in: the caller proves itself with the authorization code and the sealed login cookie ' +
      '(state and PKCE verifier) set by login/start, under the CSRF header, origin list and JSON content type rules.',
  },
  bffSession: {
    note: 'cookie sessions: whether the user is signed in',
    publicBecause:
      'Tells a page whether its browser holds a session: the credential is the encrypted HttpOnly session cookie, ' +
      'authenticated (AES-GCM) by the function; the custom CSRF header forces a CORS preflight from other origins.',
  },
  bffRefresh: {
    note: 'cookie sessions: a new access token',
    publicBecause:
      'Refreshes an access token: the credential is the encrypted HttpOnly session cookie holding the refresh token, ' +
      'opened and authenticated by the function, which also enforces the CSRF header and the origin allow list.',
  },
  bffLogout: {
    note: 'cookie sessions: clear the cookies',
    publicBecause:
      'Clears the session cookies of the calling browser; it reads no credential and returns none, and the CSRF ' +
      'header with the origin allow list keeps other sites from logging a user out.',
  },
};
type Table = typeof ROUTE_TABLE;
/** API Gateway's route key, `METHOD /path`. */
export type RouteKey = { [K in RouteId]: `${Table[K]['method']} ${Table[K]['path']}` }[RouteId];

const ROUTE_IDS = Object.keys(ROUTE_TABLE) as RouteId[];

const routeKeyOf = (id: RouteId): RouteKey => `${ROUTE_TABLE[id].method} ${ROUTE_TABLE[id].path}` as RouteKey;

/** Each route's key by its id, for code that names one route (`ROUTES.token` is `'POST /token'`). */
export const ROUTES = Object.fromEntries(ROUTE_IDS.map((id) => [id, routeKeyOf(id)])) as {
  readonly [K in RouteId]: `${Table[K]['method']} ${Table[K]['path']}`;
};

const BY_KEY: ReadonlyMap<string, RouteId> = new Map(ROUTE_IDS.map((id) => [routeKeyOf(id), id]));

/** The id of the route with this key, or undefined for a key the table does not have. */
export const routeIdOf = (key: string): RouteId | undefined => BY_KEY.get(key);

/** The cookie-session routes, in the order a sign-in uses them. */
export const BFF_ROUTES = ROUTE_IDS.filter((id) => ROUTE_TABLE[id].session).map(routeKeyOf);

/** What a configuration turns on. */
export const featuresOf = (config: BrokerConfig): Features => ({
  grantTypes: config.grantTypes,
  frontDoor: config.issuer !== undefined,
  cookieSessions: config.cookieSessions !== undefined,
  portal: config.portal !== undefined,
});

/** The keys of the routes a configuration enables, in table order. */
export function routeKeysFor(grantTypes: Iterable<GrantType>, options: Omit<Features, 'grantTypes'> = {}): RouteKey[] {
  const features = { ...options, grantTypes: [...grantTypes] };
  return ROUTE_IDS.filter((id) => ROUTE_TABLE[id].enabled(features)).map(routeKeyOf);
}

/** Matches a method and path the way API Gateway matches these routes; undefined means 404. */
export function matchRoute(method: string, path: string, routes: readonly RouteKey[]): RouteKey | undefined {
  return routes.find((route) => {
    const { method: routeMethod, path: routePath } = ROUTE_TABLE[routeIdOf(route)!];
    if (routeMethod !== method.toUpperCase()) return false;
    return routePath === '/{proxy+}' ? path.length > 1 : routePath === path;
  });
}
