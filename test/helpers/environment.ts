// The usual test world, in one place: an SSO OIDC emulator with a registered client, a Secrets
// Manager emulator holding that registration, and the broker as `npm start` runs it, pointed at both.

import { SecretsManagerEmulator } from '../../local/emulators/secrets-manager.js';
import {
  SsoOidcEmulator,
  type RegisterClientOutput,
  type SsoOidcEmulatorOptions,
} from '../../local/emulators/sso-oidc.js';
import { startBroker, type BrokerProcess, type StartOptions } from './broker-process.js';
import { pkcePair } from './pkce.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
export const ALL_GRANTS = ['authorization_code', 'refresh_token', DEVICE_GRANT];

export interface EnvironmentOptions {
  /** Names the client and the secret (`<name>/registration`). */
  readonly name: string;
  readonly redirectUri: string;
  /** Further redirect URIs registered with SSO OIDC (e.g. the front door's loopback callback). */
  readonly extraRedirectUris?: string[];
  readonly oidc?: SsoOidcEmulatorOptions;
  /** Registered scopes; default: any scope allowed. */
  readonly scopes?: string[];
  /** Extra broker variables, over the defaults: every grant enabled, the redirect URI allowed. */
  readonly brokerEnv?: Record<string, string>;
  readonly brokerOptions?: StartOptions;
}

export interface Environment {
  readonly oidc: SsoOidcEmulator;
  readonly secrets: SecretsManagerEmulator;
  readonly registration: RegisterClientOutput;
  readonly secretId: string;
  readonly broker: BrokerProcess;
  /** The variables the broker was started with, for starting another one like it. */
  readonly brokerEnv: Record<string, string>;
  /** A fresh authorization code for the registered client and the /token body that exchanges it. */
  codeExchange(): { body: Record<string, string>; code: string; verifier: string };
  stop(): Promise<void>;
}

export async function startEnvironment(options: EnvironmentOptions): Promise<Environment> {
  const oidc = await SsoOidcEmulator.start(options.oidc);
  const secrets = await SecretsManagerEmulator.start();
  const registration = oidc.registerClient({
    clientName: options.name,
    clientType: 'public',
    grantTypes: ALL_GRANTS,
    redirectUris: [options.redirectUri, ...(options.extraRedirectUris ?? [])],
    issuerUrl: oidc.url,
    ...(options.scopes ? { scopes: options.scopes } : {}),
  });
  const secretId = `${options.name}/registration`;
  secrets.putSecret(secretId, JSON.stringify(registration));
  const brokerEnv = {
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    // The emulator serves the access portal (service `sso`) on the same URL.
    AWS_ENDPOINT_URL_SSO: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    TOKEN_BROKER_SECRET_ID: secretId,
    TOKEN_BROKER_GRANT_TYPES: ALL_GRANTS.join(','),
    TOKEN_BROKER_REDIRECT_URIS: options.redirectUri,
    ...options.brokerEnv,
  };
  const broker = await startBroker(brokerEnv, options.brokerOptions);
  return {
    oidc,
    secrets,
    registration,
    secretId,
    broker,
    brokerEnv,
    codeExchange() {
      const { verifier, challenge } = pkcePair();
      const code = oidc.authorize({ clientId: registration.clientId, redirectUri: options.redirectUri, codeChallenge: challenge });
      const body = { grantType: 'authorization_code', code, codeVerifier: verifier, redirectUri: options.redirectUri };
      return { body, code, verifier };
    },
    async stop() {
      await broker.stop();
      await oidc.stop();
      await secrets.stop();
    },
  };
}
