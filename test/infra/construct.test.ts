// TokenBroker dropped into a user's own stack through props (not context): a stack with an account
// and region, a new customer-managed key, alarm actions, and the checks that refuse configurations
// the function could not run with.

import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULTS, ENV } from '../../lambda/config.js';
import { routeKeysFor } from '../../lambda/routes.js';
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
  expect(Object.keys(alarms)).toHaveLength(5);
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

it('refuses timeouts that two upstream calls and two secret reads would not fit in', () => {
  expect(() => brokerIn({ upstreamTimeout: Duration.seconds(10), secretTimeout: Duration.seconds(3) })).toThrow(
    /two upstream calls and two secret reads \(26000 ms\) must fit in the function timeout \(25000 ms\)/,
  );
});

it('refuses a secret from another region than the stack', () => {
  expect(() =>
    brokerIn((scope) => ({
      secret: Secret.fromSecretCompleteArn(scope, 'Elsewhere', 'arn:aws:secretsmanager:us-east-1:111122223333:secret:broker-AbC123'),
    })),
  ).toThrow(/the secret is in us-east-1 but the function in eu-west-1/);
});

it('refuses what the function would refuse at cold start, naming the variable', () => {
  expect(() => brokerIn({ redirectUris: ['not a uri'] })).toThrow(/TOKEN_BROKER_REDIRECT_URIS: "not a uri" is not an absolute URI/);
  expect(() => brokerIn({ grantTypes: [] })).toThrow(/TOKEN_BROKER_GRANT_TYPES must name at least one grant type/);
  expect(() => brokerIn({ oidcRegion: 'EU' })).toThrow(/TOKEN_BROKER_OIDC_REGION "EU" is not an AWS region name/);
});
