// The front door's sealed values (seal.ts): the `state` sent to SSO OIDC, and the authorization
// codes, refresh tokens and device codes handed to clients. Each is keyed from the client
// registration that issued the upstream value, one key per purpose, and names that registration (the
// key id is its client id): after a rotation a value still opens, with the registration that can
// redeem it upstream (current or AWSPREVIOUS). No new secret to deploy or rotate.
// Each purpose has a typed payload; on the wire its members have one- or two-letter names, which
// keep values short (they travel in URLs and cookies) and keep values sealed by earlier versions
// opening.

import type { Registration, RegistrationSource } from './registration.js';
import { deriveKey, seal, sealedKeyId, unseal, type SealKey } from './seal.js';

/** The client's redirect URI and state, kept in the `state` sent to SSO OIDC until the callback. */
interface SealedState {
  readonly redirectUri: string;
  readonly clientState?: string;
  /** The scope sent to SSO OIDC, to report as granted: space-separated, '' when none was. */
  readonly scope: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
  /** A cookie session's sign-in (/bff/login/start): its code is redeemed by /bff/login/end only. */
  readonly forSession?: true;
}

/** SSO OIDC's code, handed to the client sealed, with what the token request must match. */
interface SealedCode {
  readonly code: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly expiresAt: number;
  readonly forSession?: true;
}

/** SSO OIDC's refresh token and the scope it was granted. */
interface SealedRefreshToken {
  readonly refreshToken: string;
  readonly scope: string;
}

/**
 * SSO OIDC's device code. No scope: StartDeviceAuthorization takes none, so none is known to be
 * granted (values sealed by earlier versions carry one, which is ignored).
 */
interface SealedDeviceCode {
  readonly deviceCode: string;
}

interface Payloads {
  state: SealedState;
  code: SealedCode;
  refresh_token: SealedRefreshToken;
  device_code: SealedDeviceCode;
}

export type Purpose = keyof Payloads;

type Wire = Record<string, unknown>;
/** The session mark on the wire (`b: 1`) and back; values without it are the front door's own. */
const session = (value: { readonly forSession?: true }): Wire => (value.forSession === true ? { b: 1 } : {});
const forSession = (wire: Wire): { forSession?: true } => (wire.b === 1 ? { forSession: true } : {});
const isString = (value: unknown): value is string => typeof value === 'string';
const isNumber = (value: unknown): value is number => typeof value === 'number';

/** Each payload to its wire members and back; a wire value of the wrong shape opens as nothing. */
const CODECS: { readonly [P in Purpose]: { encode(value: Payloads[P]): Wire; decode(wire: Wire): Payloads[P] | undefined } } = {
  state: {
    encode: (v) => ({ r: v.redirectUri, ...(v.clientState === undefined ? {} : { s: v.clientState }), sc: v.scope, e: v.expiresAt, ...session(v) }),
    decode: (w) =>
      isString(w.r) && isString(w.sc) && isNumber(w.e) && (w.s === undefined || isString(w.s))
        ? { redirectUri: w.r, ...(w.s === undefined ? {} : { clientState: w.s }), scope: w.sc, expiresAt: w.e, ...forSession(w) }
        : undefined,
  },
  code: {
    encode: (v) => ({ c: v.code, r: v.redirectUri, sc: v.scope, e: v.expiresAt, ...session(v) }),
    decode: (w) =>
      isString(w.c) && isString(w.r) && isString(w.sc) && isNumber(w.e)
        ? { code: w.c, redirectUri: w.r, scope: w.sc, expiresAt: w.e, ...forSession(w) }
        : undefined,
  },
  refresh_token: {
    encode: (v) => ({ t: v.refreshToken, sc: v.scope }),
    decode: (w) => (isString(w.t) && isString(w.sc) ? { refreshToken: w.t, scope: w.sc } : undefined),
  },
  device_code: {
    encode: (v) => ({ d: v.deviceCode }),
    decode: (w) => (isString(w.d) ? { deviceCode: w.d } : undefined),
  },
};

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

export function sealFor<P extends Purpose>(purpose: P, value: Payloads[P], registration: Registration): string {
  return seal(CODECS[purpose].encode(value), keyFor(registration, purpose), info(purpose));
}

export interface Opened<P extends Purpose> {
  readonly value: Payloads[P];
  readonly registration: Registration;
}

/**
 * The sealed payload and the registration it was sealed under, or undefined when the value is not
 * one of ours for this purpose, names a registration the secret no longer holds, or was altered.
 */
export async function openSealed<P extends Purpose>(
  purpose: P,
  sealed: string,
  registrations: Pick<RegistrationSource, 'forClient'>,
): Promise<Opened<P> | undefined> {
  if (sealed.length > MAX_SEALED_CHARS) return undefined;
  const keyId = sealedKeyId(sealed);
  if (keyId === undefined) return undefined;
  const registration = await registrations.forClient(keyId);
  if (registration === undefined || registration.clientId !== keyId) return undefined;
  const wire = unseal(sealed, keyFor(registration, purpose), info(purpose));
  if (typeof wire !== 'object' || wire === null || Array.isArray(wire)) return undefined;
  const value = CODECS[purpose].decode(wire as Wire);
  return value === undefined ? undefined : { value, registration };
}

/** Epoch seconds `seconds` from now: sealed values carry their own expiry. */
export const expiresIn = (seconds: number, now = Date.now()): number => Math.floor(now / 1000) + seconds;

export const isExpired = (expiresAt: number, now = Date.now()): boolean => expiresAt <= now / 1000;
