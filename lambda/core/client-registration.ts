// The client registration's life cycle, shared by `npm run register-client` and the rotation
// function: what RegisterClient is asked for, what is stored in the secret, and when to renew.
// The secret stores RegisterClient's answer together with the request that produced it, so that
// rotation can register the same client again without any other configuration.

import { RegisterClientCommand, type RegisterClientCommandOutput, type SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { GRANT_TYPES } from './config.js';

/** What RegisterClient is asked for: the settings an authorization-code web client needs. */
export interface RegistrationRequest {
  readonly clientName: string;
  readonly clientType: 'public';
  readonly grantTypes: string[];
  readonly redirectUris: string[];
  readonly issuerUrl: string;
  readonly scopes?: string[];
  readonly entitledApplicationArn?: string;
}

/** The secret's JSON: RegisterClient's answer, plus the request, under `registrationRequest`. */
export interface StoredRegistration {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly clientIdIssuedAt?: number;
  readonly clientSecretExpiresAt?: number;
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint?: string;
  readonly registrationRequest?: RegistrationRequest;
}

export const DEFAULT_REGISTRATION = {
  clientName: 'sso-oidc-token-broker',
  grantTypes: [GRANT_TYPES.authorizationCode, GRANT_TYPES.refreshToken],
} as const;

/** Calls RegisterClient and returns what goes into the secret. */
export async function registerClient(client: SSOOIDCClient, request: RegistrationRequest): Promise<StoredRegistration> {
  const answer: RegisterClientCommandOutput = await client.send(new RegisterClientCommand(request));
  if (!answer.clientId || !answer.clientSecret) {
    throw new Error('RegisterClient answered without a clientId or clientSecret');
  }
  return {
    clientId: answer.clientId,
    clientSecret: answer.clientSecret,
    clientIdIssuedAt: answer.clientIdIssuedAt,
    clientSecretExpiresAt: answer.clientSecretExpiresAt,
    authorizationEndpoint: answer.authorizationEndpoint,
    tokenEndpoint: answer.tokenEndpoint,
    registrationRequest: request,
  };
}

/** Whole days until the registration expires (negative once it has), or undefined if unknown. */
export function daysToExpiry(registration: { clientSecretExpiresAt?: number }, nowMs: number): number | undefined {
  if (registration.clientSecretExpiresAt === undefined) return undefined;
  return Math.floor((registration.clientSecretExpiresAt * 1000 - nowMs) / 86_400_000);
}

/** A summary safe to print or log: never the secret. */
export function describeRegistration(registration: StoredRegistration): string {
  const expires =
    registration.clientSecretExpiresAt === undefined
      ? 'expiry unknown'
      : `expires ${new Date(registration.clientSecretExpiresAt * 1000).toISOString()}`;
  return `client ${registration.clientId} (${expires})`;
}
