// The front door's sealed values: keyed per purpose from the registration that issued them, opened
// with the registration their key id names, never with another purpose, secret or registration.

import { deriveKey, seal } from '../../lambda/core/seal.js';
import { openSealed, sealFor } from '../../lambda/core/sealed.js';
import type { Registration } from '../../lambda/core/registration.js';

const current: Registration = { clientId: 'client-new', clientSecret: 'secret-new-0123456789' };
const previous: Registration = { clientId: 'client-old', clientSecret: 'secret-old-0123456789' };
const source = (...known: Registration[]) => ({
  forClient: async (clientId: string | undefined) => known.find((registration) => registration.clientId === clientId),
});

it('opens a value with the registration its key id names (current or previous), and says which', async () => {
  const sealed = sealFor('refresh_token', { refreshToken: 'upstream-refresh', scope: 'sso:account:access' }, previous);
  const opened = await openSealed('refresh_token', sealed, source(current, previous));
  expect(opened?.value).toEqual({ refreshToken: 'upstream-refresh', scope: 'sso:account:access' });
  expect(opened?.registration.clientId).toBe('client-old');
});

it('does not open a value for another purpose (a code is not a refresh token)', async () => {
  const sealed = sealFor('code', { code: 'upstream-code', redirectUri: 'https://app.example.com/', scope: '', expiresAt: 2e9 }, current);
  expect(await openSealed('refresh_token', sealed, source(current))).toBeUndefined();
  expect(await openSealed('state', sealed, source(current))).toBeUndefined();
  expect((await openSealed('code', sealed, source(current)))?.value.code).toBe('upstream-code');
});

it('does not open a value once its registration is gone, or under a new secret for the same client id', async () => {
  const sealed = sealFor('refresh_token', { refreshToken: 'x', scope: '' }, previous);
  expect(await openSealed('refresh_token', sealed, source(current))).toBeUndefined();
  // The derived-key cache must not hand out the old secret's key.
  const reissued: Registration = { clientId: 'client-old', clientSecret: 'another-secret-0123456789' };
  expect(await openSealed('refresh_token', sealed, source(reissued))).toBeUndefined();
});

it('refuses altered, truncated, oversized and foreign values without throwing', async () => {
  const sealed = sealFor('refresh_token', { refreshToken: 'x', scope: '' }, current);
  const flipped = `${sealed.slice(0, -3)}${sealed.at(-3) === 'A' ? 'B' : 'A'}${sealed.slice(-2)}`;
  for (const value of [flipped, sealed.slice(0, -10), `${sealed}.x`, 'x'.repeat(5000), 'aorPlainSsoOidcToken', '']) {
    expect(await openSealed('refresh_token', value, source(current))).toBeUndefined();
  }
});

// Values sealed before the payloads were typed (and by any version since) carry the same short wire
// members: a refresh token handed out before an upgrade still opens after it.
const legacyKey = (registration: Registration, purpose: string) =>
  deriveKey(registration.clientSecret, registration.clientId, `token-broker front door ${purpose} v1`);
const legacySeal = (value: unknown, registration: Registration, purpose: string) =>
  seal(value, legacyKey(registration, purpose), `token-broker front door ${purpose} v1`);

it('opens the wire members every version has sealed ({t, sc}, {c, r, sc, e}, {r, s, sc, e}, {d, sc})', async () => {
  expect((await openSealed('refresh_token', legacySeal({ t: 'rt', sc: 'a b' }, current, 'refresh_token'), source(current)))?.value).toEqual({
    refreshToken: 'rt',
    scope: 'a b',
  });
  expect((await openSealed('code', legacySeal({ c: 'c1', r: 'https://x/', sc: '', e: 5 }, current, 'code'), source(current)))?.value).toEqual({
    code: 'c1',
    redirectUri: 'https://x/',
    scope: '',
    expiresAt: 5,
  });
  expect((await openSealed('state', legacySeal({ r: 'https://x/', s: 'st', sc: '', e: 5 }, current, 'state'), source(current)))?.value).toEqual({
    redirectUri: 'https://x/',
    clientState: 'st',
    scope: '',
    expiresAt: 5,
  });
  // A device code sealed with a scope (earlier versions) opens; the scope, never sent to SSO OIDC, is not kept.
  expect((await openSealed('device_code', legacySeal({ d: 'dc', sc: 'sso:account:access' }, current, 'device_code'), source(current)))?.value).toEqual({
    deviceCode: 'dc',
  });
});

it('opens nothing whose members are not its purpose\'s: an array, a scalar, a missing or mistyped member', async () => {
  for (const wire of [['a'], 'a', {}, { t: 'rt' }, { t: 7, sc: '' }, { t: 'rt', sc: null }]) {
    expect(await openSealed('refresh_token', legacySeal(wire, current, 'refresh_token'), source(current))).toBeUndefined();
  }
  expect(await openSealed('state', legacySeal({ r: 'https://x/', s: 3, sc: '', e: 5 }, current, 'state'), source(current))).toBeUndefined();
});
