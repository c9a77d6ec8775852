// The front door's sealed values (lambda/seal.ts): the `state` sent to SSO OIDC, the authorization
// codes and refresh tokens (and device codes) handed to clients. Each is keyed from the client
// registration that issued the upstream value, one key per purpose, and names that registration
// (the key id is its client id): after a rotation a value still opens, with the registration that
// can redeem it upstream (current or AWSPREVIOUS). No new secret to deploy or rotate.

import type { Registration, RegistrationSource } from './registration.js';
import { deriveKey, seal, sealedKeyId, unseal, type SealKey } from './seal.js';

export type Purpose = 'state' | 'code' | 'refresh_token' | 'device_code';

/** Longer than any value the front door seals; anything longer is refused unopened. */
const MAX_SEALED_CHARS = 4096;

const info = (purpose: Purpose): string => `token-broker front door ${purpose} v1`;

/**
 * Keys derived once per registration and purpose, not per request (HKDF costs about 12 µs of CPU, and
 * a refresh opens one value and seals another: docs/performance.md). Keyed by the registration
 * object, which RegistrationSource keeps for as long as the secret holds the same value.
 */
const derived = new WeakMap<Registration, Map<Purpose, SealKey>>();

function keyFor(registration: Registration, purpose: Purpose): SealKey {
  let byPurpose = derived.get(registration);
  if (byPurpose === undefined) derived.set(registration, (byPurpose = new Map()));
  let key = byPurpose.get(purpose);
  if (key === undefined) byPurpose.set(purpose, (key = deriveKey(registration.clientSecret, registration.clientId, info(purpose))));
  return key;
}

export function sealFor(value: unknown, registration: Registration, purpose: Purpose): string {
  return seal(value, keyFor(registration, purpose), info(purpose));
}

export interface Opened {
  readonly value: Record<string, unknown>;
  readonly registration: Registration;
}

/**
 * The sealed object and the registration it was sealed under, or undefined when the value is not
 * one of ours for this purpose, names a registration the secret no longer holds, or was altered.
 */
export async function openSealed(
  sealed: string,
  purpose: Purpose,
  registrations: Pick<RegistrationSource, 'forClient'>,
): Promise<Opened | undefined> {
  if (sealed.length > MAX_SEALED_CHARS) return undefined;
  const keyId = sealedKeyId(sealed);
  if (keyId === undefined) return undefined;
  const registration = await registrations.forClient(keyId);
  if (registration === undefined || registration.clientId !== keyId) return undefined;
  const value = unseal(sealed, keyFor(registration, purpose), info(purpose));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return { value: value as Record<string, unknown>, registration };
}

/** Epoch seconds `seconds` from now: sealed values carry their own expiry. */
export const expiresIn = (seconds: number, now = Date.now()): number => Math.floor(now / 1000) + seconds;

export const isExpired = (exp: unknown, now = Date.now()): boolean => typeof exp !== 'number' || exp <= now / 1000;
