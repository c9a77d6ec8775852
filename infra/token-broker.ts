// TokenBroker: the broker's function, its HTTP API, the secret holding the client registration, the
// least-privilege role, log groups and alarms, as one construct a user can drop into their own stack.
// Names shared with the function (environment variables, routes, metrics) are imported from the core
// in lambda/, never retyped, so the two cannot drift apart.

import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, SecretValue, Stack, Token, Validations } from 'aws-cdk-lib';
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
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
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
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret, type ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ConfigError, DEFAULTS, ENV, loadConfig, type GrantType } from '../lambda/config.js';
import { ROUTES, routeKeysFor, type RouteKey } from '../lambda/routes.js';
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from '../lambda/metric-names.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const HANDLER_ENTRY = fileURLToPath(new URL('../lambda/handler.ts', import.meta.url));

/**
 * One request makes at most two SSO OIDC calls and two secret reads (the retry after a rotation:
 * broker.ts), each bounded as a whole by its timeout, so with the defaults it needs at most
 * 2 × 8 s + 2 × 3 s = 22 s. (A request naming a rotated-out client reads the secret up to three
 * times but then calls SSO OIDC only once: 3 × 3 s + 8 s.) 25 s leaves room for
 * the cold start and stays under the 30 s an HTTP API waits for its integration, so a slow request
 * ends in the function's own 504 answer, not in API Gateway's.
 */
export const FUNCTION_TIMEOUT = Duration.seconds(25);

export const DEFAULT_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;
export const DEFAULT_LOG_RETENTION = RetentionDays.ONE_MONTH;
/** 512 MB for now; the benchmark (issue 6, `npm run bench`) will justify or replace it. */
export const DEFAULT_MEMORY_MB = 512;
const ALARM_PERIOD = Duration.minutes(5);

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
  /** Optional custom domain; DNS (a CNAME or alias to `domainTarget`) is left to the user. */
  readonly customDomain?: { readonly domainName: string; readonly certificate: ICertificate };
  /** Default: 512 MB (see DEFAULT_MEMORY_MB). */
  readonly memorySize?: number;
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
}

export interface TokenBrokerAlarms {
  readonly functionErrors: Alarm;
  readonly functionThrottles: Alarm;
  readonly api5xx: Alarm;
  readonly upstreamServerErrors: Alarm;
  readonly clientSecretExpiry: Alarm;
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

  private readonly grantTypes: readonly GrantType[];
  private readonly logRetention: RetentionDays;

  constructor(scope: Construct, id: string, props: TokenBrokerProps = {}) {
    super(scope, id);
    this.grantTypes = props.grantTypes ?? DEFAULTS.grantTypes;
    this.routeKeys = routeKeysFor(this.grantTypes);
    this.logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;

    this.secret = props.secret ?? this.createSecret(props.encryptionKey);
    this.checkSecretRegion();
    this.encryptionKey = props.encryptionKey ?? props.secret?.encryptionKey;
    // The complete ARN when known; an import by name only has the partial ARN, which GetSecretValue accepts.
    this.secretId = this.secret.secretFullArn ?? this.secret.secretArn;

    this.functionLogGroup = new LogGroup(this, 'FunctionLogs', { retention: this.logRetention });
    this.function = this.createFunction(props);
    this.grantSecretRead();

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

    this.alarms = this.createAlarms(props);
  }

  /**
   * A new secret holds `{}` until the operator puts a RegisterClient answer into it (see
   * infra/README-deploy.md): an obvious placeholder, where a generated random string would look like
   * a value. Until then the function answers a generic 500 and logs "no clientId". CloudFormation
   * only writes SecretString when the template's value changes, so later deployments leave the
   * operator's registration alone; RETAIN keeps it if the stack is deleted.
   */
  private createSecret(encryptionKey: IKey | undefined): Secret {
    const secret = new Secret(this, 'Registration', {
      description: 'SSO OIDC RegisterClient answer (clientId, clientSecret, clientSecretExpiresAt) for the token broker',
      // Not a secret: the empty placeholder is the only value ever written by the template.
      secretStringValue: SecretValue.unsafePlainText('{}'),
      encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The secret holds an SSO OIDC client registration. A Secrets Manager rotation would need a RegisterClient ' +
        'call and is not built yet (issue 7); until then the operator registers again before clientSecretExpiresAt ' +
        '(the ClientSecretExpiry alarm warns) and the function picks the new registration up on InvalidClientException.',
    });
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

  private createFunction(props: TokenBrokerProps): NodejsFunction {
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
      description: 'SSO OIDC token broker',
      entry: HANDLER_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: FUNCTION_TIMEOUT,
      role,
      logGroup: this.functionLogGroup,
      environment: this.environment(props),
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        // Mappings only: enough for --enable-source-maps stack traces, without shipping the sources.
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
      },
    });
  }

  /**
   * Exactly the variables the core reads (config.ts ENV), and nothing unset: an empty list is left
   * out rather than set to "". The set is checked with the core's own loadConfig, so a value the
   * function would reject at cold start fails the synthesis instead.
   */
  private environment(props: TokenBrokerProps): Record<string, string> {
    const upstreamTimeout = props.upstreamTimeout ?? Duration.millis(DEFAULTS.upstreamTimeoutMs);
    const secretTimeout = props.secretTimeout ?? Duration.millis(DEFAULTS.secretTimeoutMs);
    const secretMaxAge = props.secretMaxAge ?? Duration.seconds(DEFAULTS.secretMaxAgeSeconds);
    const worstCase = 2 * upstreamTimeout.toMilliseconds() + 2 * secretTimeout.toMilliseconds();
    if (worstCase > FUNCTION_TIMEOUT.toMilliseconds()) {
      throw new Error(
        `TokenBroker: two upstream calls and two secret reads (${worstCase} ms) must fit in the function timeout ` +
          `(${FUNCTION_TIMEOUT.toMilliseconds()} ms)`,
      );
    }

    const env: Record<string, string> = {
      [ENV.secretId]: this.secretId,
      [ENV.oidcRegion]: props.oidcRegion ?? Stack.of(this).region,
      [ENV.grantTypes]: this.grantTypes.join(','),
      [ENV.upstreamTimeoutMs]: String(upstreamTimeout.toMilliseconds()),
      [ENV.secretTimeoutMs]: String(secretTimeout.toMilliseconds()),
      [ENV.secretMaxAgeSeconds]: String(secretMaxAge.toSeconds()),
      [ENV.expiryWarningDays]: String(props.expiryWarningDays ?? DEFAULTS.expiryWarningDays),
    };
    if (props.allowedOrigins?.length) env[ENV.allowedOrigins] = props.allowedOrigins.join(',');
    if (props.redirectUris?.length) env[ENV.redirectUris] = props.redirectUris.join(',');
    checkWithCore(env);
    // Stack traces in the logs point at lambda/*.ts lines, through the bundle's source map.
    return { ...env, NODE_OPTIONS: '--enable-source-maps' };
  }

  /**
   * GetSecretValue on this one secret, written out: `secret.grantRead` would add DescribeSecret,
   * which the function does not need. A secret imported by name has no known suffix, so its ARN
   * ends in `-??????` (exactly six characters), never `*`.
   */
  private grantSecretRead(): void {
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secret.secretFullArn ?? `${this.secret.secretArn}-??????`],
      }),
    );
    if (this.encryptionKey !== undefined) {
      this.function.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [this.encryptionKey.keyArn],
          // Only when Secrets Manager decrypts on the function's behalf, in the secret's region.
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${this.secret.env.region}.amazonaws.com` } },
        }),
      );
    }
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
      const route = new HttpRoute(this, `Route-${routeName(routeKey)}`, {
        httpApi: api,
        routeKey: HttpRouteKey.with(path, method),
        integration,
      });
      const reason = PUBLIC_ROUTE_REASONS[routeName(routeKey)];
      // A route without a written reason stays unacknowledged, so cdk-nag fails the synthesis.
      if (reason !== undefined) Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    }
    return { api, stage };
  }

  private addCustomDomain(customDomain: NonNullable<TokenBrokerProps['customDomain']>): DomainName {
    const domain = new DomainName(this, 'Domain', {
      domainName: customDomain.domainName,
      certificate: customDomain.certificate,
      securityPolicy: SecurityPolicy.TLS_1_2,
    });
    // Root mapping to the $default stage: https://<domain>/token.
    new ApiMapping(this, 'DomainMapping', { api: this.api, domainName: domain, stage: this.stage });
    return domain;
  }

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
          'The client registration in the secret expires soon: register the client again and put the new answer into the secret.',
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
    };
    for (const alarm of Object.values(alarms)) {
      for (const action of props.alarmActions ?? []) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
    return alarms;
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

type RouteName = keyof typeof ROUTES;

/** A readable construct id for a route: the ROUTES member's name. */
function routeName(routeKey: RouteKey): RouteName {
  return (Object.keys(ROUTES) as RouteName[]).find((name) => ROUTES[name] === routeKey)!;
}

/**
 * Why each route has no API Gateway authorizer (cdk-nag AwsSolutions-APIG4). A route added to the
 * core without a reason here fails the synthesis until someone writes one.
 */
const PUBLIC_ROUTE_REASONS: Partial<Record<RouteName, string>> = {
  token:
    'An OAuth token endpoint for public clients: like SSO OIDC CreateToken itself (unsigned, noAuth), callers ' +
    'prove themselves with the authorization code and PKCE verifier, the refresh token or the device code. The ' +
    'function enforces the origin list, body limits and redirect URIs; default-stage throttling bounds abuse.',
  deviceAuthorization:
    'Starts a device authorization for a public client, like SSO OIDC StartDeviceAuthorization itself (unsigned, ' +
    'noAuth): the caller has no credentials yet, that is what the flow obtains. Throttled at the stage.',
  client:
    'Returns only the public half of the registration (clientId, authorization endpoint), which a frontend needs ' +
    'before any user has signed in, so there is no credential to check; the clientSecret never leaves the function.',
  preflight:
    'CORS preflight requests carry no credentials by definition (Fetch standard); the function answers them from ' +
    'the allowed-origins list and they never reach SSO OIDC.',
};

/** Runs the core's configuration check on what the construct sets; tokens get stand-in values. */
function checkWithCore(env: Readonly<Record<string, string>>): void {
  const standIns: Record<string, string> = { [ENV.secretId]: 'stand-in', [ENV.oidcRegion]: 'us-east-1' };
  const concrete = Object.fromEntries(
    Object.entries(env).map(([name, value]) => [name, Token.isUnresolved(value) ? (standIns[name] ?? '') : value]),
  );
  try {
    loadConfig(concrete);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new Error(`TokenBroker: the function would reject this configuration:\n  - ${error.problems.join('\n  - ')}`);
    }
    throw error;
  }
}
