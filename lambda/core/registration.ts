// The client registration (RegisterClient's answer) read from its Secrets Manager secret through
// the versioned-secret cache (secrets.ts), and re-read on demand when SSO OIDC says the client is no
// longer valid (it may have been rotated). Nothing read from the secret is ever put into an error
// message or a log line.

import { internalError } from './errors.js';
import { VersionedSecret, type VersionedSecretOptions } from './secrets.js';

export interface Registration {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Epoch seconds, as RegisterClient returns it, when known. */
  readonly clientSecretExpiresAt?: number;
  /** SSO OIDC's /authorize URL, as RegisterClient returns it, when known. */
  readonly authorizationEndpoint?: string;
}

/** Validates a SecretString; failures name the problem, never the content. */
export function parseRegistration(secretString: unknown): Registration {
  if (typeof secretString !== 'string') {
    throw internalError('client registration secret has no SecretString');
  }
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    // JSON.parse's message quotes the input: it must not reach the log.
    throw internalError('client registration secret is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw internalError('client registration secret is not a JSON object');
  }
  const { clientId, clientSecret, clientSecretExpiresAt, authorizationEndpoint } = value as Record<string, unknown>;
  if (typeof clientId !== 'string' || clientId === '') {
    throw internalError('client registration secret has no clientId string');
  }
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw internalError('client registration secret has no clientSecret string');
  }
  if (clientSecretExpiresAt !== undefined && typeof clientSecretExpiresAt !== 'number') {
    throw internalError('client registration secret has a clientSecretExpiresAt that is not a number');
  }
  return {
    clientId,
    clientSecret,
    ...(typeof clientSecretExpiresAt === 'number' ? { clientSecretExpiresAt } : {}),
    ...(typeof authorizationEndpoint === 'string' ? { authorizationEndpoint } : {}),
  };
}

/**
 * The largest GetSecretValue answer read: a SecretString is at most 64 KiB, and JSON escaping can
 * make it a few times longer on the wire. The registration itself is about 2 KB.
 */
export const MAX_SECRET_ANSWER_BYTES = 1024 * 1024;

/** The client registration secret, cached (secrets.ts): the current registration, and the previous one just after a rotation. */
export class RegistrationSource {
  private readonly secret: VersionedSecret<Registration>;

  constructor(options: VersionedSecretOptions<Registration>) {
    this.secret = new VersionedSecret(options, { name: 'client registration', parse: parseRegistration, same: sameRegistration });
  }

  /** The cached registration, read from Secrets Manager when older than the max age. */
  get(): Promise<Registration> {
    return this.secret.current();
  }

  /**
   * Reads the secret again, bypassing the cache, because SSO OIDC rejected `used` (rate-limited).
   * `changed` is true when the secret now holds another registration.
   */
  async refresh(used: Registration): Promise<{ readonly registration: Registration; readonly changed: boolean }> {
    const { value, changed } = await this.secret.refresh(used);
    return { registration: value, changed };
  }

  /**
   * The registration for the client a caller names: the current one, or, when a rotation has just
   * replaced it, the previous one (AWSPREVIOUS), which stays valid at SSO OIDC until it expires.
   * Codes and refresh tokens belong to the client they were issued to, so a sign-in begun before
   * a rotation must finish with the old client. A client this instance does not know may be one a
   * fresher instance already serves (GET /client): the secret is read again, rate-limited, before
   * the answer is no. Undefined when neither registration is that client.
   */
  forClient(clientId: string | undefined): Promise<Registration | undefined> {
    return clientId === undefined ? this.get() : this.secret.find((registration) => registration.clientId === clientId);
  }

  /** Starts the first read at cold start; a failure is left for the first request to report. */
  prefetch(): void {
    this.secret.prefetch();
  }
}

const sameRegistration = (a: Registration, b: Registration): boolean =>
  a.clientId === b.clientId && a.clientSecret === b.clientSecret;
