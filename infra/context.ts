// The CDK context values the app understands (`cdk synth -c key=value`, or the "context" block of
// cdk.json), read and checked in one place. Every problem is reported at once, naming the key, before
// anything is synthesized. Values given on the command line are strings; cdk.json may give JSON
// arrays and numbers, so both forms are accepted.

import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { GRANT_TYPES, type GrantType } from '../lambda/config.js';
import { maxRotationDays } from './token-broker.js';

export const CONTEXT_KEYS = {
  allowedOrigins: 'allowedOrigins',
  redirectUris: 'redirectUris',
  grantTypes: 'grantTypes',
  oidcRegion: 'oidcRegion',
  secretArn: 'secretArn',
  secretName: 'secretName',
  kmsKeyArn: 'kmsKeyArn',
  throttleRateLimit: 'throttleRateLimit',
  throttleBurstLimit: 'throttleBurstLimit',
  logRetentionDays: 'logRetentionDays',
  domainName: 'domainName',
  certificateArn: 'certificateArn',
  rotationDays: 'rotationDays',
} as const;

/** The settings the context gave, already checked; absent keys stay undefined (the construct's defaults apply). */
export interface ContextSettings {
  readonly allowedOrigins?: string[];
  readonly redirectUris?: string[];
  readonly grantTypes?: GrantType[];
  readonly oidcRegion?: string;
  readonly secretArn?: string;
  readonly secretName?: string;
  readonly kmsKeyArn?: string;
  readonly throttleRateLimit?: number;
  readonly throttleBurstLimit?: number;
  readonly logRetention?: RetentionDays;
  readonly customDomain?: { readonly domainName: string; readonly certificateArn: string };
  /** Days between rotations of the registration; 0 turns rotation off. */
  readonly rotationDays?: number;
}

export class ContextError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid CDK context for the token broker:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ContextError';
  }
}

/** Same shape as config.ts's region check, so a value accepted here is accepted by the function. */
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
// A complete secret ARN ends in "-" and the six characters Secrets Manager appends to the name.
const SECRET_COMPLETE_ARN = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+-[A-Za-z0-9]{6}$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;
const CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** Short aliases for the long device grant name, which is awkward on a command line. */
const GRANT_ALIASES: Readonly<Record<string, GrantType>> = { device_code: GRANT_TYPES.deviceCode };
const KNOWN_GRANTS: readonly string[] = Object.values(GRANT_TYPES);

const RETENTION_DAYS: readonly number[] = Object.values(RetentionDays).filter(
  (value): value is number => typeof value === 'number' && value !== RetentionDays.INFINITE,
);

export type ContextReader = (key: string) => unknown;

export function readContext(get: ContextReader): ContextSettings {
  const problems: string[] = [];
  const has = (key: string): boolean => get(key) !== undefined && get(key) !== '';

  const list = (key: string): string[] | undefined => {
    const raw = get(key);
    if (raw === undefined) return undefined;
    const items = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : undefined;
    if (items === undefined || !items.every((item) => typeof item === 'string')) {
      problems.push(`${key} must be a comma-separated string or a list of strings`);
      return undefined;
    }
    return (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
  };

  const text = (key: string, pattern: RegExp, what: string): string | undefined => {
    const raw = get(key);
    if (raw === undefined || raw === '') return undefined;
    if (typeof raw !== 'string' || !pattern.test(raw.trim())) {
      problems.push(`${key} must be ${what}, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return raw.trim();
  };

  const number = (key: string, min: number, max: number, integer: boolean): number | undefined => {
    const raw = get(key);
    if (raw === undefined || raw === '') return undefined;
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw.trim()) : Number.NaN;
    if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      problems.push(`${key} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return value;
  };

  const allowedOrigins = list(CONTEXT_KEYS.allowedOrigins);
  const redirectUris = list(CONTEXT_KEYS.redirectUris);

  let grantTypes: GrantType[] | undefined;
  const grants = list(CONTEXT_KEYS.grantTypes);
  if (grants !== undefined) {
    grantTypes = [];
    for (const grant of grants) {
      const full = GRANT_ALIASES[grant] ?? grant;
      if (KNOWN_GRANTS.includes(full)) {
        if (!grantTypes.includes(full as GrantType)) grantTypes.push(full as GrantType);
      } else {
        problems.push(`${CONTEXT_KEYS.grantTypes}: "${grant}" is not one of ${KNOWN_GRANTS.join(', ')} (or device_code)`);
      }
    }
    if (grants.length === 0) problems.push(`${CONTEXT_KEYS.grantTypes} must name at least one grant type`);
  }

  const oidcRegion = text(CONTEXT_KEYS.oidcRegion, REGION, 'an AWS region name such as eu-west-1');
  const secretArn = text(
    CONTEXT_KEYS.secretArn,
    SECRET_COMPLETE_ARN,
    'a complete secret ARN (ending in the six random characters Secrets Manager adds; use secretName for a name)',
  );
  let secretName: string | undefined;
  const rawName = get(CONTEXT_KEYS.secretName);
  if (typeof rawName === 'string' && rawName.trim().startsWith('arn:')) {
    problems.push(`${CONTEXT_KEYS.secretName} is an ARN: give it as ${CONTEXT_KEYS.secretArn}`);
  } else {
    secretName = text(CONTEXT_KEYS.secretName, SECRET_NAME, 'a secret name such as token-broker/registration');
  }
  if (has(CONTEXT_KEYS.secretArn) && has(CONTEXT_KEYS.secretName)) {
    problems.push(`give ${CONTEXT_KEYS.secretArn} or ${CONTEXT_KEYS.secretName}, not both`);
  }
  const kmsKeyArn = text(CONTEXT_KEYS.kmsKeyArn, KMS_KEY_ARN, 'a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)');

  // API Gateway's account-level defaults are 10,000 requests per second with a burst of 5,000.
  const throttleRateLimit = number(CONTEXT_KEYS.throttleRateLimit, 1, 10_000, false);
  const throttleBurstLimit = number(CONTEXT_KEYS.throttleBurstLimit, 1, 5_000, true);

  let logRetention: RetentionDays | undefined;
  const days = number(CONTEXT_KEYS.logRetentionDays, 1, 3653, true);
  if (days !== undefined) {
    if (RETENTION_DAYS.includes(days)) logRetention = days as RetentionDays;
    else problems.push(`${CONTEXT_KEYS.logRetentionDays} must be one of ${RETENTION_DAYS.join(', ')}, got ${days}`);
  }

  const domainName = text(CONTEXT_KEYS.domainName, DOMAIN_NAME, 'a lower-case DNS name such as auth.example.com');
  const certificateArn = text(CONTEXT_KEYS.certificateArn, CERTIFICATE_ARN, 'an ACM certificate ARN');
  if (has(CONTEXT_KEYS.domainName) !== has(CONTEXT_KEYS.certificateArn)) {
    problems.push(`${CONTEXT_KEYS.domainName} and ${CONTEXT_KEYS.certificateArn} go together: give both or neither`);
  }

  // 0 turns rotation off; the upper bound renews a registration before its expiry warning (token-broker.ts).
  const rotationDays = number(CONTEXT_KEYS.rotationDays, 0, maxRotationDays(), true);

  if (problems.length > 0) throw new ContextError(problems);
  return {
    ...(allowedOrigins === undefined ? {} : { allowedOrigins }),
    ...(redirectUris === undefined ? {} : { redirectUris }),
    ...(grantTypes === undefined ? {} : { grantTypes }),
    ...(oidcRegion === undefined ? {} : { oidcRegion }),
    ...(secretArn === undefined ? {} : { secretArn }),
    ...(secretName === undefined ? {} : { secretName }),
    ...(kmsKeyArn === undefined ? {} : { kmsKeyArn }),
    ...(throttleRateLimit === undefined ? {} : { throttleRateLimit }),
    ...(throttleBurstLimit === undefined ? {} : { throttleBurstLimit }),
    ...(logRetention === undefined ? {} : { logRetention }),
    ...(domainName !== undefined && certificateArn !== undefined ? { customDomain: { domainName, certificateArn } } : {}),
    ...(rotationDays === undefined ? {} : { rotationDays }),
  };
}

/** Context keys that look like ours (no namespace) but are not: most likely typos, silently ignored otherwise. */
export function unknownContextKeys(all: Readonly<Record<string, unknown>>): string[] {
  const ours: readonly string[] = Object.values(CONTEXT_KEYS);
  return Object.keys(all).filter((key) => !/[:/@]/.test(key) && !ours.includes(key) && !CDK_PLAIN_KEYS.has(key));
}

// Plain (un-namespaced) keys the CDK CLI itself keeps in the context.
const CDK_PLAIN_KEYS = new Set(['cli-telemetry', 'notices', 'acknowledged-issue-numbers']);
