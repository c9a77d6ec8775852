// The TokenBroker construct's props, checked in one place before anything is built: every problem
// at once, each named by the prop that holds it, with what would be accepted. URL-like values are
// normalised by the same checks the CDK context uses (infra/validation.ts). Values that are tokens
// (known only at deploy time) are left to the function's own check at cold start.

import { Token, type Duration } from 'aws-cdk-lib';
import { DEFAULTS, GRANT_TYPES, timeBudgetProblem } from '../lambda/core/config.js';
import type { TokenBrokerProps } from './token-broker.js';
import { checkEach, checkOrigin, checkRedirectUri, checkRegion } from './validation.js';

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

/**
 * Checks the props (throws TokenBrokerPropsError listing every problem). `limits` are the
 * construct's own fixed values the props must fit in.
 */
export function checkProps(
  props: TokenBrokerProps,
  limits: { functionTimeout: Duration; maxRotationDays: (expiryWarningDays: number) => number; registrationLifetimeDays: number },
): CheckedProps {
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

  // The same ranges as the function's configuration (lambda/config.ts).
  const millis = (name: string, duration: Duration | undefined, fallback: number, min: number, max: number): number => {
    if (duration === undefined || duration.isUnresolved()) return fallback;
    const ms = duration.toMilliseconds();
    if (ms < min || ms > max) problems.push(`${name} must be from ${min} ms to ${max} ms, got ${duration.toHumanString()}`);
    return ms;
  };
  const upstreamMs = millis('upstreamTimeout', props.upstreamTimeout, DEFAULTS.upstreamTimeoutMs, 100, 25_000);
  const secretMs = millis('secretTimeout', props.secretTimeout, DEFAULTS.secretTimeoutMs, 100, 10_000);
  // The function's own rule (lambda/config.ts): the worst case of one request fits its deadline.
  const budget = timeBudgetProblem({ upstreamTimeoutMs: upstreamMs, secretTimeoutMs: secretMs }, { upstream: 'upstreamTimeout', secret: 'secretTimeout' });
  if (budget !== undefined) problems.push(budget);
  if (props.secretMaxAge !== undefined && !props.secretMaxAge.isUnresolved()) {
    const seconds = props.secretMaxAge.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 86_400) {
      problems.push(`secretMaxAge must be whole seconds from 0 to 86400, got ${props.secretMaxAge.toHumanString()}`);
    }
  }

  if (props.rotation === false && props.rotationSchedule !== undefined) {
    problems.push('rotationSchedule is given but rotation is false');
  } else if (props.rotation !== false && props.rotationSchedule !== undefined && !props.rotationSchedule.isUnresolved()) {
    const days = props.rotationSchedule.toDays({ integral: false });
    const max = limits.maxRotationDays(props.expiryWarningDays ?? DEFAULTS.expiryWarningDays);
    if (!Number.isInteger(days) || days < 1 || days > max) {
      problems.push(
        `rotationSchedule must be a whole number of days from 1 to ${max} (registrations last about ` +
          `${limits.registrationLifetimeDays} days; a longer schedule reaches the expiry warning first), got ` +
          props.rotationSchedule.toHumanString(),
      );
    }
  }

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
