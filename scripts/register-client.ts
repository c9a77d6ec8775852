// `npm run register-client -- …`: registers the broker's client with SSO OIDC (RegisterClient) and
// stores the answer in the broker's secret as a new version (AWSCURRENT). Running brokers pick it up
// within their secret max age, or at once when SSO OIDC rejects their old client.
// Prints what it did, never the client secret.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import {
  DEFAULT_REGISTRATION,
  describeRegistration,
  registerClient,
  type RegistrationRequest,
} from '../lambda/core/client-registration.js';
import { ENV, regionOfArn } from '../lambda/core/config.js';

const HELP = `Usage: npm run register-client -- [options]

Registers an authorization-code web client with IAM Identity Center (SSO OIDC RegisterClient) and
writes the answer into the broker's secret as a new version. Never prints the client secret.

Options:
  --secret-id <id>              the broker's secret (name or ARN); default $${ENV.secretId}
  --issuer-url <url>            the Identity Center issuer URL (required)
  --redirect-uri <uri>          a redirect URI of the frontend; repeat for several (required)
  --client-name <name>          default "${DEFAULT_REGISTRATION.clientName}"
  --grant-types <list>          comma list; default "${DEFAULT_REGISTRATION.grantTypes.join(',')}"
  --scopes <list>               comma list, e.g. "openid,email,sso:account:access"
  --entitled-application-arn <arn>
                                the Identity Center application the client is entitled to
  --region <region>             the Identity Center region; default $${ENV.oidcRegion} or $AWS_REGION
  --dry-run                     print the request and the target secret; call nothing
  -h, --help                    this text

Endpoints and credentials come from the standard AWS SDK settings (AWS_PROFILE, AWS_REGION,
AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SECRETS_MANAGER, ...).`;

const list = (value: string | undefined): string[] | undefined =>
  value
    ?.split(',')
    .map((item) => item.trim())
    .filter(Boolean);

class UsageError extends Error {}

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI as a function of its arguments and environment, so that tests can run it in-process. */
export async function runRegisterClient(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  const out: string[] = [];
  try {
    const { values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'secret-id': { type: 'string' },
        'issuer-url': { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'client-name': { type: 'string' },
        'grant-types': { type: 'string' },
        scopes: { type: 'string' },
        'entitled-application-arn': { type: 'string' },
        region: { type: 'string' },
        'dry-run': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) return { exitCode: 0, stdout: `${HELP}\n`, stderr: '' };

    const secretId = values['secret-id'] ?? env[ENV.secretId];
    const region = values.region ?? env[ENV.oidcRegion] ?? env.AWS_REGION;
    if (!secretId) throw new UsageError(`--secret-id (or ${ENV.secretId}) is required`);
    if (!values['issuer-url']) throw new UsageError('--issuer-url is required');
    if (!values['redirect-uri']?.length) throw new UsageError('at least one --redirect-uri is required');
    if (!region) throw new UsageError(`--region (or ${ENV.oidcRegion} or AWS_REGION) is required`);
    for (const uri of [values['issuer-url'], ...values['redirect-uri']]) {
      if (!URL.canParse(uri)) throw new UsageError(`"${uri}" is not an absolute URL`);
    }

    const scopes = list(values.scopes);
    const request: RegistrationRequest = {
      clientName: values['client-name'] ?? DEFAULT_REGISTRATION.clientName,
      clientType: 'public',
      grantTypes: list(values['grant-types']) ?? [...DEFAULT_REGISTRATION.grantTypes],
      redirectUris: values['redirect-uri'],
      issuerUrl: values['issuer-url'],
      ...(scopes ? { scopes } : {}),
      ...(values['entitled-application-arn'] ? { entitledApplicationArn: values['entitled-application-arn'] } : {}),
    };

    if (values['dry-run']) {
      out.push(`dry run: would call RegisterClient in ${region} with`, JSON.stringify(request, null, 2));
      out.push(`and store the answer as a new AWSCURRENT version of secret ${secretId}`);
      return { exitCode: 0, stdout: `${out.join('\n')}\n`, stderr: '' };
    }

    const oidc = new SSOOIDCClient({ region });
    // A secret named by ARN lives in the ARN's region; a name, in the SDK's default region.
    const secretRegion = regionOfArn(secretId);
    const secrets = new SecretsManagerClient(secretRegion ? { region: secretRegion } : {});
    try {
      const registration = await registerClient(oidc, request);
      out.push(`registered ${describeRegistration(registration)}`);
      const stored = await secrets.send(
        new PutSecretValueCommand({ SecretId: secretId, SecretString: JSON.stringify(registration) }),
      );
      out.push(`stored as version ${stored.VersionId} (AWSCURRENT) of ${stored.ARN}`);
      return { exitCode: 0, stdout: `${out.join('\n')}\n`, stderr: '' };
    } finally {
      oidc.destroy();
      secrets.destroy();
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      return { exitCode: 2, stdout: '', stderr: `${(error as Error).message}\nTry --help.\n` };
    }
    // The SDK's error name and SSO OIDC's description say what went wrong; neither holds a secret.
    const { name, error_description: description } = error as { name?: string; error_description?: string };
    return {
      exitCode: 1,
      stdout: out.length > 0 ? `${out.join('\n')}\n` : '',
      stderr: `register-client failed: ${name ?? 'Error'}${description ? `: ${description}` : ''}\n`,
    };
  }
}

// Run as a program (not when imported by the tests).
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const result = await runRegisterClient(process.argv.slice(2));
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exitCode = result.exitCode;
}
