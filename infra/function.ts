// The broker function: its least-privilege role, and its environment built from the props and
// checked with the core's own configuration check (loadConfig), so a value the function would refuse
// at cold start fails the synthesis instead. Variable names come from the core (ENV), never retyped.

import { Duration, Token } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { ConfigError, DEFAULTS, ENV, FUNCTION_TIMEOUT_MS, loadConfig, type GrantType } from '../lambda/core/config.js';
import { codeOf, FUNCTION_DEFAULTS } from './bundling.js';
import { SESSION_DEFAULTS } from '../lambda/core/session-config.js';
import { frontDoorOf, sessionMaxAgeOf, TokenBrokerPropsError, type CookieSessionsProps, type TokenBrokerProps } from './props.js';

/**
 * The request deadline plus the time to write the answer (lambda/core/config.ts FUNCTION_TIMEOUT_MS:
 * 24 s + 1 s). Every secret read and SSO OIDC call of a request draws from that deadline, so a slow
 * request ends in the function's own 504 answer, not in Lambda's timeout (a 500) or API Gateway's
 * 30 s (which also has to cover a cold start). The timeouts are checked against the deadline with
 * the core's own rule (timeBudgetProblem).
 */
export const FUNCTION_TIMEOUT = Duration.millis(FUNCTION_TIMEOUT_MS);
/**
 * 1,024 MB, from the benchmark (`npm run bench`, docs/performance.md): memory is not the limit
 * (about 80 MB at the first answer, 125 MB under a 256 MB heap cap) but CPU is, and Lambda gives CPU
 * in proportion to memory. A cold start costs about 235 ms of CPU, so roughly 0.8 s at 512 MB and
 * 0.4 s at 1,024 MB; CPU time costs the same at either size, only time spent waiting on SSO OIDC
 * costs double.
 */
export const DEFAULT_MEMORY_MB = 1024;

/** Checks a front door whose issuer is the API's own URL (known only at deployment). */
const FRONT_DOOR_ISSUER_STAND_IN = 'https://stand-in.execute-api.us-east-1.amazonaws.com';

export interface BrokerFunctionProps {
  /** The checked props (infra/props.ts). */
  readonly props: TokenBrokerProps;
  readonly grantTypes: readonly GrantType[];
  /** The registration secret's identifier the function is given. */
  readonly secretId: string;
  readonly oidcRegion: string;
  readonly logGroup: ILogGroup;
  /** Only with cookie sessions. */
  readonly cookieKeysSecret: ISecret | undefined;
}

/**
 * The function and its role (`Function`, `FunctionRole` in `scope`). The role starts with logs on
 * the function's own log group only; the caller grants the secrets it reads.
 */
export function createBrokerFunction(scope: Construct, options: BrokerFunctionProps): NodejsFunction {
  const { props } = options;
  const role = new Role(scope, 'FunctionRole', {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: 'Token broker function: writes its own logs and reads its one secret',
  });
  // Written out instead of the AWS managed basic execution policy: only this function's log group
  // (created by the caller, so CreateLogGroup is not needed). Metrics are EMF log lines: no PutMetricData.
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [options.logGroup.logGroupArn],
    }),
  );

  return new NodejsFunction(scope, 'Function', {
    ...FUNCTION_DEFAULTS,
    description: 'SSO OIDC token broker',
    ...codeOf('handler'),
    memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
    timeout: FUNCTION_TIMEOUT,
    // Checked with the props; a deploy-time token passes through to CloudFormation.
    ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: props.reservedConcurrency }),
    role,
    logGroup: options.logGroup,
    environment: environmentOf(options),
  });
}

/**
 * Exactly the variables the core reads (config.ts ENV), and nothing unset: an empty list is left
 * out rather than set to "". The issuer is not among them: the caller sets it once the API exists
 * (its URL may name it).
 */
function environmentOf({ props, grantTypes, secretId, oidcRegion, cookieKeysSecret }: BrokerFunctionProps): Record<string, string> {
  const upstreamTimeout = props.upstreamTimeout ?? Duration.millis(DEFAULTS.upstreamTimeoutMs);
  const secretTimeout = props.secretTimeout ?? Duration.millis(DEFAULTS.secretTimeoutMs);
  const secretMaxAge = props.secretMaxAge ?? Duration.seconds(DEFAULTS.secretMaxAgeSeconds);
  // The time budget was checked with the props (infra/props.ts) and is again by loadConfig below.

  const env: Record<string, string> = {
    [ENV.secretId]: secretId,
    [ENV.oidcRegion]: oidcRegion,
    [ENV.grantTypes]: grantTypes.join(','),
    [ENV.upstreamTimeoutMs]: String(upstreamTimeout.toMilliseconds()),
    [ENV.secretTimeoutMs]: String(secretTimeout.toMilliseconds()),
    [ENV.secretMaxAgeSeconds]: String(secretMaxAge.toSeconds()),
    [ENV.expiryWarningDays]: String(props.expiryWarningDays ?? DEFAULTS.expiryWarningDays),
  };
  if (props.allowedOrigins?.length) env[ENV.allowedOrigins] = props.allowedOrigins.join(',');
  if (props.redirectUris?.length) env[ENV.redirectUris] = props.redirectUris.join(',');
  const frontDoor = frontDoorOf(props);
  if (frontDoor?.startUrl !== undefined) env[ENV.startUrl] = frontDoor.startUrl;
  if (frontDoor?.publicClientId !== undefined) env[ENV.publicClientId] = frontDoor.publicClientId;
  // Cookie sessions; their issuer is the front door's, set once the API exists.
  if (props.cookieSessions !== undefined && cookieKeysSecret !== undefined) {
    env[ENV.cookieSessions] = 'on';
    env[ENV.cookieKeysSecretId] = cookieKeysSecret.secretFullArn ?? cookieKeysSecret.secretArn;
    env[ENV.sessionMaxAgeSeconds] = String(sessionMaxAgeOf(props).toSeconds());
    Object.assign(env, sessionEnvironmentOf(props.cookieSessions));
  }
  // The access portal and its role policy (checked with the props: at least one rule).
  if (props.portal !== undefined) {
    env[ENV.portal] = 'on';
    env[ENV.portalRoles] = props.portal.roles.map((item) => item.trim()).join(',');
  }
  // Checked here with the given issuer or a stand-in for the API's URL.
  checkWithCore(frontDoor === undefined ? env : { ...env, [ENV.issuer]: frontDoor.issuer ?? FRONT_DOOR_ISSUER_STAND_IN });
  // No NODE_OPTIONS=--enable-source-maps: it reads the map at every cold start (BUNDLING).
  return env;
}

/** The cookie sessions' own variables (core/session-config.ts): session origins, page tokens, the proxy's APIs. */
function sessionEnvironmentOf(sessions: CookieSessionsProps): Record<string, string> {
  const apis = Object.entries(sessions.apis ?? {}).map(([name, api]) => [`${name}=${api.url}`, ...(api.methods ?? [])].join(' '));
  return {
    [ENV.sessionOrigins]: sessions.origins.join(','),
    [ENV.pageTokens]: sessions.pageTokens ?? SESSION_DEFAULTS.pageTokens,
    ...(apis.length === 0 ? {} : { [ENV.apis]: apis.join(',') }),
    ...(sessions.apiTimeout === undefined ? {} : { [ENV.apiTimeoutMs]: String(sessions.apiTimeout.toMilliseconds()) }),
  };
}

/** The prop each of the function's variables comes from, for messages. */
const PROP_OF_ENV: Readonly<Record<string, string>> = {
  [ENV.allowedOrigins]: 'allowedOrigins',
  [ENV.redirectUris]: 'redirectUris',
  [ENV.grantTypes]: 'grantTypes',
  [ENV.oidcRegion]: 'oidcRegion',
  [ENV.upstreamTimeoutMs]: 'upstreamTimeout',
  [ENV.secretTimeoutMs]: 'secretTimeout',
  [ENV.secretMaxAgeSeconds]: 'secretMaxAge',
  [ENV.expiryWarningDays]: 'expiryWarningDays',
  [ENV.issuer]: 'frontDoor.issuer',
  [ENV.startUrl]: 'frontDoor.startUrl',
  [ENV.publicClientId]: 'frontDoor.publicClientId',
  [ENV.sessionOrigins]: 'cookieSessions.origins',
  [ENV.pageTokens]: 'cookieSessions.pageTokens',
  [ENV.apis]: 'cookieSessions.apis',
  [ENV.apiTimeoutMs]: 'cookieSessions.apiTimeout',
  [ENV.portalRoles]: 'portal.roles',
};

/** Runs the core's configuration check on what the construct sets; tokens get stand-in values. */
function checkWithCore(env: Readonly<Record<string, string>>): void {
  const standIns: Record<string, string> = {
    [ENV.secretId]: 'stand-in',
    [ENV.oidcRegion]: 'us-east-1',
    [ENV.cookieKeysSecretId]: 'stand-in',
  };
  const concrete = Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, Token.isUnresolved(value) ? (standIns[name] ?? '') : value]),
  );
  try {
    loadConfig(concrete);
  } catch (error) {
    if (error instanceof ConfigError) {
      // Named as the user set them: the prop (and context key) rather than the function's variable.
      const named = error.problems.map((problem) =>
        Object.entries(PROP_OF_ENV).reduce((text, [variable, prop]) => text.replaceAll(variable, prop), problem),
      );
      throw new TokenBrokerPropsError(named);
    }
    throw error;
  }
}
