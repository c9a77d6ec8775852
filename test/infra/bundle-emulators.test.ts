// Drives the shipped artifacts against the local emulators: the broker's index.mjs with API Gateway
// payload 2.0 events, routed by the template's own routes (grants, errors passed through, CORS, the
// metrics the alarms watch, its one log line, nothing sensitive in its output); the rotation
// function's own bundle with Secrets Manager's rotation events, step by step. What the artifact holds
// and what the substitutes keep out of it: bundle-substitutes.test.ts.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { RegistrationRequest, StoredRegistration } from '../../lambda/core/client-registration.js';
import type { RotationEvent, RotationStep } from '../../lambda/rotation/steps.js';
import {
  bundle,
  bundleOf,
  exchange,
  invoke,
  lambda,
  literals,
  newCode,
  oidc,
  ORIGIN,
  REDIRECT,
  REGISTRATION_DAYS,
  s,
  secrets,
  sensitive,
  setUpBundleRun,
  tokenBody,
} from './support/bundle.js';
import { ENV_ACCESS_KEY, startLambda, type LambdaProcess } from './support/lambda-process.js';
import { resourcesOf } from './synth.js';

setUpBundleRun();

describe('driven with API Gateway v2 events against the emulators', () => {
  it('exchanges an authorization code with PKCE: 200, tokens, no-store, CORS for the allowed origin', async () => {
    const { response } = await exchange();
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
      refreshToken: expect.any(String),
    });
    expect(response.body.expiresIn).toBeGreaterThan(0);
    expect(response.headers).toMatchObject({
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'access-control-allow-origin': ORIGIN,
      vary: 'Origin',
    });
  });

  it('passes a reused code through as SSO OIDC answered: 400 InvalidGrantException', async () => {
    const { code, verifier } = await exchange();
    const response = await invoke('POST', '/token', tokenBody(code, verifier));
    expect(response.status).toBe(400);
    expect(response.headers['x-amzn-errortype']).toBe('InvalidGrantException');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.body).toEqual({
      __type: 'InvalidGrantException',
      error: 'invalid_grant',
      error_description: expect.any(String),
    });
  });

  it('passes an upstream InternalServerException through, calling SSO OIDC once (no replayed code)', async () => {
    const { code, verifier } = newCode();
    oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500, error: 'server_error', description: 'Internal error' });
    const before = oidc.callCount('/token');
    const response = await invoke('POST', '/token', tokenBody(code, verifier));
    expect(response.status).toBe(500);
    expect(response.headers['x-amzn-errortype']).toBe('InternalServerException');
    expect(response.body).toEqual({ __type: 'InternalServerException', error: 'server_error', error_description: 'Internal error' });
    expect(oidc.callCount('/token') - before).toBe(1);
  });

  it('answers CORS preflight itself from the allowed origins, and refuses other origins', async () => {
    const preflight = await invoke('OPTIONS', '/token', undefined, {
      origin: ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': expect.stringContaining('content-type'),
    });
    const other = await invoke('OPTIONS', '/token', undefined, { origin: 'https://evil.example.com' });
    expect(other.status).toBe(403);
    expect(other.headers).not.toHaveProperty('access-control-allow-origin');
    expect(other.body).toMatchObject({ __type: 'ForbiddenOriginException' });
  });

  it('emits the metrics the alarms watch: same namespace, name and dimensions', async () => {
    const alarms = Object.values(resourcesOf(s.json, 'AWS::CloudWatch::Alarm'))
      .map((alarm) => alarm.Properties as { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[]; Threshold: number })
      .filter((alarm) => alarm.Namespace === 'TokenBroker');
    expect(alarms.map((alarm) => alarm.MetricName).sort()).toEqual(['ClientSecretDaysToExpiry', 'UpstreamServerErrors']);

    for (const alarm of alarms) {
      const record = await lambda.waitFor(() => emfRecords().find((emf) => matches(emf, alarm)));
      if (alarm.MetricName === 'ClientSecretDaysToExpiry') {
        // Whole days left, rounded down: below the threshold here, so the alarm would fire.
        expect(record[alarm.MetricName]).toBe(REGISTRATION_DAYS - 1);
        expect(record[alarm.MetricName]).toBeLessThanOrEqual(alarm.Threshold);
      } else {
        expect(record[alarm.MetricName]).toBe(1);
      }
    }
  });

  it('writes one line per request: its log line is also its EMF record (Requests, UpstreamLatency by GrantType and Outcome)', async () => {
    const written = lambda.output().length;
    const { response } = await exchange();
    expect(response.status).toBe(200);
    // The answer's request id is SSO OIDC's (upstreamRequestId in the line): it names this request's lines.
    const requestId = response.headers['x-amzn-requestid'];
    const linesOf = () => lambda.output().slice(written).split('\n').filter((line) => line.includes(String(requestId)));
    const [line] = await lambda.waitFor(() => (linesOf().length > 0 ? linesOf() : undefined));
    const record = JSON.parse(line!) as EmfRecord;
    expect(record).toMatchObject({
      level: 'INFO',
      message: 'request completed',
      function_request_id: expect.any(String),
      upstreamRequestId: requestId,
      service: 'token-broker',
      route: 'POST /token',
      grantType: 'authorization_code',
      outcome: 'Success',
      status: 200,
      upstreamStatus: 200,
      upstreamCalls: 1,
      GrantType: 'authorization_code',
      Outcome: 'Success',
      Requests: 1,
      UpstreamLatency: expect.any(Number),
    });
    expect(record._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'TokenBroker',
        Dimensions: [['service', 'GrantType', 'Outcome']],
        Metrics: [
          { Name: 'Requests', Unit: 'Count' },
          { Name: 'UpstreamLatency', Unit: 'Milliseconds' },
        ],
      },
    ]);
    // Nothing else was written for this request.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(linesOf()).toHaveLength(1);
  });

  it('never writes a secret, code, verifier or token to its output', () => {
    const output = lambda.output();
    expect(output).toMatch(/request completed/);
    for (const value of sensitive) expect(output).not.toContain(value);
  });
});

describe('the rotation function artifact, driven with rotation events against the emulators', () => {
  const STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
  const request: RegistrationRequest = {
    clientName: 'bundle-rotation-test',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT],
    issuerUrl: 'https://identitycenter.amazonaws.com/ssoins-1234567890abcdef',
    scopes: ['openid'],
  };

  beforeAll(async () => {
    rotationFn = s.json.Resources[s.logicalId(s.stack.broker.rotation!.function)]!.Properties!;
    rotationBundle = bundleOf(rotationFn);
    rotationLambda = await startLambda(
      rotationFn,
      rotationBundle,
      {
        // Every variable the template sets is a literal here (the region comes from the context).
        ...literals(rotationFn.Environment.Variables as Record<string, unknown>),
        AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
      },
      'token-broker-rotation-bundle-test',
    );
    sm = new SecretsManagerClient({
      region: 'us-east-1',
      endpoint: secrets.url,
      credentials: { accessKeyId: ENV_ACCESS_KEY, secretAccessKey: 'local-secret-key' },
    });
  }, 30_000);
  afterAll(async () => {
    await rotationLambda?.stop();
    sm?.destroy();
  });

  /** A secret as `npm run register-client` leaves it: the answer plus the request; returns its ARN. */
  async function registeredSecret(name: string): Promise<{ arn: string; registration: StoredRegistration }> {
    const registration: StoredRegistration = { ...oidc.registerClient(request), registrationRequest: request };
    rotationSensitive.add(registration.clientSecret);
    secrets.putSecret(name, JSON.stringify(registration));
    return { arn: await arnOf(name), registration };
  }

  async function arnOf(name: string): Promise<string> {
    return (await sm.send(new DescribeSecretCommand({ SecretId: name }))).ARN!;
  }

  async function stored(arn: string, VersionStage: string): Promise<StoredRegistration & { versionId: string }> {
    const value = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage }));
    return { ...(JSON.parse(value.SecretString!) as StoredRegistration), versionId: value.VersionId! };
  }

  /** The event Secrets Manager sends for one step: the secret's ARN, the version token, the step. */
  const rotationEvent = (arn: string, token: string, step: RotationStep): RotationEvent => ({
    SecretId: arn,
    ClientRequestToken: token,
    Step: step,
  });

  it('is its own bundle of rotation-handler.ts: ESM, the SDK inside, a source map without sources', () => {
    expect(rotationBundle).not.toBe(bundle);
    const code = readFileSync(rotationBundle, 'utf8');
    expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(true);
    expect(code).not.toMatch(/from\s*["']@aws-sdk\/|import\(\s*["']@aws-sdk\/|(?<!\[)require\(\s*["']@aws-sdk\//);
    const map = JSON.parse(readFileSync(`${rotationBundle}.map`, 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((source) => source.endsWith('lambda/rotation/registration-handler.ts'))).toBe(true);
    // Nothing of the broker's HTTP side.
    expect(map.sources.some((source) => source.endsWith('lambda/handler.ts'))).toBe(false);
    expect(map.sourcesContent).toBeUndefined();
    expect(rotationFn.Runtime).toBe('nodejs24.x');
    expect(rotationLambda.node).toMatch(/^v24\./);
    expect(rotationLambda.handlerType).toBe('function');
  });

  it('rotates: RotateSecret stages AWSPENDING, the four steps register a new client and make it AWSCURRENT', async () => {
    const { arn, registration: old } = await registeredSecret('token-broker/rotated');
    const { VersionId: token } = await sm.send(new RotateSecretCommand({ SecretId: arn }));
    const registrationsBefore = oidc.callCount('/client/register');
    const tokenCallsBefore = oidc.callCount('/token');

    for (const step of STEPS) {
      // A rotation step answers nothing; a failed step would reject here.
      await expect(rotationLambda.invoke(rotationEvent(arn, token!, step))).resolves.toBeUndefined();
    }

    const current = await stored(arn, 'AWSCURRENT');
    rotationSensitive.add(current.clientSecret);
    expect(current.versionId).toBe(token);
    expect(current.clientId).not.toBe(old.clientId);
    expect(current.clientSecret).not.toBe(old.clientSecret);
    expect(current.registrationRequest).toEqual(request);
    expect(current.clientSecretExpiresAt).toBeGreaterThanOrEqual(old.clientSecretExpiresAt!);
    // The old registration stays one read away for sign-ins begun before the rotation.
    const previous = await stored(arn, 'AWSPREVIOUS');
    expect(previous.clientId).toBe(old.clientId);
    // One RegisterClient (createSecret) and one CreateToken with a made-up code (testSecret).
    expect(oidc.callCount('/client/register') - registrationsBefore).toBe(1);
    expect(oidc.callCount('/token') - tokenCallsBefore).toBe(1);
    // AWSPENDING ends on the current version: a state in which the next RotateSecret may start.
    const { VersionIdsToStages: stages } = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
    expect([...stages![token!]!].sort()).toEqual(['AWSCURRENT', 'AWSPENDING']);

    const done = await rotationLambda.waitFor(() => {
      const steps = rotationLogs().filter((line) => String(line.message).startsWith('rotation step done')).map((line) => line.step);
      return steps.length >= STEPS.length ? steps : undefined;
    });
    expect(done).toEqual(STEPS);
  });

  it('fails createSecret with a clear log line on a secret that was never registered by the CLI', async () => {
    secrets.putSecret('token-broker/hand-made', '{}');
    const arn = await arnOf('token-broker/hand-made');
    const { VersionId: token } = await sm.send(new RotateSecretCommand({ SecretId: arn }));
    await expect(rotationLambda.invoke(rotationEvent(arn, token!, 'createSecret'))).rejects.toThrow(/no registrationRequest/);
    const failed = await rotationLambda.waitFor(() =>
      rotationLogs().find((line) => line.message === 'rotation step failed' && line.secretId === arn),
    );
    expect(failed).toMatchObject({ level: 'ERROR', step: 'createSecret', errorName: 'RotationError' });
    expect(String(failed.reason)).toContain('npm run register-client');
    // Nothing was registered or staged: AWSCURRENT is untouched.
    expect((await sm.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString).toBe('{}');
  });

  // With RotateImmediatelyOnUpdate false (infra/secret-rotation.ts), creating the RotationSchedule makes Secrets
  // Manager test the configuration: it stages an AWSPENDING version of its own and runs testSecret
  // alone (RotateSecret API reference, RotateImmediately). On a new secret that still holds `{}` this
  // runs at the first `cdk deploy`, whether the service's version has no value or a copy of `{}`.
  it('passes Secrets Manager configuration test on a secret that holds {} (pending version without a value)', async () => {
    secrets.putSecret('token-broker/config-test-empty', '{}');
    const arn = await arnOf('token-broker/config-test-empty');
    const { VersionId: token } = await sm.send(new RotateSecretCommand({ SecretId: arn }));
    await rotationLambda.invoke(rotationEvent(arn, token!, 'testSecret'));
    expect(rotationLogs().some((line) => String(line.message).includes('the pending version has no value'))).toBe(true);
  });

  it('passes Secrets Manager configuration test on a secret that holds {} (pending version copying it)', async () => {
    secrets.putSecret('token-broker/config-test-copy', '{}');
    const arn = await arnOf('token-broker/config-test-copy');
    const token = randomUUID();
    await sm.send(new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: '{}', VersionStages: ['AWSPENDING'] }));
    await rotationLambda.invoke(rotationEvent(arn, token, 'testSecret'));
    expect(rotationLogs().some((line) => String(line.message).includes('the pending version holds no registration'))).toBe(true);
  });

  it('never writes a client secret to its output', () => {
    const output = rotationLambda.output();
    expect(output).toMatch(/rotation step done/);
    for (const value of rotationSensitive) expect(output).not.toContain(value);
  });
});

// ---- helpers ----------------------------------------------------------------------------------

let rotationFn: Record<string, any>;
let rotationBundle: string;
let rotationLambda: LambdaProcess;
let sm: SecretsManagerClient;
const rotationSensitive = new Set<string>();

/** The rotation function's JSON log lines (Powertools Logger). */
function rotationLogs(): Record<string, unknown>[] {
  return rotationLambda
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

type EmfRecord = Record<string, unknown> & {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
};

function emfRecords(): EmfRecord[] {
  return lambda
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfRecord);
}

/** True when the EMF record publishes the alarm's metric with exactly the alarm's dimensions. */
function matches(emf: EmfRecord, alarm: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] }): boolean {
  const names = alarm.Dimensions.map((dimension) => dimension.Name).sort();
  return emf._aws.CloudWatchMetrics.some(
    (directive) =>
      directive.Namespace === alarm.Namespace &&
      directive.Metrics.some((metric) => metric.Name === alarm.MetricName) &&
      directive.Dimensions.some((set) => JSON.stringify([...set].sort()) === JSON.stringify(names)) &&
      alarm.Dimensions.every((dimension) => emf[dimension.Name] === dimension.Value),
  );
}
