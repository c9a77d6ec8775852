// Proves the shipped artifacts, not only the TypeScript: synthesizes the stack with the real esbuild,
// takes the index.mjs each of the template's functions points at, runs it in a child process on the
// project's Node 24 (the Lambda runtime's major) with the environment the template sets, and drives
// it against the local emulators: the broker with API Gateway payload 2.0 events, routed by the
// template's own routes; the rotation function with Secrets Manager's rotation events, step by step.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RegistrationRequest, StoredRegistration } from '../../lambda/core/client-registration.js';
import { ENV } from '../../lambda/core/config.js';
import type { RotationEvent, RotationStep } from '../../lambda/rotation/steps.js';
import { matchRoute, type RouteKey } from '../../lambda/edge/routes.js';
import { toEvent } from '../../local/adapter.js';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { pkcePair } from '../helpers/pkce.js';
import { loadSourceMap, mapStack } from '../../scripts/map-stack.js';
import { resourcesOf, ROOT, synthesize, type Synthesis } from './synth.js';

const ORIGIN = 'https://app.example.com';
const REDIRECT = 'https://app.example.com/callback';
const SECRET_NAME = 'token-broker/registration';
const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
const DRIVER = fileURLToPath(new URL('./lambda-driver.mjs', import.meta.url));
// Short enough that the days-to-expiry metric is below the alarm threshold, to compare the two.
const REGISTRATION_DAYS = 10;
/** The access key of the environment credentials every function process gets (startLambda). */
const ENV_ACCESS_KEY = 'AKIDLOCAL';
/** The access key the container credentials endpoint hands out (as Lambda SnapStart functions get them). */
const CONTAINER_ACCESS_KEY = 'ASIACONTAINERLOCAL';

let s: Synthesis;
/** The broker function's template properties. */
let fn: Record<string, any>;
let bundle: string;
let routeKeys: RouteKey[];
let oidc: SsoOidcEmulator;
let secrets: SecretsManagerEmulator;
let lambda: LambdaProcess;
let clientId: string;
/** Every secret, code, verifier and token this file sees: none may appear in the function's output. */
const sensitive = new Set<string>();

beforeAll(async () => {
  s = synthesize({ allowedOrigins: ORIGIN, redirectUris: REDIRECT, oidcRegion: 'us-east-1' }, { bundle: true });
  fn = s.json.Resources[s.logicalId(s.stack.broker.function)]!.Properties!;
  bundle = bundleOf(fn);
  routeKeys = Object.values(resourcesOf(s.json, 'AWS::ApiGatewayV2::Route')).map((route) => route.Properties.RouteKey);

  oidc = await SsoOidcEmulator.start({ registrationLifetimeSeconds: REGISTRATION_DAYS * 86_400 });
  // Only requests signed with one of these access keys are served: which credentials signed is checked.
  secrets = await SecretsManagerEmulator.start({ region: 'us-east-1', accessKeyIds: [ENV_ACCESS_KEY, CONTAINER_ACCESS_KEY] });
  const registration = oidc.registerClient({
    clientName: 'bundle-test',
    clientType: 'public',
    grantTypes: ['authorization_code', 'refresh_token'],
    redirectUris: [REDIRECT],
    issuerUrl: oidc.url,
    scopes: ['openid'],
  });
  clientId = registration.clientId;
  sensitive.add(registration.clientSecret);
  secrets.putSecret(SECRET_NAME, JSON.stringify(registration));

  lambda = await startLambda(fn, bundle, brokerEnv());
  // Synthesis bundles every function with esbuild: about 20 s here, several minutes on a machine
  // shared by many test runs. A budget, not a timing assertion.
}, 300_000);

/** The template's variables as deployed (only the secret's ARN is a deploy-time reference), pointed at the emulators. */
function brokerEnv(): Record<string, string> {
  const { [ENV.secretId]: _secretRef, ...templateEnv } = fn.Environment.Variables as Record<string, unknown>;
  return {
    ...literals(templateEnv),
    [ENV.secretId]: SECRET_NAME,
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
  };
}

/** The rotation function's index.mjs (a bundle of its own, with the same BUNDLING). */
function rotationBundleOf(): string {
  return bundleOf(s.json.Resources[s.logicalId(s.stack.broker.rotation!.function)]!.Properties!);
}

/** A container credentials endpoint on 127.0.0.1, answering as Lambda's does when `authorized` says yes. */
async function credentialsEndpoint(authorized: (authorization: string | undefined) => boolean): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        AccessKeyId: CONTAINER_ACCESS_KEY,
        SecretAccessKey: 'container-secret-key',
        Token: 'container-session-token',
        Expiration: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

afterAll(async () => {
  await lambda?.stop();
  await rotationLambda?.stop();
  sm?.destroy();
  await oidc?.stop();
  await secrets?.stop();
  s?.dispose();
});

describe('the artifact synthesis wrote', () => {
  it('is an ESM bundle with the createRequire banner, the SDK inside it, and a source map without sources', () => {
    expect(existsSync(bundle)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(true);
    // Minified (long lines).
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
    // The SDK clients are inside, at the locked versions, and nothing is left to the runtime's copy
    // (the SDK's own error messages quote require("@aws-sdk/...") in brackets: not calls).
    for (const client of ['client-sso-oidc', 'client-secrets-manager']) {
      const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules/@aws-sdk', client, 'package.json'), 'utf8')) as { version: string };
      expect(code).toContain(`name:"@aws-sdk/${client}",version:"${version}"`);
    }
    expect(code).not.toMatch(/from\s*["']@aws-sdk\/|import\(\s*["']@aws-sdk\/|(?<!\[)require\(\s*["']@aws-sdk\//);
    expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
    // Dependencies' legal comments are kept beside the bundle, not in what every cold start loads.
    expect(code).not.toContain('Bundled license information');
    expect(readFileSync(`${bundle}.LEGAL.txt`, 'utf8')).toContain('Bundled license information');
    const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((source) => source.endsWith('lambda/handler.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
    expect(statSync(bundle).size).toBeGreaterThan(0);
  });

  it('runs on the Node major of the function runtime', () => {
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(lambda.node).toMatch(/^v24\./);
    expect(lambda.handlerType).toBe('function');
  });
});

describe('the substitutes (infra/substitutes.ts): what they keep out and what must keep working', () => {
  /** Sources of a bundle's map (mappings only: the file names of everything bundled). */
  const sourcesOf = (path: string) => (JSON.parse(readFileSync(`${path}.map`, 'utf8')) as { sources: string[] }).sources;
  /** The SDK default chain's own packages, and the event-stream code: none may be bundled. */
  const CHAIN = /@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|login)|nested-clients|token-providers)\/|@smithy\/credential-provider-imds\/|@smithy\/core\/dist-es\/submodules\/event-streams\//;

  it('bundles the environment and container providers instead of the default chain, no event-stream code, and no ESM import of node:http or node:process', () => {
    for (const path of [bundle, rotationBundleOf()]) {
      const sources = sourcesOf(path);
      expect(sources.filter((source) => CHAIN.test(source))).toEqual([]);
      for (const kept of [
        'lambda/bundle/credential-provider.ts',
        'lambda/bundle/no-event-streams.ts',
        '@aws-sdk/credential-provider-env/',
        '@aws-sdk/credential-provider-http/',
      ]) {
        expect(sources.some((source) => source.includes(kept))).toBe(true);
      }
      const code = readFileSync(path, 'utf8');
      // An ESM import of node:http (static or dynamic) in the output is what loads undici; one of
      // node:process is what builds the stdio streams.
      expect(code).not.toMatch(/from\s*["'](node:)?http["']|import\(\s*["'](node:)?http["']\s*\)/);
      expect(code).not.toMatch(/from\s*["'](node:)?process["']|import\(\s*["'](node:)?process["']\s*\)/);
    }
    // The broker's HTTP code (Middy, the SDK's handler) does use node:http, and the SDK's user-agent
    // code node:process, through the substitutes.
    expect(sourcesOf(bundle).some((source) => source.endsWith('lambda/bundle/node-http.ts'))).toBe(true);
    expect(sourcesOf(bundle).some((source) => source.endsWith('lambda/bundle/node-process.ts'))).toBe(true);
  });

  it('never loads undici in the function process, after real requests (an ESM import of node:http would)', async () => {
    const { response } = await exchange();
    expect(response.status).toBe(200);
    const loaded = await lambda.modules();
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((name) => /undici/i.test(name))).toEqual([]);
    // The control: on the same Node, one ESM import of node:http does load it.
    const control = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      "import 'node:http'; process.stdout.write(String(process.moduleLoadList.some((m) => /undici/.test(m))))",
    ]);
    let out = '';
    control.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => control.once('close', resolve));
    expect(out).toBe('true');
  });

  it('signs Secrets Manager requests with the environment credentials (the emulator checks the access key)', () => {
    const reads = secrets.calls.filter((call) => call.action === 'GetSecretValue');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.map((call) => call.accessKeyId)).toEqual(reads.map(() => ENV_ACCESS_KEY));
  });

  it('signs with container credentials when the environment has none (AWS_CONTAINER_CREDENTIALS_FULL_URI, as under SnapStart)', async () => {
    const token = `container-token-${randomUUID()}`;
    const seen: (string | undefined)[] = [];
    const endpoint = await credentialsEndpoint((authorization) => {
      seen.push(authorization);
      return authorization === token;
    });
    const before = secrets.calls.length;
    const containerLambda = await startLambda(fn, bundle, brokerEnv(), 'token-broker-container-credentials', {
      unset: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
      extra: { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN: token },
    });
    try {
      const { response } = await exchange(containerLambda);
      expect(response.status).toBe(200);
      expect(response.body.accessToken).toEqual(expect.any(String));
      // The endpoint was asked with the token, and every read since was signed with its key.
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((authorization) => authorization === token)).toBe(true);
      const reads = secrets.calls.slice(before).filter((call) => call.action === 'GetSecretValue');
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.map((call) => call.accessKeyId)).toEqual(reads.map(() => CONTAINER_ACCESS_KEY));
      expect(containerLambda.output()).not.toContain(token);
    } finally {
      await containerLambda.stop();
      await endpoint.close();
    }
  });

  it('fails cleanly without any credentials: 500 InternalServerException, and nothing unsigned reaches Secrets Manager', async () => {
    const before = secrets.calls.length;
    const bare = await startLambda(fn, bundle, brokerEnv(), 'token-broker-no-credentials', {
      unset: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
    });
    try {
      const { code, verifier } = newCode();
      const response = await invoke('POST', '/token', tokenBody(code, verifier), {}, bare);
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ __type: 'InternalServerException' });
      expect(secrets.calls.slice(before)).toEqual([]);
    } finally {
      await bare.stop();
    }
  });
});

describe('stack traces without --enable-source-maps', () => {
  it('are mapped back to lambda/*.ts by scripts/map-stack.ts, with the map kept beside the shipped index.mjs', async () => {
    // Nothing reads the map at start-up: the template sets no NODE_OPTIONS.
    expect(fn.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
    // An event the handler cannot read makes bundle code throw: the "unexpected error" log line carries its frames.
    await lambda.invoke(null).catch(() => undefined);
    const line = await lambda.waitFor(() =>
      lambda
        .output()
        .split('\n')
        .find((text) => text.includes('"unexpected error"')),
    );
    expect(line).toMatch(/index\.mjs:\d+:\d+/);
    // Not mapped in the log itself: the minified frames only.
    expect(line).not.toMatch(/lambda\/[a-z/-]+\.ts/);
    const mapped = mapStack(line!, loadSourceMap(bundle));
    expect(mapped).toMatch(/lambda\/edge\/routing\.ts:\d+:\d+/);
    expect(mapped).not.toMatch(/index\.mjs:\d+:\d+/);
  });
});

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

/** The index.mjs synthesis wrote for a function (its asset directory is named after the S3 key's hash). */
function bundleOf(fnProps: Record<string, any>): string {
  return join(s.outdir, `asset.${String(fnProps.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
}

/** The template's variables, each of which must be a literal to be set on the child process. */
function literals(variables: Record<string, unknown>): Record<string, string> {
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value !== 'string') throw new Error(`${name} is not a literal in the template: ${JSON.stringify(value)}`);
  }
  return variables as Record<string, string>;
}

/** The rotation function's JSON log lines (Powertools Logger). */
function rotationLogs(): Record<string, unknown>[] {
  return rotationLambda
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

function newCode(): { code: string; verifier: string } {
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge, scopes: ['openid'] });
  sensitive.add(code).add(verifier);
  return { code, verifier };
}

const tokenBody = (code: string, verifier: string) => ({
  grantType: 'authorization_code',
  code,
  codeVerifier: verifier,
  redirectUri: REDIRECT,
});

async function exchange(target: LambdaProcess = lambda): Promise<{ code: string; verifier: string; response: Answer }> {
  const { code, verifier } = newCode();
  const response = await invoke('POST', '/token', tokenBody(code, verifier), { origin: ORIGIN }, target);
  for (const member of ['accessToken', 'refreshToken', 'idToken']) {
    if (typeof response.body[member] === 'string') sensitive.add(response.body[member] as string);
  }
  return { code, verifier, response };
}

/** Routes a request by the template's routes, builds the event as the local adapter does, invokes the bundle. */
async function invoke(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  target: LambdaProcess = lambda,
): Promise<Answer> {
  const routeKey = matchRoute(method, path, routeKeys);
  if (routeKey === undefined) throw new Error(`API Gateway has no route for ${method} ${path}`);
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body));
  const allHeaders = {
    host: HOST,
    'user-agent': 'bundle-test',
    ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    ...headers,
  };
  const request = {
    method,
    httpVersion: '1.1',
    rawHeaders: Object.entries(allHeaders).flat(),
    socket: { remoteAddress: '203.0.113.7' },
  } as unknown as IncomingMessage;
  const event: APIGatewayProxyEventV2 = toEvent(request, new URL(path, `https://${HOST}`), routeKey, payload, randomUUID());
  const result = await target.invoke<APIGatewayProxyStructuredResultV2>(event);
  const text = result.body ?? '';
  return {
    status: result.statusCode ?? 200,
    headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)])),
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
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

// ---- the child process standing in for the Lambda runtime -----------------------------------------

interface LambdaProcess {
  readonly node: string;
  readonly handlerType: string;
  /** Invokes `handler(event, context)`; resolves with what it returned, rejects with what it threw. */
  invoke<T = unknown>(event: unknown): Promise<T>;
  /** The names of the Node built-in modules the process has loaded (process.moduleLoadList). */
  modules(): Promise<string[]>;
  /** Everything the function wrote (stdout and stderr) so far. */
  output(): string;
  /** Polls `find` until it returns something (output arrives on a pipe, after the IPC answer). */
  waitFor<T>(find: () => T | undefined, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Variables of the outer environment that would point the function somewhere else. */
const SCRUBBED = /^(AWS_|TOKEN_BROKER_|POWERTOOLS_|NODE_OPTIONS$)/;

async function startLambda(
  fnProps: Record<string, any>,
  bundlePath: string,
  env: Record<string, string>,
  functionName = 'token-broker-bundle-test',
  variables: { unset?: readonly string[]; extra?: Record<string, string> } = {},
): Promise<LambdaProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SCRUBBED.test(name)));
  const childEnv: Record<string, string | undefined> = {
    ...inherited,
    // What the Lambda runtime sets, plus environment credentials (the emulator checks their key).
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: ENV_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: 'local-secret-key',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fnProps.MemorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_EXECUTION_ENV: `AWS_Lambda_${fnProps.Runtime}`,
    ...env,
    ...variables.extra,
  };
  for (const name of variables.unset ?? []) delete childEnv[name];
  // process.execPath is the project's Node 24 (npm scripts put node_modules/.bin first on PATH).
  const child = spawn(process.execPath, [DRIVER, bundlePath, functionName, String(fnProps.MemorySize), String(fnProps.Timeout)], {
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));

  const pending = new Map<string, (message: DriverMessage) => void>();
  const ready = new Promise<DriverMessage>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bundle did not load:\n${output}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`the bundle exited with ${code} while loading:\n${output}`)));
    child.on('message', (message: DriverMessage) => {
      if (message.ready) {
        clearTimeout(timer);
        resolve(message);
      } else if (message.id !== undefined) {
        pending.get(message.id)?.(message);
        pending.delete(message.id);
      }
    });
  });
  const hello = await ready;

  return {
    node: hello.node ?? '',
    handlerType: hello.handlerType ?? '',
    invoke: <T>(event: unknown) =>
      new Promise<T>((resolve, reject) => {
        const id = randomUUID();
        pending.set(id, (message) => (message.error === undefined ? resolve(message.result as T) : reject(new Error(message.error))));
        child.send({ id, event });
      }),
    modules: () =>
      new Promise<string[]>((resolve) => {
        const id = randomUUID();
        pending.set(id, (message) => resolve(message.result as string[]));
        child.send({ id, op: 'modules' });
      }),
    output: () => output,
    waitFor: async (find, timeoutMs = 5000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = find();
        if (found !== undefined) return found;
        if (Date.now() > deadline) throw new Error(`not found in the function's output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    stop: () => stopChild(child),
  };
}

interface DriverMessage {
  ready?: boolean;
  node?: string;
  handlerType?: string;
  id?: string;
  result?: unknown;
  error?: string;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
