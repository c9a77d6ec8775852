// The SSO OIDC emulator's controls as they reach the access portal and token issuance: token sizes
// (options and at runtime), faults and call counting on the portal's paths (what broker tests use
// to script hostile portal answers and to prove a refused call never reached the portal), and the
// assignments option. Real SDK clients over HTTP, raw fetch where the exact bytes matter.

import { GetRoleCredentialsCommand, ListAccountsCommand, LogoutCommand, SSOServiceException, TooManyRequestsException } from '@aws-sdk/client-sso';
import { DEMO_ASSIGNMENTS, PORTAL_PATHS, SsoOidcEmulator, TOKEN_CHARS, type PortalAccount } from '../../local/emulators/sso-oidc.js';
import { destroyClients, failure, portalGet, signIn } from '../helpers/portal.js';

const [SANDBOX, , PRODUCTION] = DEMO_ASSIGNMENTS as [PortalAccount, PortalAccount, PortalAccount];
const KB = 1024;

let emulator: SsoOidcEmulator;
const extra: SsoOidcEmulator[] = [];

beforeAll(async () => {
  emulator = await SsoOidcEmulator.start();
});

afterAll(async () => {
  destroyClients();
  await Promise.all([emulator, ...extra].map((target) => target?.stop()));
});

async function started(options: Parameters<typeof SsoOidcEmulator.start>[0]): Promise<SsoOidcEmulator> {
  const target = await SsoOidcEmulator.start(options);
  extra.push(target);
  return target;
}

describe('token sizes', () => {
  test('by default tokens keep the length they always had (67 characters)', async () => {
    expect(emulator.tokenSizes).toEqual({ accessTokenChars: 67, refreshTokenChars: 67 });
    const { accessToken, refreshToken } = await signIn(emulator);
    expect([accessToken.length, refreshToken.length]).toEqual([67, 67]);
    expect(accessToken).toMatch(/^aoa[\w-]+$/);
    expect(refreshToken).toMatch(/^aor[\w-]+$/);
  });

  test('options give a 2 KB access token the portal takes and a 4 KB refresh token CreateToken takes', async () => {
    const big = await started({ accessTokenChars: 2 * KB, refreshTokenChars: 4 * KB });
    const { sso, accessToken, refreshToken, refresh } = await signIn(big);
    expect([accessToken.length, refreshToken.length]).toEqual([2 * KB, 4 * KB]);
    await expect(sso.send(new ListAccountsCommand({ accessToken }))).resolves.toMatchObject({ $metadata: { httpStatusCode: 200 } });
    const refreshed = await refresh(refreshToken);
    expect(refreshed.accessToken).toHaveLength(2 * KB);
    await expect(sso.send(new ListAccountsCommand({ accessToken: refreshed.accessToken }))).resolves.toBeDefined();
  });

  test('setTokenSizes changes the tokens issued from then on: 1, 2, 3 and 4 KB refresh tokens; those issued before still work', async () => {
    const target = await started({});
    const before = await signIn(target);
    for (const size of [1, 2, 3, 4]) {
      target.setTokenSizes({ refreshTokenChars: size * KB });
      const { accessToken, refreshToken, refresh } = await signIn(target);
      expect([size, accessToken.length, refreshToken.length]).toEqual([size, 67, size * KB]);
      await expect(refresh(refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
    }
    target.setTokenSizes({ accessTokenChars: 2 * KB });
    expect(target.tokenSizes).toEqual({ accessTokenChars: 2 * KB, refreshTokenChars: 4 * KB });
    expect((await signIn(target)).accessToken).toHaveLength(2 * KB);
    await expect(before.refresh(before.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
    await expect(before.sso.send(new ListAccountsCommand({ accessToken: before.accessToken }))).resolves.toBeDefined();
  });

  test.each([TOKEN_CHARS.min - 1, TOKEN_CHARS.max + 1, 1.5, Number.NaN])('%d characters is refused, and nothing changes', (chars) => {
    expect(() => emulator.setTokenSizes({ accessTokenChars: chars })).toThrow(RangeError);
    expect(() => emulator.setTokenSizes({ refreshTokenChars: chars })).toThrow(/refreshTokenChars must be a whole number from 32 to 1048576/);
    expect(emulator.tokenSizes).toEqual({ accessTokenChars: 67, refreshTokenChars: 67 });
  });

  test('start() refuses a size out of range and leaves no server listening on its port', async () => {
    const probe = await SsoOidcEmulator.start();
    const port = Number(new URL(probe.url).port);
    await probe.stop();
    await expect(SsoOidcEmulator.start({ port, refreshTokenChars: 8 })).rejects.toThrow('refreshTokenChars must be a whole number');
    // The port is free again: a valid start takes it.
    const again = await started({ port });
    expect(again.url).toBe(probe.url);
  });
});

describe('faults and call counting on the portal’s paths', () => {
  test('TooManyRequestsException (429) through an error fault, on its path only, once', async () => {
    const { sso, accessToken } = await signIn(emulator);
    emulator.resetCalls();
    emulator.injectFault({ path: PORTAL_PATHS.getRoleCredentials, kind: 'error', type: 'TooManyRequestsException', status: 429 });
    await expect(sso.send(new ListAccountsCommand({ accessToken }))).resolves.toBeDefined();
    const input = { accessToken, accountId: SANDBOX.accountId, roleName: 'ReadOnlyAccess' };
    const throttled = await failure(sso.send(new GetRoleCredentialsCommand(input)));
    expect(throttled).toBeInstanceOf(TooManyRequestsException);
    expect([throttled.$metadata.httpStatusCode, throttled.message]).toEqual([429, 'Rate exceeded']);
    await expect(sso.send(new GetRoleCredentialsCommand(input))).resolves.toHaveProperty('roleCredentials');
    expect([emulator.callCount(PORTAL_PATHS.listAccounts), emulator.callCount(PORTAL_PATHS.getRoleCredentials)]).toEqual([1, 2]);
  });

  test('an error fault is in the portal’s shape, with the message given; an unknown type reaches the SDK by name', async () => {
    emulator.injectFault({ path: PORTAL_PATHS.listAccounts, kind: 'error', type: 'TooManyRequestsException', status: 429, message: 'Slow down' });
    const raw = await portalGet(emulator, PORTAL_PATHS.listAccounts, {});
    expect([raw.status, raw.headers.get('x-amzn-ErrorType'), await raw.json()]).toEqual([429, 'TooManyRequestsException', { message: 'Slow down' }]);

    const { sso, accessToken } = await signIn(emulator);
    emulator.injectFault({ path: PORTAL_PATHS.logout, kind: 'error', type: 'BrandNewException', status: 409, message: 'New' });
    const error = await failure(sso.send(new LogoutCommand({ accessToken })));
    expect(error).toBeInstanceOf(SSOServiceException);
    expect([error.name, error.message, error.$metadata.httpStatusCode]).toEqual(['BrandNewException', 'New', 409]);
    // The fault answered in front of the service: the session was not ended.
    await expect(sso.send(new ListAccountsCommand({ accessToken }))).resolves.toBeDefined();
  });

  test('raw faults script hostile answers byte for byte: a bad status, a CR/LF type in the body, an oversized body', async () => {
    const hostile: { status: number; headers: Record<string, string>; body: string }[] = [
      { status: 600, headers: { 'x-amzn-ErrorType': 'UnauthorizedException' }, body: '{"message":"odd"}' },
      { status: 401, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ __type: 'Unauthorized\r\nSet-Cookie: a=b', message: 'x' }) },
      { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ accountList: [], padding: 'x'.repeat(200 * KB) }) },
    ];
    for (const answer of hostile) {
      emulator.injectFault({ path: PORTAL_PATHS.listAccounts, kind: 'raw', ...answer });
      const seen = await portalGet(emulator, PORTAL_PATHS.listAccounts, {});
      expect([seen.status, await seen.text()]).toEqual([answer.status, answer.body]);
    }
  });

  test('truncate cuts a portal answer short: the SDK fails rather than read half a credential', async () => {
    const { sso, accessToken } = await signIn(emulator);
    const body = JSON.stringify({ roleCredentials: { accessKeyId: 'ASIAAAAAAAAAAAAAAAAA', secretAccessKey: 's'.repeat(40) } });
    emulator.injectFault({ path: PORTAL_PATHS.getRoleCredentials, kind: 'truncate', status: 200, headers: { 'Content-Type': 'application/json' }, body, bytes: 30 });
    await failure(sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: SANDBOX.accountId, roleName: 'ReadOnlyAccess' })));
  });

  test('extraMembers are added to a portal answer on the wire and dropped by the SDK', async () => {
    const { sso, accessToken } = await signIn(emulator);
    emulator.injectFault({ path: PORTAL_PATHS.listAccounts, kind: 'extraMembers', members: { surprise: 'yes' } });
    const raw = await portalGet(emulator, PORTAL_PATHS.listAccounts, {}, accessToken);
    const body = (await raw.json()) as { accountList: unknown[]; surprise: string };
    expect([body.accountList.length, body.surprise]).toEqual([DEMO_ASSIGNMENTS.length, 'yes']);
    emulator.injectFault({ path: PORTAL_PATHS.listAccounts, kind: 'extraMembers', members: { surprise: 'yes' } });
    expect(await sso.send(new ListAccountsCommand({ accessToken }))).not.toHaveProperty('surprise');
  });

  test('calls record the account and role asked for, never a token; a call not made is not counted', async () => {
    const { sso, accessToken } = await signIn(emulator);
    emulator.resetCalls();
    const credentials = await sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: PRODUCTION.accountId, roleName: 'ViewOnlyAccess' }));
    await sso.send(new LogoutCommand({ accessToken }));
    expect(emulator.calls).toEqual([
      { method: 'GET', path: PORTAL_PATHS.getRoleCredentials, accountId: PRODUCTION.accountId, roleName: 'ViewOnlyAccess', at: expect.any(Number) },
      { method: 'POST', path: PORTAL_PATHS.logout, at: expect.any(Number) },
    ]);
    const recorded = JSON.stringify(emulator.calls);
    for (const secret of [accessToken, credentials.roleCredentials!.secretAccessKey!, credentials.roleCredentials!.sessionToken!]) {
      expect(recorded).not.toContain(secret);
    }
    expect(emulator.callCount(PORTAL_PATHS.listAccounts)).toBe(0);
  });

  test('a portal path with another method is a JSON 404, as any unknown route', async () => {
    for (const [method, path] of [['GET', PORTAL_PATHS.logout], ['POST', PORTAL_PATHS.listAccounts]] as const) {
      const answer = await fetch(`${emulator.url}${path}`, { method });
      expect([method, answer.status, await answer.json()]).toEqual([method, 404, { message: 'Not Found' }]);
    }
  });
});

describe('the assignments option', () => {
  const SOLO: PortalAccount = { accountId: '123456789012', accountName: 'solo', emailAddress: 'solo@example.com', roles: ['Billing'] };

  test('replaces the demo user’s accounts and roles', async () => {
    const target = await started({ assignments: [SOLO] });
    const { sso, accessToken } = await signIn(target);
    const listed = await sso.send(new ListAccountsCommand({ accessToken }));
    expect(listed.accountList).toEqual([{ accountId: SOLO.accountId, accountName: 'solo', emailAddress: 'solo@example.com' }]);
    await expect(sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: SOLO.accountId, roleName: 'Billing' }))).resolves.toHaveProperty('roleCredentials');
    const demo = await failure(sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: SANDBOX.accountId, roleName: 'ReadOnlyAccess' })));
    expect(demo.name).toBe('ForbiddenException');
  });

  test('an account listed twice is refused at start', async () => {
    await expect(SsoOidcEmulator.start({ assignments: [SOLO, { ...SOLO, accountName: 'again' }] })).rejects.toThrow('each accountId may appear once');
  });

});
