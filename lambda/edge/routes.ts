// The broker's routes: one typed table, and everything that needs to know about a route reads its
// row: the Lambda handler (which body parser, which error format, credentialed CORS and the CSRF
// rule), the local API Gateway adapter (route matching), the CDK construct (API routes and their
// cdk-nag reasons, ROUTE_DOCS) and `npm start`'s banner (ROUTE_DOCS' notes). No other file writes a
// route's path.
// Pure data: the construct imports it without loading the function's code.

import { GRANT_TYPES, type BrokerConfig, type GrantType } from '../core/config.js';

/**
 * How a route's request body is read: JSON (the AWS dialect, /bff), a form (RFC 6749 §3.2), raw bytes
 * passed on as they came (the bearer proxy), or none.
 */
type BodyKind = 'json' | 'form' | 'raw' | 'none';

/**
 * How a route's errors are written: the AWS dialect's JSON (`__type`, `error`, `error_description`),
 * RFC 6749 §5.2's JSON, or a readable page where a person's browser was sent (never a redirect).
 */
export type ErrorFormat = 'aws' | 'oauth' | 'page';

/** What a configuration turns on; a route exists only when its `enabled` says so. */
export interface Features {
  readonly grantTypes: Iterable<GrantType>;
  /** The standard OAuth 2.0 front door: TOKEN_BROKER_ISSUER is set. */
  readonly frontDoor?: boolean;
  /** Token-handler sessions: TOKEN_BROKER_COOKIE_SESSIONS=on. */
  readonly cookieSessions?: boolean;
  /** The bearer proxy: cookie sessions with at least one API (TOKEN_BROKER_APIS). */
  readonly apis?: boolean;
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
const apis = (features: Features): boolean => cookieSessions(features) && features.apis === true;

/** JSON routes of the AWS dialect. */
const awsJson = { body: 'json', errors: 'aws', session: false } as const;
/** Cookie-session routes: JSON bodies, AWS-dialect errors, credentials. */
const bff = { errors: 'aws', session: true, enabled: cookieSessions } as const;

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
  // The bearer proxy: the session's access token added to a call to one of the deployer's APIs.
  bffApi: {
    method: 'ANY',
    path: '/bff/api/{name}/{proxy+}',
    body: 'raw',
    errors: 'aws',
    session: true,
    enabled: apis,
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
  bffApi: {
    note: 'cookie sessions: call an API of TOKEN_BROKER_APIS with the session\u2019s access token',
    publicBecause:
      'A bearer proxy for cookie sessions: the credential is the encrypted HttpOnly session cookie, opened and ' +
      'authenticated by the function, which also enforces the CSRF header, the session origins, the API allow list, ' +
      'its methods and a header allow list; the API itself checks the bearer token the function adds.',
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
  apis: (config.cookieSessions?.apis.size ?? 0) > 0,
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
  const wanted = pattern.split('/');
  const given = path.split('/');
  const params: Record<string, string> = {};
  for (let i = 0; i < wanted.length; i += 1) {
    const segment = wanted[i]!;
    const variable = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
    if (variable?.[2] === '+' && i === wanted.length - 1) {
      const rest = given.slice(i).join('/');
      if (rest === '' || i >= given.length) return undefined;
      params[variable[1]!] = rest;
      return params;
    }
    if (i >= given.length) return undefined;
    if (variable !== null) {
      if (given[i] === '') return undefined;
      params[variable[1]!] = given[i]!;
    } else if (segment !== given[i]) return undefined;
  }
  return wanted.length === given.length ? params : undefined;
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
