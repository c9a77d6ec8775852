// The client registration (RegisterClient's answer) read from Secrets Manager through Powertools
// Parameters' cache: fetched once per max age, shared by concurrent requests, and re-read on demand
// when SSO OIDC says the client is no longer valid (it may have been rotated).
// Nothing read from the secret is ever put into an error message or a log line.

import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { inTime } from './deadline.js';
import { internalError } from './errors.js';

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

export interface RegistrationSourceOptions {
  readonly secretId: string;
  readonly maxAgeSeconds: number;
  readonly provider: Pick<SecretsProvider, 'get'>;
  /**
   * Reads the AWSPREVIOUS version. A provider of its own, because Powertools caches by secret name
   * alone. Without it, only the current registration is served.
   */
  readonly previousProvider?: Pick<SecretsProvider, 'get'>;
  /** Forced re-reads closer together than this are served from the last read. */
  readonly minRefreshIntervalMs?: number;
  /** Deadline for one read as a whole; the SDK's own timeouts bound only its parts. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export interface RegistrationRead {
  readonly registration: Registration;
  /** True when the re-read found a registration other than the one the caller had used. */
  readonly changed: boolean;
}

export class RegistrationSource {
  private inflight: Promise<Registration> | undefined;
  private lastForcedAt = Number.NEGATIVE_INFINITY;
  /** Set when the cached secret could not be parsed: the next read bypasses the cache. */
  private cachedIsBad = false;
  /** Until when the secret is known to have no AWSPREVIOUS version (Powertools caches no absence). */
  private noPreviousUntil = Number.NEGATIVE_INFINITY;
  /** The current registration last read, to notice a rotation whichever read finds it. */
  private known: Registration | undefined;
  /**
   * Set when a read of the current version found another registration: what is cached (or
   * remembered absent) for AWSPREVIOUS is from before that rotation, and the next read bypasses it.
   */
  private previousStale = false;
  /** The last secret string read and its parse: the cache hands back the same string for its max age. */
  private lastParsed: { readonly secretString: string; readonly registration: Registration } | undefined;

  constructor(private readonly options: RegistrationSourceOptions) {}

  /** The cached registration, read from Secrets Manager when older than the max age. */
  async get(): Promise<Registration> {
    return inTime(this.shared(), 'reading the client registration');
  }

  private async shared(): Promise<Registration> {
    // Concurrent callers (npm start's server, or a burst at expiry) share one read.
    if (this.inflight) return this.inflight;
    // Powertools caches the raw value: a malformed one would be served for the whole max age,
    // after an operator has fixed the secret. Such a value is read again, at most every interval.
    if (this.cachedIsBad && this.mayForce()) return this.forced();
    this.inflight = this.share(this.read(false));
    return this.inflight;
  }

  /**
   * Reads the secret again, bypassing the cache, because SSO OIDC rejected `used`. Rate-limited so
   * that a registration that is really dead does not turn every request into a Secrets Manager call.
   */
  async refresh(used: Registration): Promise<RegistrationRead> {
    const registration = await inTime(this.mayForce() ? this.forced() : this.shared(), 'reading the client registration again');
    const changed = !sameRegistration(used, registration);
    return { registration, changed };
  }

  /**
   * The registration for the client a caller names: the current one, or, when a rotation has just
   * replaced it, the previous one (AWSPREVIOUS), which stays valid at SSO OIDC until it expires.
   * Codes and refresh tokens belong to the client they were issued to, so a sign-in begun before
   * a rotation must finish with the old client. A client this instance does not know may be one a
   * fresher instance already serves (GET /client): the secret is read again, rate-limited, before
   * the answer is no. Undefined when neither registration is that client.
   */
  async forClient(clientId: string | undefined): Promise<Registration | undefined> {
    return inTime(this.find(clientId), 'reading the client registration');
  }

  private async find(clientId: string | undefined): Promise<Registration | undefined> {
    const current = await this.shared();
    if (clientId === undefined || clientId === current.clientId) return current;
    const previous = await this.previous(false);
    if (previous?.clientId === clientId) return previous;
    if (!this.mayForce()) return undefined;
    // Both versions again, at once: one read's time, not two (config.ts worstCaseMs counts it so).
    const [fresh, freshPrevious] = await Promise.allSettled([this.forced(), this.previous(true)]);
    if (fresh.status === 'rejected') throw fresh.reason;
    if (fresh.value.clientId === clientId) return fresh.value;
    // A failed read of AWSPREVIOUS matters only when the client was not found in AWSCURRENT.
    if (freshPrevious.status === 'rejected') throw freshPrevious.reason;
    return freshPrevious.value?.clientId === clientId ? freshPrevious.value : undefined;
  }

  /** Starts the first read at cold start; a failure is left for the first request to report. */
  prefetch(): void {
    this.shared().catch(() => undefined);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private mayForce(): boolean {
    return this.now() - this.lastForcedAt >= (this.options.minRefreshIntervalMs ?? 5000);
  }

  private async forced(): Promise<Registration> {
    this.lastForcedAt = this.now();
    // A read already under way may return the value from before a rotation: let it finish first,
    // so that the forced read is the last one written to the cache.
    const earlier = this.inflight;
    this.inflight = this.share(
      (earlier ?? Promise.resolve()).then(
        () => this.read(true),
        () => this.read(true),
      ),
    );
    return this.inflight;
  }

  private share(read: Promise<Registration>): Promise<Registration> {
    const shared = read.finally(() => {
      if (this.inflight === shared) this.inflight = undefined;
    });
    return shared;
  }

  /**
   * AWSPREVIOUS, cached like the current one. None (undefined) when the secret has no previous
   * version, remembered for the max age, or when it holds no usable registration; a failed read is
   * the same 500 as for the current version.
   */
  private async previous(forceFetch: boolean): Promise<Registration | undefined> {
    if (this.options.previousProvider === undefined) return undefined;
    // After a rotation the registration it replaced is AWSPREVIOUS: a session begun before it must be
    // served at once, not after the forced-read interval or the max age.
    const stale = this.previousStale;
    if (!forceFetch && !stale && this.now() < this.noPreviousUntil) return undefined;
    // Cleared before the read: a rotation noticed while it is under way sets it again.
    this.previousStale = false;
    let secretString: unknown;
    try {
      secretString = await withDeadline(
        this.options.previousProvider.get(this.options.secretId, {
          maxAge: this.options.maxAgeSeconds,
          forceFetch: forceFetch || stale,
          sdkOptions: { VersionStage: 'AWSPREVIOUS' },
        }),
        this.options.timeoutMs,
      );
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') {
        this.noPreviousUntil = this.now() + this.options.maxAgeSeconds * 1000;
        return undefined;
      }
      if (stale) this.previousStale = true;
      throw internalError(`previous client registration could not be read: ${describeReadError(error)}`);
    }
    try {
      return parseRegistration(secretString);
    } catch {
      return undefined;
    }
  }

  private async read(forceFetch: boolean): Promise<Registration> {
    let secretString: unknown;
    try {
      secretString = await withDeadline(
        this.options.provider.get(this.options.secretId, { maxAge: this.options.maxAgeSeconds, forceFetch }),
        this.options.timeoutMs,
      );
    } catch (error) {
      throw internalError(`client registration secret could not be read: ${describeReadError(error)}`);
    }
    // Parsed once per value, not once per request (the warm path: docs/performance.md).
    if (this.lastParsed !== undefined && secretString === this.lastParsed.secretString) {
      this.cachedIsBad = false;
      return this.lastParsed.registration;
    }
    try {
      const registration = parseRegistration(secretString);
      this.cachedIsBad = false;
      if (this.known !== undefined && !sameRegistration(this.known, registration)) {
        this.previousStale = true;
        this.noPreviousUntil = Number.NEGATIVE_INFINITY;
      }
      this.known = registration;
      this.lastParsed = { secretString: secretString as string, registration };
      return registration;
    } catch (error) {
      this.cachedIsBad = true;
      throw error;
    }
  }
}

const sameRegistration = (a: Registration, b: Registration): boolean =>
  a.clientId === b.clientId && a.clientSecret === b.clientSecret;

class ReadTimeout extends Error {
  override readonly name = 'ReadTimeout';
}

/** Rejects when the read takes longer than the deadline; the read itself is left to finish. */
export function withDeadline<T>(read: Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined) return read;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadTimeout()), timeoutMs);
  });
  return Promise.race([read, deadline]).finally(() => clearTimeout(timer));
}

/** The SDK error's name, under Powertools' wrapper. */
export function errorName(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const name = (cause as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/** The SDK error's name and status only: its message may quote the request. */
export function describeReadError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const name = errorName(error);
  const status = (cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (cause as { code?: unknown }).code;
  return [name ?? 'Error', status, typeof code === 'string' ? code : undefined]
    .filter((part) => part !== undefined)
    .join(' ');
}
