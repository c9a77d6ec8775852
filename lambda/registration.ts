// The client registration (RegisterClient's answer) read from Secrets Manager through Powertools
// Parameters' cache: fetched once per max age, shared by concurrent requests, and re-read on demand
// when SSO OIDC says the client is no longer valid (it may have been rotated).
// Nothing read from the secret is ever put into an error message or a log line.

import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { internalError } from './errors.js';

export interface Registration {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Epoch seconds, as RegisterClient returns it, when known. */
  readonly clientSecretExpiresAt?: number;
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
  const { clientId, clientSecret, clientSecretExpiresAt } = value as Record<string, unknown>;
  if (typeof clientId !== 'string' || clientId === '') {
    throw internalError('client registration secret has no clientId string');
  }
  if (typeof clientSecret !== 'string' || clientSecret === '') {
    throw internalError('client registration secret has no clientSecret string');
  }
  if (clientSecretExpiresAt !== undefined && typeof clientSecretExpiresAt !== 'number') {
    throw internalError('client registration secret has a clientSecretExpiresAt that is not a number');
  }
  return typeof clientSecretExpiresAt === 'number'
    ? { clientId, clientSecret, clientSecretExpiresAt }
    : { clientId, clientSecret };
}

export interface RegistrationSourceOptions {
  readonly secretId: string;
  readonly maxAgeSeconds: number;
  readonly provider: Pick<SecretsProvider, 'get'>;
  /** Forced re-reads closer together than this are served from the last read. */
  readonly minRefreshIntervalMs?: number;
  readonly now?: () => number;
}

export interface RegistrationRead {
  readonly registration: Registration;
  /** True when a forced re-read found a registration other than the one before it. */
  readonly changed: boolean;
}

export class RegistrationSource {
  private inflight: Promise<Registration> | undefined;
  private last: Registration | undefined;
  private lastForcedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: RegistrationSourceOptions) {}

  /** The cached registration, read from Secrets Manager when older than the max age. */
  async get(): Promise<Registration> {
    // Concurrent callers (npm start's server, or a burst at expiry) share one read.
    this.inflight ??= this.share(this.read(false));
    return this.inflight;
  }

  /**
   * Reads the secret again, bypassing the cache, because the upstream rejected the client.
   * Rate-limited so that a registration that is really dead does not turn every request into a
   * Secrets Manager call.
   */
  async refresh(): Promise<RegistrationRead> {
    const before = this.last;
    const now = (this.options.now ?? Date.now)();
    const interval = this.options.minRefreshIntervalMs ?? 5000;
    const registration = now - this.lastForcedAt < interval ? await this.get() : await this.forced(now);
    const changed =
      before !== undefined &&
      (before.clientId !== registration.clientId || before.clientSecret !== registration.clientSecret);
    return { registration, changed };
  }

  /** Starts the first read at cold start; a failure is left for the first request to report. */
  prefetch(): void {
    this.get().catch(() => undefined);
  }

  private async forced(now: number): Promise<Registration> {
    this.lastForcedAt = now;
    this.inflight = this.share(this.read(true));
    return this.inflight;
  }

  private share(read: Promise<Registration>): Promise<Registration> {
    const shared = read.finally(() => {
      if (this.inflight === shared) this.inflight = undefined;
    });
    return shared;
  }

  private async read(forceFetch: boolean): Promise<Registration> {
    let secretString: unknown;
    try {
      secretString = await this.options.provider.get(this.options.secretId, {
        maxAge: this.options.maxAgeSeconds,
        forceFetch,
      });
    } catch (error) {
      throw internalError(`client registration secret could not be read: ${describeReadError(error)}`);
    }
    const registration = parseRegistration(secretString);
    this.last = registration;
    return registration;
  }
}

/** The SDK error's name and status only: its message may quote the request. */
function describeReadError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const name = (cause as { name?: unknown }).name;
  const status = (cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (cause as { code?: unknown }).code;
  return [typeof name === 'string' ? name : 'Error', status, typeof code === 'string' ? code : undefined]
    .filter((part) => part !== undefined)
    .join(' ');
}
