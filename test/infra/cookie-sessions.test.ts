// The construct in cookie-session mode: the cookie keys secret, its rotation function,
// role and schedule, the broker's least-privilege read of it, the /bff routes (the bearer proxy's
// with an API), the session origins apart from the token-API origins, page tokens none by default,
// the required custom domain (certificate ARN or hosted zone), and cdk-nag passing with a reason for
// every public route.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { ENV } from '../../lambda/core/config.js';
import { BFF_ROUTES } from '../../lambda/edge/routes.js';
import { TokenBrokerPropsError } from '../../infra/props.js';
import { TokenBroker } from '../../infra/token-broker.js';
import { onlyResource, resourcesOf, synthesize, type Synthesis } from './synth.js';

const CERTIFICATE_ARN = 'arn:aws:acm:eu-central-1:111122223333:certificate/abcd1234-12ab-34cd-56ef-1234567890ab';
const COOKIE_CONTEXT = {
  cookieSessions: 'on',
  sessionOrigins: 'https://app.example.com',
  allowedOrigins: 'https://tools.example.com',
  redirectUris: 'https://app.example.com/callback,https://tools.example.com/callback',
  apis: 'orders=https://api.example.com/v1 GET POST',
  domainName: 'auth.example.com',
  certificateArn: CERTIFICATE_ARN,
};

const ROTATION_ACTIONS = [
  'secretsmanager:DescribeSecret',
  'secretsmanager:GetSecretValue',
  'secretsmanager:PutSecretValue',
  'secretsmanager:UpdateSecretVersionStage',
];

describe('cookie sessions with a certificate ARN', () => {
  let s: Synthesis;
  let keysId: string;
  beforeAll(() => {
    s = synthesize(COOKIE_CONTEXT);
    keysId = s.logicalId(s.stack.broker.cookieKeys!.secret);
  });
  afterAll(() => s.dispose());

  it('creates the keys secret seeded with a random key, not the registration secret', () => {
    const secret = s.json.Resources[keysId]!;
    expect(secret.Type).toBe('AWS::SecretsManager::Secret');
    expect(secret.Properties!.GenerateSecretString).toEqual({
      SecretStringTemplate: '{"keyId":"initial"}',
      GenerateStringKey: 'key',
      PasswordLength: 64,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    expect(secret.DeletionPolicy).toBe('Delete');
  });

  it('rotates it every 30 days with its own function, which only Secrets Manager acting for this secret, in this account, may invoke', () => {
    const schedules = resourcesOf(s.json, 'AWS::SecretsManager::RotationSchedule');
    const mine = Object.values(schedules).filter((r) => JSON.stringify(r.Properties.SecretId).includes(keysId));
    expect(mine).toHaveLength(1);
    const fnId = s.logicalId(s.stack.broker.cookieKeys!.rotationFunction);
    expect(mine[0]!.Properties).toMatchObject({
      RotationLambdaARN: { 'Fn::GetAtt': [fnId, 'Arn'] },
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
    const fn = s.json.Resources[fnId]!.Properties!;
    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 60, MemorySize: 256 });
    const permissions = Object.values(resourcesOf(s.json, 'AWS::Lambda::Permission')).filter(
      (p) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [fnId, 'Arn'] }),
    );
    expect(permissions).toHaveLength(1);
    expect(permissions[0]!.Properties).toMatchObject({
      Principal: 'secretsmanager.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
      SourceArn: { Ref: keysId },
    });
  });

  it('sets --enable-source-maps on none of the three functions: a logged stack is mapped afterwards (npm run map-stack)', () => {
    const functions = Object.values(resourcesOf(s.json, 'AWS::Lambda::Function')).filter((r) => r.Properties?.Runtime === 'nodejs24.x');
    expect(functions).toHaveLength(3);
    for (const fn of functions) expect(fn.Properties.Environment?.Variables ?? {}).not.toHaveProperty('NODE_OPTIONS');
  });

  it('alarms on the cookie key rotation function\'s errors, and shows them on the dashboard beside the registration\'s', () => {
    const fnId = s.logicalId(s.stack.broker.cookieKeys!.rotationFunction);
    const alarm = s.json.Resources[s.logicalId(s.stack.broker.alarms.cookieKeyRotationErrors!)]!.Properties!;
    expect(alarm).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    const dashboard = JSON.stringify(Object.values(resourcesOf(s.json, 'AWS::CloudWatch::Dashboard'))[0]!.Properties.DashboardBody);
    expect(dashboard).toContain('cookie key rotation errors');
    expect(dashboard).toContain('registration rotation errors');
    expect(dashboard).toContain(fnId);
  });

  it('gives the rotation role logs on its own group and the four rotation actions on the keys secret only', () => {
    const fnId = s.logicalId(s.stack.broker.cookieKeys!.rotationFunction);
    const roleRef = s.json.Resources[fnId]!.Properties!.Role;
    const roleId = roleRef['Fn::GetAtt'][0] as string;
    const policies = Object.values(resourcesOf(s.json, 'AWS::IAM::Policy')).filter(
      (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0]!.Properties.PolicyDocument.Statement).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [s.logicalId(s.stack.broker.cookieKeys!.rotationLogGroup), 'Arn'] },
      },
      { Action: ROTATION_ACTIONS, Effect: 'Allow', Resource: { Ref: keysId } },
    ]);
    // No GetRandomPassword anywhere (RotationSchedule would add it on `*`).
    expect(JSON.stringify(s.json)).not.toContain('GetRandomPassword');
  });

  it('lets the broker function read the keys secret (GetSecretValue only) and tells it where they are', () => {
    const fn = s.json.Resources[s.logicalId(s.stack.broker.function)]!.Properties!;
    expect(fn.Environment.Variables).toMatchObject({
      // Sign-in goes through the front door, on the custom domain.
      [ENV.issuer]: 'https://auth.example.com',
      [ENV.cookieSessions]: 'on',
      [ENV.cookieKeysSecretId]: { Ref: keysId },
      [ENV.sessionMaxAgeSeconds]: '28800',
      // Two doors: the SPA's origin for sessions, another for the token routes; no token in page script.
      [ENV.sessionOrigins]: 'https://app.example.com',
      [ENV.allowedOrigins]: 'https://tools.example.com',
      [ENV.pageTokens]: 'none',
      [ENV.apis]: 'orders=https://api.example.com/v1 GET POST',
    });
    const roleId = fn.Role['Fn::GetAtt'][0] as string;
    const statements = Object.values(resourcesOf(s.json, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    // CDK merges it with the registration's read: one statement, GetSecretValue on the two secrets.
    const onKeys = statements.filter((st) => JSON.stringify(st.Resource).includes(keysId));
    expect(onKeys).toHaveLength(1);
    expect(onKeys[0]!.Action).toBe('secretsmanager:GetSecretValue');
    expect(onKeys[0]!.Resource).toContainEqual({ Ref: keysId });
  });

  it('routes the /bff routes to the function, the bearer proxy as ANY /bff/api/{name}/{proxy+}, on the custom domain', () => {
    const routes = Object.values(resourcesOf(s.json, 'AWS::ApiGatewayV2::Route')).map((r) => r.Properties.RouteKey);
    const sessionRoutes = BFF_ROUTES.filter((route) => !route.includes('/bff/portal/'));
    expect(routes).toEqual(expect.arrayContaining([...sessionRoutes, 'GET /oauth2/authorize', 'GET /oauth2/callback', 'POST /oauth2/token']));
    expect(routes).toContain('ANY /bff/api/{name}/{proxy+}');
    expect(onlyResource(s.json, 'AWS::ApiGatewayV2::DomainName').resource.Properties.DomainName).toBe('auth.example.com');
    expect(s.json.Outputs?.CookieKeysSecretArn).toBeDefined();
  });

  it('passes cdk-nag: SMG4 by the rotation, APIG4 acknowledged for each /bff route with its own reason', () => {
    const report = JSON.parse(readFileSync(join(s.outdir, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    expect(report.pluginReports).toEqual([]);
  });
});

describe('cookie sessions with a hosted zone', () => {
  it('makes a DNS-validated certificate and A/AAAA aliases in the zone', () => {
    const s = synthesize({
      cookieSessions: 'on',
      sessionOrigins: 'https://app.example.com',
      redirectUris: 'https://app.example.com/',
      domainName: 'auth.example.com',
      hostedZoneId: 'Z0123456789ABCDEFGHIJ',
      hostedZoneName: 'example.com',
      sessionMaxAgeSeconds: String(45 * 86400),
    });
    try {
      const { resource } = onlyResource(s.json, 'AWS::CertificateManager::Certificate');
      expect(resource.Properties).toMatchObject({ DomainName: 'auth.example.com', ValidationMethod: 'DNS', DomainValidationOptions: [{ DomainName: 'auth.example.com', HostedZoneId: 'Z0123456789ABCDEFGHIJ' }] });
      const records = Object.values(resourcesOf(s.json, 'AWS::Route53::RecordSet')).map((r) => [r.Properties.Type, r.Properties.Name, r.Properties.HostedZoneId]);
      expect(records.sort()).toEqual([
        ['A', 'auth.example.com.', 'Z0123456789ABCDEFGHIJ'],
        ['AAAA', 'auth.example.com.', 'Z0123456789ABCDEFGHIJ'],
      ]);
      // A 45-day session: keys rotate every 45 days, so a cookie outlives its session.
      const fn = s.json.Resources[s.logicalId(s.stack.broker.function)]!.Properties!;
      expect(fn.Environment.Variables[ENV.sessionMaxAgeSeconds]).toBe(String(45 * 86400));
      const schedule = Object.values(resourcesOf(s.json, 'AWS::SecretsManager::RotationSchedule')).find((r) =>
        JSON.stringify(r.Properties.SecretId).includes(s.logicalId(s.stack.broker.cookieKeys!.secret)),
      );
      expect(schedule!.Properties.RotationRules.ScheduleExpression).toBe('rate(45 days)');
    } finally {
      s.dispose();
    }
  });
});

describe('cookie sessions refuse to synthesize without a custom domain', () => {
  it('from the context, naming what to give', () => {
    expect(() => synthesize({ cookieSessions: 'on', allowedOrigins: 'https://app.example.com' })).toThrow(
      /cookieSessions=on needs a custom domain on the SPA's site \(domainName with certificateArn, or with hostedZoneId and hostedZoneName\)/,
    );
  });

  it('from the construct, saying why', () => {
    const stack = new Stack(new App(), 'NoDomain');
    expect(() => new TokenBroker(stack, 'Broker', { cookieSessions: { origins: ['https://app.example.com'] } })).toThrow(/cookie sessions need a custom domain.*execute-api domain \(a public suffix\)/s);
  });

  it('and a key rotation shorter than the session is refused', () => {
    const stack = new Stack(new App(), 'Short');
    const certificate = Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN);
    expect(
      () =>
        new TokenBroker(stack, 'Broker', {
          customDomain: { domainName: 'auth.example.com', certificate },
          cookieSessions: { origins: ['https://app.example.com'], sessionMaxAge: Duration.days(10), keyRotationSchedule: Duration.days(7) },
        }),
    ).toThrow(/keyRotationSchedule must be whole days from 10/);
  });

  it('with the other props problems, all at once, each named by prop', () => {
    const stack = new Stack(new App(), 'Many');
    let problems: readonly string[] = [];
    try {
      new TokenBroker(stack, 'Broker', { cookieSessions: { origins: ['https://app.example.com'], keyRotationSchedule: Duration.hours(36) }, frontDoor: false, memorySize: 64 });
    } catch (error) {
      if (error instanceof TokenBrokerPropsError) problems = error.problems;
      else throw error;
    }
    expect(problems).toEqual([
      'memorySize must be a whole number from 128 to 10240 (MB), got 64',
      expect.stringMatching(/^frontDoor: cookie sessions sign in through the front door/),
      expect.stringMatching(/^customDomain: cookie sessions need a custom domain/),
      expect.stringMatching(/^cookieSessions\.keyRotationSchedule must be whole days from 1 .* got 1 day 12 hours$/),
    ]);
  });
});

describe('the doors and page tokens, as props and context', () => {
  const certificate = (stack: Stack) => Certificate.fromCertificateArn(stack, 'Cert', CERTIFICATE_ARN);

  it('refuses an origin on both lists, and a session origin without a redirect URI on it, naming the props', () => {
    const stack = new Stack(new App(), 'Doors');
    let problems: readonly string[] = [];
    try {
      new TokenBroker(stack, 'Broker', {
        allowedOrigins: ['https://app.example.com'],
        redirectUris: ['https://tools.example.com/callback'],
        customDomain: { domainName: 'auth.example.com', certificate: certificate(stack) },
        cookieSessions: { origins: ['https://app.example.com', 'https://spa.example.com'], pageTokens: 'access', apis: { Bad: { url: 'http://api.example.com' } } },
      });
    } catch (error) {
      if (error instanceof TokenBrokerPropsError) problems = error.problems;
      else throw error;
    }
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cookieSessions\.origins: "https:\/\/app\.example\.com" is also in allowedOrigins/),
        expect.stringMatching(/^redirectUris must hold at least one redirect URI on a cookie-session origin \(cookieSessions\.origins\)/),
        expect.stringMatching(/^cookieSessions\.apis: "Bad=http:\/\/api\.example\.com" must be name=url/),
      ]),
    );
  });

  it('page tokens access and an API timeout reach the function', () => {
    const app = new App();
    const stack = new Stack(app, 'Access');
    const broker = new TokenBroker(stack, 'Broker', {
      redirectUris: ['https://app.example.com/'],
      customDomain: { domainName: 'auth.example.com', certificate: certificate(stack) },
      cookieSessions: { origins: ['https://app.example.com'], pageTokens: 'access', apis: { reports: { url: 'https://reports.example.com', methods: ['GET', 'PUT'] } }, apiTimeout: Duration.seconds(3) },
    });
    const variables = stack.resolve((broker.function.node.defaultChild as { environment?: unknown }).environment) as { variables: Record<string, string> };
    expect(variables.variables).toMatchObject({ [ENV.pageTokens]: 'access', [ENV.apis]: 'reports=https://reports.example.com GET PUT', [ENV.apiTimeoutMs]: '3000' });
  });

  it('from the context: sessionOrigins is required with cookieSessions=on, and the session keys only go with it', () => {
    expect(() => synthesize({ ...COOKIE_CONTEXT, sessionOrigins: '' })).toThrow(/cookieSessions=on needs sessionOrigins/);
    expect(() => synthesize({ pageTokens: 'access', apis: 'a=https://a.example.com' })).toThrow(/pageTokens only applies with cookieSessions=on[\s\S]*apis only applies with cookieSessions=on/);
  });
});
