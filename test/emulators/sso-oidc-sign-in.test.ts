// The SSO OIDC emulator, driven the way the broker drives the real service: through the AWS SDK's
// client over HTTP (and with raw fetch where the exact wire form matters). Here RegisterClient and the
// authorization code flow with PKCE through the emulator's sign-in pages (cancel, autoApprove, the
// loopback redirect rule, the demo's idToken). Refresh and device code: sso-oidc-tokens.test.ts;
// CreateToken's errors: sso-oidc-errors.test.ts; faults and bookkeeping: sso-oidc-faults.test.ts.

import {
  CreateTokenCommand,
  InvalidClientMetadataException,
  InvalidRedirectUriException,
  RegisterClientCommand,
  StartDeviceAuthorizationCommand,
  UnauthorizedClientException,
} from '@aws-sdk/client-sso-oidc';
import { AUTHORIZATION_CODE, DEMO_USER, REFRESH_TOKEN, SsoOidcEmulator } from '../../local/emulators/sso-oidc.js';
import { pkcePair } from '../helpers/pkce.js';
import {
  autoApproving,
  credentials,
  failure,
  oidc,
  REDIRECT,
  register,
  SCOPES,
  sdk,
  sdkFor,
  setUpEmulators,
  signIn,
  START_URL,
} from './support/sso-oidc.js';

const clock = Date.UTC(2026, 10, 1);
setUpEmulators(() => clock);

/** The hidden fields of the sign-in page's form, unescaped. */
function hiddenFields(html: string): URLSearchParams {
  const unescape = (text: string) => text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  const fields = new URLSearchParams();
  for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields.append(unescape(name!), unescape(value!));
  }
  return fields;
}

function authorizeUrl(emulator: SsoOidcEmulator, params: Record<string, string>): string {
  return `${emulator.url}/authorize?${new URLSearchParams(params).toString()}`;
}

describe('RegisterClient', () => {
  test('answers a registration with the modeled members', async () => {
    const answer = await sdk.send(
      new RegisterClientCommand({
        clientName: 'Emulator Test App',
        clientType: 'public',
        grantTypes: [AUTHORIZATION_CODE, REFRESH_TOKEN],
        redirectUris: [REDIRECT],
        issuerUrl: 'https://identitycenter.example.com',
        scopes: SCOPES,
      }),
    );

    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(answer.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.clientId).toEqual(expect.any(String));
    expect(answer.clientSecret).toEqual(expect.any(String));
    expect(answer.clientIdIssuedAt).toBe(Math.floor(clock / 1000));
    expect(answer.clientSecretExpiresAt).toBe(answer.clientIdIssuedAt! + 90 * 86_400);
    expect(answer.authorizationEndpoint).toBe(`${oidc.url}/authorize`);
    expect(answer.tokenEndpoint).toBe(`${oidc.url}/token`);
  });

  test('registers the device code and refresh token grants when none are given, as the service does', async () => {
    const answer = await sdk.send(new RegisterClientCommand({ clientName: 'cli', clientType: 'public' }));
    await expect(sdk.send(new StartDeviceAuthorizationCommand({ ...credentials(answer), startUrl: START_URL }))).resolves.toBeDefined();
    const error = await failure(
      sdk.send(new CreateTokenCommand({ ...credentials(answer), grantType: AUTHORIZATION_CODE, code: 'x', redirectUri: REDIRECT })),
    );
    expect(error).toBeInstanceOf(UnauthorizedClientException);
  });

  test('rejects bad metadata and a redirect URI that is not absolute', async () => {
    const metadata = await failure(sdk.send(new RegisterClientCommand({ clientName: 'x', clientType: 'confidential' })));
    expect(metadata).toBeInstanceOf(InvalidClientMetadataException);
    expect(metadata).toMatchObject({ name: 'InvalidClientMetadataException', error: 'invalid_client_metadata' });
    expect(metadata.$metadata).toMatchObject({ httpStatusCode: 400 });

    const redirect = await failure(
      sdk.send(new RegisterClientCommand({ clientName: 'x', clientType: 'public', grantTypes: [AUTHORIZATION_CODE], redirectUris: ['/callback'] })),
    );
    expect(redirect).toBeInstanceOf(InvalidRedirectUriException);
    expect(redirect).toMatchObject({ error: 'invalid_redirect_uri' });
  });
});

describe('authorization code with PKCE', () => {
  test('runs the browser flow over HTTP, then CreateToken', async () => {
    const registration = register();
    const { verifier, challenge } = pkcePair();
    const signInPage = await fetch(
      authorizeUrl(oidc, {
        response_type: 'code',
        client_id: registration.clientId,
        redirect_uri: REDIRECT,
        state: 'state & more',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        scopes: 'openid email',
      }),
      { redirect: 'manual' },
    );
    expect(signInPage.status).toBe(200);
    expect(signInPage.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await signInPage.text();
    expect(html).toContain('<title>IAM Identity Center (local emulator)</title>');
    expect(html).toContain('Emulator Test App');
    expect(html).toContain('<button id="sign-in" name="decision" value="allow">Sign in as demo user</button>');
    expect(html).toContain('<button id="deny" name="decision" value="deny">Cancel</button>');

    const form = hiddenFields(html);
    expect(form.get('state')).toBe('state & more');
    form.set('decision', 'allow');
    const redirect = await fetch(`${oidc.url}/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get('state')).toBe('state & more');
    const code = location.searchParams.get('code')!;

    const tokens = await sdk.send(
      new CreateTokenCommand({ ...credentials(registration), grantType: AUTHORIZATION_CODE, code, codeVerifier: verifier, redirectUri: REDIRECT }),
    );
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
    expect(tokens.accessToken).toMatch(/^[\w-]{40,}$/);
    expect(tokens.refreshToken).toMatch(/^[\w-]{40,}$/);
    // The documented service sends no idToken (CreateToken's model: "not implemented or supported").
    expect(tokens.idToken).toBeUndefined();
  });

  test('with idToken: true an authorization-code sign-in also returns an unsigned idToken for the demo user', async () => {
    const emulator = await SsoOidcEmulator.start({ idToken: true, now: () => clock });
    const client = sdkFor(emulator);
    try {
      const { registration, tokens } = await signIn(emulator, client);
      idTokenOf(tokens, registration);
    } finally {
      client.destroy();
      await emulator.stop();
    }
  });

  test('RFC 8252 §7.3: a registered loopback IP redirect URI matches on any port, as the AWS CLI relies on; nothing else is loosened', async () => {
    const registration = register(oidc, { redirectUris: ['http://127.0.0.1/oauth/callback'] });
    const authorize = (redirectUri: string) => () => oidc.authorize({ clientId: registration.clientId, redirectUri });
    expect(authorize('http://127.0.0.1:43123/oauth/callback')).not.toThrow();
    expect(authorize('http://127.0.0.1/oauth/callback')).not.toThrow();
    expect(authorize('http://127.0.0.1:43123/oauth/other')).toThrow('redirect_uri is not registered');
    expect(authorize('http://localhost:43123/oauth/callback')).toThrow('redirect_uri is not registered');
    const fixed = register(oidc, { redirectUris: ['https://app.example.com/callback'] });
    expect(() => oidc.authorize({ clientId: fixed.clientId, redirectUri: 'https://app.example.com:8443/callback' })).toThrow('redirect_uri is not registered');
  });

  const idTokenOf = (tokens: { idToken?: string | undefined }, registration: { clientId?: string | undefined }) => {
    const [header, payload, signature] = tokens.idToken!.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({ alg: 'none', typ: 'JWT' });
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({
      sub: DEMO_USER.sub,
      email: DEMO_USER.email,
      aud: registration.clientId,
      iat: Math.floor(clock / 1000),
      exp: Math.floor(clock / 1000) + 3600,
    });
    expect(signature).toBe('');
  };

  test('Cancel redirects with access_denied and no code', async () => {
    const registration = register();
    const form = new URLSearchParams({ response_type: 'code', client_id: registration.clientId, redirect_uri: REDIRECT, state: 's1', decision: 'deny' });
    const redirect = await fetch(`${oidc.url}/authorize`, { method: 'POST', body: form, redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get('location')!);
    expect(Object.fromEntries(location.searchParams)).toEqual({ error: 'access_denied', state: 's1' });
  });

  test.each([
    ['an unknown client', { client_id: 'nobody' }],
    ['an unregistered redirect URI', { redirect_uri: 'http://127.0.0.1:8400/elsewhere' }],
    ['a response type other than code', { response_type: 'token' }],
    ['a challenge method other than S256', { code_challenge_method: 'plain' }],
    ['an unregistered scope', { scopes: 'openid sso:admin' }],
  ])('answers %s with an HTML error page, never a redirect', async (_, change) => {
    const registration = register();
    const params = {
      response_type: 'code',
      client_id: registration.clientId,
      redirect_uri: REDIRECT,
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
      ...change,
    };
    const answer = await fetch(authorizeUrl(oidc, params), { redirect: 'manual' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('location')).toBeNull();
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
  });

  test('with autoApprove, GET /authorize redirects at once with a working code', async () => {
    const registration = register(autoApproving);
    const { verifier, challenge } = pkcePair();
    const redirect = await fetch(
      authorizeUrl(autoApproving, {
        response_type: 'code',
        client_id: registration.clientId,
        redirect_uri: REDIRECT,
        state: 'auto',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }),
      { redirect: 'manual' },
    );
    expect(redirect.status).toBe(302);
    const location = new URL(redirect.headers.get('location')!);
    expect(location.searchParams.get('state')).toBe('auto');
    const client = sdkFor(autoApproving);
    const tokens = await client.send(
      new CreateTokenCommand({
        ...credentials(registration),
        grantType: AUTHORIZATION_CODE,
        code: location.searchParams.get('code')!,
        codeVerifier: verifier,
        redirectUri: REDIRECT,
      }),
    );
    client.destroy();
    expect(tokens.accessToken).toBeDefined();
  });
});
