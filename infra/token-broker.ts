// TokenBroker: the broker's function, its HTTP API, the secret holding the client registration and
// the function that rotates it, their least-privilege roles, log groups and alarms, as one construct
// a user can drop into their own stack.
// Names shared with the function (environment variables, routes, metrics) are imported from the core
// in lambda/, never retyped, so the two cannot drift apart.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Annotations, Duration, RemovalPolicy, SecretValue, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  ApiMapping,
  DomainName,
  HttpApi,
  type HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
  PayloadFormatVersion,
  SecurityPolicy,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate, CertificateValidation, type ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  Alarm,
  ComparisonOperator,
  Metric,
  Stats,
  TreatMissingData,
  type IAlarmAction,
} from 'aws-cdk-lib/aws-cloudwatch';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, CfnPermission, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, AaaaRecord, RecordTarget, type IHostedZone } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { RotationSchedule, Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConfigError, DEFAULTS, ENV, FUNCTION_TIMEOUT_MS, loadConfig, type GrantType } from '../lambda/core/config.js';
import { ROUTE_DOCS, ROUTE_TABLE, routeIdOf, routeKeysFor, type RouteId, type RouteKey } from '../lambda/edge/routes.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/core/metric-names.js';
import { ALIASES, checkSubstitutes } from './substitutes.js';
import { TokenBrokerDashboard } from './dashboard.js';
import { checkProps, TokenBrokerPropsError } from './props.js';
import { NO_ORIGINS_WARNING } from './validation.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLER_ENTRY = fileURLToPath(new URL('../lambda/handler.ts', import.meta.url));
const ROTATION_ENTRY = fileURLToPath(new URL('../lambda/rotation/registration-handler.ts', import.meta.url));
const COOKIE_KEY_ROTATION_ENTRY = fileURLToPath(new URL('../lambda/rotation/cookie-key-handler.ts', import.meta.url));
const SECRETS_MANAGER_PRINCIPAL = 'secretsmanager.amazonaws.com';

/** One esbuild configuration for both functions (the broker and the rotation function). */
export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  // index.mjs.map, mappings only (no sources), is written beside index.mjs and deployed with it, but
  // never read at run time: --enable-source-maps would cost about a tenth of a cold start. A logged
  // stack is mapped afterwards with scripts/map-stack.ts (docs/performance.md).
  sourceMap: true,
  sourcesContent: false,
  // ESM entry points of dependencies first (Middy 7 is ESM-only).
  mainFields: ['module', 'main'],
  // The SDK is bundled rather than taken from the runtime: pinned versions and a faster cold start.
  bundleAwsSDK: true,
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  // The local esbuild dev dependency; never Docker.
  forceDockerBundling: false,
  // Two substitutes (infra/substitutes.ts): the SDK's credential chain cut to the environment and
  // container providers, and node:http without the ESM facade that loads undici. Together about 113 KB
  // and a fifth of the cold start (docs/performance.md).
  // Dependencies' legal comments go to index.mjs.LEGAL.txt beside the bundle, not into what loads.
  esbuildArgs: { '--alias': [...ALIASES], '--legal-comments': 'external' },
  // The build fails, loudly, when the SDK no longer matches what the substitutes replace.
  commandHooks: {
    beforeBundling: () => {
      checkSubstitutes();
      return [];
    },
    beforeInstall: () => [],
    afterBundling: () => [],
  },
};

/**
 * Where a function's code comes from. In this repository: bundled from lambda/ by NodejsFunction at
 * synthesis, with BUNDLING. In the installed package: prebuilt by `npm run build` (npm pack runs it)
 * with the same BUNDLING into dist/assets/<name>/, next to this module's compiled form, so a
 * consumer's synthesis needs no esbuild and none of the function's libraries, and deploys the very
 * bytes this repository tested (scripts/build-package.ts says more).
 */
export type PrebuiltFunction = 'handler' | 'rotation' | 'cookie-key-rotation';

function codeOf(entry: string, name: PrebuiltFunction): Pick<NodejsFunctionProps, 'entry' | 'code' | 'handler'> {
  const prebuilt = fileURLToPath(new URL(`../assets/${name}/`, import.meta.url));
  return existsSync(`${prebuilt}index.mjs`) ? { code: Code.fromAsset(prebuilt), handler: 'index.handler' } : { entry };
}

/** What both functions share: Node 24 on arm64, the `handler` export, the bundling above. */
const FUNCTION_DEFAULTS = {
  runtime: Runtime.NODEJS_24_X,
  architecture: Architecture.ARM_64,
  handler: 'handler',
  projectRoot: PROJECT_ROOT,
  depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
  bundling: BUNDLING,
} as const satisfies Partial<NodejsFunctionProps>;

/**
 * The request deadline plus the time to write the answer (lambda/config.ts FUNCTION_TIMEOUT_MS: 24 s
 * + 1 s). Every secret read and SSO OIDC call of a request draws from that deadline, so a slow
 * request ends in the function's own 504 answer, not in Lambda's timeout (a 500) or API Gateway's
 * 30 s (which also has to cover a cold start). The timeouts are checked against the deadline with
 * the core's own rule (timeBudgetProblem).
 */
export const FUNCTION_TIMEOUT = Duration.millis(FUNCTION_TIMEOUT_MS);

export const DEFAULT_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;
/**
 * 1,024 MB, from the benchmark (`npm run bench`, docs/performance.md): memory is not the limit
 * (about 80 MB at the first answer, 125 MB under a 256 MB heap cap) but CPU is, and Lambda gives CPU
 * in proportion to memory. A cold start costs about 235 ms of CPU, so roughly 0.8 s at 512 MB and
 * 0.4 s at 1,024 MB; CPU time costs the same at either size, only time spent waiting on SSO OIDC
 * costs double.
 */
export const DEFAULT_MEMORY_MB = 1024;
const ALARM_PERIOD = Duration.minutes(5);

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
/**
 * One rotation step is at most DescribeSecret, two GetSecretValue, RegisterClient and PutSecretValue
 * (createSecret), or DescribeSecret, GetSecretValue and one CreateToken (testSecret): about a second
 * plus a cold start. A minute leaves room for the Secrets Manager client's own retries with backoff
 * (throttling) and for a slow SSO OIDC answer; a step that still does not finish fails with a timeout,
 * which the RotationErrors alarm reports.
 */
export const ROTATION_TIMEOUT = Duration.minutes(1);
/** A few small API calls every couple of months: small, but not so small that the cold start drags. */
export const ROTATION_MEMORY_MB = 256;

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
   * Token-handler sessions under /bff (issue 11, docs/token-handler.md): the SPA's refresh token in
   * an encrypted HttpOnly cookie. Needs `customDomain` (cookies set by execute-api are third-party to
   * the SPA). Creates the cookie keys secret and its rotation. Default: off.
   */
  readonly cookieSessions?: CookieSessionsProps;
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

// ---- cookie sessions (issue 11) --------------------------------------------------------------
export interface CookieSessionsProps {
  /** How long a session lasts from sign-in: the Identity Center session duration. Default: 8 hours. */
  readonly sessionMaxAge?: Duration;
  /**
   * Time between cookie key rotations, whole days, at least the session max age (a cookie sealed just
   * before a rotation stays readable for one more interval, as AWSPREVIOUS). Default: 30 days, or the
   * session max age rounded up to days when longer.
   */
  readonly keyRotationSchedule?: Duration;
}

/** The cookie keys secret and what rotates it (only with cookie sessions on). */
export interface TokenBrokerCookieKeys {
  readonly secret: Secret;
  readonly rotationFunction: NodejsFunction;
  readonly rotationLogGroup: LogGroup;
  readonly schedule: RotationSchedule;
  readonly interval: Duration;
}

export const DEFAULT_KEY_ROTATION_DAYS = 30;
// ---- end cookie sessions ---------------------------------------------------------------------

export interface TokenBrokerAlarms {
  readonly functionErrors: Alarm;
  readonly functionThrottles: Alarm;
  readonly api5xx: Alarm;
  readonly upstreamServerErrors: Alarm;
  readonly clientSecretExpiry: Alarm;
  /** Only with rotation on: the rotation function failed a step. */
  readonly rotationErrors?: Alarm;
  /** Only with cookie sessions: the cookie key rotation function failed a step. */
  readonly cookieKeyRotationErrors?: Alarm;
}

/** The rotation function and what belongs to it (only with rotation on). */
export interface TokenBrokerRotation {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly schedule: RotationSchedule;
  readonly interval: Duration;
}

export class TokenBroker extends Construct {
  readonly function: NodejsFunction;
  readonly functionLogGroup: LogGroup;
  readonly accessLogGroup: LogGroup;
  readonly api: HttpApi;
  readonly stage: HttpStage;
  /** The secret the function reads; put the RegisterClient answer into it. */
  readonly secret: ISecret;
  /** The secret identifier the function is given: its ARN (partial when imported by name). */
  readonly secretId: string;
  readonly encryptionKey: IKey | undefined;
  /** The API's base URL (execute-api). */
  readonly url: string;
  /** With a custom domain: `https://<domain>/` and the regional name to point DNS at. */
  readonly customDomainUrl: string | undefined;
  readonly domainTarget: string | undefined;
  readonly routeKeys: readonly RouteKey[];
  readonly alarms: TokenBrokerAlarms;
  /** Undefined when rotation is turned off. */
  readonly rotation: TokenBrokerRotation | undefined;
  /** Undefined when turned off with `dashboard: false`. */
  readonly dashboard: TokenBrokerDashboard | undefined;
  /** The front door's issuer (TOKEN_BROKER_ISSUER); undefined when the front door is off. */
  readonly issuer: string | undefined;
  /**
   * The redirect URI to register with SSO OIDC for the front door (`${issuer}/oauth2/callback`, in
   * `npm run register-client --redirect-uri`); undefined when the front door is off.
   */
  readonly frontDoorRedirectUri: string | undefined;
  /** Cookie sessions (issue 11): the keys secret and its rotation; undefined when off. */
  readonly cookieKeys: TokenBrokerCookieKeys | undefined;

  private readonly grantTypes: readonly GrantType[];
  private readonly logRetention: RetentionDays;

  constructor(scope: Construct, id: string, givenProps: TokenBrokerProps = {}) {
    super(scope, id);
    const props = this.checkedProps(givenProps);
    this.grantTypes = props.grantTypes ?? DEFAULTS.grantTypes;
    const frontDoor = frontDoorOf(props);
    checkCookieSessions(props);
    this.routeKeys = routeKeysFor(this.grantTypes, { frontDoor: frontDoor !== undefined, cookieSessions: props.cookieSessions !== undefined });
    this.logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;
    const rotationInterval = rotationIntervalOf(props);

    this.secret = props.secret ?? this.createSecret(props.encryptionKey, rotationInterval !== undefined);
    this.checkSecretRegion();
    this.encryptionKey = props.encryptionKey ?? props.secret?.encryptionKey;
    // The complete ARN when known; an import by name only has the partial ARN, which GetSecretValue accepts.
    this.secretId = this.secret.secretFullArn ?? this.secret.secretArn;

    // Before the function: its environment names the keys secret.
    const cookieKeysSecret = props.cookieSessions === undefined ? undefined : this.createCookieKeysSecret(props);
    this.functionLogGroup = new LogGroup(this, 'FunctionLogs', { retention: this.logRetention });
    this.function = this.createFunction(props, cookieKeysSecret);
    this.grantSecretRead();
    this.cookieKeys = cookieKeysSecret === undefined ? undefined : this.createCookieKeyRotation(props, cookieKeysSecret);
    this.rotation = rotationInterval === undefined ? undefined : this.createRotation(props, rotationInterval);

    this.accessLogGroup = new LogGroup(this, 'AccessLogs', { retention: this.logRetention });
    const { api, stage } = this.createApi(props);
    this.api = api;
    this.stage = stage;
    this.url = stage.url;
    if (props.customDomain !== undefined) {
      const domain = this.addCustomDomain(props.customDomain);
      this.customDomainUrl = `https://${props.customDomain.domainName}/`;
      this.domainTarget = domain.regionalDomainName;
    }

    this.issuer = frontDoor === undefined ? undefined : this.frontDoorIssuer(frontDoor, props);
    this.frontDoorRedirectUri = this.issuer === undefined ? undefined : `${this.issuer}${ROUTE_TABLE.oauthCallback.path}`;
    if (this.issuer !== undefined) this.function.addEnvironment(ENV.issuer, this.issuer);

    this.alarms = this.createAlarms(props);
    this.dashboard = props.dashboard === false ? undefined : this.createDashboard(props);
  }

  /**
   * A new secret holds `{}` until the operator puts a RegisterClient answer into it (see
   * docs/deploy-reference.md, "First registration"): an obvious placeholder, where a generated random string would look like
   * a value. Until then the function answers a generic 500 and logs "no clientId". CloudFormation
   * only writes SecretString when the template's value changes, so later deployments leave the
   * operator's registration alone; RETAIN keeps it if the stack is deleted.
   */
  private createSecret(encryptionKey: IKey | undefined, rotated: boolean): Secret {
    const secret = new Secret(this, 'Registration', {
      description: 'SSO OIDC RegisterClient answer (clientId, clientSecret, clientSecretExpiresAt) for the token broker',
      // Not a secret: the empty placeholder is the only value ever written by the template.
      secretStringValue: SecretValue.unsafePlainText('{}'),
      encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // With rotation on, the rotation schedule satisfies AwsSolutions-SMG4; without it, say why not.
    if (!rotated) {
      Validations.of(secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotation was turned off for this deployment (rotation: false, or the rotationDays=0 context). The secret ' +
          'holds an SSO OIDC client registration that lasts about 90 days: the operator registers again with ' +
          '`npm run register-client` before clientSecretExpiresAt (the ClientSecretExpiry alarm warns 14 days ahead), ' +
          'and the broker picks the new registration up within its max age, or at once on InvalidClientException.',
      });
    }
    return secret;
  }

  /**
   * The function's Secrets Manager client calls its own region's endpoint, which does not serve
   * secrets of other regions. Checked when both regions are known at synthesis; an env-agnostic
   * stack can only document it.
   */
  private checkSecretRegion(): void {
    const stackRegion = Stack.of(this).region;
    const secretRegion = this.secret.env.region;
    if (!Token.isUnresolved(stackRegion) && !Token.isUnresolved(secretRegion) && stackRegion !== secretRegion) {
      throw new Error(`TokenBroker: the secret is in ${secretRegion} but the function in ${stackRegion}; use a secret (or a replica) in ${stackRegion}`);
    }
  }

  private createFunction(props: TokenBrokerProps, cookieKeysSecret: Secret | undefined): NodejsFunction {
    const role = new Role(this, 'FunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Token broker function: writes its own logs and reads its one secret',
    });
    // Written out instead of the AWS managed basic execution policy: only this function's log group
    // (created above, so CreateLogGroup is not needed). Metrics are EMF log lines: no PutMetricData.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.functionLogGroup.logGroupArn],
      }),
    );

    return new NodejsFunction(this, 'Function', {
      ...FUNCTION_DEFAULTS,
      description: 'SSO OIDC token broker',
      ...codeOf(HANDLER_ENTRY, 'handler'),
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: FUNCTION_TIMEOUT,
      ...(props.reservedConcurrency === undefined ? {} : { reservedConcurrentExecutions: reservedConcurrencyOf(props) }),
      role,
      logGroup: this.functionLogGroup,
      environment: this.environment(props, cookieKeysSecret),
    });
  }

  /**
   * Exactly the variables the core reads (config.ts ENV), and nothing unset: an empty list is left
   * out rather than set to "". The set is checked with the core's own loadConfig, so a value the
   * function would reject at cold start fails the synthesis instead.
   */
  private environment(props: TokenBrokerProps, cookieKeysSecret: Secret | undefined): Record<string, string> {
    const upstreamTimeout = props.upstreamTimeout ?? Duration.millis(DEFAULTS.upstreamTimeoutMs);
    const secretTimeout = props.secretTimeout ?? Duration.millis(DEFAULTS.secretTimeoutMs);
    const secretMaxAge = props.secretMaxAge ?? Duration.seconds(DEFAULTS.secretMaxAgeSeconds);
    // The time budget was checked with the props (infra/props.ts) and is again by loadConfig below.

    const env: Record<string, string> = {
      [ENV.secretId]: this.secretId,
      [ENV.oidcRegion]: this.oidcRegion(props),
      [ENV.grantTypes]: this.grantTypes.join(','),
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
    // Cookie sessions (issue 11); their issuer is the front door's, set once the API exists.
    if (props.cookieSessions !== undefined && cookieKeysSecret !== undefined) {
      env[ENV.cookieSessions] = 'on';
      env[ENV.cookieKeysSecretId] = cookieKeysSecret.secretFullArn ?? cookieKeysSecret.secretArn;
      env[ENV.sessionMaxAgeSeconds] = String(sessionMaxAgeOf(props).toSeconds());
    }
    // The issuer is set once the API exists (its URL names it); checked here with the given one or a stand-in.
    checkWithCore(frontDoor === undefined ? env : { ...env, [ENV.issuer]: frontDoor.issuer ?? FRONT_DOOR_ISSUER_STAND_IN });
    // No NODE_OPTIONS=--enable-source-maps: it reads the map at every cold start (BUNDLING).
    return env;
  }

  /**
   * GetSecretValue on this one secret, written out: `secret.grantRead` would add DescribeSecret,
   * which the function does not need. A secret imported by name has no known suffix, so its ARN
   * ends in `-??????` (exactly six characters), never `*`.
   */
  private grantSecretRead(): void {
    this.function.addToRolePolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secretResourceArn()] }),
    );
    if (this.encryptionKey !== undefined) {
      this.function.addToRolePolicy(this.keyViaSecretsManager(['kms:Decrypt']));
    }
  }

  private oidcRegion(props: TokenBrokerProps): string {
    return props.oidcRegion ?? Stack.of(this).region;
  }

  /** The secret's ARN for IAM: the complete one, or a partial one plus exactly six suffix characters, never `*`. */
  private secretResourceArn(): string {
    return this.secret.secretFullArn ?? `${this.secret.secretArn}-??????`;
  }

  /** The secret's key, only when Secrets Manager uses it on the caller's behalf, in the secret's region. */
  private keyViaSecretsManager(actions: string[]): PolicyStatement {
    return new PolicyStatement({
      actions,
      resources: [this.encryptionKey!.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.secret.env.region}.amazonaws.com` } },
    });
  }

  /**
   * The Secrets Manager rotation (lambda/rotation.ts): every `interval`, Secrets Manager invokes the
   * function for each of the four steps; it registers the client again with the request stored in
   * the secret, stages the answer as AWSPENDING, proves SSO OIDC accepts it and makes it AWSCURRENT.
   *
   * Its role is written out like the broker's: logs on its own log group, the four rotation actions
   * on the one secret, and the key (Decrypt to read, GenerateDataKey to write a version) only through
   * Secrets Manager. RegisterClient and CreateToken are unsigned, so no SSO OIDC permission.
   *
   * The RotationSchedule construct grants more than that on its own, and both are undone here:
   *  - it adds secretsmanager:GetRandomPassword on `*` (the function never asks for a password) and
   *    the four actions again to the function's role: the function gets an immutable view of its
   *    role, which drops them, so the statements above are the whole policy;
   *  - with a key it grants kms:Encrypt, ReEncrypt* and GenerateDataKey* besides Decrypt, and for a
   *    key created in the same stack writes that into the key policy: the schedule is given the
   *    secret without its key (the same ARN), so it makes no KMS grant at all.
   * What it adds and is kept: the permission for Secrets Manager to invoke the function (narrowed
   * below to the secret's account) and the schedule's dependency on it. The template tests pin all of it.
   */
  private createRotation(props: TokenBrokerProps, interval: Duration): TokenBrokerRotation {
    const { logGroup, role } = this.createRotationRole(
      'Rotation',
      'Token broker rotation function: writes its own logs and rotates its one secret',
      this.secretResourceArn(),
    );
    if (this.encryptionKey !== undefined) {
      role.addToPrincipalPolicy(this.keyViaSecretsManager(['kms:Decrypt', 'kms:GenerateDataKey']));
    }

    const fn = new NodejsFunction(this, 'RotationFunction', {
      ...FUNCTION_DEFAULTS,
      description: 'Rotates the SSO OIDC client registration of the token broker (Secrets Manager rotation)',
      ...codeOf(ROTATION_ENTRY, 'rotation'),
      memorySize: ROTATION_MEMORY_MB,
      timeout: ROTATION_TIMEOUT,
      role: role.withoutPolicyUpdates(),
      logGroup,
      // The rotation handler reads only the Identity Center region (the secret comes in each event).
      environment: { [ENV.oidcRegion]: this.oidcRegion(props) },
    });

    // In this construct, whatever stack the secret comes from. Not at once: a new secret holds `{}`
    // until the operator runs `npm run register-client`, and a rotation before that can only fail.
    const secretWithoutKey = Secret.fromSecretAttributes(
      this,
      'RotatedSecret',
      this.secret.secretFullArn === undefined
        ? { secretPartialArn: this.secret.secretArn }
        : { secretCompleteArn: this.secret.secretFullArn },
    );
    const schedule = new RotationSchedule(this, 'RotationSchedule', {
      secret: secretWithoutKey,
      rotationLambda: fn,
      automaticallyAfter: interval,
      rotateImmediatelyOnUpdate: false,
    });
    // What the schedule does to the secret it is given, on the real one: a resource policy that denies
    // secretsmanager:DeleteSecret to the whole account while rotation is configured (on a secret
    // created here; an imported secret's resource policy is left alone). The secret is retained anyway.
    this.secret.denyAccountRootDelete();

    // AWS recommends aws:SourceAccount and aws:SourceArn on a rotation function's resource policy
    // (confused deputy): only Secrets Manager acting for this one secret, in its account, may invoke it.
    const invokePermissions = fn.node.children.filter(
      (child): child is CfnPermission => child instanceof CfnPermission && child.principal === SECRETS_MANAGER_PRINCIPAL,
    );
    if (invokePermissions.length !== 1) {
      throw new Error(`TokenBroker: expected the rotation schedule to add one invoke permission, found ${invokePermissions.length}`);
    }
    invokePermissions[0]!.sourceAccount = this.secret.env.account;
    // Lambda matches SourceArn with ArnLike: a secret known by its partial ARN ends in `-??????`.
    invokePermissions[0]!.sourceArn = this.secretResourceArn();

    return { function: fn, logGroup, schedule, interval };
  }

  /**
   * A rotation function's log group (`<prefix>Logs`) and role (`<prefix>Role`), the role with logs
   * on that group and the four rotation actions on the one secret. Callers add the key statement.
   */
  private createRotationRole(prefix: string, description: string, secretArn: string): { logGroup: LogGroup; role: Role } {
    const logGroup = new LogGroup(this, `${prefix}Logs`, { retention: this.logRetention });
    const role = new Role(this, `${prefix}Role`, { assumedBy: new ServicePrincipal('lambda.amazonaws.com'), description });
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'secretsmanager:DescribeSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:UpdateSecretVersionStage',
        ],
        resources: [secretArn],
      }),
    );
    return { logGroup, role };
  }

  /**
   * An HTTP API with exactly the routes the core's routeKeysFor() names, all to one Lambda
   * integration (payload format 2.0). CORS is deliberately not configured on the API
   * (`corsPreflight`): API Gateway would answer preflight itself and ignore the function's headers.
   * The function answers CORS and preflight (`OPTIONS /{proxy+}`) from TOKEN_BROKER_ALLOWED_ORIGINS,
   * the same setting it enforces, so local (`npm start`) and deployed behaviour come from one code path.
   */
  private createApi(props: TokenBrokerProps): { api: HttpApi; stage: HttpStage } {
    const api = new HttpApi(this, 'Api', {
      apiName: `${Stack.of(this).stackName}-${this.node.id}`,
      description: 'SSO OIDC token broker',
      // The default stage is created below, with throttling and access logs.
      createDefaultStage: false,
    });
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    const stage = new HttpStage(this, 'DefaultStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: throttle.rateLimit, burstLimit: throttle.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogGroup),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const integration = new HttpLambdaIntegration('Function', this.function, {
      payloadFormatVersion: PayloadFormatVersion.VERSION_2_0,
    });
    for (const routeKey of this.routeKeys) {
      const [method, path] = routeKey.split(' ') as [HttpMethod, string];
      const id: RouteId = routeIdOf(routeKey)!;
      const route = new HttpRoute(this, `Route-${id}`, {
        httpApi: api,
        routeKey: HttpRouteKey.with(path, method),
        integration,
      });
      // Every route of the table says why it needs no authorizer (a route without one would fail cdk-nag).
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason: ROUTE_DOCS[id].publicBecause });
    }
    return { api, stage };
  }

  /**
   * The given issuer, else the custom domain, else the API's own URL (the $default stage has no
   * path): what clients reach the broker at, with no trailing slash (RFC 8414 issuer).
   */
  private frontDoorIssuer(frontDoor: TokenBrokerFrontDoorOptions, props: TokenBrokerProps): string {
    if (frontDoor.issuer !== undefined) return frontDoor.issuer;
    if (props.customDomain !== undefined) return `https://${props.customDomain.domainName}`;
    const stack = Stack.of(this);
    return `https://${this.api.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`;
  }

  private addCustomDomain(customDomain: CustomDomain): DomainName {
    const { domainName, hostedZone } = customDomain;
    if (customDomain.certificate === undefined && hostedZone === undefined) {
      throw new Error('TokenBroker: customDomain needs a certificate or a hostedZone to make one in');
    }
    const certificate =
      customDomain.certificate ??
      new Certificate(this, 'DomainCertificate', { domainName, validation: CertificateValidation.fromDns(hostedZone) });
    const domain = new DomainName(this, 'Domain', { domainName, certificate, securityPolicy: SecurityPolicy.TLS_1_2 });
    // Root mapping to the $default stage: https://<domain>/token.
    new ApiMapping(this, 'DomainMapping', { api: this.api, domainName: domain, stage: this.stage });
    if (hostedZone !== undefined) {
      const target = RecordTarget.fromAlias(new ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId));
      new ARecord(this, 'DomainAlias', { zone: hostedZone, recordName: domainName, target });
      new AaaaRecord(this, 'DomainAliasIpv6', { zone: hostedZone, recordName: domainName, target });
    }
    return domain;
  }

  // ---- cookie sessions (issue 11) ------------------------------------------------------------

  /**
   * The cookie keys secret: `{ keyId, key }` (lambda/cookie-keys.ts), seeded by CloudFormation with
   * 64 random letters and digits (about 380 bits; the key is HKDF input, not the AES key itself),
   * then replaced by the rotation function on its schedule. Encrypted with the registration's key
   * when one is given. Destroyed with the stack: without the broker, its sessions mean nothing.
   */
  private createCookieKeysSecret(props: TokenBrokerProps): Secret {
    const secret = new Secret(this, 'CookieKeys', {
      description: 'Token broker cookie session keys ({ keyId, key }): AWSCURRENT seals, AWSPREVIOUS still opens',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ keyId: 'initial' }),
        generateStringKey: 'key',
        passwordLength: 64,
        excludePunctuation: true,
        includeSpace: false,
      },
      encryptionKey: props.encryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return secret;
  }

  /**
   * The key rotation (lambda/cookie-key-rotation.ts), written like the registration's: its own
   * function and log group, a role with logs on that group and the four rotation actions on the one
   * secret (plus the key through Secrets Manager), no network access needed but Secrets Manager's.
   */
  private createCookieKeyRotation(props: TokenBrokerProps, secret: Secret): TokenBrokerCookieKeys {
    // The broker reads the keys: GetSecretValue only, on this secret only (AWSPREVIOUS is a version of it).
    this.function.addToRolePolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }));
    const interval = keyRotationIntervalOf(props);
    const { logGroup, role } = this.createRotationRole(
      'CookieKeyRotation',
      'Token broker cookie key rotation: writes its own logs and rotates the cookie keys secret',
      secret.secretArn,
    );
    if (props.encryptionKey !== undefined) {
      role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
      this.function.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [props.encryptionKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    const fn = new NodejsFunction(this, 'CookieKeyRotationFunction', {
      ...FUNCTION_DEFAULTS,
      description: 'Rotates the cookie session keys of the token broker (Secrets Manager rotation)',
      ...codeOf(COOKIE_KEY_ROTATION_ENTRY, 'cookie-key-rotation'),
      memorySize: ROTATION_MEMORY_MB,
      timeout: ROTATION_TIMEOUT,
      // An immutable view: the statements above are the whole policy (RotationSchedule would add
      // secretsmanager:GetRandomPassword on `*`, which the function never calls).
      role: role.withoutPolicyUpdates(),
      logGroup,
    });
    const schedule = new RotationSchedule(this, 'CookieKeyRotationSchedule', {
      secret: Secret.fromSecretAttributes(this, 'RotatedCookieKeys', { secretCompleteArn: secret.secretArn }),
      rotationLambda: fn,
      automaticallyAfter: interval,
      // The seeded key is random already: the first rotation can wait for the schedule.
      rotateImmediatelyOnUpdate: false,
    });
    secret.denyAccountRootDelete();
    // Only Secrets Manager acting for this account may invoke it (confused deputy).
    for (const child of fn.node.children) {
      if (child instanceof CfnPermission && child.principal === SECRETS_MANAGER_PRINCIPAL) child.sourceAccount = Stack.of(this).account;
    }
    return { secret, rotationFunction: fn, rotationLogGroup: logGroup, schedule, interval };
  }
  // ---- end cookie sessions -------------------------------------------------------------------

  private createAlarms(props: TokenBrokerProps): TokenBrokerAlarms {
    // The broker's own alarm metrics carry only the service dimension (telemetry.ts).
    const brokerMetric = (metricName: string, statistic: string, period: Duration): Metric =>
      new Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: SERVICE_NAME }, statistic, period });
    const atLeast = (threshold: number) => ({
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data means nothing happened: no errors.
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });

    const alarms: TokenBrokerAlarms = {
      functionErrors: new Alarm(this, 'FunctionErrorsAlarm', {
        alarmDescription:
          'The token broker function failed an invocation (crash, timeout, out of memory, or a configuration error at cold start). ' +
          'Answers the broker gives itself, 4xx or 5xx, are not function errors.',
        metric: this.function.metricErrors({ period: ALARM_PERIOD, statistic: Stats.SUM }),
        ...atLeast(1),
      }),
      functionThrottles: new Alarm(this, 'FunctionThrottlesAlarm', {
        alarmDescription: 'Lambda throttled the token broker function: the account or function concurrency limit was reached.',
        metric: this.function.metricThrottles({ period: ALARM_PERIOD, statistic: Stats.SUM }),
        ...atLeast(1),
      }),
      api5xx: new Alarm(this, 'Api5xxAlarm', {
        alarmDescription:
          'The token broker API answered 5xx: upstream server errors passed through, SSO OIDC unreachable (502) or slow (504), ' +
          'an unreadable or empty registration secret (500), or function failures.',
        metric: this.stage.metricServerError({ period: ALARM_PERIOD, statistic: Stats.SUM }),
        ...atLeast(props.api5xxAlarmThreshold ?? 5),
      }),
      upstreamServerErrors: new Alarm(this, 'UpstreamServerErrorsAlarm', {
        alarmDescription: 'SSO OIDC answered InternalServerException (5xx) to the token broker; the answers were passed through to callers.',
        metric: brokerMetric(METRIC.upstreamServerErrors, Stats.SUM, ALARM_PERIOD),
        ...atLeast(props.upstreamErrorAlarmThreshold ?? 3),
      }),
      clientSecretExpiry: new Alarm(this, 'ClientSecretExpiryAlarm', {
        alarmDescription:
          'The client registration in the secret expires soon: the scheduled rotation failed or is off. Register the ' +
          'client again with `npm run register-client` (see RotationErrors and the rotation function log first).',
        // The smallest days-to-expiry any request saw in the hour.
        metric: brokerMetric(METRIC.clientSecretDaysToExpiry, Stats.MINIMUM, Duration.hours(1)),
        threshold: props.expiryWarningDays ?? DEFAULTS.expiryWarningDays,
        evaluationPeriods: 1,
        // `<=` as the function's own log warning (telemetry.ts), so both start on the same day.
        comparisonOperator: ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
        // The metric exists only while requests flow. An expiring registration is a standing
        // condition, not an event: keep the last state through quiet hours rather than flip to OK
        // overnight (not breaching) and alarm again every morning. A new registration clears it at
        // the next request. An idle broker emits nothing, so this alarm cannot see it.
        treatMissingData: TreatMissingData.IGNORE,
      }),
      ...(this.rotation === undefined
        ? {}
        : {
            rotationErrors: new Alarm(this, 'RotationErrorsAlarm', {
              alarmDescription:
                'The rotation function failed a step, so the client registration was not renewed. Its log says why ' +
                '("rotation step failed"); a secret without registrationRequest needs `npm run register-client` once. ' +
                'Brokers keep using the current registration until it expires (see the ClientSecretExpiry alarm).',
              metric: this.rotation.function.metricErrors({ period: ALARM_PERIOD, statistic: Stats.SUM }),
              ...atLeast(1),
            }),
          }),
      ...(this.cookieKeys === undefined
        ? {}
        : {
            cookieKeyRotationErrors: new Alarm(this, 'CookieKeyRotationErrorsAlarm', {
              alarmDescription:
                'The cookie key rotation function failed a step, so the cookie keys were not renewed. Its log says why ' +
                '("rotation step failed"). Sessions keep working with the current key meanwhile.',
              metric: this.cookieKeys.rotationFunction.metricErrors({ period: ALARM_PERIOD, statistic: Stats.SUM }),
              ...atLeast(1),
            }),
          }),
    };
    for (const alarm of Object.values(alarms).filter((alarm) => alarm !== undefined)) {
      for (const action of props.alarmActions ?? []) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
    return alarms;
  }

  private createDashboard(props: TokenBrokerProps): TokenBrokerDashboard {
    const options = typeof props.dashboard === 'object' ? props.dashboard : {};
    return new TokenBrokerDashboard(this, 'Dashboard', {
      brokerFunction: this.function,
      functionLogGroup: this.functionLogGroup,
      stage: this.stage,
      rotationFunction: this.rotation?.function,
      cookieKeyRotationFunction: this.cookieKeys?.rotationFunction,
      expiryWarningDays: props.expiryWarningDays ?? DEFAULTS.expiryWarningDays,
      alarms: Object.values(this.alarms).filter((alarm): alarm is Alarm => alarm !== undefined),
      ...(options.dashboardName === undefined ? {} : { dashboardName: options.dashboardName }),
    });
  }

  /**
   * Every problem with the props at once, named by prop (infra/props.ts); what was normalised and a
   * broker no browser may call are warnings, which `cdk synth` prints.
   */
  private checkedProps(given: TokenBrokerProps): TokenBrokerProps {
    const { props, notes } = checkProps(given, {
      functionTimeout: FUNCTION_TIMEOUT,
      maxRotationDays,
      registrationLifetimeDays: REGISTRATION_LIFETIME_DAYS,
    });
    notes.forEach((note, index) => Annotations.of(this).addWarningV2(`token-broker:normalised:${index}`, note));
    if (!props.allowedOrigins?.length) Annotations.of(this).addWarningV2('token-broker:no-allowed-origins', NO_ORIGINS_WARNING);
    return props;
  }
}

/** The access log line: JSON, no headers, query strings or bodies (they may hold codes or tokens). */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationLatency: '$context.integration.latency',
  integrationRequestId: '$context.integration.requestId',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
} as const;

/** Checks a front door whose issuer is the API's own URL (known only at deployment). */
const FRONT_DOOR_ISSUER_STAND_IN = 'https://stand-in.execute-api.us-east-1.amazonaws.com';

/**
 * The rotation interval from the props, checked: undefined when rotation is off. Whole days (Secrets
 * Manager's `rate(n days)`), and short enough to renew a registration before its expiry warning.
 */
function reservedConcurrencyOf(props: TokenBrokerProps): number {
  const value = props.reservedConcurrency!;
  // 0 would reserve nothing and throttle every request: a stopped broker, not a cap.
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`TokenBroker: reservedConcurrency must be a whole number of at least 1, got ${value}`);
  }
  return value;
}

function rotationIntervalOf(props: TokenBrokerProps): Duration | undefined {
  if (props.rotation === false) {
    if (props.rotationSchedule !== undefined) throw new Error('TokenBroker: rotationSchedule is given but rotation is false');
    return undefined;
  }
  const interval = props.rotationSchedule ?? DEFAULT_ROTATION_SCHEDULE;
  if (interval.isUnresolved()) return interval;
  const days = interval.toDays({ integral: false });
  const max = maxRotationDays(props.expiryWarningDays ?? DEFAULTS.expiryWarningDays);
  if (!Number.isInteger(days) || days < 1 || days > max) {
    throw new Error(
      `TokenBroker: rotationSchedule must be a whole number of days from 1 to ${max} (registrations last about ` +
        `${REGISTRATION_LIFETIME_DAYS} days; a longer schedule reaches the expiry warning first), got ${interval.toHumanString()}`,
    );
  }
  return interval;
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

// ---- cookie sessions (issue 11) ----------------------------------------------------------------

const sessionMaxAgeOf = (props: TokenBrokerProps): Duration =>
  props.cookieSessions?.sessionMaxAge ?? Duration.seconds(DEFAULTS.sessionMaxAgeSeconds);

/**
 * Cookie sessions only work when the SPA and the broker are same-site: the execute-api domain is a
 * public suffix, so a cookie it sets is third-party to every SPA and browsers do not send it.
 */
function checkCookieSessions(props: TokenBrokerProps): void {
  if (props.cookieSessions === undefined) return;
  if (props.frontDoor === false) {
    throw new Error('TokenBroker: cookie sessions sign in through the front door: leave frontDoor on (or unset)');
  }
  if (props.customDomain === undefined) {
    throw new Error(
      'TokenBroker: cookie sessions need a custom domain (customDomain with a certificate or a hostedZone; context ' +
        'domainName with certificateArn or hostedZoneId/hostedZoneName). Browsers treat cookies set by the execute-api ' +
        'domain (a public suffix) as third-party to the SPA and never send them: put the broker on a name of the ' +
        "SPA's own site, e.g. auth.example.com for app.example.com (docs/token-handler.md).",
    );
  }
  keyRotationIntervalOf(props);
}

/** Whole days, at least the session max age, at most a year. */
function keyRotationIntervalOf(props: TokenBrokerProps): Duration {
  const sessionDays = Math.ceil(sessionMaxAgeOf(props).toSeconds() / 86400);
  const interval = props.cookieSessions?.keyRotationSchedule ?? Duration.days(Math.max(DEFAULT_KEY_ROTATION_DAYS, sessionDays));
  if (interval.isUnresolved()) return interval;
  const days = interval.toDays({ integral: false });
  if (!Number.isInteger(days) || days < sessionDays || days > 365) {
    throw new Error(
      `TokenBroker: cookieSessions.keyRotationSchedule must be whole days from ${sessionDays} (the session max age, so ` +
        `that a cookie sealed just before a rotation outlives its session) to 365, got ${interval.toHumanString()}`,
    );
  }
  return interval;
}

/** The front door's options from the props: on when asked for, and always in cookie mode (issue 11), which signs in through it. */
function frontDoorOf(props: TokenBrokerProps): TokenBrokerFrontDoorOptions | undefined {
  if (props.frontDoor === true) return {};
  if (props.frontDoor === false || props.frontDoor === undefined) return props.cookieSessions === undefined ? undefined : {};
  return props.frontDoor;
}
