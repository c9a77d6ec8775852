// The cookie keys of token-handler sessions, read from their own Secrets Manager secret through the
// versioned-secret cache (secrets.ts), as the client registration is: AWSCURRENT seals and opens,
// AWSPREVIOUS only opens, so that cookies sealed before a rotation keep working until the next one
// retires their key. Nothing read from the secret is ever logged or echoed.
//
// Secret value: `{ "keyId": "<1-64 of A-Z a-z 0-9 _ ->", "key": "<at least 43 random characters>" }`.
// `key` is input keying material for HKDF (seal.ts deriveKey), not the AES key itself, so any
// high-entropy string serves: the rotation step writes 32 random bytes in base64url, and
// CloudFormation's GenerateSecretString (64 letters and digits, about 380 bits) can seed a new secret.
// The key id travels in clear in every cookie (seal.ts) to pick the key; the key never leaves here.

import { randomBytes } from 'node:crypto';
import { internalError } from './errors.js';
import { deriveKey, type SealKey } from './seal.js';
import { VersionedSecret, type VersionedSecretOptions } from './secrets.js';

export interface CookieKey {
  readonly keyId: string;
  /** Input keying material (never logged). */
  readonly key: string;
}

/** The shortest `key` accepted: 43 characters is 32 bytes in base64url. */
const MIN_KEY_CHARS = 43;

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

/**
 * The cookie keys secret, cached (secrets.ts) like the registration: the current key seals and
 * opens, the previous one only opens. Keys are derived once per value.
 */
export class CookieKeySource {
  private readonly secret: VersionedSecret<SealKey>;

  constructor(options: VersionedSecretOptions<SealKey>) {
    this.secret = new VersionedSecret(options, {
      name: 'cookie keys',
      parse: (secretString) => sealKeyOf(parseCookieKey(secretString)),
      same: (a, b) => a.id === b.id && Buffer.compare(a.key, b.key) === 0,
    });
  }

  /** The key new cookies are sealed with. */
  current(): Promise<SealKey> {
    return this.secret.current();
  }

  /**
   * The key a cookie names: current, previous, or, when neither, a fresher one (another instance may
   * already seal with a key this one has not read yet; rate-limited). Undefined when no key has that
   * id: the cookie's key was retired, or the id is made up.
   */
  async forKeyId(keyId: string | undefined): Promise<SealKey | undefined> {
    return keyId === undefined ? undefined : this.secret.find((key) => key.id === keyId);
  }

  /** Starts the first read at cold start; a failure is left for the first request to report. */
  prefetch(): void {
    this.secret.prefetch();
  }
}
