// Pins the synthesized CloudFormation template for the default configuration (no context): the
// function (runtime, architecture, environment), the exact IAM statements, routes, CORS (left to the
// function), throttling, access logging, log retention, alarms and outputs, and the rotation of the
// registration (its function, role, schedule, invoke permission and alarm). A fully configured
// template, a secret imported by name and rotation turned off or rescheduled: template-configured.test.ts.

import { DEFAULTS, ENV, REQUEST_DEADLINE_MS, worstCaseMs } from '../../lambda/core/config.js';
import { ROUTES, routeKeysFor } from '../../lambda/edge/routes.js';
import { ACCESS_LOG_FIELDS } from '../../infra/token-broker.js';
import { functionOf, permissionsFor, ROTATION_ACTIONS, statementsOf } from './support/template.js';
import { onlyResource, resourcesOf, synthesize, type Synthesis, type TemplateJson } from './synth.js';

/** Every IAM statement in the template, from roles' inline policies and policy resources. */
function allStatements(json: TemplateJson): Record<string, any>[] {
  const statements: Record<string, any>[] = [];
  for (const resource of Object.values(json.Resources)) {
    if (resource.Type === 'AWS::IAM::Policy') statements.push(...resource.Properties!.PolicyDocument.Statement);
    if (resource.Type === 'AWS::IAM::Role') {
      for (const policy of resource.Properties!.Policies ?? []) statements.push(...policy.PolicyDocument.Statement);
    }
  }
  return statements;
}

describe('default configuration (no context)', () => {
  let s: Synthesis;
  let ids: {
    secret: string;
    functionLogs: string;
    accessLogs: string;
    fn: string;
    role: string;
    api: string;
    rotationFn: string;
    rotationRole: string;
    rotationLogs: string;
  };

  beforeAll(() => {
    s = synthesize();
    const broker = s.stack.broker;
    ids = {
      secret: s.logicalId(broker.secret),
      functionLogs: s.logicalId(broker.functionLogGroup),
      accessLogs: s.logicalId(broker.accessLogGroup),
      fn: s.logicalId(broker.function),
      role: s.logicalId(broker.function.role!),
      api: s.logicalId(broker.api),
      rotationFn: s.logicalId(broker.rotation!.function),
      rotationRole: s.logicalId(broker.rotation!.function.role!),
      rotationLogs: s.logicalId(broker.rotation!.logGroup),
    };
  });
  afterAll(() => s.dispose());

  it('runs nodejs24.x on arm64 with 1,024 MB and a 25 s timeout, logging to its own log group', () => {
    const fn = functionOf(s);
    expect(fn).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 25,
      LoggingConfig: { LogGroup: { Ref: ids.functionLogs } },
      Role: { 'Fn::GetAtt': [ids.role, 'Arn'] },
    });
    // The worst case of one request fits its deadline, the deadline and the time to answer fit the
    // function timeout, and API Gateway's 30 s is never reached first.
    expect(worstCaseMs(DEFAULTS)).toBeLessThanOrEqual(REQUEST_DEADLINE_MS);
    expect(REQUEST_DEADLINE_MS).toBeLessThan(fn.Timeout * 1000);
    expect(fn.Timeout).toBeLessThan(30);
    expect(fn.Timeout * 1000).toBeGreaterThan(DEFAULTS.upstreamTimeoutMs);
    expect(fn).not.toHaveProperty('ReservedConcurrentExecutions');
  });

  it('sets exactly the variables the core reads, and nothing for unset lists', () => {
    expect(functionOf(s).Environment.Variables).toEqual({
      [ENV.secretId]: { Ref: ids.secret },
      // Env-agnostic stack: the Identity Center region defaults to the region deployed to.
      [ENV.oidcRegion]: { Ref: 'AWS::Region' },
      [ENV.grantTypes]: 'authorization_code,refresh_token',
      [ENV.upstreamTimeoutMs]: '8000',
      [ENV.secretTimeoutMs]: '2000',
      [ENV.secretMaxAgeSeconds]: '300',
      [ENV.expiryWarningDays]: '14',
    });
  });

  it('creates the secret empty ({}), retained on delete and replacement', () => {
    expect(resourcesOf(s.json, 'AWS::SecretsManager::Secret')).toEqual({
      [ids.secret]: {
        Type: 'AWS::SecretsManager::Secret',
        Properties: {
          Description: expect.stringContaining('RegisterClient'),
          SecretString: '{}',
        },
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      },
    });
  });

  it('grants exactly: log writes to its own log group, GetSecretValue on its one secret', () => {
    const role = s.json.Resources[ids.role]!;
    expect(role.Properties).toEqual({
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        Version: '2012-10-17',
      },
      Description: expect.any(String),
    });
    expect(statementsOf(s.json, ids.role)).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [ids.functionLogs, 'Arn'] },
      },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: ids.secret } },
    ]);
  });

  it('has no wildcard resource anywhere, and no managed policies', () => {
    expect(allStatements(s.json).length).toBeGreaterThan(0);
    for (const statement of allStatements(s.json)) expect(JSON.stringify(statement.Resource)).not.toMatch(/"\*"/);
    // What the RotationSchedule construct would add on its own (GetRandomPassword on *) is not there.
    expect(JSON.stringify(allStatements(s.json))).not.toMatch(/GetRandomPassword|kms:Encrypt|kms:ReEncrypt/);
    for (const role of Object.values(resourcesOf(s.json, 'AWS::IAM::Role'))) {
      expect(role.Properties).not.toHaveProperty('ManagedPolicyArns');
    }
  });

  it('routes exactly routeKeysFor(default grants) to one Lambda integration, payload format 2.0', () => {
    const routes = Object.values(resourcesOf(s.json, 'AWS::ApiGatewayV2::Route'));
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual([...routeKeysFor(DEFAULTS.grantTypes)].sort());
    expect(routes.map((route) => route.Properties.RouteKey)).not.toContain(ROUTES.deviceAuthorization);
    const { id: integration, resource } = onlyResource(s.json, 'AWS::ApiGatewayV2::Integration');
    expect(resource.Properties).toEqual({
      ApiId: { Ref: ids.api },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [ids.fn, 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
    for (const route of routes) {
      expect(route.Properties).toEqual({
        ApiId: { Ref: ids.api },
        AuthorizationType: 'NONE',
        RouteKey: route.Properties.RouteKey,
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integration }]] },
      });
    }
    // API Gateway may invoke the function for each route, and nothing else may.
    const permissions = Object.values(permissionsFor(s.json, ids.fn));
    expect(permissions).toHaveLength(routes.length);
    for (const permission of permissions) {
      expect(permission.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', Principal: 'apigateway.amazonaws.com' });
    }
  });

  it('leaves CORS to the function: no CorsConfiguration on the API, preflight routed to the function', () => {
    const { resource: api } = onlyResource(s.json, 'AWS::ApiGatewayV2::Api');
    expect(api.Properties).not.toHaveProperty('CorsConfiguration');
    expect(api.Properties.ProtocolType).toBe('HTTP');
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'OPTIONS /{proxy+}' });
    // No allowed origins: the variable is left out, so browsers are refused and non-browser callers work.
    expect(functionOf(s).Environment.Variables).not.toHaveProperty(ENV.allowedOrigins);
  });

  it('rotates with its own function: nodejs24.x on arm64, 256 MB, 1 minute, the same bundling, its own log group', () => {
    const fn = s.json.Resources[ids.rotationFn]!.Properties!;
    expect(fn).toEqual({
      Description: expect.stringContaining('rotation'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 256,
      Timeout: 60,
      Code: expect.any(Object),
      LoggingConfig: { LogGroup: { Ref: ids.rotationLogs } },
      Role: { 'Fn::GetAtt': [ids.rotationRole, 'Arn'] },
      // Exactly this: the Identity Center region (as the broker's). No NODE_OPTIONS: source maps are
      // not loaded at start-up (docs/performance.md).
      Environment: { Variables: { [ENV.oidcRegion]: { Ref: 'AWS::Region' } } },
    });
    expect(fn.Environment.Variables[ENV.oidcRegion]).toEqual(functionOf(s).Environment.Variables[ENV.oidcRegion]);
    // Its own role, and it waits for that role's policy.
    expect(ids.rotationRole).not.toBe(ids.role);
    expect(s.json.Resources[ids.rotationFn]!.DependsOn).toEqual(
      expect.arrayContaining([ids.rotationRole, expect.stringMatching(/^TokenBrokerRotationRoleDefaultPolicy/)]),
    );
  });

  it('grants the rotation function exactly: its own logs, the four rotation actions on the one secret', () => {
    expect(s.json.Resources[ids.rotationRole]!.Properties).toEqual({
      AssumeRolePolicyDocument: {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }],
        Version: '2012-10-17',
      },
      Description: expect.any(String),
    });
    expect(statementsOf(s.json, ids.rotationRole)).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [ids.rotationLogs, 'Arn'] },
      },
      { Action: ROTATION_ACTIONS, Effect: 'Allow', Resource: { Ref: ids.secret } },
    ]);
    // Two roles, two policies: nothing else in the stack has IAM.
    expect(Object.keys(resourcesOf(s.json, 'AWS::IAM::Role'))).toHaveLength(2);
    expect(Object.keys(resourcesOf(s.json, 'AWS::IAM::Policy'))).toHaveLength(2);
  });

  it('schedules the rotation every 60 days, not at once, after Secrets Manager may invoke the function', () => {
    const permissions = permissionsFor(s.json, ids.rotationFn);
    expect(Object.values(permissions).map((permission) => permission.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [ids.rotationFn, 'Arn'] },
        Principal: 'secretsmanager.amazonaws.com',
        // Secrets Manager acting for this account and this secret only (AWS's advice against the confused deputy).
        SourceAccount: { Ref: 'AWS::AccountId' },
        SourceArn: { Ref: ids.secret },
      },
    ]);
    expect(resourcesOf(s.json, 'AWS::SecretsManager::RotationSchedule')).toEqual({
      [s.logicalId(s.stack.broker.rotation!.schedule)]: {
        Type: 'AWS::SecretsManager::RotationSchedule',
        Properties: {
          SecretId: { Ref: ids.secret },
          RotationLambdaARN: { 'Fn::GetAtt': [ids.rotationFn, 'Arn'] },
          RotationRules: { ScheduleExpression: 'rate(60 days)' },
          // The new secret holds {} until `npm run register-client`: a rotation now could only fail.
          RotateImmediatelyOnUpdate: false,
        },
        DependsOn: Object.keys(permissions),
      },
    });
  });

  it('denies DeleteSecret on the new secret to the whole account while the stack exists (added by the rotation schedule)', () => {
    expect(Object.values(resourcesOf(s.json, 'AWS::SecretsManager::ResourcePolicy'))).toEqual([
      {
        Type: 'AWS::SecretsManager::ResourcePolicy',
        Properties: {
          SecretId: { Ref: ids.secret },
          ResourcePolicy: {
            Version: '2012-10-17',
            Statement: [
              {
                Action: 'secretsmanager:DeleteSecret',
                Effect: 'Deny',
                Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } },
                Resource: '*',
              },
            ],
          },
        },
      },
    ]);
  });

  it('throttles the $default stage and writes JSON access logs to a log group with retention', () => {
    const { resource: stage } = onlyResource(s.json, 'AWS::ApiGatewayV2::Stage');
    expect(stage.Properties).toEqual({
      ApiId: { Ref: ids.api },
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [ids.accessLogs, 'Arn'] },
        Format: JSON.stringify(ACCESS_LOG_FIELDS),
      },
    });
    const format = JSON.parse(stage.Properties.AccessLogSettings.Format) as Record<string, string>;
    expect(format.requestId).toBe('$context.requestId');
    expect(format.status).toBe('$context.status');
    // Nothing that can hold a code, token or secret: no headers, query strings or bodies.
    expect(Object.values(format).join(' ')).not.toMatch(/header|querystring|body|authorizer/i);
  });

  it('keeps the three log groups for one month by default', () => {
    const kept = { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
    expect(resourcesOf(s.json, 'AWS::Logs::LogGroup')).toEqual({
      [ids.functionLogs]: kept,
      [ids.accessLogs]: kept,
      [ids.rotationLogs]: kept,
    });
  });

  it('alarms on function errors, throttles, API 5xx, upstream server errors, registration expiry and rotation errors', () => {
    const alarms = Object.values(resourcesOf(s.json, 'AWS::CloudWatch::Alarm')).map((alarm) => {
      const { AlarmDescription, ...rest } = alarm.Properties as Record<string, unknown>;
      expect(AlarmDescription).toEqual(expect.stringMatching(/.{40,}/));
      return rest;
    });
    const fnDimension = [{ Name: 'FunctionName', Value: { Ref: ids.fn } }];
    const rotationDimension = [{ Name: 'FunctionName', Value: { Ref: ids.rotationFn } }];
    const serviceDimension = [{ Name: 'service', Value: 'token-broker' }];
    const sumAtLeast = (threshold: number) => ({
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: threshold,
      TreatMissingData: 'notBreaching',
    });
    expect(alarms).toEqual(
      expect.arrayContaining([
        { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: fnDimension, ...sumAtLeast(1) },
        { Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: fnDimension, ...sumAtLeast(1) },
        {
          Namespace: 'AWS/ApiGateway',
          MetricName: '5xx',
          Dimensions: [
            { Name: 'ApiId', Value: { Ref: ids.api } },
            { Name: 'Stage', Value: '$default' },
          ],
          ...sumAtLeast(5),
        },
        { Namespace: 'TokenBroker', MetricName: 'UpstreamServerErrors', Dimensions: serviceDimension, ...sumAtLeast(3) },
        {
          Namespace: 'TokenBroker',
          MetricName: 'ClientSecretDaysToExpiry',
          Dimensions: serviceDimension,
          Statistic: 'Minimum',
          Period: 3600,
          EvaluationPeriods: 1,
          ComparisonOperator: 'LessThanOrEqualToThreshold',
          Threshold: 14,
          TreatMissingData: 'ignore',
        },
        { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: rotationDimension, ...sumAtLeast(1) },
      ]),
    );
    expect(alarms).toHaveLength(6);
    expect(s.stack.broker.alarms.rotationErrors).toBeDefined();
  });

  it('outputs the API URL, the secret ARN, the rotation log group and the dashboard URL', () => {
    expect(s.json.Outputs).toEqual({
      ApiUrl: {
        Description: expect.any(String),
        Value: {
          'Fn::Join': ['', ['https://', { Ref: ids.api }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/']],
        },
      },
      SecretArn: { Description: expect.stringContaining('register-client'), Value: { Ref: ids.secret } },
      RotationLogGroup: { Description: expect.any(String), Value: { Ref: ids.rotationLogs } },
      DashboardUrl: {
        Description: expect.any(String),
        Value: {
          'Fn::Join': [
            '',
            [
              'https://console.aws.amazon.com/cloudwatch/home?region=',
              { Ref: 'AWS::Region' },
              '#dashboards/dashboard/',
              { Ref: s.logicalId(s.stack.broker.dashboard!.dashboard) },
            ],
          ],
        },
      },
    });
  });

  it('needs no account, region or lookups at synthesis (env-agnostic)', () => {
    expect(s.stack.account).toEqual(expect.stringContaining('${Token['));
    expect(s.stack.region).toEqual(expect.stringContaining('${Token['));
    expect(s.assembly.getStackByName(s.stack.stackName).environment).toMatchObject({
      account: 'unknown-account',
      region: 'unknown-region',
    });
  });
});
