// The cookie keys of token-handler sessions (issue 11), read from their own Secrets Manager secret
// through Powertools Parameters' cache, as the client registration is (registration.ts): AWSCURRENT
// seals and opens, AWSPREVIOUS only opens, so that cookies sealed before a rotation keep working
// until the next one retires their key. Nothing read from the secret is ever logged or echoed.
//
// Secret value: `{ "keyId": "<1-64 of A-Z a-z 0-9 _ ->", "key": "<at least 43 random characters>" }`.
// `key` is input keying material for HKDF (seal.ts deriveKey), not the AES key itself, so any
// high-entropy string serves: the rotation step writes 32 random bytes in base64url, and
// CloudFormation's GenerateSecretString (64 letters and digits, about 380 bits) can seed a new secret.
// The key id travels in clear in every cookie (seal.ts) to pick the key; the key never leaves here.

import { randomBytes } from 'node:crypto';
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { inTime } from './deadline.js';
import { internalError } from './errors.js';
import { describeReadError, errorName, withDeadline } from './registration.js';
import { deriveKey, type SealKey } from './seal.js';

export interface CookieKey {
  readonly keyId: string;
  /** Input keying material (never logged). */
  readonly key: string;
}

/** The shortest `key` accepted: 43 characters is 32 bytes in base64url. */
export const MIN_KEY_CHARS = 43;

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** HKDF info: the raw key is never used directly, so the same bytes could never key two designs. */
const COOKIE_KEY_INFO = 'token-broker cookie sessions v1';

/** A new random key, as the rotation step and `npm start` make it. */
export function generateCookieKey(): { keyId: string; key: string } {
  return { keyId: `k${Date.now().toString(36)}${randomBytes(6).toString('hex')}`, key: randomBytes(32).toString('base64url') };
}

/** Validates a SecretString; failures name the problem, never the content. */
export function parseCookieKey(secretString: unknown): CookieKey {
  if (typeof secretString !== 'string') throw internalError('cookie keys secret has no SecretString');
  let value: unknown;
  try {
    value = JSON.parse(secretString);
  } catch {
    // JSON.parse's message quotes the input: it must not reach the log.
    throw internalError('cookie keys secret is not valid JSON');
  }
  const { keyId, key } = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
    throw internalError('cookie keys secret has no keyId of 1 to 64 characters A-Z a-z 0-9 _ -');
  }
  if (typeof key !== 'string' || key.length < MIN_KEY_CHARS || key.length > 1024) {
    throw internalError(`cookie keys secret has no key string of ${MIN_KEY_CHARS} to 1024 characters`);
  }
  return { keyId, key };
}

/** The seal key for cookies derived from a stored key. */
export const sealKeyOf = (stored: CookieKey): SealKey => deriveKey(stored.key, stored.keyId, COOKIE_KEY_INFO);

export interface CookieKeySourceOptions {
  readonly secretId: string;
  readonly maxAgeSeconds: number;
  readonly provider: Pick<SecretsProvider, 'get'>;
  /** Reads AWSPREVIOUS: a provider of its own, because Powertools caches by secret name alone. */
  readonly previousProvider: Pick<SecretsProvider, 'get'>;
  readonly timeoutMs?: number;
  /** Forced re-reads (a key id this instance does not know yet) closer together than this are not made. */
  readonly minRefreshIntervalMs?: number;
  readonly now?: () => number;
}

export class CookieKeySource {
  private lastForcedAt = Number.NEGATIVE_INFINITY;
  /** Until when the secret is known to have no AWSPREVIOUS version. */
  private noPreviousUntil = Number.NEGATIVE_INFINITY;
  private readonly derived = new Map<string, SealKey>();

  constructor(private readonly options: CookieKeySourceOptions) {}

  /** The key new cookies are sealed with; within the request's deadline (deadline.ts), as every read is. */
  async current(): Promise<SealKey> {
    return inTime(this.currentKey(false), 'reading the cookie keys');
  }

  private async currentKey(forceFetch: boolean): Promise<SealKey> {
    return this.derive(parseCookieKey(await this.read('AWSCURRENT', forceFetch)));
  }

  /**
   * The key a cookie names: current, previous, or, when neither, a fresher current one (another
   * instance may already seal with a key this one has not read yet; rate-limited). Undefined when
   * no key has that id: the cookie's key was retired, or the id is made up.
   */
  async forKeyId(keyId: string | undefined): Promise<SealKey | undefined> {
    if (keyId === undefined) return undefined;
    return inTime(this.find(keyId), 'reading the cookie keys');
  }

  private async find(keyId: string): Promise<SealKey | undefined> {
    const current = await this.currentKey(false);
    if (current.id === keyId) return current;
    const previous = await this.previous(false);
    if (previous?.id === keyId) return previous;
    if (this.now() - this.lastForcedAt < (this.options.minRefreshIntervalMs ?? 5000)) return undefined;
    this.lastForcedAt = this.now();
    const fresh = await this.currentKey(true);
    if (fresh.id === keyId) return fresh;
    const freshPrevious = await this.previous(true);
    return freshPrevious?.id === keyId ? freshPrevious : undefined;
  }

  /** Starts the first read at cold start; a failure is left for the first request to report. */
  prefetch(): void {
    this.currentKey(false).catch(() => undefined);
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private derive(stored: CookieKey): SealKey {
    // Derivation is cheap but not free (HKDF): once per key id.
    const cacheKey = `${stored.keyId}\u0000${stored.key}`;
    let key = this.derived.get(cacheKey);
    if (key === undefined) {
      key = sealKeyOf(stored);
      if (this.derived.size > 8) this.derived.clear();
      this.derived.set(cacheKey, key);
    }
    return key;
  }

  private async previous(forceFetch: boolean): Promise<SealKey | undefined> {
    if (!forceFetch && this.now() < this.noPreviousUntil) return undefined;
    let secretString: unknown;
    try {
      secretString = await this.read('AWSPREVIOUS', forceFetch);
    } catch (error) {
      if (!(error instanceof NoVersion)) throw error;
      this.noPreviousUntil = this.now() + this.options.maxAgeSeconds * 1000;
      return undefined;
    }
    try {
      return this.derive(parseCookieKey(secretString));
    } catch {
      // An unusable previous version opens nothing; the current key still works.
      return undefined;
    }
  }

  private async read(stage: 'AWSCURRENT' | 'AWSPREVIOUS', forceFetch: boolean): Promise<unknown> {
    const provider = stage === 'AWSCURRENT' ? this.options.provider : this.options.previousProvider;
    let secretString: unknown;
    try {
      secretString = await withDeadline(
        provider.get(this.options.secretId, {
          maxAge: this.options.maxAgeSeconds,
          forceFetch,
          ...(stage === 'AWSPREVIOUS' ? { sdkOptions: { VersionStage: 'AWSPREVIOUS' } } : {}),
        }),
        this.options.timeoutMs,
      );
    } catch (error) {
      if (stage === 'AWSPREVIOUS' && errorName(error) === 'ResourceNotFoundException') throw new NoVersion();
      throw internalError(`cookie keys secret (${stage}) could not be read: ${describeReadError(error)}`);
    }
    return secretString;
  }
}

class NoVersion extends Error {
  override readonly name = 'NoVersion';
}
