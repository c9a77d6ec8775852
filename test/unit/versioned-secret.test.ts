// The versioned-secret cache (lambda/core/secrets.ts) when several requests meet a version this
// instance has not read yet at the same moment: all of them find it (with the cookie keys: none of
// them signs its user out), while only one reads the secret again.

import { jest } from '@jest/globals';
import { CookieKeySource, generateCookieKey } from '../../lambda/core/cookie-keys.js';

it('requests meeting a new AWSCURRENT at once all find it, with one forced read of each stage', async () => {
  const k0 = generateCookieKey();
  const k1 = generateCookieKey();
  const stored = { AWSCURRENT: k0, AWSPREVIOUS: undefined as typeof k0 | undefined };
  const cache = new Map<string, string>();
  /** Powertools' provider as the cache uses it: cached per stage unless forced; every fetch takes a turn of the event loop. */
  const providerFor = (stage: 'AWSCURRENT' | 'AWSPREVIOUS') => ({
    get: jest.fn(async (_name: string, options?: { forceFetch?: boolean }) => {
      if (options?.forceFetch !== true && cache.has(stage)) return cache.get(stage);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const value = stored[stage];
      if (value === undefined) throw Object.assign(new Error('none'), { name: 'ResourceNotFoundException' });
      cache.set(stage, JSON.stringify(value));
      return cache.get(stage);
    }),
  });
  const current = providerFor('AWSCURRENT');
  const previous = providerFor('AWSPREVIOUS');
  type Provider = ConstructorParameters<typeof CookieKeySource>[0]['provider'];
  const source = new CookieKeySource({ secretId: 'keys', maxAgeSeconds: 300, provider: current as unknown as Provider, previousProvider: previous as unknown as Provider });
  expect((await source.current()).id).toBe(k0.keyId);
  // Rotation: K1 current, K0 previous. This instance still caches K0 as current.
  stored.AWSPREVIOUS = k0;
  stored.AWSCURRENT = k1;
  const found = await Promise.all(Array.from({ length: 5 }, () => source.forKeyId(k1.keyId)));
  expect(found.map((key) => key?.id)).toEqual(Array(5).fill(k1.keyId));
  expect(current.get.mock.calls.filter(([, options]) => (options as { forceFetch?: boolean } | undefined)?.forceFetch === true)).toHaveLength(1);
  // The key it replaced still opens, as AWSPREVIOUS.
  expect((await source.forKeyId(k0.keyId))?.id).toBe(k0.keyId);
  expect(await source.forKeyId('made-up')).toBeUndefined();
});
