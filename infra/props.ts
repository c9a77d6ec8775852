// The TokenBroker construct's props, their defaults and limits, and their check, in one place
// before anything is built: every problem at once, each named by the prop that holds it, with what
// would be accepted. URL-like values are normalised by the same checks the CDK context uses
// (infra/validation.ts). Values that are tokens (known only at deploy time) are left to the
// function's own check at cold start.

import { Duration, Token } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IHostedZone } from 'aws-cdk-lib/aws-route53';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { DEFAULTS, GRANT_TYPES, timeBudgetProblem, type ApiMethod, type GrantType, type PageTokens } from '../lambda/core/config.js';
import { checkEach, checkOrigin, checkRedirectUri, checkRegion, checkRoleRule } from './validation.js';

export interface TokenBrokerProps {
  /** Browser origins allowed to call the broker (CORS is answered by the function). Default: none. */
  readonly allowedOrigins?: readonly string[];
  /** When given, `redirectUri` must be one of these exactly. Default: any. */
  readonly redirectUris?: readonly string[];
  /** Default: authorization_code and refresh_token. The device route exists only with the device grant. */
  readonly grantTypes?: readonly GrantType[];
  /** Region of the IAM Identity Center instance. Default: the region the stack is deployed to. */
  readonly oidcRegion?: string;
  /** An existing secret holding the RegisterClient answer. Default: a new empty one (retained on delete). */
  readonly secret?: ISecret;
  /** The customer-managed key of the secret: used to create the new secret, or the key of `secret`. */
  readonly encryptionKey?: IKey;
  /** Default-stage throttling. Default: 50 requests per second, burst 100. */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** Retention of the function's and the API's log groups. Default: one month. */
  readonly logRetention?: RetentionDays;
  /**
   * Optional custom domain, required for cookie sessions. With a `certificate`, DNS (a CNAME or
   * alias to `domainTarget`) is left to the user; with a `hostedZone` instead, the construct makes a
   * DNS-validated certificate and the alias records in that zone.
   */
  readonly customDomain?: CustomDomain;
  /** Default: 1,024 MB (see DEFAULT_MEMORY_MB). */
  readonly memorySize?: number;
  /**
   * Reserved concurrency of the broker function: at most this many requests run at once, and the
   * rest are throttled (API Gateway answers 503 to them). A cap protects the rest of the account,
   * whose functions share one concurrency quota, and SSO OIDC's per-account rate limits from a flood
   * of requests (a burst past the API's throttle, or a client in a retry loop); it also reserves that
   * much of the quota for the broker. A whole number of at least 1. Default: none (unreserved).
   */
  readonly reservedConcurrency?: number;
  /** Whole-call deadline of one SSO OIDC request. Default: 8 s (the core's default). */
  readonly upstreamTimeout?: Duration;
  /** Deadline of one Secrets Manager read. Default: 3 s. */
  readonly secretTimeout?: Duration;
  /** How long the function reuses a read registration. Default: 5 minutes. */
  readonly secretMaxAge?: Duration;
  /** The function logs a warning, and the expiry alarm fires, at this many days to expiry or fewer. Default: 14. */
  readonly expiryWarningDays?: number;
  /** API 5xx answers in five minutes that raise the alarm. Default: 5. */
  readonly api5xxAlarmThreshold?: number;
  /** Upstream server errors in five minutes that raise the alarm. Default: 3. */
  readonly upstreamErrorAlarmThreshold?: number;
  /** Actions (e.g. an SNS topic) for every alarm's ALARM and OK transitions. Default: none. */
  readonly alarmActions?: readonly IAlarmAction[];
  /**
   * Secrets Manager rotation of the registration (a function that calls RegisterClient again with the
   * `registrationRequest` stored by `npm run register-client`), for a new and an imported secret alike.
   * Default: true.
   */
  readonly rotation?: boolean;
  /**
   * Time between rotations, in whole days: at least 1 and at most maxRotationDays(expiryWarningDays)
   * (75 with the default warning). Default: 60 days. Only with rotation on.
   */
  readonly rotationSchedule?: Duration;
  /**
   * A CloudWatch dashboard of the broker (exchanges by grant type and outcome, SSO OIDC latency and
   * error types, broker-raised errors, gateway 4xx/5xx, throttles, cold starts, days to registration
   * expiry, rotation errors). `false` leaves it out. Default: on, with a generated name.
   */
  readonly dashboard?: boolean | TokenBrokerDashboardOptions;
  /**
   * The standard OAuth 2.0 front door (lambda/oauth/): RFC 8414 metadata, /oauth2/authorize,
   * /oauth2/callback, /oauth2/token and, with the device grant, /oauth2/device_authorization, for
   * standard client libraries. `true` or an options object turns it on. Default: off.
   */
  readonly frontDoor?: boolean | TokenBrokerFrontDoorOptions;
  /**
   * Token-handler sessions under /bff (docs/token-handler.md): the SPA's refresh token in an
   * encrypted HttpOnly cookie. Needs `customDomain` (cookies set by execute-api are third-party to
   * the SPA). Creates the cookie keys secret and its rotation. Default: off.
   */
  readonly cookieSessions?: CookieSessionsProps;
  /**
   * The AWS access portal through the broker (docs/portal.md): GET /portal/assignment/accounts,
   * /portal/assignment/roles, /portal/federation/credentials and POST /portal/logout, for an
   * SSOClient, boto3 or the AWS CLI with its endpoint at `<broker>/portal`, under a role policy.
   * Default: off.
   */
  readonly portal?: TokenBrokerPortalProps;
}

/** The access portal's settings (TOKEN_BROKER_PORTAL, TOKEN_BROKER_PORTAL_ROLES). */
export interface TokenBrokerPortalProps {
  /**
   * The role policy: the roles web apps may get credentials for, each `accountId/roleName`, with `*`
   * as the account for any account (`111122223333/PowerUserAccess`; `*` then `/ReadOnlyAccess`).
   * Required, at least one: there is no default that allows every role the user may enter.
   */
  readonly roles: readonly string[];
}

/** The front door's settings (TOKEN_BROKER_ISSUER, _START_URL, _PUBLIC_CLIENT_ID). */
export interface TokenBrokerFrontDoorOptions {
  /**
   * The issuer clients are configured with. Default: `https://<customDomain.domainName>` with a custom
   * domain, else the API's execute-api URL. Never taken from a request's Host header.
   */
  readonly issuer?: string;
  /** The IAM Identity Center start URL: required with the device grant (standard clients send none). */
  readonly startUrl?: string;
  /** The client_id standard clients are configured with; unchanged by rotation. Default: `token-broker`. */
  readonly publicClientId?: string;
}

/** The construct's CloudWatch dashboard (infra/dashboard.ts). */
export interface TokenBrokerDashboardOptions {
  /** Default: generated by CloudFormation. */
  readonly dashboardName?: string;
}

/** A custom domain for the API: a certificate, or a Route 53 hosted zone to make one in. */
export interface CustomDomain {
  readonly domainName: string;
  readonly certificate?: ICertificate;
  readonly hostedZone?: IHostedZone;
}

/** One API of the bearer proxy (/bff/api/<name>/...): its base URL and the methods it takes through the broker. */
export interface CookieSessionApi {
  /** https (http only for loopback), no query or fragment; the proxied path is appended. */
  readonly url: string;
  /** Default: GET only. */
  readonly methods?: readonly ApiMethod[];
}

/** Cookie sessions' settings. */
export interface CookieSessionsProps {
  /**
   * The origins of the SPAs that use cookie sessions (TOKEN_BROKER_SESSION_ORIGINS). Only they may
   * call the /bff routes, and no route that acquires a token answers them; none of them may be in
   * `allowedOrigins`, and `redirectUris` must hold one on them (sign-in comes back there).
   */
  readonly origins: readonly string[];
  /**
   * What page script receives from login/end and refresh: `none` (no token at all; the page calls
   * APIs through the broker) or `access` (the access token too). Default: `none`.
   */
  readonly pageTokens?: PageTokens;
  /** The bearer proxy's APIs by name (TOKEN_BROKER_APIS): /bff/api/<name>/... Default: none. */
  readonly apis?: Readonly<Record<string, CookieSessionApi>>;
  /** Deadline of one proxied API call, within the request's. Default: 8 s. */
  readonly apiTimeout?: Duration;
  /** How long a session lasts from sign-in: the Identity Center session duration. Default: 8 hours. */
  readonly sessionMaxAge?: Duration;
  /**
   * Time between cookie key rotations, whole days, at least the session max age (a cookie sealed just
   * before a rotation stays readable for one more interval, as AWSPREVIOUS). Default: 30 days, or the
   * session max age rounded up to days when longer.
   */
  readonly keyRotationSchedule?: Duration;
}

/** SSO OIDC registrations last about 90 days (RegisterClient's clientSecretExpiresAt). */
export const REGISTRATION_LIFETIME_DAYS = 90;
/**
 * Every 60 days: a 30-day margin before the registration expires, and a failing rotation is noticed
 * twice, by the RotationErrors alarm at once and by the ClientSecretExpiry alarm (14 days ahead) with
 * over two weeks left to recover by hand.
 */
export const DEFAULT_ROTATION_SCHEDULE = Duration.days(60);
/**
 * The longest schedule that still renews a registration before it enters the expiry warning window
 * (so the ClientSecretExpiry alarm only fires when a rotation failed): 75 days with the default 14.
 */
export function maxRotationDays(expiryWarningDays: number = DEFAULTS.expiryWarningDays): number {
  return REGISTRATION_LIFETIME_DAYS - expiryWarningDays - 1;
}
/** Cookie keys rotate every 30 days unless sessions last longer. */
export const DEFAULT_KEY_ROTATION_DAYS = 30;
/** The longest cookie key rotation schedule, in days. */
const MAX_KEY_ROTATION_DAYS = 365;

/** The registration's rotation interval (checked by checkProps): undefined when rotation is off. */
export function rotationIntervalOf(props: TokenBrokerProps): Duration | undefined {
  return props.rotation === false ? undefined : (props.rotationSchedule ?? DEFAULT_ROTATION_SCHEDULE);
}

export const sessionMaxAgeOf = (props: TokenBrokerProps): Duration =>
  props.cookieSessions?.sessionMaxAge ?? Duration.seconds(DEFAULTS.sessionMaxAgeSeconds);

/** The session max age in whole days, rounded up: the shortest cookie key rotation schedule. */
const sessionDaysOf = (props: TokenBrokerProps): number => Math.ceil(sessionMaxAgeOf(props).toSeconds() / 86400);

/** The cookie keys' rotation interval (checked by checkProps). */
export function keyRotationIntervalOf(props: TokenBrokerProps): Duration {
  return props.cookieSessions?.keyRotationSchedule ?? Duration.days(Math.max(DEFAULT_KEY_ROTATION_DAYS, sessionDaysOf(props)));
}

/** The front door's options: on when asked for, and always with cookie sessions, which sign in through it. */
export function frontDoorOf(props: TokenBrokerProps): TokenBrokerFrontDoorOptions | undefined {
  if (props.frontDoor === true) return {};
  if (props.frontDoor === false || props.frontDoor === undefined) return props.cookieSessions === undefined ? undefined : {};
  return props.frontDoor;
}

export class TokenBrokerPropsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid TokenBroker props (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'TokenBrokerPropsError';
  }
}

/** Lambda's limits on memory, in MB. */
const MEMORY_MB = { min: 128, max: 10_240 } as const;
const KNOWN_GRANTS: readonly string[] = Object.values(GRANT_TYPES);

export interface CheckedProps {
  /** The props with URL-like values normalised. */
  readonly props: TokenBrokerProps;
  /** What was normalised, for warnings. */
  readonly notes: readonly string[];
}

/** Checks the props (throws TokenBrokerPropsError listing every problem). */
export function checkProps(props: TokenBrokerProps): CheckedProps {
  const problems: string[] = [];
  const notes: string[] = [];
  const concrete = (value: unknown): boolean => !Token.isUnresolved(value);

  const list = (name: 'allowedOrigins' | 'redirectUris', check: typeof checkOrigin): string[] | undefined => {
    const items = props[name];
    if (items === undefined) return undefined;
    const literal = items.filter(concrete);
    const checked = checkEach(literal, check);
    problems.push(...checked.problems.map((problem) => `${name}: ${problem}`));
    notes.push(...checked.notes.map((note) => `${name}: ${note}`));
    return [...checked.values, ...items.filter((item) => !concrete(item))];
  };
  const allowedOrigins = list('allowedOrigins', checkOrigin);
  const redirectUris = list('redirectUris', checkRedirectUri);

  if (props.grantTypes !== undefined) {
    if (props.grantTypes.length === 0) problems.push('grantTypes must name at least one grant type');
    for (const grant of props.grantTypes) {
      if (!KNOWN_GRANTS.includes(grant)) problems.push(`grantTypes: "${grant}" is not one of ${KNOWN_GRANTS.join(', ')}`);
    }
  }

  let oidcRegion = props.oidcRegion;
  if (oidcRegion !== undefined && concrete(oidcRegion)) {
    const checked = checkRegion(oidcRegion);
    if (checked.ok) {
      oidcRegion = checked.value;
      if (checked.note !== undefined) notes.push(`oidcRegion: ${checked.note}`);
    } else {
      problems.push(`oidcRegion: ${checked.problem}`);
    }
  }

  const wholeIn = (name: string, value: number | undefined, min: number, max: number, unit = ''): void => {
    if (value === undefined || !concrete(value)) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}${unit}, got ${value}`);
    }
  };
  wholeIn('memorySize', props.memorySize, MEMORY_MB.min, MEMORY_MB.max, ' (MB)');
  wholeIn('expiryWarningDays', props.expiryWarningDays, 0, 365);
  wholeIn('api5xxAlarmThreshold', props.api5xxAlarmThreshold, 1, 1_000_000);
  wholeIn('upstreamErrorAlarmThreshold', props.upstreamErrorAlarmThreshold, 1, 1_000_000);
  // 0 would reserve nothing and throttle every request: a stopped broker, not a cap.
  const reserved = props.reservedConcurrency;
  if (reserved !== undefined && concrete(reserved) && !(Number.isInteger(reserved) && reserved >= 1)) {
    problems.push(`reservedConcurrency must be a whole number of at least 1, got ${reserved}`);
  }
  if (props.throttle !== undefined) {
    const { rateLimit, burstLimit } = props.throttle;
    if (concrete(rateLimit) && !(Number.isFinite(rateLimit) && rateLimit >= 1 && rateLimit <= 10_000)) {
      problems.push(`throttle.rateLimit must be a number from 1 to 10000, got ${rateLimit}`);
    }
    wholeIn('throttle.burstLimit', burstLimit, 1, 5_000);
  }

  // The same ranges as the function's configuration (lambda/core/config.ts).
  const millis = (name: string, duration: Duration | undefined, fallback: number, min: number, max: number): number => {
    if (duration === undefined || duration.isUnresolved()) return fallback;
    const ms = duration.toMilliseconds();
    if (ms < min || ms > max) problems.push(`${name} must be from ${min} ms to ${max} ms, got ${duration.toHumanString()}`);
    return ms;
  };
  const upstreamMs = millis('upstreamTimeout', props.upstreamTimeout, DEFAULTS.upstreamTimeoutMs, 100, 25_000);
  const secretMs = millis('secretTimeout', props.secretTimeout, DEFAULTS.secretTimeoutMs, 100, 10_000);
  // The function's own rule (lambda/core/config.ts): the worst case of one request fits its deadline.
  const budget = timeBudgetProblem({ upstreamTimeoutMs: upstreamMs, secretTimeoutMs: secretMs }, { upstream: 'upstreamTimeout', secret: 'secretTimeout' });
  if (budget !== undefined) problems.push(budget);
  if (props.secretMaxAge !== undefined && !props.secretMaxAge.isUnresolved()) {
    const seconds = props.secretMaxAge.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 86_400) {
      problems.push(`secretMaxAge must be whole seconds from 0 to 86400, got ${props.secretMaxAge.toHumanString()}`);
    }
  }

  // Whole days (Secrets Manager's `rate(n days)`), short enough to renew a registration before its
  // expiry warning. The default schedule is checked too: a long expiryWarningDays can overtake it.
  const rotationInterval = rotationIntervalOf(props);
  if (props.rotation === false && props.rotationSchedule !== undefined) {
    problems.push('rotationSchedule is given but rotation is false');
  } else if (rotationInterval !== undefined && !rotationInterval.isUnresolved()) {
    const days = rotationInterval.toDays({ integral: false });
    const max = maxRotationDays(props.expiryWarningDays ?? DEFAULTS.expiryWarningDays);
    if (!Number.isInteger(days) || days < 1 || days > max) {
      problems.push(
        `rotationSchedule must be a whole number of days from 1 to ${max} (registrations last about ` +
          `${REGISTRATION_LIFETIME_DAYS} days; a longer schedule reaches the expiry warning first), got ` +
          rotationInterval.toHumanString(),
      );
    }
  }

  if (props.customDomain !== undefined && props.customDomain.certificate === undefined && props.customDomain.hostedZone === undefined) {
    problems.push('customDomain needs a certificate or a hostedZone to make one in');
  }
  if (props.cookieSessions !== undefined) problems.push(...cookieSessionProblems(props));
  problems.push(...portalProblems(props));

  if (problems.length > 0) throw new TokenBrokerPropsError(problems);
  return {
    props: {
      ...props,
      ...(allowedOrigins === undefined ? {} : { allowedOrigins }),
      ...(redirectUris === undefined ? {} : { redirectUris }),
      ...(oidcRegion === undefined ? {} : { oidcRegion }),
    },
    notes,
  };
}

/**
 * Cookie sessions sign in through the front door, and only work when the SPA and the broker are
 * same-site: the execute-api domain is a public suffix, so a cookie it sets is third-party to every
 * SPA and browsers do not send it. Their keys rotate in whole days, no faster than a session lasts.
 */
function cookieSessionProblems(props: TokenBrokerProps): string[] {
  const problems: string[] = [];
  if (props.frontDoor === false) {
    problems.push('frontDoor: cookie sessions sign in through the front door: leave frontDoor on (or unset)');
  }
  if (props.customDomain === undefined) {
    problems.push(
      'customDomain: cookie sessions need a custom domain (customDomain with a certificate or a hostedZone; context ' +
        'domainName with certificateArn or hostedZoneId/hostedZoneName). Browsers treat cookies set by the execute-api ' +
        'domain (a public suffix) as third-party to the SPA and never send them: put the broker on a name of the ' +
        "SPA's own site, e.g. auth.example.com for app.example.com (docs/token-handler.md).",
    );
  }
  const interval = keyRotationIntervalOf(props);
  if (!interval.isUnresolved()) {
    const sessionDays = sessionDaysOf(props);
    const days = interval.toDays({ integral: false });
    if (!Number.isInteger(days) || days < sessionDays || days > MAX_KEY_ROTATION_DAYS) {
      problems.push(
        `cookieSessions.keyRotationSchedule must be whole days from ${sessionDays} (the session max age, so ` +
          `that a cookie sealed just before a rotation outlives its session) to ${MAX_KEY_ROTATION_DAYS}, got ${interval.toHumanString()}`,
      );
    }
  }
  return problems;
}

/** The access portal's props: a role policy of at least one rule, each one the function would read. */
function portalProblems(props: TokenBrokerProps): string[] {
  if (props.portal === undefined) return [];
  const roles = props.portal.roles as readonly string[] | undefined;
  if (roles === undefined || roles.filter((item) => Token.isUnresolved(item) || item.trim() !== '').length === 0) {
    return [
      'portal.roles must list at least one role web apps may get credentials for (accountId/roleName, or */roleName ' +
        'for any account, e.g. */ReadOnlyAccess): the role policy has no default that allows every role',
    ];
  }
  const { problems } = checkEach(roles.filter((item) => !Token.isUnresolved(item)), checkRoleRule);
  return problems.map((problem) => `portal.roles: ${problem}`);
}
