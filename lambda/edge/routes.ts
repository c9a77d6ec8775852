// The broker's routes: one typed table, and everything that needs to know about a route reads its
// row: the Lambda handler (which body parser, which error format, credentialed CORS and the CSRF
// rule), the local API Gateway adapter (route matching), the CDK construct (API routes and their
// cdk-nag reasons) and `npm start`'s banner; the columns for people (banner notes, cdk-nag reasons)
// are ROUTE_DOCS in route-docs.ts, typed complete against this table. No other file writes a route's path.
// Pure data: the construct imports it without loading the function's code.

import { GRANT_TYPES, type BrokerConfig, type GrantType } from '../core/config.js';

/**
 * How a route's request body is read: JSON (the AWS dialect, /bff), a form (RFC 6749 §3.2), raw bytes
 * passed on as they came (the bearer proxy), or none.
 */
type BodyKind = 'json' | 'form' | 'raw' | 'none';

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
  /** The bearer proxy: cookie sessions with at least one API (TOKEN_BROKER_APIS). */
  readonly apis?: boolean;
  /** The AWS access portal: TOKEN_BROKER_PORTAL=on. */
  readonly portal?: boolean;
}

export interface Route {
  /** As API Gateway writes it: `ANY` matches every method no other route of the path names. */
  readonly method: 'GET' | 'POST' | 'OPTIONS' | 'ANY';
  /**
   * As API Gateway writes it: `{name}` matches one path segment, a final `{name+}` (greedy) one or
   * more; `/{proxy+}` matches any path but `/`.
   */
  readonly path: string;
  readonly body: BodyKind;
  readonly errors: ErrorFormat;
  /**
   * A cookie-session route: it reads or sets the session cookies, so its answers allow credentials
   * (CORS), and every request but the preflight must carry the CSRF header.
   */
  readonly session: boolean;
  /**
   * A route that hands out a token, code or device code: with cookie sessions on, it refuses every
   * cookie-session origin, so page script there can never acquire a token of its own.
   */
  readonly acquiresTokens?: true;
  readonly enabled: (features: Features) => boolean;
  /**
   * Page script sends the access token in the portal's header (x-amz-sso_bearer_token): the CORS
   * preflight of this path allows it, and only of such paths.
   */
  readonly bearer?: boolean;
}

const always = (): boolean => true;
const hasDevice = (features: Features): boolean => [...features.grantTypes].includes(GRANT_TYPES.deviceCode);
const frontDoor = (features: Features): boolean => features.frontDoor === true;
const frontDoorDevice = (features: Features): boolean => frontDoor(features) && hasDevice(features);
const cookieSessions = (features: Features): boolean => features.cookieSessions === true;
const apis = (features: Features): boolean => cookieSessions(features) && features.apis === true;
const sessionPortal = (features: Features): boolean => cookieSessions(features) && features.portal === true;
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
    acquiresTokens: true,
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
    acquiresTokens: true,
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
    acquiresTokens: true,
    enabled: frontDoor,
  },
  oauthDeviceAuthorization: {
    method: 'POST',
    path: '/oauth2/device_authorization',
    body: 'form',
    errors: 'oauth',
    session: false,
    acquiresTokens: true,
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
  bffLoginStart: { method: 'POST', path: '/bff/login/start', body: 'json', ...bff },
  bffLoginEnd: { method: 'POST', path: '/bff/login/end', body: 'json', ...bff },
  bffSession: { method: 'GET', path: '/bff/session', body: 'none', ...bff },
  bffRefresh: { method: 'POST', path: '/bff/refresh', body: 'json', ...bff },
  bffLogout: { method: 'POST', path: '/bff/logout', body: 'json', ...bff },
  // The bearer proxy: the session's access token added to a call to one of the deployer's APIs.
  bffApi: { method: 'ANY', path: '/bff/api/{name}/{proxy+}', body: 'raw', ...bff, enabled: apis },
  // The access portal for cookie sessions: the portal's paths and query names, the session's access token.
  bffPortalAccounts: { method: 'GET', path: '/bff/portal/assignment/accounts', body: 'none', ...bff, enabled: sessionPortal },
  bffPortalRoles: { method: 'GET', path: '/bff/portal/assignment/roles', body: 'none', ...bff, enabled: sessionPortal },
  bffPortalCredentials: { method: 'GET', path: '/bff/portal/federation/credentials', body: 'none', ...bff, enabled: sessionPortal },
} as const satisfies Record<string, Route>;

export type RouteId = keyof typeof ROUTE_TABLE;

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
  apis: (config.cookieSessions?.apis.size ?? 0) > 0,
  portal: config.portal !== undefined,
});

/** The keys of the routes a configuration enables, in table order. */
export function routeKeysFor(grantTypes: Iterable<GrantType>, options: Omit<Features, 'grantTypes'> = {}): RouteKey[] {
  const features = { ...options, grantTypes: [...grantTypes] };
  return ROUTE_IDS.filter((id) => ROUTE_TABLE[id].enabled(features)).map(routeKeyOf);
}

/**
 * The path parameters of `path` under a route path pattern, or undefined when it does not match: a
 * `{name}` segment matches one non-empty segment, a final `{name+}` the rest (at least one character),
 * anything else itself exactly. Values are as sent (not decoded).
 */
export function pathParameters(pattern: string, path: string): Record<string, string> | undefined {
  const { regex, names } = compiledPattern(pattern);
  const match = regex.exec(path);
  return match === null ? undefined : Object.fromEntries(names.map((name, i) => [name, match[i + 1]!]));
}

/** Each route pattern's expression, built once: every request's path parameters are read with one. */
const COMPILED = new Map<string, { readonly regex: RegExp; readonly names: readonly string[] }>();
function compiledPattern(pattern: string): { readonly regex: RegExp; readonly names: readonly string[] } {
  let compiled = COMPILED.get(pattern);
  if (compiled === undefined) {
    const names: string[] = [];
    const source = pattern.split('/').map((segment) => {
      const variable = /^\{(\w+)(\+?)\}$/.exec(segment);
      if (variable === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(variable[1]!);
      return variable[2] === '+' ? '(.+)' : '([^/]+)';
    });
    compiled = { regex: new RegExp(`^${source.join('/')}$`), names };
    COMPILED.set(pattern, compiled);
  }
  return compiled;
}

/**
 * Matches a method and path the way API Gateway (HTTP API) selects a route: among the routes whose
 * path matches and whose method is the request's or ANY, the most specific wins: a path without a
 * greedy variable over one with, then more literal segments, then the route naming the method over
 * ANY. Undefined means 404.
 */
export function matchRoute(method: string, path: string, routes: readonly RouteKey[]): RouteKey | undefined {
  const rank = (key: RouteKey): number => {
    const { method: routeMethod, path: routePath } = ROUTE_TABLE[routeIdOf(key)!] as Route;
    if ((routeMethod !== method.toUpperCase() && routeMethod !== 'ANY') || pathParameters(routePath, path) === undefined) return -1;
    const literals = routePath.split('/').filter((segment) => segment !== '' && !segment.startsWith('{')).length;
    return (routePath.includes('+}') ? 0 : 1000) + literals * 2 + (routeMethod === 'ANY' ? 0 : 1);
  };
  const ranked = routes.map((key) => ({ key, rank: rank(key) })).filter(({ rank }) => rank >= 0);
  return ranked.sort((a, b) => b.rank - a.rank)[0]?.key;
}

/** The enabled routes (other than the preflight) whose path matches: what a preflight is for. */
export function routesForPath(path: string, routes: readonly RouteId[]): RouteId[] {
  return routes.filter((id) => id !== 'preflight' && pathParameters(ROUTE_TABLE[id].path, path) !== undefined);
}
