// `npm start`: the Lambda handler behind the local API Gateway adapter on 127.0.0.1:$PORT (3000).
// With TOKEN_BROKER_SECRET_ID unset it runs on embedded defaults: an SSO OIDC emulator and a Secrets
// Manager emulator on the next ports, with a freshly registered client stored in the secret. With
// TOKEN_BROKER_SECRET_ID set it uses the configured AWS endpoints and credentials, as the Lambda would.

import { RegisterClientCommand, SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { ConfigError, ENV, GRANT_TYPES, loadConfig } from '../lambda/config.js';
import { routeKeysFor } from '../lambda/routes.js';
import { startLocalApi, type LambdaHandler } from './adapter.js';
import { SecretsManagerEmulator } from './emulators/secrets-manager.js';
import { SsoOidcEmulator } from './emulators/sso-oidc.js';

const basePort = Number(process.env.PORT ?? 3000);
// PORT=0 puts every server on a free port (the tests use it); otherwise they sit side by side.
const portAt = (offset: number): number => (basePort === 0 ? 0 : basePort + offset);

interface Demo {
  readonly oidc: SsoOidcEmulator;
  readonly secrets: SecretsManagerEmulator;
}

/** Starts the emulators, registers a client with them and points the broker's variables at them. */
async function startDemo(): Promise<Demo> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const oidc = await SsoOidcEmulator.start({ port: portAt(2) });
  const secrets = await SecretsManagerEmulator.start({ port: portAt(3), region });
  const demoOrigin = process.env.TOKEN_BROKER_DEMO_ORIGIN ?? `http://127.0.0.1:${portAt(1) || 3001}`;
  const redirectUri = `${demoOrigin}/callback`;

  // The registration is made the way an operator would make it: RegisterClient over HTTP.
  const client = new SSOOIDCClient({ region, endpoint: oidc.url });
  const registration = await client.send(
    new RegisterClientCommand({
      clientName: 'token-broker-local',
      clientType: 'public',
      grantTypes: Object.values(GRANT_TYPES),
      redirectUris: [redirectUri],
      issuerUrl: oidc.url,
      scopes: ['openid', 'email', 'profile', 'sso:account:access'],
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
    [ENV.allowedOrigins]: demoOrigin,
    [ENV.redirectUris]: redirectUri,
  };
  for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
  // The emulators' endpoints always win in demo mode: real AWS is never called from it.
  process.env.AWS_ENDPOINT_URL_SSO_OIDC = oidc.url;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;
  return { oidc, secrets };
}

async function main(): Promise<void> {
  const demo = process.env[ENV.secretId] ? undefined : await startDemo();
  const config = loadConfig();
  // Imported only now: the handler reads its configuration at module load, as in Lambda.
  const { handler } = await import('../lambda/handler.js');
  // Middy types the context as its handler sees it (with the audit record its middleware adds); the
  // caller, like Lambda, passes a plain Context.
  const api = await startLocalApi({ handler: handler as unknown as LambdaHandler, routes: routeKeysFor(config.grantTypes), port: basePort });

  const lines = [
    `token broker listening on ${api.url}`,
    `  POST ${api.url}/token`,
    ...(config.grantTypes.has(GRANT_TYPES.deviceCode) ? [`  POST ${api.url}/device_authorization`] : []),
  ];
  if (demo) {
    lines.push(
      `embedded SSO OIDC emulator on ${demo.oidc.url}, Secrets Manager emulator on ${demo.secrets.url}`,
      `try it:`,
      `  curl -s -X POST ${api.url}/device_authorization -H 'content-type: application/json' -d '{"startUrl":"https://example.awsapps.com/start"}'`,
      `  then open the verificationUriComplete it prints, approve, and exchange the deviceCode:`,
      `  curl -s -X POST ${api.url}/token -H 'content-type: application/json' -d '{"grantType":"urn:ietf:params:oauth:grant-type:device_code","deviceCode":"<deviceCode>"}'`,
    );
  } else {
    lines.push(`using secret ${config.secretId} and SSO OIDC in ${config.oidcRegion}`);
  }
  process.stderr.write(`${lines.join('\n')}\n`);

  const stop = async (): Promise<void> => {
    await api.close();
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
