// One cache for a Secrets Manager secret that rotates: AWSCURRENT, and AWSPREVIOUS for what was
// issued before the last rotation. The client registration and the cookie keys are its two uses, so a
// rule fixed here holds for both. Read through a cache by secret name (core/secret-reader.ts): fetched once per max age,
// shared by concurrent requests, re-read on demand (rate-limited) when a caller meets a version this
// instance has not read yet. Nothing read from a secret is ever put into an error message or a log line.

import type { SecretSource } from './secret-reader.js';
import { inTime } from './deadline.js';
import { internalError } from './errors.js';

export interface VersionedSecretOptions<T> {
  readonly secretId: string;
  readonly maxAgeSeconds: number;
  readonly provider: SecretSource;
  /**
   * Reads the AWSPREVIOUS version. A provider of its own, because the reader caches by secret name
   * alone. Without it, only the current version is served.
   */
  readonly previousProvider?: SecretSource;
  /** Forced re-reads closer together than this are served from the last read. */
  readonly minRefreshIntervalMs?: number;
  /** Deadline for one read as a whole; the SDK's own timeouts bound only its parts. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

/** What a secret's value means to its use: how to read it, and when two values are one version. */
interface SecretUse<T> {
  /** For log details and deadline messages: "client registration", "cookie keys". */
  readonly name: string;
  /** Validates a SecretString; throws a BrokerError naming the problem, never the content. */
  parse(secretString: unknown): T;
  same(a: T, b: T): boolean;
}

export class VersionedSecret<T> {
  private inflight: Promise<T> | undefined;
  private lastForcedAt = Number.NEGATIVE_INFINITY;
  /** Set when the cached value could not be parsed: the next read bypasses the cache. */
  private cachedIsBad = false;
  /** Until when the secret is known to have no AWSPREVIOUS version (the reader caches no absence). */
  private noPreviousUntil = Number.NEGATIVE_INFINITY;
  /** The current value last read, to notice a rotation whichever read finds it. */
  private known: T | undefined;
  /**
   * Set when a read of the current version found another value: what is cached (or remembered
   * absent) for AWSPREVIOUS is from before that rotation, and the next read bypasses it.
   */
  private previousStale = false;
  /** Each stage's last secret string and its parse: the cache hands back the same string for its max age. */
  private readonly lastParsed = new Map<'AWSCURRENT' | 'AWSPREVIOUS', { readonly secretString: unknown; readonly value: T }>();

  constructor(
    private readonly options: VersionedSecretOptions<T>,
    private readonly use: SecretUse<T>,
  ) {}

  /** The cached current value, read from Secrets Manager when older than the max age. */
  current(): Promise<T> {
    return inTime(this.shared(), `reading the ${this.use.name}`);
  }

  /**
   * Reads the current version again, bypassing the cache, because `used` was refused. Rate-limited,
   * so that a value that is really dead does not turn every request into a Secrets Manager call.
   */
  async refresh(used: T): Promise<{ readonly value: T; readonly changed: boolean }> {
    const value = await inTime(this.mayForce() ? this.forced() : this.shared(), `reading the ${this.use.name} again`);
    return { value, changed: !this.use.same(used, value) };
  }

  /**
   * The version `matches` picks: the current one, or the previous one, or, when neither, either of a
   * fresh read of both (another instance may already use a version this one has not read;
   * rate-limited). Undefined when no version matches.
   */
  find(matches: (value: T) => boolean): Promise<T | undefined> {
    return inTime(this.search(matches), `reading the ${this.use.name}`);
  }

  /** Starts the first read at cold start; a failure is left for the first request to report. */
  prefetch(): void {
    this.shared().catch(() => undefined);
  }

  private async search(matches: (value: T) => boolean): Promise<T | undefined> {
    const current = await this.shared();
    if (matches(current)) return current;
    const previous = await this.previous(false);
    if (previous !== undefined && matches(previous)) return previous;
    if (!this.mayForce()) {
      // Another request has just read the secret again (or is doing so): what it found is what is
      // cached now. Two requests meeting a new version at once must both find it.
      const latest = await this.shared();
      if (matches(latest)) return latest;
      const latestPrevious = await this.previous(false);
      return latestPrevious !== undefined && matches(latestPrevious) ? latestPrevious : undefined;
    }
    // Both versions again, at once: one read's time, not two (config.ts worstCaseMs counts it so).
    const [fresh, freshPrevious] = await Promise.allSettled([this.forced(), this.previous(true)]);
    if (fresh.status === 'rejected') throw fresh.reason;
    if (matches(fresh.value)) return fresh.value;
    // A failed read of AWSPREVIOUS matters only when nothing matched in AWSCURRENT.
    if (freshPrevious.status === 'rejected') throw freshPrevious.reason;
    return freshPrevious.value !== undefined && matches(freshPrevious.value) ? freshPrevious.value : undefined;
  }

  private shared(): Promise<T> {
    // Concurrent callers (npm start's server, or a burst at expiry) share one read.
    if (this.inflight) return this.inflight;
    // The reader caches the raw value: a malformed one would be served for the whole max age,
    // after an operator has fixed the secret. Such a value is read again, at most every interval.
    if (this.cachedIsBad && this.mayForce()) return this.forced();
    this.inflight = this.share(this.read(false));
    return this.inflight;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private mayForce(): boolean {
    return this.now() - this.lastForcedAt >= (this.options.minRefreshIntervalMs ?? 5000);
  }

  private forced(): Promise<T> {
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

  private share(read: Promise<T>): Promise<T> {
    const shared = read.finally(() => {
      if (this.inflight === shared) this.inflight = undefined;
    });
    return shared;
  }

  /** The string's parse, once per value and stage (the warm path: docs/performance.md). */
  private parsed(stage: 'AWSCURRENT' | 'AWSPREVIOUS', secretString: unknown): T {
    const last = this.lastParsed.get(stage);
    if (last !== undefined && last.secretString === secretString) return last.value;
    const value = this.use.parse(secretString);
    this.lastParsed.set(stage, { secretString, value });
    return value;
  }

  /**
   * AWSPREVIOUS, cached like the current one. None (undefined) when the secret has no previous
   * version, remembered for the max age, or when it holds no usable value; a failed read is the same
   * 500 as for the current version.
   */
  private async previous(forceFetch: boolean): Promise<T | undefined> {
    if (this.options.previousProvider === undefined) return undefined;
    // After a rotation the value it replaced is AWSPREVIOUS: what was issued before it must be served
    // at once, not after the forced-read interval or the max age.
    const stale = this.previousStale;
    if (!forceFetch && !stale && this.now() < this.noPreviousUntil) return undefined;
    // Cleared before the read: a rotation noticed while it is under way sets it again.
    this.previousStale = false;
    let secretString: unknown;
    try {
      secretString = await withTimeout(
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
      throw internalError(`previous ${this.use.name} could not be read: ${describeReadError(error)}`);
    }
    try {
      return this.parsed('AWSPREVIOUS', secretString);
    } catch {
      // An unusable previous version opens nothing; the current one still works.
      return undefined;
    }
  }

  private async read(forceFetch: boolean): Promise<T> {
    let secretString: unknown;
    try {
      secretString = await withTimeout(
        this.options.provider.get(this.options.secretId, { maxAge: this.options.maxAgeSeconds, forceFetch }),
        this.options.timeoutMs,
      );
    } catch (error) {
      throw internalError(`${this.use.name} secret could not be read: ${describeReadError(error)}`);
    }
    try {
      const value = this.parsed('AWSCURRENT', secretString);
      this.cachedIsBad = false;
      if (this.known !== undefined && !this.use.same(this.known, value)) {
        this.previousStale = true;
        this.noPreviousUntil = Number.NEGATIVE_INFINITY;
      }
      this.known = value;
      return value;
    } catch (error) {
      this.cachedIsBad = true;
      throw error;
    }
  }
}

class ReadTimeout extends Error {
  override readonly name = 'ReadTimeout';
}

/** Rejects when the read takes longer than `timeoutMs`; the read itself is left to finish. */
function withTimeout<T>(read: Promise<T>, timeoutMs: number | undefined): Promise<T> {
  if (timeoutMs === undefined) return read;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadTimeout()), timeoutMs);
  });
  return Promise.race([read, deadline]).finally(() => clearTimeout(timer));
}

/** The SDK error's name (under a wrapper's `cause`, as Powertools Parameters wrapped it, when there is one). */
function errorName(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const name = (cause as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/** The SDK error's name and status only: its message may quote the request. */
function describeReadError(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause ?? error;
  const name = errorName(error);
  const status = (cause as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (cause as { code?: unknown }).code;
  return [name ?? 'Error', status, typeof code === 'string' ? code : undefined]
    .filter((part) => part !== undefined)
    .join(' ');
}
