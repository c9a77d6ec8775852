// Pins the synthesized CloudFormation template for a fully configured stack (every context value), a
// secret imported by name, and rotation turned off or rescheduled, and reports unknown context keys.
// The default configuration's template: template-defaults.test.ts.

import { jest } from '@jest/globals';
import { ENV, GRANT_TYPES } from '../../lambda/core/config.js';
import { ROUTES, routeKeysFor } from '../../lambda/edge/routes.js';
import { functionOf, permissionsFor, ROTATION_ACTIONS, statementsOf } from './support/template.js';
import { onlyResource, resourcesOf, synthesize, type Synthesis } from './synth.js';

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
