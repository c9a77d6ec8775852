// The front door's sealed values: keyed per purpose from the registration that issued them, opened
// with the registration their key id names, never with another purpose, secret or registration.

import { openSealed, sealFor } from '../../lambda/core/sealed.js';
import type { Registration } from '../../lambda/core/registration.js';

const current: Registration = { clientId: 'client-new', clientSecret: 'secret-new-0123456789' };
const previous: Registration = { clientId: 'client-old', clientSecret: 'secret-old-0123456789' };
const source = (...known: Registration[]) => ({
  forClient: async (clientId: string | undefined) => known.find((registration) => registration.clientId === clientId),
});

it('opens a value with the registration its key id names (current or previous), and says which', async () => {
  const sealed = sealFor({ t: 'upstream-refresh' }, previous, 'refresh_token');
  const opened = await openSealed(sealed, 'refresh_token', source(current, previous));
  expect(opened?.value).toEqual({ t: 'upstream-refresh' });
  expect(opened?.registration.clientId).toBe('client-old');
});

it('does not open a value for another purpose (a code is not a refresh token)', async () => {
  const sealed = sealFor({ c: 'upstream-code' }, current, 'code');
  expect(await openSealed(sealed, 'refresh_token', source(current))).toBeUndefined();
  expect(await openSealed(sealed, 'state', source(current))).toBeUndefined();
});

it('does not open a value once its registration is gone, or under a new secret for the same client id', async () => {
  const sealed = sealFor({ t: 'x' }, previous, 'refresh_token');
  expect(await openSealed(sealed, 'refresh_token', source(current))).toBeUndefined();
  // The derived-key cache must not hand out the old secret's key.
  const reissued: Registration = { clientId: 'client-old', clientSecret: 'another-secret-0123456789' };
  expect(await openSealed(sealed, 'refresh_token', source(reissued))).toBeUndefined();
});

it('refuses altered, truncated, oversized and foreign values without throwing', async () => {
  const sealed = sealFor({ t: 'x' }, current, 'refresh_token');
  const flipped = `${sealed.slice(0, -3)}${sealed.at(-3) === 'A' ? 'B' : 'A'}${sealed.slice(-2)}`;
  for (const value of [flipped, sealed.slice(0, -10), `${sealed}.x`, 'x'.repeat(5000), 'aorPlainSsoOidcToken', '']) {
    expect(await openSealed(value, 'refresh_token', source(current))).toBeUndefined();
  }
});

it('seals a JSON object only: an array or scalar inside is refused on opening', async () => {
  expect(await openSealed(sealFor(['a'], current, 'state'), 'state', source(current))).toBeUndefined();
  expect(await openSealed(sealFor('a', current, 'state'), 'state', source(current))).toBeUndefined();
});
