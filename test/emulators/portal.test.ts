// The AWS access portal API of the SSO OIDC emulator, driven the way a client drives the real
// service: the real SSOClient (@aws-sdk/client-sso) over HTTP, at the same URL as the
// SSOOIDCClient that signs in (and raw fetch where the exact wire form matters). Sessions are
// proven end to end: Logout ends the sign-in, so its access tokens and refresh tokens, rotated ones
// included, stop working while other sign-ins go on.

import {
  GetRoleCredentialsCommand,
  InvalidRequestException,
  ListAccountRolesCommand,
  ListAccountsCommand,
  LogoutCommand,
  ResourceNotFoundException,
  SSOClient,
  SSOServiceException,
  UnauthorizedException,
  paginateListAccountRoles,
  paginateListAccounts,
} from '@aws-sdk/client-sso';
import { CreateTokenCommand, InvalidGrantException, StartDeviceAuthorizationCommand } from '@aws-sdk/client-sso-oidc';
import { DEMO_ASSIGNMENTS, DEVICE_CODE, PORTAL_PATHS, REFRESH_TOKEN, SsoOidcEmulator, type PortalAccount } from '../../local/emulators/sso-oidc.js';
import { clientsFor, destroyClients, failure, portalGet, signIn as signInTo } from '../helpers/portal.js';

const [SANDBOX, STAGING, PRODUCTION] = DEMO_ASSIGNMENTS as [PortalAccount, PortalAccount, PortalAccount];
const UNAUTHORIZED = 'Session token not found or invalid';

let clock = Date.UTC(2026, 10, 1);
let emulator: SsoOidcEmulator;
let rotating: SsoOidcEmulator;

beforeAll(async () => {
  emulator = await SsoOidcEmulator.start({ now: () => clock });
  rotating = await SsoOidcEmulator.start({ now: () => clock, rotateRefreshTokens: true });
});

afterAll(async () => {
  destroyClients();
  await Promise.all([emulator, rotating].map((target) => target?.stop()));
});

const signIn = (target = emulator) => signInTo(target);

const accountsOf = (assignments: readonly PortalAccount[]) =>
  assignments.map(({ accountId, accountName, emailAddress }) => ({ accountId, accountName, emailAddress }));

describe('ListAccounts', () => {
  test('lists the demo user’s accounts with the modeled members, on one page by default', async () => {
    const { sso, accessToken } = await signIn();
    const answer = await sso.send(new ListAccountsCommand({ accessToken }));
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(answer.accountList).toEqual(accountsOf(DEMO_ASSIGNMENTS));
    expect(answer.nextToken).toBeUndefined();
  });

  test('pages with max_result and opaque next tokens, which the SDK paginator follows', async () => {
    const { sso, accessToken } = await signIn();
    const first = await sso.send(new ListAccountsCommand({ accessToken, maxResults: 1 }));
    expect(first.accountList).toEqual(accountsOf([SANDBOX]));
    // Opaque: no offset or account id to read or forge.
    expect(first.nextToken).toMatch(/^[\w-]{40,}$/);
    expect(first.nextToken).not.toContain(STAGING.accountId);
    const second = await sso.send(new ListAccountsCommand({ accessToken, maxResults: 1, nextToken: first.nextToken }));
    expect(second.accountList).toEqual(accountsOf([STAGING]));
    // A next token can be presented again and leads to the same page.
    const again = await sso.send(new ListAccountsCommand({ accessToken, maxResults: 1, nextToken: first.nextToken }));
    expect(again.accountList).toEqual(second.accountList);

    emulator.resetCalls();
    const pages = [];
    for await (const page of paginateListAccounts({ client: sso, pageSize: 2 }, { accessToken })) pages.push(page.accountList);
    expect(pages).toEqual([accountsOf([SANDBOX, STAGING]), accountsOf([PRODUCTION])]);
    expect(emulator.callCount(PORTAL_PATHS.listAccounts)).toBe(2);
  });

  test('refuses a next token it did not issue, or one issued for another list', async () => {
    const { sso, accessToken } = await signIn();
    const forged = await failure(sso.send(new ListAccountsCommand({ accessToken, nextToken: 'b2Zmc2V0PTE' })));
    expect(forged).toBeInstanceOf(InvalidRequestException);
    expect(forged.$metadata.httpStatusCode).toBe(400);
    const roles = await sso.send(new ListAccountRolesCommand({ accessToken, accountId: SANDBOX.accountId, maxResults: 1 }));
    const foreign = await failure(sso.send(new ListAccountsCommand({ accessToken, nextToken: roles.nextToken })));
    expect(foreign).toBeInstanceOf(InvalidRequestException);
  });

  test.each([0, 101, -1])('max_result %d is an InvalidRequestException (MaxResultType is 1-100)', async (maxResults) => {
    const { sso, accessToken } = await signIn();
    const error = await failure(sso.send(new ListAccountsCommand({ accessToken, maxResults })));
    expect(error).toBeInstanceOf(InvalidRequestException);
    expect(error.message).toBe('ResultSize parameter must be within the valid limits of: 1-100');
    await expect(sso.send(new ListAccountsCommand({ accessToken, maxResults: 100 }))).resolves.toBeDefined();
  });
});

describe('ListAccountRoles', () => {
  test('lists each account’s roles, paging with max_result', async () => {
    const { sso, accessToken } = await signIn();
    for (const account of DEMO_ASSIGNMENTS) {
      const answer = await sso.send(new ListAccountRolesCommand({ accessToken, accountId: account.accountId }));
      expect(answer.roleList).toEqual(account.roles.map((roleName) => ({ roleName, accountId: account.accountId })));
      expect(answer.nextToken).toBeUndefined();
    }
    const pages = [];
    for await (const page of paginateListAccountRoles({ client: sso, pageSize: 1 }, { accessToken, accountId: SANDBOX.accountId })) {
      pages.push(page.roleList!.map((role) => role.roleName));
    }
    expect(pages).toEqual(SANDBOX.roles.map((role) => [role]));
  });

  test('an account the user is not assigned is a ResourceNotFoundException (404)', async () => {
    const { sso, accessToken } = await signIn();
    const error = await failure(sso.send(new ListAccountRolesCommand({ accessToken, accountId: '999999999999' })));
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect(error.$metadata.httpStatusCode).toBe(404);
  });

  test('a next token of one account’s roles does not page another’s', async () => {
    const { sso, accessToken } = await signIn();
    const sandbox = await sso.send(new ListAccountRolesCommand({ accessToken, accountId: SANDBOX.accountId, maxResults: 1 }));
    const error = await failure(sso.send(new ListAccountRolesCommand({ accessToken, accountId: STAGING.accountId, nextToken: sandbox.nextToken })));
    expect(error).toBeInstanceOf(InvalidRequestException);
  });
});

describe('GetRoleCredentials', () => {
  test('returns credentials shaped as STS issues them, expiring in epoch milliseconds an hour on', async () => {
    const { sso, accessToken } = await signIn();
    const answer = await sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: STAGING.accountId, roleName: 'ReadOnlyAccess' }));
    const credentials = answer.roleCredentials!;
    expect(credentials.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(credentials.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(credentials.sessionToken!.length).toBeGreaterThan(400);
    expect(credentials.expiration).toBe(clock + 3600 * 1000);
    const other = await sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: STAGING.accountId, roleName: 'ReadOnlyAccess' }));
    expect(other.roleCredentials!.accessKeyId).not.toBe(credentials.accessKeyId);
    expect(other.roleCredentials!.sessionToken).not.toBe(credentials.sessionToken);
  });

  test.each([
    ['a role the user lacks in an assigned account', PRODUCTION.accountId, 'AdministratorAccess'],
    ['an account the user is not assigned', '999999999999', 'ReadOnlyAccess'],
  ])('%s is ForbiddenException "No access" (403), which the model does not list', async (_, accountId, roleName) => {
    const { sso, accessToken } = await signIn();
    const error = await failure(sso.send(new GetRoleCredentialsCommand({ accessToken, accountId, roleName })));
    expect(error).toBeInstanceOf(SSOServiceException);
    expect([error.name, error.message, error.$metadata.httpStatusCode]).toEqual(['ForbiddenException', 'No access', 403]);
  });

  test.each([
    ['role_name', { account_id: SANDBOX.accountId }],
    ['account_id', { role_name: 'ReadOnlyAccess' }],
  ])('without %s it is an InvalidRequestException', async (missing, query) => {
    const { accessToken } = await signIn();
    const answer = await portalGet(emulator, PORTAL_PATHS.getRoleCredentials, query, accessToken);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-amzn-ErrorType')).toBe('InvalidRequestException');
    expect(await answer.json()).toEqual({ message: `${missing} is required` });
  });
});

describe('UnauthorizedException', () => {
  const operations = (sso: SSOClient, accessToken: string) => [
    sso.send(new ListAccountsCommand({ accessToken })),
    sso.send(new ListAccountRolesCommand({ accessToken, accountId: SANDBOX.accountId })),
    sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: SANDBOX.accountId, roleName: 'ReadOnlyAccess' })),
    sso.send(new LogoutCommand({ accessToken })),
  ];

  const expectUnauthorized = async (sso: SSOClient, accessToken: string) => {
    for (const call of operations(sso, accessToken)) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(UnauthorizedException);
      expect([error.message, error.$metadata.httpStatusCode]).toEqual([UNAUTHORIZED, 401]);
    }
  };

  test('an unknown token, on every operation', async () => {
    const { sso } = clientsFor(emulator);
    await expectUnauthorized(sso, 'aoa-not-issued-here');
  });

  test('an access token past its expiresIn, and not a moment before', async () => {
    const { sso, accessToken } = await signIn();
    const started = clock;
    try {
      clock = started + 3600 * 1000 - 1;
      await expect(sso.send(new ListAccountsCommand({ accessToken }))).resolves.toBeDefined();
      clock = started + 3600 * 1000;
      await expectUnauthorized(sso, accessToken);
    } finally {
      clock = started;
    }
  });

  test('no token at all (raw request): the wire form is the type in the header and only a message in the body', async () => {
    const answer = await portalGet(emulator, PORTAL_PATHS.listAccounts, {});
    expect(answer.status).toBe(401);
    expect(answer.headers.get('x-amzn-ErrorType')).toBe('UnauthorizedException');
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.headers.get('x-amzn-RequestId')).toMatch(/^[0-9a-f-]{36}$/);
    expect(await answer.json()).toEqual({ message: UNAUTHORIZED });
  });

  test('the token is checked before the input', async () => {
    const answer = await portalGet(emulator, PORTAL_PATHS.listAccounts, { max_result: 'many' }, 'aoa-not-issued-here');
    expect(answer.status).toBe(401);
    const { accessToken } = await signIn();
    const invalid = await portalGet(emulator, PORTAL_PATHS.listAccounts, { max_result: 'many' }, accessToken);
    expect([invalid.status, invalid.headers.get('x-amzn-ErrorType')]).toEqual([400, 'InvalidRequestException']);
  });
});

describe('Logout ends the sign-in session', () => {
  test('answers an empty 200; then the session’s access tokens are refused everywhere and its refresh token is invalid_grant', async () => {
    const { sso, accessToken, refreshToken, refresh } = await signIn();
    const refreshed = await refresh(refreshToken);
    const other = await signIn();

    const raw = await fetch(`${emulator.url}${PORTAL_PATHS.logout}`, { method: 'POST', headers: { 'x-amz-sso_bearer_token': accessToken } });
    expect([raw.status, await raw.text()]).toEqual([200, '']);

    for (const token of [accessToken, refreshed.accessToken!]) {
      const error = await failure(sso.send(new ListAccountsCommand({ accessToken: token })));
      expect(error).toBeInstanceOf(UnauthorizedException);
    }
    const grant = await failure(refresh(refreshToken));
    expect(grant).toBeInstanceOf(InvalidGrantException);
    expect(grant.error).toBe('invalid_grant');
    // Another sign-in of the same user and client goes on.
    await expect(other.sso.send(new ListAccountsCommand({ accessToken: other.accessToken }))).resolves.toBeDefined();
    await expect(other.refresh(other.refreshToken)).resolves.toMatchObject({ tokenType: 'Bearer' });
  });

  test('with rotation, refresh tokens rotated from the session die with it, whichever access token logs out', async () => {
    const { sso, accessToken, refreshToken, refresh } = await signIn(rotating);
    const second = await refresh(refreshToken);
    const third = await refresh(second.refreshToken!);
    expect(third.refreshToken).not.toBe(second.refreshToken);
    // The first access token is still the session's: logging out with it ends the session.
    await sso.send(new LogoutCommand({ accessToken }));
    expect(await failure(refresh(third.refreshToken!))).toBeInstanceOf(InvalidGrantException);
    expect(await failure(sso.send(new ListAccountsCommand({ accessToken: third.accessToken! })))).toBeInstanceOf(UnauthorizedException);
  });

  test('a device-flow sign-in is a session too', async () => {
    const { oidc, sso, credentials } = await signIn();
    const device = await oidc.send(new StartDeviceAuthorizationCommand({ ...credentials, startUrl: 'https://d-1234567890.awsapps.com/start' }));
    emulator.approveDevice(device.userCode!);
    const tokens = await oidc.send(new CreateTokenCommand({ ...credentials, grantType: DEVICE_CODE, deviceCode: device.deviceCode }));
    await expect(sso.send(new ListAccountsCommand({ accessToken: tokens.accessToken }))).resolves.toBeDefined();
    await sso.send(new LogoutCommand({ accessToken: tokens.accessToken! }));
    const grant = await failure(oidc.send(new CreateTokenCommand({ ...credentials, grantType: REFRESH_TOKEN, refreshToken: tokens.refreshToken })));
    expect(grant).toBeInstanceOf(InvalidGrantException);
  });

  test('a dropped Logout changed nothing', async () => {
    const { sso, accessToken } = await signIn();
    emulator.injectFault({ path: PORTAL_PATHS.logout, kind: 'drop' });
    await failure(sso.send(new LogoutCommand({ accessToken })));
    await expect(sso.send(new ListAccountsCommand({ accessToken }))).resolves.toBeDefined();
  });
});
