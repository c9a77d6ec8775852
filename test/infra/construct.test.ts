// TokenBroker dropped into a user's own stack through props (not context): a stack with an account
// and region, a new customer-managed key, alarm actions, rotation settings, and the checks that
// refuse configurations the functions could not run with.

import { App, CfnParameter, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULTS, ENV } from '../../lambda/core/config.js';
import { routeKeysFor } from '../../lambda/edge/routes.js';
import { TokenBroker, type TokenBrokerProps } from '../../infra/token-broker.js';
import { CDK_JSON_CONTEXT } from './synth.js';

function userStack(): { app: App; stack: Stack } {
  const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'UserStack', { env: { account: '111122223333', region: 'eu-west-1' } });
  return { app, stack };
}

function brokerIn(props: TokenBrokerProps | ((stack: Stack) => TokenBrokerProps)) {
  const { app, stack } = userStack();
  const broker = new TokenBroker(stack, 'Broker', typeof props === 'function' ? props(stack) : props);
  return { app, stack, broker, template: () => Template.fromStack(stack) };
}

it('defaults the Identity Center region to the stack region when the stack has one', () => {
  const { broker, template } = brokerIn({});
  expect(broker.routeKeys).toEqual(routeKeysFor(DEFAULTS.grantTypes));
  template().hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: { [ENV.oidcRegion]: 'eu-west-1' } },
  });
});

it('encrypts a new secret with a given key and may decrypt it only through Secrets Manager in the stack region', () => {
  const { stack } = userStack();
  const key = new Key(stack, 'Key', { enableKeyRotation: true });
  new TokenBroker(stack, 'Broker', { encryptionKey: key });
  const template = Template.fromStack(stack);
  const keyArn = stack.resolve(key.keyArn) as unknown;
  template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: keyArn, SecretString: '{}' });
  // The rotation function may also write a version: GenerateDataKey, through Secrets Manager only.
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: [
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] },
        { Action: Match.arrayWith(['secretsmanager:PutSecretValue']) },
        {
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Effect: 'Allow',
          Resource: keyArn,
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
        },
      ],
    },
  });
  // Nothing reaches the key policy (the rotation schedule's own grant is dropped), and no role may encrypt.
  const keyPolicy = JSON.stringify(template.findResources('AWS::KMS::Key'));
  expect(keyPolicy).not.toMatch(/BrokerRotationRole|BrokerFunctionRole/);
  expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toMatch(/kms:Encrypt|kms:ReEncrypt|GenerateDataKey\*/);
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: [
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] },
        { Action: 'secretsmanager:GetSecretValue' },
        {
          Action: 'kms:Decrypt',
          Effect: 'Allow',
          Resource: keyArn,
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
        },
      ],
    },
  });
});

it('passes AwsSolutions in a user stack with a new key and an alarm topic', () => {
  const { app, stack } = brokerIn((scope) => ({
    encryptionKey: new Key(scope, 'Key', { enableKeyRotation: true }),
    alarmActions: [new SnsAction(new Topic(scope, 'Alarms', { enforceSSL: true, masterKey: new Key(scope, 'TopicKey', { enableKeyRotation: true }) }))],
  }));
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).not.toThrow();
  const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
  expect(Object.keys(alarms)).toHaveLength(6);
  for (const alarm of Object.values(alarms)) {
    expect(alarm.Properties.AlarmActions).toHaveLength(1);
    expect(alarm.Properties.OKActions).toEqual(alarm.Properties.AlarmActions);
  }
});

it('takes memory, timeouts and the expiry warning from props, and the alarm follows the warning', () => {
  const { template } = brokerIn({
    memorySize: 1024,
    upstreamTimeout: Duration.seconds(5),
    secretTimeout: Duration.seconds(2),
    secretMaxAge: Duration.minutes(1),
    expiryWarningDays: 21,
  });
  template().hasResourceProperties('AWS::Lambda::Function', {
    MemorySize: 1024,
    Timeout: 25,
    Environment: {
      Variables: {
        [ENV.upstreamTimeoutMs]: '5000',
        [ENV.secretTimeoutMs]: '2000',
        [ENV.secretMaxAgeSeconds]: '60',
        [ENV.expiryWarningDays]: '21',
      },
    },
  });
  template().hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ClientSecretDaysToExpiry', Threshold: 21 });
});

it('rotates every 60 days by default, or on the schedule given, in the stack region', () => {
  const { broker, template } = brokerIn({});
  expect(broker.rotation?.interval.toDays()).toBe(60);
  template().hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
    RotationRules: { ScheduleExpression: 'rate(60 days)' },
    RotateImmediatelyOnUpdate: false,
  });
  template().hasResourceProperties('AWS::Lambda::Function', {
    MemorySize: 256,
    Environment: { Variables: { [ENV.oidcRegion]: 'eu-west-1', NODE_OPTIONS: Match.absent() } },
  });
  template().hasResourceProperties('AWS::Lambda::Permission', { Principal: 'secretsmanager.amazonaws.com', SourceAccount: '111122223333' });

  const weekly = brokerIn({ rotationSchedule: Duration.days(7) });
  weekly.template().hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(7 days)' } });
});

it('rotates an imported secret too, and leaves it out with rotation: false', () => {
  const imported = brokerIn((scope) => ({
    secret: Secret.fromSecretNameV2(scope, 'Imported', 'broker/registration'),
  }));
  imported.template().resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);

  const off = brokerIn({ rotation: false });
  expect(off.broker.rotation).toBeUndefined();
  expect(off.broker.alarms.rotationErrors).toBeUndefined();
  off.template().resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  off.template().resourceCountIs('AWS::Lambda::Function', 1);
});

it('lets only Secrets Manager acting for this one secret invoke the rotation function (SourceAccount and SourceArn)', () => {
  const created = brokerIn({});
  created.template().hasResourceProperties('AWS::Lambda::Permission', {
    Principal: 'secretsmanager.amazonaws.com',
    SourceAccount: '111122223333',
    SourceArn: created.stack.resolve(created.broker.secret.secretArn),
  });
  const complete = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:broker/registration-AbC123';
  brokerIn((scope) => ({ secret: Secret.fromSecretCompleteArn(scope, 'Complete', complete) }))
    .template()
    .hasResourceProperties('AWS::Lambda::Permission', { SourceArn: complete });
  // Known by name only: the six-character suffix Secrets Manager adds, matched with ArnLike.
  const byName = brokerIn((scope) => ({ secret: Secret.fromSecretNameV2(scope, 'ByName', 'broker/registration') }));
  const sourceArn = JSON.stringify(Object.values(byName.template().findResources('AWS::Lambda::Permission'))[0]!.Properties.SourceArn);
  expect(sourceArn).toContain(':secret:broker/registration-??????');
});

it('narrows both rotations alike: each invoke permission names its own secret (SourceArn) and account (SourceAccount)', () => {
  const { stack, broker, template } = brokerIn((scope) => ({
    customDomain: {
      domainName: 'auth.example.com',
      certificate: Certificate.fromCertificateArn(scope, 'Cert', 'arn:aws:acm:eu-west-1:111122223333:certificate/abcd1234'),
    },
    redirectUris: ['https://app.example.com/'],
    cookieSessions: { origins: ['https://app.example.com'] },
  }));
  const permissions = Object.values(template().findResources('AWS::Lambda::Permission', { Properties: { Principal: 'secretsmanager.amazonaws.com' } }));
  const byFunction = (fn: { functionArn: string }) =>
    permissions.filter((p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(stack.resolve(fn.functionArn)));
  const rotations = [
    [broker.rotation!.function, broker.secret],
    [broker.cookieKeys!.rotationFunction, broker.cookieKeys!.secret],
  ] as const;
  for (const [fn, secret] of rotations) {
    const mine = byFunction(fn);
    expect(mine).toHaveLength(1);
    // Through JSON: stack.resolve() builds its objects with another prototype than the template's.
    expect(mine[0]!.Properties).toMatchObject({ SourceAccount: '111122223333', SourceArn: JSON.parse(JSON.stringify(stack.resolve(secret.secretArn))) });
  }
  expect(permissions).toHaveLength(2);
});

it('sets reserved concurrency only when asked, and refuses a value that is not a whole number of at least 1', () => {
  const capped = brokerIn({ reservedConcurrency: 20 });
  capped.template().hasResourceProperties('AWS::Lambda::Function', { Description: 'SSO OIDC token broker', ReservedConcurrentExecutions: 20 });
  const unset = brokerIn({});
  unset.template().hasResourceProperties('AWS::Lambda::Function', {
    Description: 'SSO OIDC token broker',
    ReservedConcurrentExecutions: Match.absent(),
  });
  for (const value of [0, -1, 2.5, Number.NaN]) {
    expect(() => brokerIn({ reservedConcurrency: value })).toThrow(/reservedConcurrency must be a whole number of at least 1/);
  }
});

it('passes a deploy-time reservedConcurrency (a token) through to the template, unchecked at synthesis', () => {
  const { template } = brokerIn((scope) => ({
    reservedConcurrency: new CfnParameter(scope, 'ReservedConcurrency', { type: 'Number', minValue: 1 }).valueAsNumber,
  }));
  template().hasResourceProperties('AWS::Lambda::Function', {
    Description: 'SSO OIDC token broker',
    ReservedConcurrentExecutions: { Ref: 'ReservedConcurrency' },
  });
});

it('refuses a rotation schedule that is not whole days, or that reaches the expiry warning first', () => {
  expect(() => brokerIn({ rotation: false, rotationSchedule: Duration.days(30) })).toThrow(/rotationSchedule is given but rotation is false/);
  expect(() => brokerIn({ rotationSchedule: Duration.days(76) })).toThrow(
    /rotationSchedule must be a whole number of days from 1 to 75 \(registrations last about 90 days.*got 76 days/,
  );
  expect(() => brokerIn({ rotationSchedule: Duration.hours(36) })).toThrow(/whole number of days from 1 to 75/);
  expect(() => brokerIn({ rotationSchedule: Duration.hours(12) })).toThrow(/whole number of days from 1 to 75/);
  // A longer warning shortens the longest schedule: 90 - 21 - 1 = 68 days.
  expect(() => brokerIn({ expiryWarningDays: 21, rotationSchedule: Duration.days(69) })).toThrow(/from 1 to 68/);
  expect(() => brokerIn({ expiryWarningDays: 21, rotationSchedule: Duration.days(68) })).not.toThrow();
  // The default 60 days too: a warning of 30 days leaves at most 59.
  expect(() => brokerIn({ expiryWarningDays: 30 })).toThrow(/rotationSchedule must be a whole number of days from 1 to 59 .*got 60 days/);
  expect(() => brokerIn({ expiryWarningDays: 30, rotation: false })).not.toThrow();
});

it('refuses timeouts whose worst case (4 secret reads, 2 SSO OIDC calls) does not fit the request deadline', () => {
  // Accepted before the request deadline existed: 2 × 2.5 s + 2 × 10 s fit in 25 s, but a request
  // naming a made-up client id read the secret four times and ended in Lambda's timeout (a 500).
  expect(() => brokerIn({ upstreamTimeout: Duration.millis(2500), secretTimeout: Duration.seconds(10) })).toThrow(
    /upstreamTimeout and secretTimeout: the worst case of one request.*\(4 × 10000 \+ 2 × 2500 = 45000 ms\), must fit in its deadline of 24000 ms/,
  );
  expect(() => brokerIn({ upstreamTimeout: Duration.seconds(10), secretTimeout: Duration.seconds(1) })).not.toThrow();
});

it('refuses a secret from another region than the stack', () => {
  expect(() =>
    brokerIn((scope) => ({
      secret: Secret.fromSecretCompleteArn(scope, 'Elsewhere', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:broker-AbC123'),
    })),
  ).toThrow(/the secret is in us-east-1 but the function in eu-west-1/);
});

it('refuses what the function would refuse at cold start, naming the prop', () => {
  expect(() => brokerIn({ redirectUris: ['not a uri'] })).toThrow(/redirectUris: "not a uri" is not an absolute URI; a redirect URI is/);
  expect(() => brokerIn({ grantTypes: [] })).toThrow(/grantTypes must name at least one grant type/);
  expect(() => brokerIn({ oidcRegion: 'EU' })).toThrow(/oidcRegion: "EU" is not an AWS region name; give one such as eu-west-1/);
});
