// Lambda entry point for Secrets Manager's rotation of the client registration secret: events
// `{ SecretId, ClientRequestToken, Step }`, one per rotation step. The steps are in rotation.ts.

import { Logger } from '@aws-lambda-powertools/logger';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { ENV } from '../core/config.js';
import { rotate } from './registration.js';
import { rotationHandler } from './steps.js';

const logger = new Logger({ serviceName: 'token-broker-rotation' });
const oidcRegion = process.env[ENV.oidcRegion] ?? process.env.AWS_REGION;

// RegisterClient and CreateToken are unsigned: this function needs no SSO OIDC permissions.
// No SSO OIDC retries (Secrets Manager retries a failed step itself), and timeouts well inside the
// function's minute, so that a hung call fails the step with a clear error rather than a timeout.
// Standard retry, set rather than read from AWS_RETRY_MODE: adaptive retry is not bundled (lambda/bundle/retry.ts).
const requestHandler = { connectionTimeout: 3_000, requestTimeout: 10_000 };
const deps = {
  secrets: new SecretsManagerClient({ retryMode: 'standard', requestHandler }),
  oidc: new SSOOIDCClient({ region: oidcRegion, maxAttempts: 1, retryMode: 'standard', requestHandler }),
  log: (message: string, fields: Record<string, unknown> = {}) => logger.info(message, fields),
};

export const handler = rotationHandler(logger, (event) => rotate(event, deps));
