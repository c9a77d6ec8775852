// AES-256-GCM sealed values: round trips, and every alteration, key or purpose mix-up refused.
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { deriveKey, seal, sealedKeyId, unseal, type SealKey } from '../../lambda/core/seal.js';

const key = (id: string): SealKey => ({ id, key: new Uint8Array(randomBytes(32)) });

describe('seal / unseal', () => {
  it('round-trips any JSON value and names its key in clear', () => {
    const k = key('k1');
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const sealed = seal(value, k, 'test');
        expect(sealedKeyId(sealed)).toBe('k1');
        // JSON round trip: -0 becomes 0, as JSON.stringify makes it.
        expect(unseal(sealed, k, 'test')).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it('hides the payload: the sealed text does not contain it', () => {
    const sealed = seal({ refreshToken: 'refresh-token-value' }, key('k1'), 'test');
    expect(sealed).not.toContain('refresh-token-value');
    expect(Buffer.from(sealed.split('.')[1]!, 'base64url').toString('latin1')).not.toContain('refresh-token-value');
  });

  it('refuses a value sealed for another purpose (the purpose is authenticated data)', () => {
    const k = key('k1');
    expect(unseal(seal({ a: 1 }, k, 'login'), k, 'session')).toBeUndefined();
  });

  it('refuses a value sealed under another key, or with its key id swapped', () => {
    const k1 = key('k1');
    const other = { id: 'k1', key: new Uint8Array(randomBytes(32)) };
    const sealed = seal({ a: 1 }, k1, 'p');
    expect(unseal(sealed, other, 'p')).toBeUndefined();
    const swapped = `${Buffer.from('k2').toString('base64url')}.${sealed.split('.')[1]}`;
    expect(unseal(swapped, { id: 'k2', key: k1.key }, 'p')).toBeUndefined();
  });

  it('refuses every single-character alteration and every truncation', () => {
    const k = key('k1');
    const sealed = seal({ session: 'x'.repeat(40) }, k, 'p');
    fc.assert(
      fc.property(fc.nat(sealed.length - 1), fc.constantFrom(...'ABCDEFabcdef0123456789-_.='), (at, ch) => {
        fc.pre(sealed[at] !== ch);
        const altered = sealed.slice(0, at) + ch + sealed.slice(at + 1);
        expect(unseal(altered, k, 'p')).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
    for (let length = 0; length < sealed.length; length += 1) expect(unseal(sealed.slice(0, length), k, 'p')).toBeUndefined();
  });

  it('never throws on garbage', () => {
    const k = key('k1');
    fc.assert(fc.property(fc.string(), (text) => expect(unseal(text, k, 'p')).toBeUndefined()));
    expect(sealedKeyId('')).toBeUndefined();
    expect(sealedKeyId('a.b.c')).toBeUndefined();
  });
});

describe('deriveKey (HKDF-SHA256)', () => {
  it('is deterministic for one secret and purpose, and different across purposes and secrets', () => {
    const a = deriveKey('secret', 'id', 'state');
    expect(Buffer.from(deriveKey('secret', 'id', 'state').key)).toEqual(Buffer.from(a.key));
    expect(Buffer.from(deriveKey('secret', 'id', 'code').key)).not.toEqual(Buffer.from(a.key));
    expect(Buffer.from(deriveKey('secret2', 'id', 'state').key)).not.toEqual(Buffer.from(a.key));
    expect(a.key.byteLength).toBe(32);
  });

  it('refuses empty material and empty key ids', () => {
    expect(() => deriveKey('', 'id', 'x')).toThrow();
    expect(() => deriveKey('s', '', 'x')).toThrow();
  });
});
