// The bundle tests' one setup (bundle-substitutes, bundle-emulators): synthesizes the stack with the
// real esbuild, takes the index.mjs the broker function points at, starts the SSO OIDC and Secrets
// Manager emulators and runs the bundle in a child process on the project's Node 24 with the
// environment the template sets; and the requests those tests send it, as API Gateway payload 2.0
// events routed by the template's own routes. Each test file calls setUpBundleRun() once and gets its
// own synthesis, emulators and function process; the state below is set by its beforeAll.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll } from '@jest/globals';
import { ENV } from '../../../lambda/core/config.js';
import { matchRoute, type RouteKey } from '../../../lambda/edge/routes.js';
import { toEvent } from '../../../local/adapter.js';
import { SecretsManagerEmulator } from '../../../local/emulators/secrets-manager.js';
import { SsoOidcEmulator } from '../../../local/emulators/sso-oidc.js';
import { pkcePair } from '../../helpers/pkce.js';
import { resourcesOf, synthesize, type Synthesis } from '../synth.js';
import { ENV_ACCESS_KEY, startLambda, type LambdaProcess } from './lambda-process.js';

export const ORIGIN = 'https://app.example.com';
export const REDIRECT = 'https://app.example.com/callback';
const SECRET_NAME = 'token-broker/registration';
const HOST = 'abc123.execute-api.us-east-1.amazonaws.com';
// Short enough that the days-to-expiry metric is below the alarm threshold, to compare the two.
export const REGISTRATION_DAYS = 10;
/** The access key the container credentials endpoint hands out (as Lambda SnapStart functions get them). */
export const CONTAINER_ACCESS_KEY = 'ASIACONTAINERLOCAL';

export let s: Synthesis;
/** The broker function's template properties. */
export let fn: Record<string, any>;
export let bundle: string;
let routeKeys: RouteKey[];
export let oidc: SsoOidcEmulator;
export let secrets: SecretsManagerEmulator;
export let lambda: LambdaProcess;
let clientId: string;
/** Every secret, code, verifier and token the test file sees: none may appear in the function's output. */
export const sensitive = new Set<string>();

/** Registers the file's beforeAll (synthesis, emulators, the broker's function process) and afterAll. */
export function setUpBundleRun(): void {
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

  afterAll(async () => {
    await lambda?.stop();
    await oidc?.stop();
    await secrets?.stop();
    s?.dispose();
  });
}

/** The template's variables as deployed (only the secret's ARN is a deploy-time reference), pointed at the emulators. */
export function brokerEnv(): Record<string, string> {
  const { [ENV.secretId]: _secretRef, ...templateEnv } = fn.Environment.Variables as Record<string, unknown>;
  return {
    ...literals(templateEnv),
    [ENV.secretId]: SECRET_NAME,
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
  };
}

/** The rotation function's index.mjs (a bundle of its own, with the same BUNDLING). */
export function rotationBundleOf(): string {
  return bundleOf(s.json.Resources[s.logicalId(s.stack.broker.rotation!.function)]!.Properties!);
}

/** The index.mjs synthesis wrote for a function (its asset directory is named after the S3 key's hash). */
export function bundleOf(fnProps: Record<string, any>): string {
  return join(s.outdir, `asset.${String(fnProps.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
}

/** The template's variables, each of which must be a literal to be set on the child process. */
export function literals(variables: Record<string, unknown>): Record<string, string> {
  for (const [name, value] of Object.entries(variables)) {
    if (typeof value !== 'string') throw new Error(`${name} is not a literal in the template: ${JSON.stringify(value)}`);
  }
  return variables as Record<string, string>;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

export function newCode(): { code: string; verifier: string } {
  const { verifier, challenge } = pkcePair();
  const code = oidc.authorize({ clientId, redirectUri: REDIRECT, codeChallenge: challenge, scopes: ['openid'] });
  sensitive.add(code).add(verifier);
  return { code, verifier };
}

export const tokenBody = (code: string, verifier: string) => ({
  grantType: 'authorization_code',
  code,
  codeVerifier: verifier,
  redirectUri: REDIRECT,
});

export async function exchange(target: LambdaProcess = lambda): Promise<{ code: string; verifier: string; response: Answer }> {
  const { code, verifier } = newCode();
  const response = await invoke('POST', '/token', tokenBody(code, verifier), { origin: ORIGIN }, target);
  for (const member of ['accessToken', 'refreshToken', 'idToken']) {
    if (typeof response.body[member] === 'string') sensitive.add(response.body[member] as string);
  }
  return { code, verifier, response };
}

/** Routes a request by the template's routes, builds the event as the local adapter does, invokes the bundle. */
export async function invoke(
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
