// The SSO OIDC emulator, driven the way the broker drives the real service: through the AWS SDK's
// client over HTTP (and with raw fetch where the exact wire form matters). Every error type comes
// from a real flow in the emulator, except the server fault, which only an injected fault produces.

import {
  AccessDeniedException,
  AuthorizationPendingException,
  CreateTokenCommand,
  ExpiredTokenException,
  InternalServerException,
  InvalidClientException,
  InvalidClientMetadataException,
  InvalidGrantException,
  InvalidRedirectUriException,
  InvalidRequestException,
  InvalidScopeException,
  RegisterClientCommand,
  SlowDownException,
  SSOOIDCClient,
  SSOOIDCServiceException,
  StartDeviceAuthorizationCommand,
  UnauthorizedClientException,
  UnsupportedGrantTypeException,
  type CreateTokenCommandInput,
  type CreateTokenCommandOutput,
} from '@aws-sdk/client-sso-oidc';
import {
  AUTHORIZATION_CODE,
  DEMO_USER,
  DEVICE_CODE,
  REFRESH_TOKEN,
  SsoOidcEmulator,
  type RegisterClientInput,
} from '../../local/emulators/sso-oidc.js';
import { pkcePair } from '../helpers/pkce.js';

const REDIRECT = 'http://127.0.0.1:8400/callback';
const START_URL = 'https://d-1234567890.awsapps.com/start';
const SCOPES = ['openid', 'email', 'sso:account:access'];
const REFRESH_LIFETIME_SECONDS = 8 * 3600;
const ERROR_TYPE_SUFFIX = ':http://internal.amazon.com/coral/com.amazonaws.sso.oidc/';

let clock = Date.UTC(2026, 10, 1);
let oidc: SsoOidcEmulator;
let rotating: SsoOidcEmulator;
let autoApproving: SsoOidcEmulator;
let codeOnly: SsoOidcEmulator;
let sdk: SSOOIDCClient;

const sdkFor = (emulator: SsoOidcEmulator): SSOOIDCClient =>
  new SSOOIDCClient({
    endpoint: emulator.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });

beforeAll(async () => {
  oidc = await SsoOidcEmulator.start({ now: () => clock, refreshTokenLifetimeSeconds: REFRESH_LIFETIME_SECONDS });
  rotating = await SsoOidcEmulator.start({ rotateRefreshTokens: true });
  autoApproving = await SsoOidcEmulator.start({ autoApprove: true });
  codeOnly = await SsoOidcEmulator.start({ supportedGrantTypes: [AUTHORIZATION_CODE, REFRESH_TOKEN] });
  sdk = sdkFor(oidc);
});

afterAll(async () => {
  sdk?.destroy();
  await Promise.all([oidc, rotating, autoApproving, codeOnly].map((emulator) => emulator?.stop()));
});

afterEach(() => oidc.setKmsState('ok'));

function register(emulator = oidc, overrides: Partial<RegisterClientInput> = {}) {
  return emulator.registerClient({
    clientName: 'Emulator Test App',
    clientType: 'public',
    grantTypes: [AUTHORIZATION_CODE, REFRESH_TOKEN, DEVICE_CODE],
    redirectUris: [REDIRECT],
    issuerUrl: 'https://identitycenter.example.com',
    scopes: SCOPES,
    ...overrides,
  });
}

/** The rejection of a call that must fail. */
async function failure(call: Promise<unknown>): Promise<Record<string, unknown> & Error> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error as Record<string, unknown> & Error,
  );
  if (outcome === undefined) throw new Error('Expected the call to fail');
  return outcome;
}

const postJson = (emulator: SsoOidcEmulator, path: string, body: unknown): Promise<Response> =>
  fetch(`${emulator.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

/** Tokens for a fresh client through an authorization code issued directly. */
async function signIn(emulator = oidc, client = sdk) {
  const registration = register(emulator);
  const { verifier, challenge } = pkcePair();
  const code = emulator.authorize({ clientId: registration.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  const tokens = await client.send(
    new CreateTokenCommand({ ...credentials(registration), grantType: AUTHORIZATION_CODE, code, codeVerifier: verifier, redirectUri: REDIRECT }),
  );
  return { registration, tokens };
}

const credentials = ({ clientId, clientSecret }: { clientId?: string | undefined; clientSecret?: string | undefined }) => ({
  clientId,
  clientSecret,
});

async function startDevice(registration = register()) {
  const device = await sdk.send(new StartDeviceAuthorizationCommand({ ...credentials(registration), startUrl: START_URL }));
  const poll: CreateTokenCommandInput = { ...credentials(registration), grantType: DEVICE_CODE, deviceCode: device.deviceCode };
  return { registration, device, poll };
}

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

describe('refresh_token', () => {
  const refresh = (client: SSOOIDCClient, registration: { clientId: string; clientSecret: string }, refreshToken: string) =>
    client.send(new CreateTokenCommand({ ...credentials(registration), grantType: REFRESH_TOKEN, refreshToken }));

  test('without rotation returns no new refresh token, keeps the old one valid, and ends at its lifetime', async () => {
    const { registration, tokens } = await signIn();
    const first = await refresh(sdk, registration, tokens.refreshToken!);
    expect(first).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
    expect(first.accessToken).not.toBe(tokens.accessToken);
    expect(first.refreshToken).toBeUndefined();
    expect(first.idToken).toBeUndefined();
    await expect(refresh(sdk, registration, tokens.refreshToken!)).resolves.toBeDefined();

    clock += REFRESH_LIFETIME_SECONDS * 1000;
    const expired = await failure(refresh(sdk, registration, tokens.refreshToken!));
    expect(expired).toBeInstanceOf(ExpiredTokenException);
    expect(expired).toMatchObject({ error: 'expired_token' });
  });

  test('with rotation returns a new refresh token and revokes the old one', async () => {
    const client = sdkFor(rotating);
    const { registration, tokens } = await signIn(rotating, client);
    const rotated = await refresh(client, registration, tokens.refreshToken!);
    expect(rotated.refreshToken).toMatch(/^[\w-]{40,}$/);
    expect(rotated.refreshToken).not.toBe(tokens.refreshToken);

    const reused = await failure(refresh(client, registration, tokens.refreshToken!));
    expect(reused).toBeInstanceOf(InvalidGrantException);
    await expect(refresh(client, registration, rotated.refreshToken!)).resolves.toBeDefined();
    client.destroy();
  });
});

describe('device code', () => {
  test('pending, slow_down, approval through the page, tokens, then single use', async () => {
    const { device, poll } = await startDevice();
    expect(device.userCode).toMatch(/^[A-Z]{4}-[A-Z]{4}$/);
    expect(device).toMatchObject({
      verificationUri: `${oidc.url}/device`,
      verificationUriComplete: `${oidc.url}/device?user_code=${device.userCode}`,
      expiresIn: 600,
      interval: 5,
    });

    expect(await failure(sdk.send(new CreateTokenCommand(poll)))).toBeInstanceOf(AuthorizationPendingException);
    clock += 4_999;
    const tooFast = await failure(sdk.send(new CreateTokenCommand(poll)));
    expect(tooFast).toBeInstanceOf(SlowDownException);
    expect(tooFast).toMatchObject({ error: 'slow_down' });
    clock += 5_000;
    expect(await failure(sdk.send(new CreateTokenCommand(poll)))).toBeInstanceOf(AuthorizationPendingException);

    const page = await fetch(device.verificationUriComplete!);
    const html = await page.text();
    expect(html).toContain('id="approve"');
    expect(html).toContain('id="deny"');
    const approved = await fetch(`${oidc.url}/device`, {
      method: 'POST',
      body: new URLSearchParams({ user_code: device.userCode!, decision: 'approve' }),
    });
    expect(approved.status).toBe(200);

    clock += 5_000;
    const tokens = await sdk.send(new CreateTokenCommand(poll));
    expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
    expect(tokens.accessToken).toBeDefined();
    expect(tokens.refreshToken).toBeDefined();
    expect(await failure(sdk.send(new CreateTokenCommand(poll)))).toBeInstanceOf(InvalidGrantException);
  });

  test('a user who denies on the page gets AccessDeniedException without a reason', async () => {
    const { device, poll } = await startDevice();
    const denied = await fetch(`${oidc.url}/device`, {
      method: 'POST',
      body: new URLSearchParams({ user_code: device.userCode!, decision: 'deny' }),
    });
    expect(denied.status).toBe(200);
    const error = await failure(sdk.send(new CreateTokenCommand(poll)));
    expect(error).toBeInstanceOf(AccessDeniedException);
    expect(error.reason).toBeUndefined();
  });

  test('a device code past its expiry gives ExpiredTokenException, and its page is gone', async () => {
    const { device, poll } = await startDevice();
    clock += 600_000;
    expect(await failure(sdk.send(new CreateTokenCommand(poll)))).toBeInstanceOf(ExpiredTokenException);
    expect((await fetch(device.verificationUriComplete!)).status).toBe(400);
  });

  test('StartDeviceAuthorization checks the client and the KMS key', async () => {
    const registration = register();
    const wrong = await failure(
      sdk.send(new StartDeviceAuthorizationCommand({ clientId: registration.clientId, clientSecret: 'wrong', startUrl: START_URL })),
    );
    expect(wrong).toBeInstanceOf(InvalidClientException);
    oidc.setKmsState('disabled');
    const kms = await failure(sdk.send(new StartDeviceAuthorizationCommand({ ...credentials(registration), startUrl: START_URL })));
    expect(kms).toMatchObject({ name: 'InvalidRequestException', reason: 'KMS_DisabledException' });
  });
});

interface ErrorCase {
  readonly type: string;
  readonly status: number;
  readonly error: string;
  readonly reason?: string;
  readonly errorClass: abstract new (...args: never[]) => Error;
  /** A fresh CreateToken request that fails this way (called once for the SDK, once for fetch). */
  readonly setup: () => CreateTokenCommandInput | Promise<CreateTokenCommandInput>;
}

async function usedCode(): Promise<CreateTokenCommandInput> {
  const { verifier, challenge } = pkcePair();
  const registration = register();
  const code = oidc.authorize({ clientId: registration.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  const input = { ...credentials(registration), grantType: AUTHORIZATION_CODE, code, codeVerifier: verifier, redirectUri: REDIRECT };
  await sdk.send(new CreateTokenCommand(input));
  return input;
}

function freshCode(overrides: Partial<CreateTokenCommandInput> = {}): CreateTokenCommandInput {
  const { verifier, challenge } = pkcePair();
  const registration = register();
  const code = oidc.authorize({ clientId: registration.clientId, redirectUri: REDIRECT, codeChallenge: challenge });
  return { ...credentials(registration), grantType: AUTHORIZATION_CODE, code, codeVerifier: verifier, redirectUri: REDIRECT, ...overrides };
}

const refreshWith = (refreshToken = 'aor-unknown'): CreateTokenCommandInput => ({
  ...credentials(register()),
  grantType: REFRESH_TOKEN,
  refreshToken,
});

const ERROR_CASES: Record<string, ErrorCase> = {
  'AccessDenied: KMS access denied': {
    type: 'AccessDeniedException', status: 400, error: 'access_denied', reason: 'KMS_AccessDeniedException', errorClass: AccessDeniedException,
    setup: () => {
      oidc.setKmsState('access_denied');
      return refreshWith();
    },
  },
  'AccessDenied: the user denied the device': {
    type: 'AccessDeniedException', status: 400, error: 'access_denied', errorClass: AccessDeniedException,
    setup: async () => {
      const { device, poll } = await startDevice();
      oidc.denyDevice(device.userCode!);
      return poll;
    },
  },
  'AuthorizationPending: device not yet approved': {
    type: 'AuthorizationPendingException', status: 400, error: 'authorization_pending', errorClass: AuthorizationPendingException,
    setup: async () => (await startDevice()).poll,
  },
  'ExpiredToken: device code past its expiry': {
    type: 'ExpiredTokenException', status: 400, error: 'expired_token', errorClass: ExpiredTokenException,
    setup: async () => {
      const { poll } = await startDevice();
      clock += 600_000;
      return poll;
    },
  },
  'InternalServer: injected server fault': {
    type: 'InternalServerException', status: 500, error: 'server_error', errorClass: InternalServerException,
    setup: () => {
      oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500, description: 'Internal failure' });
      return refreshWith();
    },
  },
  'InvalidClient: wrong secret': {
    type: 'InvalidClientException', status: 401, error: 'invalid_client', errorClass: InvalidClientException,
    setup: () => ({ ...refreshWith(), clientSecret: 'wrong' }),
  },
  'InvalidClient: unknown client': {
    type: 'InvalidClientException', status: 401, error: 'invalid_client', errorClass: InvalidClientException,
    setup: () => ({ ...refreshWith(), clientId: 'client-unknown' }),
  },
  'InvalidClient: expired registration': {
    type: 'InvalidClientException', status: 401, error: 'invalid_client', errorClass: InvalidClientException,
    setup: () => {
      const input = refreshWith();
      oidc.expireClient(input.clientId!);
      return input;
    },
  },
  'InvalidGrant: reused code': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: usedCode,
  },
  'InvalidGrant: wrong code verifier': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: () => freshCode({ codeVerifier: pkcePair().verifier }),
  },
  'InvalidGrant: redirect URI differs from /authorize': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: () => freshCode({ redirectUri: 'http://127.0.0.1:8400/other' }),
  },
  'InvalidGrant: code past 10 minutes': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: () => {
      const input = freshCode();
      clock += 600_000;
      return input;
    },
  },
  'InvalidGrant: revoked refresh token': {
    type: 'InvalidGrantException', status: 400, error: 'invalid_grant', errorClass: InvalidGrantException,
    setup: async () => {
      const { registration, tokens } = await signIn();
      oidc.revokeRefreshToken(tokens.refreshToken!);
      return { ...credentials(registration), grantType: REFRESH_TOKEN, refreshToken: tokens.refreshToken! };
    },
  },
  'InvalidRequest: KMS key disabled': {
    type: 'InvalidRequestException', status: 400, error: 'invalid_request', reason: 'KMS_DisabledException', errorClass: InvalidRequestException,
    setup: () => {
      oidc.setKmsState('disabled');
      return refreshWith();
    },
  },
  'InvalidRequest: code verifier missing': {
    type: 'InvalidRequestException', status: 400, error: 'invalid_request', errorClass: InvalidRequestException,
    setup: () => freshCode({ codeVerifier: undefined }),
  },
  'InvalidScope: scope not registered': {
    type: 'InvalidScopeException', status: 400, error: 'invalid_scope', errorClass: InvalidScopeException,
    setup: () => ({ ...refreshWith(), scope: ['openid', 'sso:admin'] }),
  },
  'SlowDown: polled again within the interval': {
    type: 'SlowDownException', status: 400, error: 'slow_down', errorClass: SlowDownException,
    setup: async () => {
      const { poll } = await startDevice();
      await failure(sdk.send(new CreateTokenCommand(poll)));
      return poll;
    },
  },
  'UnauthorizedClient: grant type not registered': {
    type: 'UnauthorizedClientException', status: 400, error: 'unauthorized_client', errorClass: UnauthorizedClientException,
    setup: () => ({ ...credentials(register(oidc, { grantTypes: [DEVICE_CODE], redirectUris: [] })), grantType: REFRESH_TOKEN, refreshToken: 'x' }),
  },
  'UnsupportedGrantType: unknown grant type': {
    type: 'UnsupportedGrantTypeException', status: 400, error: 'unsupported_grant_type', errorClass: UnsupportedGrantTypeException,
    setup: () => ({ ...refreshWith(), grantType: 'password' }),
  },
  'an unknown type, injected': {
    type: 'BrandNewException', status: 409, error: 'brand_new', reason: 'SOMETHING_NEW', errorClass: SSOOIDCServiceException,
    setup: () => {
      oidc.injectFault({ kind: 'error', type: 'BrandNewException', status: 409, error: 'brand_new', description: 'New', reason: 'SOMETHING_NEW' });
      return refreshWith();
    },
  },
};

describe('CreateToken errors', () => {
  test('covers all 11 modeled CreateToken error types and an unknown one', () => {
    const types = new Set(Object.values(ERROR_CASES).map((c) => c.type));
    expect(types.size).toBe(12);
  });

  test.each(Object.entries(ERROR_CASES))('%s: the SDK raises the modeled exception', async (_, c) => {
    const error = await failure(sdk.send(new CreateTokenCommand(await c.setup())));
    expect(error).toBeInstanceOf(c.errorClass);
    expect(error.name).toBe(c.type);
    expect(error.$metadata).toMatchObject({ httpStatusCode: c.status, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(error.error).toBe(c.error);
    expect(error.error_description).toEqual(expect.any(String));
    expect(error.reason).toBe(c.reason);
    // The body has no `message`, so the SDK falls back to this.
    expect(error.message).toBe('UnknownError');
  });

  test.each(Object.entries(ERROR_CASES))('%s: the wire form is exactly the service’s', async (_, c) => {
    const answer = await postJson(oidc, '/token', await c.setup());
    expect(answer.status).toBe(c.status);
    expect(answer.headers.get('x-amzn-ErrorType')).toBe(`${c.type}${ERROR_TYPE_SUFFIX}`);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('x-amzn-RequestId')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await answer.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(c.reason === undefined ? ['error', 'error_description'] : ['error', 'error_description', 'reason']);
    expect(body).toMatchObject({ error: c.error, ...(c.reason === undefined ? {} : { reason: c.reason }) });
    expect(body).not.toHaveProperty('message');
  });

  test('a body that is not JSON is an InvalidRequestException', async () => {
    const answer = await fetch(`${oidc.url}/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"grantType":' });
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-amzn-ErrorType')).toBe(`InvalidRequestException${ERROR_TYPE_SUFFIX}`);
  });

  test('checks run in the service’s order', async () => {
    // An unsupported grant type is reported before the client is even looked up.
    const unsupported = await postJson(codeOnly, '/token', { clientId: 'nobody', clientSecret: 'x', grantType: DEVICE_CODE, deviceCode: 'x' });
    expect(unsupported.headers.get('x-amzn-ErrorType')).toMatch(/^UnsupportedGrantTypeException:/);
    // A bad secret is reported before the KMS key, the KMS key before the client's grant types.
    oidc.setKmsState('disabled');
    const wrongSecret = await postJson(oidc, '/token', { ...refreshWith(), clientSecret: 'wrong' });
    expect(wrongSecret.status).toBe(401);
    const deviceOnly = register(oidc, { grantTypes: [DEVICE_CODE], redirectUris: [] });
    const kms = await postJson(oidc, '/token', { ...credentials(deviceOnly), grantType: REFRESH_TOKEN, refreshToken: 'x' });
    expect(kms.headers.get('x-amzn-ErrorType')).toMatch(/^InvalidRequestException:/);
  });

  test('a code is consumed by its first use even when the verifier is wrong', async () => {
    const input = freshCode();
    expect(await failure(sdk.send(new CreateTokenCommand({ ...input, codeVerifier: pkcePair().verifier })))).toBeInstanceOf(InvalidGrantException);
    expect(await failure(sdk.send(new CreateTokenCommand(input)))).toBeInstanceOf(InvalidGrantException);
  });
});

describe('faults', () => {
  test('an error fault changes no state: the code still works afterwards', async () => {
    const input = freshCode();
    oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500 });
    const error = await failure(sdk.send(new CreateTokenCommand(input)));
    expect(error).toMatchObject({ name: 'InternalServerException', error: 'server_error' });
    await expect(sdk.send(new CreateTokenCommand(input))).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  test('faults queue up and apply only to requests on their path', async () => {
    const registration = register();
    oidc.injectFault({ kind: 'error', type: 'SlowDownException', status: 400, path: '/device_authorization' });
    oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 500 });
    oidc.injectFault({ kind: 'error', type: 'InternalServerException', status: 503 });

    expect((await failure(sdk.send(new CreateTokenCommand(refreshWith())))).$metadata).toMatchObject({ httpStatusCode: 500 });
    const slow = await failure(sdk.send(new StartDeviceAuthorizationCommand({ ...credentials(registration), startUrl: START_URL })));
    expect(slow).toBeInstanceOf(SlowDownException);
    expect((await failure(sdk.send(new CreateTokenCommand(refreshWith())))).$metadata).toMatchObject({ httpStatusCode: 503 });
    expect(await failure(sdk.send(new CreateTokenCommand(refreshWith())))).toBeInstanceOf(InvalidGrantException);
  });

  test('delay answers normally, late', async () => {
    oidc.injectFault({ kind: 'delay', ms: 300 });
    const started = performance.now();
    await expect(sdk.send(new CreateTokenCommand(freshCode()))).resolves.toMatchObject({ tokenType: 'Bearer' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  test('drop: the SDK reports the reset connection as a TimeoutError, with no status', async () => {
    const input = freshCode();
    oidc.injectFault({ kind: 'drop' });
    const error = await failure(sdk.send(new CreateTokenCommand(input)));
    // @smithy/node-http-handler renames ECONNRESET, EPIPE and ETIMEDOUT errors to "TimeoutError", so
    // under plain Node this is { name: 'TimeoutError', code: 'ECONNRESET', message: 'socket hang up' }.
    // Under jest's vm modules Node's error comes from another realm, fails the SDK's
    // `instanceof Error` and is wrapped: name 'Error', no code, message
    // 'AWS SDK error wrapper for TimeoutError: socket hang up'. This holds in both.
    expect(`${error.name}: ${error.message}`).toMatch(/TimeoutError: socket hang up$/);
    expect(error).not.toBeInstanceOf(SSOOIDCServiceException);
    expect(error.$metadata).not.toHaveProperty('httpStatusCode');
    // The dropped request changed nothing.
    await expect(sdk.send(new CreateTokenCommand(input))).resolves.toBeDefined();
  });

  test('raw: a non-JSON or truncated 200, or an HTML 502, is a SyntaxError from the SDK', async () => {
    for (const [status, body] of [
      [200, 'not json'],
      [200, '{"accessToken":"aoa'],
      [502, '<html>Bad Gateway</html>'],
    ] as const) {
      oidc.injectFault({ kind: 'raw', status, headers: { 'Content-Type': 'text/html' }, body });
      const error = await failure(sdk.send(new CreateTokenCommand(refreshWith())));
      expect(error.name).toBe('SyntaxError');
      expect(error).not.toBeInstanceOf(SSOOIDCServiceException);
      expect(error.$metadata).toMatchObject({ httpStatusCode: status });
    }
  });

  test('extraMembers: unknown members are dropped from an SDK output but copied onto an SDK exception', async () => {
    oidc.injectFault({ kind: 'extraMembers', members: { surprise: 'yes' } });
    const tokens = await sdk.send(new CreateTokenCommand(freshCode()));
    expect(tokens).not.toHaveProperty('surprise');

    oidc.injectFault({ kind: 'extraMembers', members: { surprise: 'yes' } });
    const raw = await postJson(oidc, '/token', freshCode());
    expect(await raw.json()).toMatchObject({ accessToken: expect.any(String), surprise: 'yes' });

    oidc.injectFault({ kind: 'extraMembers', members: { error_uri: 'https://example.com/help' } });
    const error = await failure(sdk.send(new CreateTokenCommand(refreshWith())));
    expect(error).toBeInstanceOf(InvalidGrantException);
    expect(error.error_uri).toBe('https://example.com/help');
  });
});

describe('bookkeeping', () => {
  test('records calls with the (public) client id, without secrets, codes or tokens', async () => {
    oidc.resetCalls();
    const input = freshCode();
    const tokens: CreateTokenCommandOutput = await sdk.send(new CreateTokenCommand(input));
    const { poll } = await startDevice();
    await failure(sdk.send(new CreateTokenCommand(poll)));

    expect(oidc.callCount('/token')).toBe(2);
    expect(oidc.callCount('/device_authorization')).toBe(1);
    expect(oidc.calls).toEqual([
      { method: 'POST', path: '/token', grantType: AUTHORIZATION_CODE, clientId: input.clientId, at: clock },
      { method: 'POST', path: '/device_authorization', clientId: poll.clientId, at: clock },
      { method: 'POST', path: '/token', grantType: DEVICE_CODE, clientId: poll.clientId, at: clock },
    ]);
    const recorded = JSON.stringify(oidc.calls);
    for (const secret of [input.clientSecret, input.code, input.codeVerifier, poll.deviceCode, tokens.accessToken, tokens.refreshToken]) {
      expect(recorded).not.toContain(secret);
    }
    oidc.resetCalls();
    expect(oidc.calls).toEqual([]);
  });

  test('counts TCP connections: one SDK client keeps one alive', async () => {
    const client = sdkFor(oidc);
    const before = oidc.connections;
    for (let i = 0; i < 3; i += 1) await client.send(new CreateTokenCommand(freshCode()));
    expect(oidc.connections - before).toBe(1);
    client.destroy();
  });

  test('stop() closes keep-alive connections and frees the port', async () => {
    const emulator = await SsoOidcEmulator.start();
    const client = sdkFor(emulator);
    await client.send(new RegisterClientCommand({ clientName: 'x', clientType: 'public' }));
    const started = performance.now();
    await emulator.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    await expect(fetch(`${emulator.url}/token`)).rejects.toThrow();
    client.destroy();
  });

  test('anything else is a JSON 404', async () => {
    const answer = await fetch(`${oidc.url}/nowhere`);
    expect(answer.status).toBe(404);
    expect(await answer.json()).toEqual({ message: 'Not Found' });
  });
});
