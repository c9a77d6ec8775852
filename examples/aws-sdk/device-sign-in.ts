// An unmodified AWS SDK for JavaScript v3 SSO OIDC client pointed at the token broker: the device
// authorization grant (a CLI or any program without a browser redirect), then a refresh. The client
// never holds the client secret: the broker adds it. Against `npm start` (which enables the device grant):
//
//   npx tsx examples/aws-sdk/device-sign-in.ts          BROKER_URL defaults to http://127.0.0.1:3000
//
// It prints a link; open it, click Allow, and it prints the (masked) tokens it received.

import {
  AuthorizationPendingException,
  CreateTokenCommand,
  SlowDownException,
  SSOOIDCClient,
  StartDeviceAuthorizationCommand,
} from '@aws-sdk/client-sso-oidc';

const brokerUrl = process.env.BROKER_URL ?? 'http://127.0.0.1:3000';
// Your IAM Identity Center start URL (npm start's emulator takes any).
const startUrl = process.env.START_URL ?? 'https://example.awsapps.com/start';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
// The SDK's model requires a clientSecret member; the broker ignores it and adds the real one.
const NO_SECRET = 'the-broker-adds-the-secret';

// `endpoint` is the broker (AWS_ENDPOINT_URL_SSO_OIDC=<broker URL> does the same without code).
// CreateToken and StartDeviceAuthorization are unsigned operations: no AWS credentials are needed.
const sso = new SSOOIDCClient({ region: 'us-east-1', endpoint: brokerUrl });

const mask = (token: string | undefined): string => (token === undefined ? '(none)' : `${token.slice(0, 6)}…`);
const sleep = (seconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

// The client to sign in with: the broker's registration, public half (GET /client).
const { clientId } = (await (await fetch(`${brokerUrl}/client`)).json()) as { clientId: string };

const device = await sso.send(new StartDeviceAuthorizationCommand({ clientId, clientSecret: NO_SECRET, startUrl }));
console.log(`Open ${device.verificationUriComplete} and approve the code ${device.userCode}`);

// RFC 8628 section 3.5: poll every `interval` seconds, 5 seconds more after each slow_down.
let interval = device.interval ?? 5;
let tokens;
for (;;) {
  await sleep(interval);
  try {
    tokens = await sso.send(
      new CreateTokenCommand({ clientId, clientSecret: NO_SECRET, grantType: DEVICE_GRANT, deviceCode: device.deviceCode }),
    );
    break;
  } catch (error) {
    if (error instanceof AuthorizationPendingException) continue;
    if (error instanceof SlowDownException) interval += 5;
    else throw error;
  }
}
console.log(`Signed in: accessToken ${mask(tokens.accessToken)}, expires in ${tokens.expiresIn} s, refreshToken ${mask(tokens.refreshToken)}`);

const refreshed = await sso.send(
  new CreateTokenCommand({ clientId, clientSecret: NO_SECRET, grantType: 'refresh_token', refreshToken: tokens.refreshToken }),
);
console.log(`Refreshed: accessToken ${mask(refreshed.accessToken)}, expires in ${refreshed.expiresIn} s`);

// Errors are the SDK's modeled exceptions, as SSO OIDC's would be: name, error, error_description.
try {
  await sso.send(new CreateTokenCommand({ clientId, clientSecret: NO_SECRET, grantType: 'refresh_token', refreshToken: 'not-a-refresh-token' }));
} catch (error) {
  const { name, error: code, error_description: description } = error as { name: string; error?: string; error_description?: string };
  console.log(`A bad refresh token: ${name} (${code}: ${description})`);
}
sso.destroy();
