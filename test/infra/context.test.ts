// The CDK context the app accepts: both value forms (command-line strings, cdk.json JSON), and every
// mistake reported at once by key, before anything is synthesized.

import { App } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { GRANT_TYPES } from '../../lambda/core/config.js';
import { ContextError, readContext, unknownContextKeys } from '../../infra/context.js';
import { buildApp } from '../../infra/stack.js';

const read = (context: Record<string, unknown>) => readContext((key) => context[key]);

function problemsOf(context: Record<string, unknown>): readonly string[] {
  try {
    read(context);
  } catch (error) {
    if (error instanceof ContextError) return error.problems;
    throw error;
  }
  throw new Error('expected a ContextError');
}

describe('readContext', () => {
  it('gives nothing for no context: the construct defaults apply', () => {
    expect(read({})).toEqual({});
  });

  it('reads command-line strings', () => {
    expect(
      read({
        allowedOrigins: 'https://a.example.com, https://b.example.com',
        redirectUris: 'https://a.example.com/cb',
        grantTypes: 'authorization_code,device_code',
        oidcRegion: 'eu-west-1',
        secretName: 'token-broker/registration',
        kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        throttleRateLimit: '2.5',
        throttleBurstLimit: '5',
        logRetentionDays: '365',
        domainName: 'auth.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/abcd1234-12ab-34cd-56ef-1234567890ab',
        rotationDays: '45',
      }),
    ).toEqual({
      allowedOrigins: ['https://a.example.com', 'https://b.example.com'],
      redirectUris: ['https://a.example.com/cb'],
      grantTypes: [GRANT_TYPES.authorizationCode, GRANT_TYPES.deviceCode],
      oidcRegion: 'eu-west-1',
      secretName: 'token-broker/registration',
      kmsKeyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      throttleRateLimit: 2.5,
      throttleBurstLimit: 5,
      logRetention: RetentionDays.ONE_YEAR,
      customDomain: {
        domainName: 'auth.example.com',
        certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/abcd1234-12ab-34cd-56ef-1234567890ab',
      },
      rotationDays: 45,
    });
  });

  it('reads cdk.json JSON values (lists and numbers)', () => {
    expect(
      read({
        allowedOrigins: ['https://a.example.com'],
        grantTypes: ['refresh_token', GRANT_TYPES.deviceCode],
        throttleBurstLimit: 7,
        logRetentionDays: 14,
        secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:broker-AbC123',
        rotationDays: 0,
      }),
    ).toEqual({
      allowedOrigins: ['https://a.example.com'],
      grantTypes: [GRANT_TYPES.refreshToken, GRANT_TYPES.deviceCode],
      throttleBurstLimit: 7,
      logRetention: RetentionDays.TWO_WEEKS,
      secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:broker-AbC123',
      rotationDays: 0,
    });
  });

  it('reads rotationDays: 0 turns rotation off, 1 to 75 days schedule it, anything else is refused', () => {
    expect(read({ rotationDays: '0' })).toEqual({ rotationDays: 0 });
    expect(read({ rotationDays: ' 75 ' })).toEqual({ rotationDays: 75 });
    expect(read({ rotationDays: '' })).toEqual({});
    for (const bad of ['76', '90', '-1', '1.5', 'monthly', true]) {
      expect(problemsOf({ rotationDays: bad })).toEqual([`rotationDays must be a whole number from 0 to 75, got ${JSON.stringify(bad)}`]);
    }
  });

  it('lists every problem at once, by key', () => {
    expect(
      problemsOf({
        allowedOrigins: 42,
        grantTypes: 'authorization_code,implicit',
        oidcRegion: 'Europe',
        secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:nosuffix',
        secretName: 'also-given',
        kmsKeyArn: 'alias/my-key',
        throttleRateLimit: 'fast',
        throttleBurstLimit: '1.5',
        logRetentionDays: '10',
        domainName: 'auth.example.com',
        rotationDays: '120',
      }),
    ).toEqual([
      'allowedOrigins must be a comma-separated string or a list of strings, got 42',
      expect.stringMatching(/^grantTypes: "implicit" is not one of/),
      expect.stringMatching(/^oidcRegion: "Europe" is not an AWS region name/),
      expect.stringMatching(/^secretArn must be a complete secret ARN/),
      expect.stringMatching(/^kmsKeyArn must be a KMS key ARN/),
      expect.stringMatching(/^throttleRateLimit must be a number from 1 to 10000/),
      expect.stringMatching(/^throttleBurstLimit must be a whole number from 1 to 5000/),
      expect.stringMatching(/^logRetentionDays must be one of 1, 3, 5, 7, 14, 30/),
      expect.stringMatching(/^rotationDays must be a whole number from 0 to 75/),
      // Checks across keys come last.
      'give secretArn or secretName, not both',
      'domainName and certificateArn go together: give both or neither',
    ]);
  });

  it('refuses an empty grant list, an ARN given as a name, and a single-label domain name', () => {
    expect(problemsOf({ grantTypes: ' , ' })).toEqual(['grantTypes must name at least one grant type']);
    expect(problemsOf({ secretName: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:x-AbC123' })).toEqual([
      'secretName is an ARN: give it as secretArn',
    ]);
    expect(problemsOf({ certificateArn: 'arn:aws:acm:us-east-1:111122223333:certificate/x', domainName: 'localhost' })).toEqual([
      expect.stringMatching(/^domainName must be a lower-case DNS name/),
    ]);
  });
});

describe('unknownContextKeys', () => {
  it('names plain keys the broker does not use, and ignores CDK feature flags and settings', () => {
    expect(
      unknownContextKeys({
        allowedOrigins: 'x',
        allowedOrigin: 'x',
        '@aws-cdk/core:checkSecretUsage': true,
        'aws:cdk:bundling-stacks': [],
        'cli-telemetry': false,
      }),
    ).toEqual(['allowedOrigin']);
  });
});

describe('the app', () => {
  it('turns rotation off with rotationDays=0 and schedules it with a number of days', () => {
    const off = buildApp(new App({ context: { rotationDays: '0', 'aws:cdk:bundling-stacks': [] } })).stack;
    expect(off.broker.rotation).toBeUndefined();
    const monthly = buildApp(new App({ context: { rotationDays: 30, 'aws:cdk:bundling-stacks': [] } })).stack;
    expect(monthly.broker.rotation?.interval.toDays()).toBe(30);
    const byDefault = buildApp(new App({ context: { 'aws:cdk:bundling-stacks': [] } })).stack;
    expect(byDefault.broker.rotation?.interval.toDays()).toBe(60);
  });

  it('fails before synthesis with the list of context problems', () => {
    const app = new App({ context: { oidcRegion: 'moon-1', logRetentionDays: 'forever' } });
    expect(() => buildApp(app)).toThrow(ContextError);
    expect(() => buildApp(new App({ context: { oidcRegion: 'moon-1' } }))).toThrow(/oidcRegion: "moon-1" is not an AWS region name/);
  });

  it('refuses an origin with a path before synthesis, naming the context key and what would be accepted', () => {
    const app = new App({ context: { allowedOrigins: 'https://app.example.com/path', 'aws:cdk:bundling-stacks': [] } });
    expect(() => buildApp(app)).toThrow(
      /allowedOrigins: "https:\/\/app.example.com\/path" has a path, query or fragment; an origin is scheme:\/\/host\[:port\] with nothing after it.*\(here perhaps https:\/\/app.example.com\)/,
    );
  });
});

