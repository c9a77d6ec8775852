// The broker's one configuration object, read from environment variables once at cold start.
// The same names are used by the Lambda function, by `npm start`, and by the CDK construct that
// sets them, so a misconfiguration fails at start with every problem listed, not on the tenth request.
// Each feature's own settings are parsed in a module of its own (cookie sessions: session-config.ts).

import { list, type Env } from './env.js';
import { parseCookieSessions, SESSION_DEFAULTS, SESSION_ENV, type CookieSessionConfig } from './session-config.js';

import { readOidcEndpoint, type OidcEndpointSettings } from './endpoints.js';
import { PORTAL_ENV, readPortalSettings, type PortalConfig } from './portal-config.js';

export type { ApiMethod, ApiTarget, CookieSessionConfig, PageTokens } from './session-config.js';

export const GRANT_TYPES = {
  authorizationCode: 'authorization_code',
  refreshToken: 'refresh_token',
  deviceCode: 'urn:ietf:params:oauth:grant-type:device_code',
} as const;

export type GrantType = (typeof GRANT_TYPES)[keyof typeof GRANT_TYPES];

const KNOWN_GRANT_TYPES: readonly string[] = Object.values(GRANT_TYPES);

export interface BrokerConfig {
  /** Name or ARN of the Secrets Manager secret holding the RegisterClient answer. */
  readonly secretId: string;
  /** Region of the IAM Identity Center instance (its OIDC endpoint), not necessarily the function's. */
  readonly oidcRegion: string;
  /** Where SSO OIDC is: an override, or the variant of the region's endpoint (endpoints.ts, upstream.ts oidcEndpointFor). */
  readonly oidcEndpoint: OidcEndpointSettings;
  /** Browser origins allowed to call the broker (exact `scheme://host[:port]` matches). */
  readonly allowedOrigins: ReadonlySet<string>;
  /** When non-empty, `redirectUri` must be one of these exactly. */
  readonly redirectUris: ReadonlySet<string>;
  readonly grantTypes: ReadonlySet<GrantType>;
  /** Whole-call deadline for one SSO OIDC request. */
  readonly upstreamTimeoutMs: number;
  /** Deadline for one Secrets Manager read. */
  readonly secretTimeoutMs: number;
  /** How long a read registration is reused before Secrets Manager is asked again. */
  readonly secretMaxAgeSeconds: number;
  /** Log a warning when the registration expires within this many days. */
  readonly expiryWarningDays: number;
  /**
   * The standard OAuth 2.0 front door's issuer (RFC 8414): its /oauth2/* and metadata routes exist
   * only when it is set. Configured, never taken from a request's Host header.
   */
  readonly issuer: string | undefined;
  /** The stable `client_id` standard clients are configured with; unchanged by a registration rotation. */
  readonly publicClientId: string;
  /** The start URL SSO OIDC needs for a device authorization through the front door (standard clients send none). */
  readonly startUrl: string | undefined;
  /** Token-handler sessions under /bff; undefined when the mode is off (the default). */
  readonly cookieSessions: CookieSessionConfig | undefined;
  /** The AWS access portal under /portal, with its role policy; undefined when off (the default). */
  readonly portal: PortalConfig | undefined;
  /** The access portal's URL when AWS_ENDPOINT_URL_SSO overrides it (portal-config.ts). */
  readonly portalEndpoint: string | undefined;
}

/** Names of every variable the broker reads; the CDK construct sets exactly these. */
export const ENV = {
  secretId: 'TOKEN_BROKER_SECRET_ID',
  oidcRegion: 'TOKEN_BROKER_OIDC_REGION',
  allowedOrigins: 'TOKEN_BROKER_ALLOWED_ORIGINS',
  redirectUris: 'TOKEN_BROKER_REDIRECT_URIS',
  grantTypes: 'TOKEN_BROKER_GRANT_TYPES',
  upstreamTimeoutMs: 'TOKEN_BROKER_UPSTREAM_TIMEOUT_MS',
  secretTimeoutMs: 'TOKEN_BROKER_SECRET_TIMEOUT_MS',
  secretMaxAgeSeconds: 'TOKEN_BROKER_SECRET_MAX_AGE_SECONDS',
  expiryWarningDays: 'TOKEN_BROKER_EXPIRY_WARNING_DAYS',
  issuer: 'TOKEN_BROKER_ISSUER',
  publicClientId: 'TOKEN_BROKER_PUBLIC_CLIENT_ID',
  startUrl: 'TOKEN_BROKER_START_URL',
  ...SESSION_ENV,
  ...PORTAL_ENV,
} as const;

export const DEFAULTS = {
  grantTypes: [GRANT_TYPES.authorizationCode, GRANT_TYPES.refreshToken] as GrantType[],
  // Together the worst case of one request fits its deadline: 4 × 2 s + 2 × 8 s = 24 s (worstCaseMs).
  upstreamTimeoutMs: 8000,
  secretTimeoutMs: 2000,
  secretMaxAgeSeconds: 300,
  expiryWarningDays: 14,
  publicClientId: 'token-broker',
  sessionMaxAgeSeconds: SESSION_DEFAULTS.sessionMaxAgeSeconds,
} as const;

/**
 * The time one request may take, from the handler's start to its answer: every secret read and SSO
 * OIDC call draws from it, and a request that runs out answers 504. API Gateway (HTTP API) gives its
 * integration 30 s, and a cold start comes on top: 24 s leaves room for both.
 */
export const REQUEST_DEADLINE_MS = 24_000;
/** Kept back from the function's remaining time to write the answer before Lambda's timeout. */
export const ANSWER_MARGIN_MS = 1_000;
/** The function timeout the CDK construct sets and the local adapter reports: the deadline plus the margin. */
export const FUNCTION_TIMEOUT_MS = REQUEST_DEADLINE_MS + ANSWER_MARGIN_MS;

export interface Timeouts {
  readonly upstreamTimeoutMs: number;
  readonly secretTimeoutMs: number;
}

/**
 * The longest one request can take with every read and call taking its whole timeout, in the order
 * broker.ts and registration.ts make them: a request naming a client that is not the cached current
 * one reads the current registration, then AWSPREVIOUS, then both again at once (forced); calls SSO
 * OIDC; and when SSO OIDC rejects the client, reads the secret once more (forced) and calls again.
 * 4 secret reads and 2 calls in sequence. (A forced read may also wait for a read another request
 * started; that happens only with concurrent requests in one process, as under `npm start`, never in
 * Lambda, and the request deadline bounds it.)
 */
export const worstCaseMs = (timeouts: Timeouts): number => 4 * timeouts.secretTimeoutMs + 2 * timeouts.upstreamTimeoutMs;

/**
 * The problem with a pair of timeouts whose worst case does not fit the request deadline, or
 * undefined. `names` are what the caller calls them (variables here, props in the construct).
 */
export function timeBudgetProblem(
  timeouts: Timeouts,
  names: { readonly upstream: string; readonly secret: string } = { upstream: ENV.upstreamTimeoutMs, secret: ENV.secretTimeoutMs },
): string | undefined {
  const worst = worstCaseMs(timeouts);
  if (worst <= REQUEST_DEADLINE_MS) return undefined;
  return (
    `${names.upstream} and ${names.secret}: the worst case of one request, 4 secret reads and 2 SSO OIDC calls ` +
    `(4 × ${timeouts.secretTimeoutMs} + 2 × ${timeouts.upstreamTimeoutMs} = ${worst} ms), must fit in its deadline of ${REQUEST_DEADLINE_MS} ms`
  );
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid token broker configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses and validates the configuration; throws a ConfigError naming every problem at once. */
export function loadConfig(env: Env = process.env): BrokerConfig {
  const problems: string[] = [];

  const secretId = env[ENV.secretId]?.trim() ?? '';
  if (secretId === '') problems.push(`${ENV.secretId} is required (the secret's name or ARN)`);

  const oidcRegion = (env[ENV.oidcRegion] ?? env.AWS_REGION ?? '').trim();
  if (oidcRegion === '') {
    problems.push(`${ENV.oidcRegion} (or AWS_REGION) is required: the IAM Identity Center instance's region`);
  } else if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(oidcRegion)) {
    problems.push(`${ENV.oidcRegion} "${oidcRegion}" is not an AWS region name`);
  }
  const oidcEndpoint = readOidcEndpoint(env, problems);

  const allowedOrigins = new Set<string>();
  for (const origin of list(env[ENV.allowedOrigins])) {
    if (isOrigin(origin)) allowedOrigins.add(origin);
    else problems.push(`${ENV.allowedOrigins}: "${origin}" is not an origin (scheme://host[:port], no path, no wildcard)`);
  }

  const redirectUris = new Set<string>();
  for (const uri of list(env[ENV.redirectUris])) {
    if (!URL.canParse(uri)) problems.push(`${ENV.redirectUris}: "${uri}" is not an absolute URI`);
    // RFC 6749 section 3.1.2: a redirection endpoint URI must not include a fragment.
    else if (uri.includes('#')) problems.push(`${ENV.redirectUris}: "${uri}" has a fragment, which RFC 6749 section 3.1.2 forbids`);
    else redirectUris.add(uri);
  }

  const grantTypes = new Set<GrantType>();
  const requestedGrants = env[ENV.grantTypes] === undefined ? DEFAULTS.grantTypes : list(env[ENV.grantTypes]);
  for (const grant of requestedGrants) {
    if (KNOWN_GRANT_TYPES.includes(grant)) grantTypes.add(grant as GrantType);
    else problems.push(`${ENV.grantTypes}: "${grant}" is not one of ${KNOWN_GRANT_TYPES.join(', ')}`);
  }
  if (requestedGrants.length === 0) problems.push(`${ENV.grantTypes} must name at least one grant type`);

  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const upstreamTimeoutMs = int(ENV.upstreamTimeoutMs, DEFAULTS.upstreamTimeoutMs, 100, 25000);
  const secretTimeoutMs = int(ENV.secretTimeoutMs, DEFAULTS.secretTimeoutMs, 100, 10000);
  const secretMaxAgeSeconds = int(ENV.secretMaxAgeSeconds, DEFAULTS.secretMaxAgeSeconds, 0, 86400);
  const expiryWarningDays = int(ENV.expiryWarningDays, DEFAULTS.expiryWarningDays, 0, 365);
  const budget = timeBudgetProblem({ upstreamTimeoutMs, secretTimeoutMs });
  if (budget !== undefined) problems.push(budget);

  const issuer = optional(env[ENV.issuer]);
  if (issuer !== undefined) {
    const problem = issuerProblem(issuer);
    if (problem !== undefined) problems.push(`${ENV.issuer} "${issuer}" ${problem}`);
  }
  const publicClientId = optional(env[ENV.publicClientId]) ?? DEFAULTS.publicClientId;
  if (!/^[\x21-\x7e]{1,128}$/.test(publicClientId)) {
    problems.push(`${ENV.publicClientId} must be 1 to 128 visible ASCII characters`);
  }
  const startUrl = optional(env[ENV.startUrl]);
  if (startUrl !== undefined && !(URL.canParse(startUrl) && /^https?:$/.test(new URL(startUrl).protocol))) {
    problems.push(`${ENV.startUrl} "${startUrl}" is not an absolute http(s) URL`);
  }
  if (issuer !== undefined && startUrl === undefined && grantTypes.has(GRANT_TYPES.deviceCode)) {
    problems.push(
      `${ENV.startUrl} is required when ${ENV.issuer} is set and the device grant is enabled: standard clients send no start URL`,
    );
  }

  const cookieSessions = parseCookieSessions(env, {
    problems,
    int,
    isOrigin,
    allowedOrigins,
    redirectUris,
    allowedOriginsName: ENV.allowedOrigins,
    redirectUrisName: ENV.redirectUris,
  });
  // /bff/login/start sends the browser to the front door: cookie mode needs it.
  if (cookieSessions !== undefined && issuer === undefined) {
    problems.push(`${ENV.cookieSessions}=on needs ${ENV.issuer}: sign-in comes back through the front door's callback`);
  }

  // The access portal (portal-config.ts).
  const { portal, portalEndpoint } = readPortalSettings(env, problems);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    secretId,
    oidcRegion,
    oidcEndpoint,
    allowedOrigins,
    redirectUris,
    grantTypes,
    upstreamTimeoutMs,
    secretTimeoutMs,
    secretMaxAgeSeconds,
    expiryWarningDays,
    issuer,
    publicClientId,
    startUrl,
    cookieSessions,
    portal,
    portalEndpoint,
  };
}

const optional = (value: string | undefined): string | undefined => {
  const trimmed = value?.trim() ?? '';
  return trimmed === '' ? undefined : trimmed;
};

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Why a value is not a usable issuer, or undefined. RFC 8414 section 2: https, no query, no
 * fragment; http only on loopback, for local runs. No trailing slash, so that `${issuer}/oauth2/...`
 * and the metadata's `issuer` member match what clients compare byte for byte.
 */
function issuerProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'is not an absolute URL';
  const url = new URL(value);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    return 'must use https (http only for 127.0.0.1, localhost or [::1])';
  }
  if (value.includes('?') || value.includes('#')) return 'must have no query and no fragment';
  if (value.endsWith('/')) return 'must not end with a slash';
  if (url.username !== '' || url.password !== '') return 'must not hold a user name or password';
  // What a client compares with must be exactly what it was configured with: no normalisation.
  if (url.href !== value && url.href !== `${value}/`) return 'is not in its normal form (lower-case scheme and host, no default port)';
  return undefined;
}

/** The region an ARN names (a secret named by ARN is read there), or undefined for a plain name. */
export function regionOfArn(id: string): string | undefined {
  return id.startsWith('arn:') ? id.split(':')[3] || undefined : undefined;
}

function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
}
