// The standard OAuth 2.0 front door against hostile input (fast-check), over raw HTTP against the SSO
// OIDC and Secrets Manager emulators: any form at the token endpoint and any query at the
// authorization endpoint, and nothing they carry reaches SSO OIDC or a redirect elsewhere.

import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { RFC_ERRORS } from '../../lambda/core/errors.js';
import { PUBLIC_CLIENT_ID, get } from '../helpers/front-door.js';
import { pkcePair } from '../helpers/pkce.js';
import { DEVICE, environment, REDIRECT, setUpFrontDoor, token, upstreamTokenCalls, url } from './support/front-door.js';

const clock = Date.now();
setUpFrontDoor(() => clock);

describe('hostile input (fast-check)', () => {
  const names = fc.constantFrom('grant_type', 'client_id', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'device_code', 'client_secret', 'x', '');
  const value = fc.oneof(fc.string(), fc.constantFrom('authorization_code', 'refresh_token', DEVICE, PUBLIC_CLIENT_ID, REDIRECT, '%', '%ZZ', '+', '&', '='));
  const pairs = fc.array(fc.tuple(names, value), { maxLength: 12 });
  const encode = (list: [string, string][], raw: boolean) =>
    list.map(([name, text]) => (raw ? `${name}=${text}` : `${encodeURIComponent(name)}=${encodeURIComponent(text)}`)).join('&');

  it('RFC 6749 §5.2: any form at the token endpoint is a JSON RFC error or a success, and nothing it carries reaches SSO OIDC', async () => {
    const before = upstreamTokenCalls();
    await fc.assert(
      fc.asyncProperty(pairs, fc.boolean(), async (list, raw) => {
        const response = await token(encode(list, raw));
        expect(response.status).toBeGreaterThanOrEqual(400);
        expect(response.status).toBeLessThan(500);
        expect(RFC_ERRORS.has(String(response.body.error))).toBe(true);
        expect(response.headers.get('cache-control')).toBe('no-store');
      }),
      { numRuns: 150 },
    );
    // Random forms carry no code, token or device code the broker sealed: none is sent upstream.
    expect(upstreamTokenCalls()).toBe(before);
  });

  it('RFC 6749 §4.1.2.1: any query at the authorization endpoint is a page or a redirect to the one allowed URI, never elsewhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom('response_type', 'client_id', 'redirect_uri', 'state', 'scope', 'code_challenge', 'code_challenge_method', 'response_mode'), value), { maxLength: 10 }),
        fc.boolean(),
        async (list, raw) => {
          const response = await get(`${url}/oauth2/authorize?${encode(list, raw)}`);
          if (response.status === 302) {
            const location = response.location!;
            expect(location.startsWith(`${REDIRECT}?`) || location.startsWith(`${environment.oidc.url}/authorize?`)).toBe(true);
          } else {
            expect(response.status).toBe(400);
            expect(response.location).toBeNull();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

// Keeps the PKCE helper's S256 honest against the one this file assumes.
it('test helper: S256 challenge is base64url(SHA-256(verifier))', () => {
  const { verifier, challenge } = pkcePair();
  expect(challenge).toBe(createHash('sha256').update(verifier).digest('base64url'));
});
