// The CDK context values the app understands (`cdk synth -c key=value`, or the "context" block of
// cdk.json), read and checked in one place. Every problem is reported at once, named by the key the
// user typed, before anything is synthesized. Values given on the command line are strings; cdk.json
// may give JSON arrays and numbers, so both forms are accepted.
//
// A new key is one entry in CONTEXT_FIELDS: its reader decides the value's type, and the key appears
// in CONTEXT_KEYS, in the settings (under its own name) and in the unknown-key check by itself.

import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { GRANT_TYPES, type GrantType } from '../lambda/core/config.js';
import { maxRotationDays } from './props.js';
import { checkBaseUrl, checkEach, checkOrigin, checkRedirectUri, checkRegion, checkRoleRule, type Checked } from './validation.js';

/** Reports for one key: problems stop the synthesis, notes are printed as warnings. */
interface Report {
  problem(message: string): void;
  note(message: string): void;
}

/** Reads one key's raw value (never undefined or ""), or reports why it cannot and gives undefined. */
type Reader<T> = (raw: unknown, key: string, report: Report) => T | undefined;

const show = (raw: unknown): string => JSON.stringify(raw);

/** A comma-separated string (command line) or a list of strings (cdk.json), items trimmed, empties dropped. */
const listOf =
  (check?: (item: string) => Checked<string>): Reader<string[]> =>
  (raw, key, report) => {
    const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : undefined;
    if (items === undefined || !items.every((item) => typeof item === 'string')) {
      report.problem(`${key} must be a comma-separated string or a list of strings, got ${show(raw)}`);
      return undefined;
    }
    const trimmed = (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
    if (check === undefined) return trimmed;
    const { values, problems, notes } = checkEach(trimmed, check);
    for (const problem of problems) report.problem(`${key}: ${problem}`);
    for (const note of notes) report.note(`${key}: ${note}`);
    return problems.length > 0 ? undefined : values;
  };

/** One string, checked (and perhaps normalised) by a shared check. */
const oneOf =
  (check: (value: string) => Checked<string>): Reader<string> =>
  (raw, key, report) => {
    if (typeof raw !== 'string') {
      report.problem(`${key} must be a string, got ${show(raw)}`);
      return undefined;
    }
    const result = check(raw);
    if (!result.ok) {
      report.problem(`${key}: ${result.problem}`);
      return undefined;
    }
    if (result.note !== undefined) report.note(`${key}: ${result.note}`);
    return result.value;
  };

const matching =
  (pattern: RegExp, what: string): Reader<string> =>
  (raw, key, report) => {
    if (typeof raw !== 'string' || !pattern.test(raw.trim())) {
      report.problem(`${key} must be ${what}, got ${show(raw)}`);
      return undefined;
    }
    return raw.trim();
  };

const numberIn =
  (min: number, max: number, integer: boolean): Reader<number> =>
  (raw, key, report) => {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      report.problem(`${key} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${show(raw)}`);
      return undefined;
    }
    return value;
  };

/** true/false (cdk.json) or "true"/"false" (command line). */
const flag: Reader<boolean> = (raw, key, report) => {
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  report.problem(`${key} must be true or false, got ${show(raw)}`);
  return undefined;
};

// A complete secret ARN ends in "-" and the six characters Secrets Manager appends to the name.
const SECRET_COMPLETE_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Short aliases for the long device grant name, which is awkward on a command line. */
const GRANT_ALIASES: Readonly<Record<string, GrantType>> = { device_code: GRANT_TYPES.deviceCode };
const KNOWN_GRANTS: readonly string[] = Object.values(GRANT_TYPES);

const RETENTION_DAYS: readonly number[] = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

const grantList: Reader<GrantType[]> = (raw, key, report) => {
  const grants = listOf()(raw, key, report);
  if (grants === undefined) return undefined;
  if (grants.length === 0) {
    report.problem(`${key} must name at least one grant type`);
    return undefined;
  }
  const grantTypes: GrantType[] = [];
  let refused = false;
  for (const grant of grants) {
    const full = GRANT_ALIASES[grant] ?? grant;
    if (KNOWN_GRANTS.includes(full)) {
      if (!grantTypes.includes(full as GrantType)) grantTypes.push(full as GrantType);
    } else {
      refused = true;
      report.problem(`${key}: "${grant}" is not one of ${KNOWN_GRANTS.join(', ')} (or device_code)`);
    }
  }
  return refused ? undefined : grantTypes;
};

/** `on`/`off` (command line) or true/false (cdk.json). */
const onOrOff: Reader<boolean> = (raw, key, report) => {
  if (raw === 'on' || raw === true) return true;
  if (raw === 'off' || raw === false) return false;
  report.problem(`${key} must be on or off, got ${show(raw)}`);
  return undefined;
};

const secretName: Reader<string> = (raw, key, report) => {
  if (typeof raw === 'string' && raw.trim().startsWith('arn:')) {
    report.problem(`${key} is an ARN: give it as ${CONTEXT_KEYS.secretArn}`);
    return undefined;
  }
  return matching(SECRET_NAME, 'a secret name such as token-broker/registration')(raw, key, report);
};

const retentionDays: Reader<RetentionDays> = (raw, key, report) => {
  const days = numberIn(1, 3653, true)(raw, key, report);
  if (days === undefined) return undefined;
  if (!RETENTION_DAYS.includes(days)) {
    report.problem(`${key} must be one of ${RETENTION_DAYS.join(', ')}, got ${days}`);
    return undefined;
  }
  return days as RetentionDays;
};

/** For keys that take a base URL (an issuer, a start URL): https, no query, no trailing "/". */
export function baseUrl(example?: string): Reader<string> {
  return oneOf((value) => checkBaseUrl(value, example));
}

/** Every context key the app reads, with its reader. The settings carry each under its own name. */
export const CONTEXT_FIELDS = {
  allowedOrigins: listOf(checkOrigin),
  redirectUris: listOf(checkRedirectUri),
  grantTypes: grantList,
  oidcRegion: oneOf(checkRegion),
  secretArn: matching(
    SECRET_COMPLETE_ARN,
    'a complete secret ARN (ending in the six random characters Secrets Manager adds; use secretName for a name)',
  ),
  secretName,
  kmsKeyArn: matching(KMS_KEY_ARN, 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)'),
  // API Gateway's account-level defaults are 10,000 requests per second with a burst of 5,000.
  throttleRateLimit: numberIn(1, 10_000, false),
  throttleBurstLimit: numberIn(1, 5_000, true),
  logRetentionDays: retentionDays,
  domainName: matching(DOMAIN_NAME, 'a lower-case DNS name such as auth.example.com'),
  certificateArn: matching(CERTIFICATE_ARN, 'an ACM certificate ARN'),
  // 0 turns rotation off; the upper bound renews a registration before its expiry warning (token-broker.ts).
  rotationDays: numberIn(0, maxRotationDays(), true),
  // The CloudWatch dashboard, on unless false.
  dashboard: flag,
  // The standard OAuth 2.0 front door (docs/oauth-front-door.md), off unless true; the three keys
  // after it go with it. The issuer defaults to the custom domain or the API's URL.
  frontDoor: flag,
  issuer: baseUrl(),
  startUrl: baseUrl('https://d-1234567890.awsapps.com/start'),
  publicClientId: matching(/^[\x21-\x7e]{1,128}$/, '1 to 128 visible ASCII characters, such as token-broker'),
  // Cookie sessions (docs/token-handler.md), off unless on; the keys after it go with it, and
  // sessionOrigins is required with it (the origins of the SPAs that use cookie sessions).
  cookieSessions: onOrOff,
  sessionOrigins: listOf(checkOrigin),
  pageTokens: matching(/^(none|access)$/, 'none or access'),
  // The bearer proxy's APIs, as TOKEN_BROKER_APIS takes them: name=https://api.example.com/base [METHOD ...], comma-separated.
  apis: matching(/^[a-z0-9][^\n]{0,4000}$/, 'name=https://api.example.com/base [METHOD ...], comma-separated'),
  // Identity Center sessions last from 15 minutes to 90 days (config.ts has the same range).
  sessionMaxAgeSeconds: numberIn(300, 90 * 86400, true),
  // The access portal through the broker (docs/portal.md), on when its role policy is given:
  // accountId/roleName items, * for any account.
  portalRoles: listOf(checkRoleRule),
  // A hosted zone instead of certificateArn: the construct makes the certificate and alias records.
  hostedZoneId: matching(HOSTED_ZONE_ID, 'a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ'),
  hostedZoneName: matching(DOMAIN_NAME, "the hosted zone's DNS name such as example.com"),
} satisfies Record<string, Reader<unknown>>;

type Fields = typeof CONTEXT_FIELDS;
export type ContextKey = keyof Fields;

export const CONTEXT_KEYS = Object.fromEntries(Object.keys(CONTEXT_FIELDS).map((key) => [key, key])) as {
  readonly [K in ContextKey]: K;
};

type ReadValues = { -readonly [K in ContextKey]?: NonNullable<ReturnType<Fields[K]>> };

/**
 * The settings the context gave, already checked; absent keys stay undefined (the construct's
 * defaults apply). Every key under its own name, except the three combined into construct terms.
 */
export type ContextSettings = Omit<
  ReadValues,
  | 'logRetentionDays'
  | 'domainName'
  | 'certificateArn'
  | 'cookieSessions'
  | 'sessionMaxAgeSeconds'
  | 'sessionOrigins'
  | 'pageTokens'
  | 'apis'
  | 'hostedZoneId'
  | 'hostedZoneName'
> & {
  readonly logRetention?: RetentionDays;
  /** A certificate ARN, or (for cookie sessions) a hosted zone to make the certificate and records in. */
  readonly customDomain?: {
    readonly domainName: string;
    readonly certificateArn?: string;
    readonly hostedZone?: { readonly hostedZoneId: string; readonly zoneName: string };
  };
  /** Cookie sessions: on, with their origins, and optionally the session max age, page tokens and the proxy's APIs. */
  readonly cookieSessions?: {
    readonly origins: readonly string[];
    readonly sessionMaxAgeSeconds?: number;
    readonly pageTokens?: 'none' | 'access';
    readonly apis?: Readonly<Record<string, { readonly url: string; readonly methods?: readonly string[] }>>;
  };
};

export class ContextError extends Error {
  /** `notes`: what was normalised on the way, shown after the problems. */
  constructor(
    readonly problems: readonly string[],
    readonly notes: readonly string[] = [],
  ) {
    super(
      `Invalid CDK context for the token broker (${problems.length} problem${problems.length === 1 ? '' : 's'}; ` +
        `set with -c key=value or in cdk.json's "context"):\n  - ${problems.join('\n  - ')}` +
        (notes.length > 0 ? `\nAccepted after normalising:\n  - ${notes.join('\n  - ')}` : ''),
    );
    this.name = 'ContextError';
  }
}

export type ContextReader = (key: string) => unknown;

/**
 * Reads and checks every key; throws one ContextError listing every problem. `notes` receives what
 * was normalised (a trailing "/" dropped from an origin, say), for the caller to show as warnings.
 */
export function readContext(get: ContextReader, notes: string[] = []): ContextSettings {
  const problems: string[] = [];
  const report: Report = { problem: (message) => problems.push(message), note: (message) => notes.push(message) };
  const present = (key: string): boolean => get(key) !== undefined && get(key) !== '';

  const values: Record<string, unknown> = {};
  for (const [key, read] of Object.entries(CONTEXT_FIELDS) as [ContextKey, Reader<unknown>][]) {
    if (!present(key)) continue;
    const value = read(get(key), key, report);
    if (value !== undefined) values[key] = value;
  }

  if (present(CONTEXT_KEYS.secretArn) && present(CONTEXT_KEYS.secretName)) {
    problems.push(`give ${CONTEXT_KEYS.secretArn} or ${CONTEXT_KEYS.secretName}, not both`);
  }
  // A hosted zone may stand in for the certificate ARN (the construct makes the certificate), and
  // cookie sessions need a custom domain.
  const hasZone = present(CONTEXT_KEYS.hostedZoneId);
  if (hasZone !== present(CONTEXT_KEYS.hostedZoneName)) {
    problems.push(`${CONTEXT_KEYS.hostedZoneId} and ${CONTEXT_KEYS.hostedZoneName} go together: give both or neither`);
  }
  if (hasZone && present(CONTEXT_KEYS.certificateArn)) {
    problems.push(`give ${CONTEXT_KEYS.certificateArn} or ${CONTEXT_KEYS.hostedZoneId}, not both`);
  }
  if (hasZone && !present(CONTEXT_KEYS.domainName)) problems.push(`${CONTEXT_KEYS.hostedZoneId} needs ${CONTEXT_KEYS.domainName}`);
  const cookieSessions = values[CONTEXT_KEYS.cookieSessions] === true;
  if (cookieSessions && !present(CONTEXT_KEYS.domainName)) {
    problems.push(
      `${CONTEXT_KEYS.cookieSessions}=on needs a custom domain on the SPA's site (${CONTEXT_KEYS.domainName} with ` +
        `${CONTEXT_KEYS.certificateArn}, or with ${CONTEXT_KEYS.hostedZoneId} and ${CONTEXT_KEYS.hostedZoneName}): ` +
        'cookies set by the execute-api domain are third-party to the SPA',
    );
  }
  for (const key of [CONTEXT_KEYS.sessionMaxAgeSeconds, CONTEXT_KEYS.sessionOrigins, CONTEXT_KEYS.pageTokens, CONTEXT_KEYS.apis]) {
    if (!cookieSessions && present(key)) problems.push(`${key} only applies with ${CONTEXT_KEYS.cookieSessions}=on`);
  }
  if (cookieSessions && !present(CONTEXT_KEYS.sessionOrigins)) {
    problems.push(`${CONTEXT_KEYS.cookieSessions}=on needs ${CONTEXT_KEYS.sessionOrigins}: the origins of the SPAs that use cookie sessions, apart from ${CONTEXT_KEYS.allowedOrigins}`);
  }
  if (!hasZone && present(CONTEXT_KEYS.domainName) !== present(CONTEXT_KEYS.certificateArn)) {
    problems.push(`${CONTEXT_KEYS.domainName} and ${CONTEXT_KEYS.certificateArn} go together: give both or neither`);
  }
  for (const key of [CONTEXT_KEYS.issuer, CONTEXT_KEYS.startUrl, CONTEXT_KEYS.publicClientId]) {
    if (present(key) && values.frontDoor !== true) problems.push(`${key} is a setting of the front door: give ${CONTEXT_KEYS.frontDoor}=true with it`);
  }
  if (problems.length > 0) throw new ContextError(problems, notes);

  const {
    logRetentionDays,
    domainName,
    certificateArn,
    cookieSessions: _cookieSessions,
    sessionMaxAgeSeconds,
    sessionOrigins,
    pageTokens,
    apis,
    hostedZoneId,
    hostedZoneName,
    ...rest
  } = values as ReadValues;
  return {
    ...rest,
    ...(logRetentionDays === undefined ? {} : { logRetention: logRetentionDays }),
    ...(domainName !== undefined && certificateArn !== undefined ? { customDomain: { domainName, certificateArn } } : {}),
    ...(domainName !== undefined && hostedZoneId !== undefined && hostedZoneName !== undefined
      ? { customDomain: { domainName, hostedZone: { hostedZoneId, zoneName: hostedZoneName } } }
      : {}),
    ...(cookieSessions
      ? {
          cookieSessions: {
            origins: sessionOrigins ?? [],
            ...(sessionMaxAgeSeconds === undefined ? {} : { sessionMaxAgeSeconds }),
            ...(pageTokens === undefined ? {} : { pageTokens: pageTokens as 'none' | 'access' }),
            ...(apis === undefined ? {} : { apis: apisOf(apis) }),
          },
        }
      : {}),
  };
}

/** The `apis` key's list as the construct's prop; its values are checked by the function's own configuration check. */
function apisOf(text: string): Record<string, { url: string; methods?: string[] }> {
  const apis: Record<string, { url: string; methods?: string[] }> = {};
  for (const entry of text.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
    const eq = entry.indexOf('=');
    const [url = '', ...methods] = entry.slice(eq + 1).trim().split(/\s+/);
    apis[entry.slice(0, eq).trim()] = { url, ...(methods.length === 0 ? {} : { methods }) };
  }
  return apis;
}

/** Context keys that look like ours (no namespace) but are not: most likely typos, silently ignored otherwise. */
export function unknownContextKeys(all: Readonly<Record<string, unknown>>): string[] {
  const ours: readonly string[] = Object.keys(CONTEXT_FIELDS);
  return Object.keys(all).filter((key) => !/[:/@]/.test(key) && !ours.includes(key) && !CDK_PLAIN_KEYS.has(key));
}

// Plain (un-namespaced) keys the CDK CLI itself keeps in the context.
const CDK_PLAIN_KEYS = new Set(['cli-telemetry', 'notices', 'acknowledged-issue-numbers']);
