// `npm start`: the Lambda handler behind the local API Gateway adapter on 127.0.0.1:$PORT (3000).
// With TOKEN_BROKER_SECRET_ID unset it runs on embedded defaults, on the next ports: the demo
// frontend (PORT+1, a web page on another origin that signs in through the broker), an SSO OIDC
// emulator (PORT+2) and a Secrets Manager emulator (PORT+3), with a freshly registered client stored
// in the secret. With TOKEN_BROKER_SECRET_ID set it uses the configured AWS endpoints and
// credentials, as the Lambda would, and serves no demo.

import { RegisterClientCommand, SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { startDemoFrontend, type DemoFrontend } from '../demo/server.js';
import { ConfigError, ENV, GRANT_TYPES, loadConfig, type BrokerConfig } from '../lambda/config.js';
import { routeKeysFor } from '../lambda/routes.js';
import { startLocalApi, type LambdaHandler } from './adapter.js';
import { SecretsManagerEmulator } from './emulators/secrets-manager.js';
import { SsoOidcEmulator } from './emulators/sso-oidc.js';

const basePort = Number(process.env.PORT ?? 3000);
// PORT=0 puts every server on a free port (the tests use it); otherwise they sit side by side.
const portAt = (offset: number): number => (basePort === 0 ? 0 : basePort + offset);

/** Demo mode only. */
const DEMO_ENV = {
  /** The origin the browser opens the demo at, when not http://127.0.0.1:<port> (e.g. http://localhost:3001). */
  origin: 'TOKEN_BROKER_DEMO_ORIGIN',
  /** The emulator's device-flow polling interval in seconds (default 5); the browser tests set 1. */
  deviceIntervalSeconds: 'TOKEN_BROKER_DEMO_DEVICE_INTERVAL_SECONDS',
} as const;
const DEMO_SCOPES = ['openid', 'email', 'profile', 'sso:account:access'];
const DEMO_START_URL = 'https://example.awsapps.com/start';

interface Demo {
  readonly oidc: SsoOidcEmulator;
  readonly secrets: SecretsManagerEmulator;
  readonly frontend: DemoFrontend;
  readonly origin: string;
  readonly redirectUri: string;
}

function demoDeviceInterval(): number {
  const raw = process.env[DEMO_ENV.deviceIntervalSeconds] ?? '5';
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) {
    throw new ConfigError([`${DEMO_ENV.deviceIntervalSeconds} must be a whole number from 1 to 60, got "${raw}"`]);
  }
  return seconds;
}

/**
 * Starts the emulators and the demo frontend, registers a client whose redirect URI is on the
 * frontend's origin, and points the broker's variables at all of it. The frontend listens first:
 * with PORT=0 its origin is known only then.
 */
async function startDemo(): Promise<Demo> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const oidc = await SsoOidcEmulator.start({ port: portAt(2), deviceIntervalSeconds: demoDeviceInterval() });
  const secrets = await SecretsManagerEmulator.start({ port: portAt(3), region });
  const frontend = await startDemoFrontend({ port: portAt(1) });
  const origin = process.env[DEMO_ENV.origin] ?? frontend.url;
  const redirectUri = `${origin}/callback`;

  // The registration is made the way an operator would make it: RegisterClient over HTTP.
  const client = new SSOOIDCClient({ region, endpoint: oidc.url });
  const registration = await client.send(
    new RegisterClientCommand({
      clientName: 'token-broker-local',
      clientType: 'public',
      grantTypes: Object.values(GRANT_TYPES),
      redirectUris: [redirectUri],
      issuerUrl: oidc.url,
      scopes: DEMO_SCOPES,
    }),
  );
  client.destroy();
  const { $metadata: _metadata, ...answer } = registration;
  secrets.putSecret('token-broker/registration', JSON.stringify(answer));

  const defaults: Record<string, string> = {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    [ENV.secretId]: 'token-broker/registration',
    [ENV.grantTypes]: Object.values(GRANT_TYPES).join(','),
    [ENV.allowedOrigins]: origin,
    [ENV.redirectUris]: redirectUri,
  };
  for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
  // The emulators' endpoints always win in demo mode: real AWS is never called from it.
  process.env.AWS_ENDPOINT_URL_SSO_OIDC = oidc.url;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;
  return { oidc, secrets, frontend, origin, redirectUri };
}

/**
 * Tells the demo page where the broker is, now that its URL is known. The page gets the client id
 * and the authorize endpoint from the broker itself (GET /client), as any frontend should.
 */
function configureFrontend(demo: Demo, config: BrokerConfig, brokerUrl: string): void {
  demo.frontend.configure({
    brokerUrl,
    redirectUri: demo.redirectUri,
    scopes: DEMO_SCOPES,
    deviceStartUrl: config.grantTypes.has(GRANT_TYPES.deviceCode) ? DEMO_START_URL : null,
  });
}

function banner(apiUrl: string, config: BrokerConfig, demo: Demo | undefined): string[] {
  const device = config.grantTypes.has(GRANT_TYPES.deviceCode);
  const lines = [
    `token broker listening on ${apiUrl}`,
    `  POST ${apiUrl}/token`,
    ...(device ? [`  POST ${apiUrl}/device_authorization`] : []),
  ];
  if (demo === undefined) {
    lines.push(`using secret ${config.secretId} and SSO OIDC in ${config.oidcRegion}`);
    return lines;
  }
  lines.push(
    `embedded SSO OIDC emulator on ${demo.oidc.url}, Secrets Manager emulator on ${demo.secrets.url}`,
    `demo frontend: ${demo.origin}${demo.origin === demo.frontend.url ? '' : ` (served on ${demo.frontend.url})`}`,
    `  open it in a browser and click "Sign in": the emulator signs in a demo user, no AWS account needed`,
  );
  if (device) {
    lines.push(
      `or try the device flow with curl:`,
      `  curl -s -X POST ${apiUrl}/device_authorization -H 'content-type: application/json' -d '{"startUrl":"${DEMO_START_URL}"}'`,
      `  then open the verificationUriComplete it prints, approve, and exchange the deviceCode:`,
      `  curl -s -X POST ${apiUrl}/token -H 'content-type: application/json' -d '{"grantType":"${GRANT_TYPES.deviceCode}","deviceCode":"<deviceCode>"}'`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const demo = process.env[ENV.secretId] ? undefined : await startDemo();
  const config = loadConfig();
  // As the Lambda runtime sets it: Powertools reports the first invocation as a cold start.
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE ??= 'on-demand';
  // Imported only now: the handler reads its configuration at module load, as in Lambda.
  const { handler } = await import('../lambda/handler.js');
  // Middy types the context as its handler sees it (with the audit record its middleware adds); the
  // caller, like Lambda, passes a plain Context.
  const api = await startLocalApi({ handler: handler as unknown as LambdaHandler, routes: routeKeysFor(config.grantTypes), port: basePort });
  if (demo) configureFrontend(demo, config, api.url);
  // One write, so that whoever reads the banner (the tests do) gets it whole.
  process.stderr.write(`${banner(api.url, config, demo).join('\n')}\n`);

  const stop = async (): Promise<void> => {
    await api.close();
    await demo?.frontend.close();
    await demo?.oidc.stop();
    await demo?.secrets.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError ? `${error.message}\n` : `token broker failed to start: ${String(error)}\n`,
  );
  process.exit(1);
});
