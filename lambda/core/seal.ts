// Sealed values: small JSON payloads that the broker hands out and later takes back (the front
// door's `state`, authorization codes and refresh tokens; the token handler's cookies), encrypted
// and authenticated with AES-256-GCM so that a holder can neither read nor alter them. This is how
// the broker stays stateless: what it must remember travels with the browser or the client, sealed.
//
// Wire form: `<key id>.<iv ‖ ciphertext ‖ tag>`, both base64url. The key id is in clear so that the
// right key (current or previous) can be picked before opening. The additional authenticated data
// is the purpose and the key id, so a value sealed for one purpose (a login cookie) cannot be
// opened as another (a session cookie), and a key id cannot be swapped.

import { createCipheriv, createDecipheriv, createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

export interface SealKey {
  /** Travels in clear in every sealed value: never secret material. */
  readonly id: string;
  /** 32 bytes. */
  readonly key: Uint8Array;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

const aad = (purpose: string, keyId: string): Buffer => Buffer.from(`${purpose}\u0000${keyId}`, 'utf8');

/**
 * Each key's KeyObject, made once: given raw bytes, every cipher would import the key again, which
 * costs more CPU than sealing a cookie (about 10 µs a cipher, measured; docs/performance.md).
 */
const keyObjects = new WeakMap<Uint8Array, KeyObject>();
function keyObjectOf(key: SealKey): KeyObject {
  let object = keyObjects.get(key.key);
  if (object === undefined) {
    if (key.key.byteLength !== KEY_BYTES) throw new Error('a seal key must be 32 bytes');
    object = createSecretKey(key.key);
    keyObjects.set(key.key, object);
  }
  return object;
}

/** Encrypts `value` (any JSON) under `key` for one `purpose`. */
export function seal(value: unknown, key: SealKey, purpose: string): string {
  return sealBytes(Buffer.from(JSON.stringify(value), 'utf8'), key, purpose);
}

/** Encrypts bytes under `key` for one `purpose` (the cookie sessions seal their compressed payload). */
export function sealBytes(plain: Uint8Array, key: SealKey, purpose: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', keyObjectOf(key), iv);
  cipher.setAAD(aad(purpose, key.id));
  const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
  return `${Buffer.from(key.id, 'utf8').toString('base64url')}.${Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')}`;
}

/** The key id a sealed value names, or undefined when it is not one: pick the key with it. */
export function sealedKeyId(sealed: string): string | undefined {
  const dot = sealed.indexOf('.');
  if (dot <= 0 || sealed.indexOf('.', dot + 1) !== -1) return undefined;
  const encoded = sealed.slice(0, dot);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return undefined;
  const id = Buffer.from(encoded, 'base64url').toString('utf8');
  return Buffer.from(id, 'utf8').toString('base64url') === encoded && id.length > 0 ? id : undefined;
}

/**
 * The value sealed under `key` for `purpose`, or undefined when the value is malformed, was sealed
 * under another key or for another purpose, or was altered in any way. Never throws: a caller turns
 * undefined into its own clean 4xx.
 */
export function unseal(sealed: string, key: SealKey, purpose: string): unknown {
  const plain = unsealBytes(sealed, key, purpose);
  if (plain === undefined) return undefined;
  try {
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** The bytes sealed under `key` for `purpose`, or undefined (as unseal). */
export function unsealBytes(sealed: string, key: SealKey, purpose: string): Buffer | undefined {
  if (sealedKeyId(sealed) !== key.id) return undefined;
  const body = sealed.slice(sealed.indexOf('.') + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
  const bytes = Buffer.from(body, 'base64url');
  // Only the canonical encoding is accepted: base64's unused low bits could otherwise be altered.
  if (bytes.length < IV_BYTES + TAG_BYTES || bytes.toString('base64url') !== body) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyObjectOf(key), bytes.subarray(0, IV_BYTES));
    decipher.setAAD(aad(purpose, key.id));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/**
 * A 32-byte key derived (HKDF-SHA256, RFC 5869) from secret material for one use, so that one
 * secret can key several purposes without any two sharing a key.
 */
export function deriveKey(secret: string | Uint8Array, id: string, info: string): SealKey {
  if (id.length === 0 || id.length > 256) throw new Error('a seal key id must be 1 to 256 characters');
  const material = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  if (material.byteLength === 0) throw new Error('a seal key needs non-empty secret material');
  return { id, key: new Uint8Array(hkdfSync('sha256', material, Buffer.alloc(0), info, KEY_BYTES)) };
}
