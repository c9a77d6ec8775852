// The benchmark's baseline: the least a Lambda function can do to broker a token, as a team would
// write it with the AWS SDK: the Secrets Manager and SSO OIDC clients (the broker uses the first and
// calls SSO OIDC on the wire, core/upstream.ts), the secret read started at init as the broker does
// (so the comparison measures the broker's code, not a different strategy), and on a request the one
// CreateToken call, its answer returned. No validation, no CORS, no logs, no metrics, no error mapping:
// everything the broker adds on top of this is what the benchmark charges it for.
// Bundled with the broker's own esbuild options (bench/bundle.ts), never deployed.

import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateTokenCommand, SSOOIDCClient, type CreateTokenCommandInput } from '@aws-sdk/client-sso-oidc';
import { onceMore } from './once-more.js';

interface Registration {
  clientId: string;
  clientSecret: string;
}

interface Event {
  body?: string;
}

const secrets = new SecretsManagerClient({ maxAttempts: 1 });
const oidc = new SSOOIDCClient({ region: process.env.TOKEN_BROKER_OIDC_REGION ?? process.env.AWS_REGION, maxAttempts: 1 });

const registration: Promise<Registration> = secrets
  .send(new GetSecretValueCommand({ SecretId: process.env.TOKEN_BROKER_SECRET_ID }))
  .then((answer) => JSON.parse(answer.SecretString ?? '{}') as Registration);
// A failed read is the first request's to report, not an unhandled rejection at init.
registration.catch(() => undefined);

export async function handler(event: Event): Promise<{ statusCode: number; headers: Record<string, string>; body: string }> {
  const { clientId, clientSecret } = await registration;
  const command = new CreateTokenCommand({ ...(JSON.parse(event.body ?? '{}') as CreateTokenCommandInput), clientId, clientSecret });
  // Sent once more only when a kept-alive connection was closed under it, as the broker does (direct.ts).
  const { $metadata: _metadata, ...tokens } = await onceMore(() => oidc.send(command));
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(tokens) };
}
