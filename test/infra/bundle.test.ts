// Proves the shipped artifact, not only the TypeScript: synthesizes the stack with the real esbuild,
// takes the index.mjs the template's function points at, runs it in a child process on the project's
// Node 24 (the Lambda runtime's major) with the environment the template sets, and drives it with API
// Gateway payload 2.0 events, routed by the template's own routes, against the local emulators.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ENV } from '../../lambda/config.js';
import { matchRoute, type RouteKey } from '../../lambda/routes.js';
import { toEvent } from '../../local/adapter.js';
import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { pkcePair } from '../helpers/pkce.js';
import { onlyResource, resourcesOf, ROOT, synthesize, type Synthesis } from './synth.js';

const ORIGIN = 'https://app.example.com';
const REDIRECT = 'https://app.example.com/callback';
const SECRET_NAME = 'token-broker/registration';
const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
const DRIVER = fileURLToPath(new URL('./lambda-driver.mjs', import.meta.url));
// Short enough that the days-to-expiry metric is below the alarm threshold, to compare the two.
const REGISTRATION_DAYS = 10;

let s: Synthesis;
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
  fn = onlyResource(s.json, 'AWS::Lambda::Function').resource.Properties;
  bundle = join(s.outdir, `asset.${String(fn.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
  routeKeys = Object.values(resourcesOf(s.json, 'AWS::ApiGatewayV2::Route')).map((route) => route.Properties.RouteKey);

  oidc = await SsoOidcEmulator.start({ registrationLifetimeSeconds: REGISTRATION_DAYS * 86_400 });
  secrets = await SecretsManagerEmulator.start({ region: 'us-east-1' });
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

  // The template's variables as deployed; only the secret's ARN is a deploy-time reference.
  const { [ENV.secretId]: _secretRef, ...templateEnv } = fn.Environment.Variables as Record<string, unknown>;
  for (const [name, value] of Object.entries(templateEnv)) {
    if (typeof value !== 'string') throw new Error(`${name} is not a literal in the template: ${JSON.stringify(value)}`);
  }
  lambda = await startLambda(bundle, {
    ...(templateEnv as Record<string, string>),
    [ENV.secretId]: SECRET_NAME,
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
  });
}, 90_000);

afterAll(async () => {
  await lambda?.stop();
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

describe('driven with API Gateway v2 events against the emulators', () => {
  it('exchanges an authorization code with PKCE: 200, tokens, no-store, CORS for the allowed origin', async () => {
    const { response } = await exchange();
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      accessToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: expect.any(Number),
      refreshToken: expect.any(String),
      idToken: expect.any(String),
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

  it('never writes a secret, code, verifier or token to its output', () => {
    const output = lambda.output();
    expect(output).toMatch(/request completed/);
    for (const value of sensitive) expect(output).not.toContain(value);
  });
});

// ---- helpers ----------------------------------------------------------------------------------

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

async function exchange(): Promise<{ code: string; verifier: string; response: Answer }> {
  const { code, verifier } = newCode();
  const response = await invoke('POST', '/token', tokenBody(code, verifier), { origin: ORIGIN });
  for (const member of ['accessToken', 'refreshToken', 'idToken']) {
    if (typeof response.body[member] === 'string') sensitive.add(response.body[member] as string);
  }
  return { code, verifier, response };
}

/** Routes a request by the template's routes, builds the event as the local adapter does, invokes the bundle. */
async function invoke(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
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
  const event = toEvent(request, new URL(path, `https://${HOST}`), routeKey, payload, randomUUID());
  const result = await lambda.invoke(event);
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
  invoke(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
  /** Everything the function wrote (stdout and stderr) so far. */
  output(): string;
  /** Polls `find` until it returns something (output arrives on a pipe, after the IPC answer). */
  waitFor<T>(find: () => T | undefined, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Variables of the outer environment that would point the function somewhere else. */
const SCRUBBED = /^(AWS_|TOKEN_BROKER_|POWERTOOLS_|NODE_OPTIONS$)/;

async function startLambda(bundlePath: string, env: Record<string, string>): Promise<LambdaProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SCRUBBED.test(name)));
  const functionName = 'token-broker-bundle-test';
  // process.execPath is the project's Node 24 (npm scripts put node_modules/.bin first on PATH).
  const child = spawn(process.execPath, [DRIVER, bundlePath, functionName, String(fn.MemorySize), String(fn.Timeout)], {
    env: {
      ...inherited,
      // What the Lambda runtime sets, plus credentials the emulators do not check.
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
      AWS_SECRET_ACCESS_KEY: 'local-secret-key',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_LAMBDA_FUNCTION_NAME: functionName,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.MemorySize),
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.Runtime}`,
      ...env,
    },
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
    invoke: (event) =>
      new Promise((resolve, reject) => {
        const id = randomUUID();
        pending.set(id, (message) => (message.error === undefined ? resolve(message.result!) : reject(new Error(message.error))));
        child.send({ id, event });
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
  result?: APIGatewayProxyStructuredResultV2;
  error?: string;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
