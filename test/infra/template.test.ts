// Pins the synthesized CloudFormation template: the function (runtime, architecture, environment),
// the exact IAM statements, routes, CORS (left to the function), throttling, access logging, log
// retention, alarms and outputs, and the rotation of the registration (its function, role, schedule,
// invoke permission and alarm), for the default configuration, a fully configured one, a secret
// imported by name, and rotation turned off or rescheduled.

import { jest } from '@jest/globals';
import { DEFAULTS, ENV, GRANT_TYPES, REQUEST_DEADLINE_MS, worstCaseMs } from '../../lambda/core/config.js';
import { ROUTES, routeKeysFor } from '../../lambda/edge/routes.js';
import { ACCESS_LOG_FIELDS } from '../../infra/token-broker.js';
import { onlyResource, resourcesOf, synthesize, type Synthesis, type TemplateJson } from './synth.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-central-1:111122223333:secret:token-broker/registration-AbC123';
const KMS_KEY_ARN = 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const CERTIFICATE_ARN = 'arn:aws:acm:eu-central-1:111122223333:certificate/abcd1234-12ab-34cd-56ef-1234567890ab';

const FULL_CONTEXT = {
  allowedOrigins: 'https://app.example.com, https://admin.example.com',
  redirectUris: 'https://app.example.com/callback',
  grantTypes: 'authorization_code,refresh_token,device_code',
  oidcRegion: 'eu-west-1',
  secretArn: SECRET_ARN,
  kmsKeyArn: KMS_KEY_ARN,
  throttleRateLimit: '10',
  throttleBurstLimit: 20,
  logRetentionDays: '90',
  domainName: 'auth.example.com',
  certificateArn: CERTIFICATE_ARN,
};

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

/** The broker function's properties. */
function functionOf(s: Synthesis): Record<string, any> {
  return s.json.Resources[s.logicalId(s.stack.broker.function)]!.Properties!;
}

/** The statements of the one policy attached to a role (fails when there are none or several). */
function statementsOf(json: TemplateJson, roleId: string): Record<string, any>[] {
  const policies = Object.values(resourcesOf(json, 'AWS::IAM::Policy')).filter(
    (policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
  );
  expect(policies).toHaveLength(1);
  return policies[0]!.Properties.PolicyDocument.Statement;
}

/** The permissions that let someone invoke a function, by logical id. */
function permissionsFor(json: TemplateJson, functionId: string): Record<string, Record<string, any>> {
  return Object.fromEntries(
    Object.entries(resourcesOf(json, 'AWS::Lambda::Permission')).filter(
      ([, permission]) => JSON.stringify(permission.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [functionId, 'Arn'] }),
    ),
  );
}

const ROTATION_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

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

describe('full configuration (every context value)', () => {
  let s: Synthesis;
  let ids: { functionLogs: string; accessLogs: string; api: string; stage: string; role: string; rotationFn: string; rotationRole: string; rotationLogs: string };

  beforeAll(() => {
    s = synthesize(FULL_CONTEXT);
    ids = {
      functionLogs: s.logicalId(s.stack.broker.functionLogGroup),
      accessLogs: s.logicalId(s.stack.broker.accessLogGroup),
      api: s.logicalId(s.stack.broker.api),
      stage: s.logicalId(s.stack.broker.stage),
      role: s.logicalId(s.stack.broker.function.role!),
      rotationFn: s.logicalId(s.stack.broker.rotation!.function),
      rotationRole: s.logicalId(s.stack.broker.rotation!.function.role!),
      rotationLogs: s.logicalId(s.stack.broker.rotation!.logGroup),
    };
  });
  afterAll(() => s.dispose());

  it('sets every variable from the context', () => {
    expect(functionOf(s).Environment.Variables).toEqual({
      [ENV.secretId]: SECRET_ARN,
      [ENV.oidcRegion]: 'eu-west-1',
      [ENV.allowedOrigins]: 'https://app.example.com,https://admin.example.com',
      [ENV.redirectUris]: 'https://app.example.com/callback',
      [ENV.grantTypes]: `authorization_code,refresh_token,${GRANT_TYPES.deviceCode}`,
      [ENV.upstreamTimeoutMs]: '8000',
      [ENV.secretTimeoutMs]: '2000',
      [ENV.secretMaxAgeSeconds]: '300',
      [ENV.expiryWarningDays]: '14',
    });
  });

  it('imports the secret (creates none) and may decrypt its key only through Secrets Manager', () => {
    expect(resourcesOf(s.json, 'AWS::SecretsManager::Secret')).toEqual({});
    expect(resourcesOf(s.json, 'AWS::KMS::Key')).toEqual({});
    expect(statementsOf(s.json, ids.role)).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [ids.functionLogs, 'Arn'] },
      },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: SECRET_ARN },
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: KMS_KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com' } },
      },
    ]);
    expect(s.json.Outputs!.SecretArn!.Value).toBe(SECRET_ARN);
  });

  it('rotates the imported secret: exact statements, the key for reading and writing only through Secrets Manager', () => {
    expect(statementsOf(s.json, ids.rotationRole)).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [ids.rotationLogs, 'Arn'] },
      },
      { Action: ROTATION_ACTIONS, Effect: 'Allow', Resource: SECRET_ARN },
      {
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Effect: 'Allow',
        Resource: KMS_KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-central-1.amazonaws.com' } },
      },
    ]);
    expect(s.json.Resources[ids.rotationFn]!.Properties!.Environment.Variables).toEqual({
      [ENV.oidcRegion]: 'eu-west-1',
    });
    expect(onlyResource(s.json, 'AWS::SecretsManager::RotationSchedule').resource.Properties).toEqual({
      SecretId: SECRET_ARN,
      RotationLambdaARN: { 'Fn::GetAtt': [ids.rotationFn, 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(60 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    // Invoked only by Secrets Manager acting for the secret's account.
    expect(Object.values(permissionsFor(s.json, ids.rotationFn)).map((permission) => permission.Properties)).toEqual([
      expect.objectContaining({ Principal: 'secretsmanager.amazonaws.com', SourceAccount: '111122223333', SourceArn: SECRET_ARN }),
    ]);
    // An imported secret's resource policy is not the stack's to change.
    expect(resourcesOf(s.json, 'AWS::SecretsManager::ResourcePolicy')).toEqual({});
  });

  it('adds the device route only now that the device grant is enabled', () => {
    const keys = Object.values(resourcesOf(s.json, 'AWS::ApiGatewayV2::Route')).map((route) => route.Properties.RouteKey);
    expect(keys.sort()).toEqual(routeKeysFor(Object.values(GRANT_TYPES)).sort());
    expect(keys).toContain(ROUTES.deviceAuthorization);
    expect(Object.keys(resourcesOf(s.json, 'AWS::ApiGatewayV2::Integration'))).toHaveLength(1);
  });

  it('throttles and retains logs as configured', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
    });
    for (const id of [ids.functionLogs, ids.accessLogs, ids.rotationLogs]) {
      expect(s.json.Resources[id]!.Properties).toEqual({ RetentionInDays: 90 });
    }
  });

  it('maps the custom domain to the $default stage and outputs where to point DNS', () => {
    const { id: domain, resource } = onlyResource(s.json, 'AWS::ApiGatewayV2::DomainName');
    expect(resource.Properties).toEqual({
      DomainName: 'auth.example.com',
      DomainNameConfigurations: [{ CertificateArn: CERTIFICATE_ARN, EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
    });
    expect(onlyResource(s.json, 'AWS::ApiGatewayV2::ApiMapping').resource).toEqual({
      Type: 'AWS::ApiGatewayV2::ApiMapping',
      Properties: { ApiId: { Ref: ids.api }, DomainName: { Ref: domain }, Stage: '$default' },
      // The stage is named, not referenced: the mapping must wait for it.
      DependsOn: [ids.stage],
    });
    expect(s.json.Outputs).toMatchObject({
      CustomDomainUrl: { Value: 'https://auth.example.com/' },
      CustomDomainTarget: { Value: { 'Fn::GetAtt': [domain, 'RegionalDomainName'] } },
    });
  });
});

describe('a secret imported by name', () => {
  let s: Synthesis;
  beforeAll(() => {
    s = synthesize({ secretName: 'token-broker/registration' });
  });
  afterAll(() => s.dispose());

  const arnParts = [
    'arn:',
    { Ref: 'AWS::Partition' },
    ':secretsmanager:',
    { Ref: 'AWS::Region' },
    ':',
    { Ref: 'AWS::AccountId' },
  ];

  it('passes the partial ARN and grants the name plus exactly six suffix characters, never *', () => {
    expect(functionOf(s).Environment.Variables[ENV.secretId]).toEqual({
      'Fn::Join': ['', [...arnParts, ':secret:token-broker/registration']],
    });
    const statements = statementsOf(s.json, s.logicalId(s.stack.broker.function.role!));
    expect(statements[1]).toEqual({
      Action: 'secretsmanager:GetSecretValue',
      Effect: 'Allow',
      Resource: {
        'Fn::Join': ['', [...arnParts, ':secret:token-broker/registration-??????']],
      },
    });
    expect(statements).toHaveLength(2);
    expect(resourcesOf(s.json, 'AWS::SecretsManager::Secret')).toEqual({});
  });

  it('rotates it with the same six-character suffix, and schedules the rotation on the partial ARN', () => {
    const rotationStatements = statementsOf(s.json, s.logicalId(s.stack.broker.rotation!.function.role!));
    expect(rotationStatements[1]).toEqual({
      Action: ROTATION_ACTIONS,
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', [...arnParts, ':secret:token-broker/registration-??????']] },
    });
    expect(rotationStatements).toHaveLength(2);
    expect(onlyResource(s.json, 'AWS::SecretsManager::RotationSchedule').resource.Properties.SecretId).toEqual({
      'Fn::Join': ['', [...arnParts, ':secret:token-broker/registration']],
    });
  });
});

describe('rotation turned off (rotationDays=0)', () => {
  let s: Synthesis;
  beforeAll(() => {
    s = synthesize({ rotationDays: '0' });
  });
  afterAll(() => s.dispose());

  it('has no rotation function, schedule, invoke permission for Secrets Manager, resource policy or alarm', () => {
    expect(s.stack.broker.rotation).toBeUndefined();
    expect(Object.keys(resourcesOf(s.json, 'AWS::Lambda::Function'))).toEqual([s.logicalId(s.stack.broker.function)]);
    expect(resourcesOf(s.json, 'AWS::SecretsManager::RotationSchedule')).toEqual({});
    expect(resourcesOf(s.json, 'AWS::SecretsManager::ResourcePolicy')).toEqual({});
    const principals = Object.values(resourcesOf(s.json, 'AWS::Lambda::Permission')).map((permission) => permission.Properties.Principal);
    expect(new Set(principals)).toEqual(new Set(['apigateway.amazonaws.com']));
    expect(Object.keys(resourcesOf(s.json, 'AWS::IAM::Role'))).toHaveLength(1);
    expect(Object.keys(resourcesOf(s.json, 'AWS::Logs::LogGroup'))).toHaveLength(2);
    expect(Object.keys(resourcesOf(s.json, 'AWS::CloudWatch::Alarm'))).toHaveLength(5);
    expect(s.stack.broker.alarms.rotationErrors).toBeUndefined();
    expect(Object.keys(s.json.Outputs!).sort()).toEqual(['ApiUrl', 'DashboardUrl', 'SecretArn']);
    // The secret is still created the same way.
    expect(onlyResource(s.json, 'AWS::SecretsManager::Secret').resource.Properties.SecretString).toBe('{}');
  });
});

describe('rotation rescheduled (rotationDays=30)', () => {
  it('rotates every 30 days', () => {
    const s = synthesize({ rotationDays: 30 });
    try {
      expect(onlyResource(s.json, 'AWS::SecretsManager::RotationSchedule').resource.Properties.RotationRules).toEqual({
        ScheduleExpression: 'rate(30 days)',
      });
    } finally {
      s.dispose();
    }
  });
});

describe('unknown context keys', () => {
  it('are reported as warnings (a typo would otherwise be silently ignored)', () => {
    // The CDK prints the warning while synthesizing; it is asserted below instead.
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const s = synthesize({ allowedOrigin: 'https://app.example.com' });
    printed.mockRestore();
    try {
      const warnings = s.assembly
        .getStackByName(s.stack.stackName)
        .messages.filter((message) => message.level === 'warning')
        .map((message) => String(message.entry.data));
      // The other warning: "allowedOrigin" is not allowedOrigins, so no origin is allowed.
      expect(warnings).toHaveLength(2);
      expect(warnings).toEqual(
        expect.arrayContaining([expect.stringContaining('"allowedOrigin" is not used'), expect.stringMatching(/^allowedOrigins is empty/)]),
      );
    } finally {
      s.dispose();
    }
  });
});
