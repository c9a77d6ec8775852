// The core's access portal operations (lambda/core/portal.ts over portal-client.ts), against the SSO
// OIDC emulator's access portal over HTTP: the role policy applied to each operation (a refused
// GetRoleCredentials never reaches the portal), every portal error type passed on as it came, and
// every answer that is not the portal's (oversized, a bad status, CR/LF in the type, a 200 of the
// wrong shape) turned into the broker's 502. What the surfaces (/portal, cookie sessions) build on.

import { newAudit } from '../../lambda/core/audit.js';
import { BrokerError } from '../../lambda/core/errors.js';
import { createPortalClient, MAX_PORTAL_ANSWER_BYTES } from '../../lambda/core/portal-client.js';
import {
  accessTokenOf,
  getRoleCredentials,
  getRoleCredentialsInput,
  isUnauthorized,
  listAccountRoles,
  listAccountRolesInput,
  listAccounts,
  listAccountsInput,
  logout,
  type PortalDeps,
} from '../../lambda/core/portal.js';
import { parseRolePolicy } from '../../lambda/core/role-policy.js';
import { DEMO_ASSIGNMENTS, PORTAL_PATHS, SsoOidcEmulator, type PortalAccount } from '../../local/emulators/sso-oidc.js';
import { destroyClients, signIn } from '../helpers/portal.js';

const [SANDBOX, STAGING, PRODUCTION] = DEMO_ASSIGNMENTS as [PortalAccount, PortalAccount, PortalAccount];
const UNREADABLE = 'The AWS access portal gave an answer the broker could not read.';

let emulator: SsoOidcEmulator;
let deps: PortalDeps;

beforeAll(async () => {
  emulator = await SsoOidcEmulator.start();
  const client = createPortalClient({ oidcRegion: 'us-east-1', portalEndpoint: emulator.url, upstreamTimeoutMs: 2000 });
  // PowerUserAccess in the sandbox only, ReadOnlyAccess anywhere: production (ViewOnlyAccess) has nothing allowed.
  deps = { client, policy: parseRolePolicy([`${SANDBOX.accountId}/PowerUserAccess`, '*/ReadOnlyAccess']).policy };
});

afterAll(async () => {
  destroyClients();
  await emulator?.stop();
});

beforeEach(() => emulator.resetCalls());

const token = async (): Promise<string> => (await signIn(emulator)).accessToken;

/** The error a call must fail with. */
async function failure(call: Promise<unknown>): Promise<BrokerError> {
  const outcome = await call.then(() => undefined, (error: unknown) => error);
  if (!(outcome instanceof BrokerError)) throw new Error(`expected a BrokerError, got ${String(outcome)}`);
  return outcome;
}

describe('the role policy', () => {
  it('ListAccounts lists only accounts where the user has an allowed role, asking for the roles of each it could allow', async () => {
    const audit = newAudit();
    const answer = await listAccounts(await token(), {}, deps, audit);
    expect(answer).toEqual({
      accountList: [SANDBOX, STAGING].map(({ accountId, accountName, emailAddress }) => ({ accountId, accountName, emailAddress })),
    });
    // Every account may hold ReadOnlyAccess (a * rule), so each one's roles were read.
    expect(emulator.callCount(PORTAL_PATHS.listAccountRoles)).toBe(3);
    expect(audit).toMatchObject({ grantType: 'ListAccounts', upstreamCalls: 4, upstreamStatus: 200 });
  });

  it('with account rules only, accounts the policy names nothing in are dropped without asking', async () => {
    const explicit = { ...deps, policy: parseRolePolicy([`${STAGING.accountId}/ReadOnlyAccess`]).policy };
    const answer = await listAccounts(await token(), {}, explicit, newAudit());
    expect(answer.accountList.map((account) => account.accountId)).toEqual([STAGING.accountId]);
    expect(emulator.calls.filter((call) => call.path === PORTAL_PATHS.listAccountRoles).map((call) => call.accountId)).toEqual([STAGING.accountId]);
  });

  it('ListAccounts keeps the portal\'s paging: a filtered page still carries the next token', async () => {
    const accessToken = await token();
    const first = await listAccounts(accessToken, { maxResults: 2 }, deps, newAudit());
    expect(first.accountList).toHaveLength(2);
    expect(first.nextToken).toEqual(expect.any(String));
    const second = await listAccounts(accessToken, { maxResults: 2, nextToken: first.nextToken! }, deps, newAudit());
    // Production's one role is not allowed: an empty last page.
    expect(second).toEqual({ accountList: [] });
  });

  it('ListAccounts reads an account\'s roles page by page until it finds an allowed one', async () => {
    // 150 roles: the allowed one is on the second page of 100.
    const many = { accountId: '123412341234', accountName: 'many', emailAddress: 'many@example.com', roles: [...Array.from({ length: 149 }, (_, i) => `Role${i}`), 'ReadOnlyAccess'] };
    const big = await SsoOidcEmulator.start({ assignments: [many] });
    try {
      const client = createPortalClient({ oidcRegion: 'us-east-1', portalEndpoint: big.url, upstreamTimeoutMs: 2000 });
      const answer = await listAccounts((await signIn(big)).accessToken, {}, { client, policy: deps.policy }, newAudit());
      expect(answer.accountList.map((account) => account.accountId)).toEqual([many.accountId]);
      expect(big.callCount(PORTAL_PATHS.listAccountRoles)).toBe(2);
    } finally {
      await big.stop();
    }
  });

  it('ListAccounts fails as a role lookup fails: the portal\'s error passes through', async () => {
    const accessToken = await token();
    emulator.injectFault({ path: PORTAL_PATHS.listAccountRoles, kind: 'error', type: 'TooManyRequestsException', status: 429 });
    const error = await failure(listAccounts(accessToken, {}, deps, newAudit()));
    expect(error).toMatchObject({ status: 429, type: 'TooManyRequestsException', description: 'Rate exceeded', fromUpstream: true });
  });

  it('ListAccountRoles answers only the allowed roles', async () => {
    const accessToken = await token();
    const roles = async (account: PortalAccount) =>
      (await listAccountRoles(accessToken, { accountId: account.accountId }, deps, newAudit())).roleList.map((role) => role.roleName);
    expect(await roles(SANDBOX)).toEqual(['PowerUserAccess', 'ReadOnlyAccess']);
    expect(await roles(STAGING)).toEqual(['ReadOnlyAccess']);
    expect(await roles(PRODUCTION)).toEqual([]);
  });

  it('GetRoleCredentials for an allowed role answers the portal\'s credentials', async () => {
    const answer = await getRoleCredentials(await token(), { accountId: STAGING.accountId, roleName: 'ReadOnlyAccess' }, deps, newAudit());
    expect(answer.roleCredentials).toEqual({
      accessKeyId: expect.stringMatching(/^ASIA/),
      secretAccessKey: expect.any(String),
      sessionToken: expect.any(String),
      expiration: expect.any(Number),
    });
  });

  it.each([
    ['a role the policy names in another account', STAGING.accountId, 'PowerUserAccess'],
    ['a role the policy does not name', SANDBOX.accountId, 'AdministratorAccess'],
    ['a role the user does not even have', PRODUCTION.accountId, 'ViewOnlyAccess'],
  ])('GetRoleCredentials for %s is refused by the broker and never reaches the portal', async (_, accountId, roleName) => {
    const audit = newAudit();
    const error = await failure(getRoleCredentials(await token(), { accountId, roleName }, deps, audit));
    expect(error).toMatchObject({ status: 403, type: 'RoleNotAllowedException', fromUpstream: false });
    expect(error.description).toBe(
      `The role ${roleName} in account ${accountId} is not in this token broker's role policy (TOKEN_BROKER_PORTAL_ROLES).`,
    );
    expect(emulator.callCount(PORTAL_PATHS.getRoleCredentials)).toBe(0);
    expect(audit.upstreamCalls).toBe(0);
  });
});

describe('Logout', () => {
  it('ends the sign-in: the token is then UnauthorizedException, which isUnauthorized recognises', async () => {
    const accessToken = await token();
    await logout(accessToken, deps.client, newAudit());
    const error = await failure(listAccounts(accessToken, {}, deps, newAudit()));
    expect(isUnauthorized(error)).toBe(true);
    expect(isUnauthorized(await failure(getRoleCredentials(accessToken, { accountId: SANDBOX.accountId, roleName: 'AdministratorAccess' }, deps, newAudit())))).toBe(false);
  });
});

describe('the portal\'s errors pass through as it gave them', () => {
  it.each([
    ['InvalidRequestException', 400],
    ['UnauthorizedException', 401],
    ['ForbiddenException', 403],
    ['ResourceNotFoundException', 404],
    ['TooManyRequestsException', 429],
    ['InternalServerException', 500],
  ])('%s (%d), with its message and request id', async (type, status) => {
    const accessToken = await token();
    emulator.injectFault({ path: PORTAL_PATHS.listAccountRoles, kind: 'error', type, status, message: `the portal says ${type}` });
    const audit = newAudit();
    const error = await failure(listAccountRoles(accessToken, { accountId: SANDBOX.accountId }, deps, audit));
    expect(error).toMatchObject({ status, type, description: `the portal says ${type}`, fromUpstream: true });
    expect(error.upstream).toEqual({ status, requestId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(audit.upstreamStatus).toBe(status);
  });

  it('a type in the body only (`__type` with a namespace) is read as the SDKs read it', async () => {
    emulator.injectFault({ path: PORTAL_PATHS.listAccounts, kind: 'raw', status: 429, body: '{"__type":"com.amazonaws.switchboard.portal#TooManyRequestsException","message":"slow"}' });
    expect(await failure(listAccounts(await token(), {}, deps, newAudit()))).toMatchObject({ type: 'TooManyRequestsException', description: 'slow', status: 429 });
  });

  it('an error message that quotes the access token is passed on without it', async () => {
    const accessToken = await token();
    emulator.injectFault({ path: PORTAL_PATHS.listAccounts, kind: 'error', type: 'UnauthorizedException', status: 401, message: `token ${accessToken} expired` });
    expect((await failure(listAccounts(accessToken, {}, deps, newAudit()))).description).toBe('token [redacted] expired');
  });
});

describe('an answer that is not the portal\'s is the broker\'s 502', () => {
  const HOSTILE = [
    { name: 'CR/LF in the error type', fault: { kind: 'raw', status: 401, body: JSON.stringify({ __type: 'Unauthorized\r\nSet-Cookie: a=b', message: 'x' }) }, logged: /Unauthorized\\r\\nSet-Cookie/ },
    { name: 'an error status without a type', fault: { kind: 'raw', status: 503, body: '' }, logged: /without an error type/ },
    { name: 'a typed error with status 302', fault: { kind: 'raw', status: 302, headers: { 'x-amzn-ErrorType': 'UnauthorizedException', location: 'https://evil.example/' }, body: '{}' }, logged: /status 302/ },
    { name: 'a 201', fault: { kind: 'raw', status: 201, body: '{"accountList":[]}' }, logged: /status 201/ },
    { name: 'a 200 that is not JSON', fault: { kind: 'raw', status: 200, body: '<html>' }, logged: /not JSON/ },
    { name: 'a 200 of the wrong shape', fault: { kind: 'raw', status: 200, body: '{"accountList":{"accountId":1}}' }, logged: /answer's members/ },
    { name: 'an answer over the limit', fault: { kind: 'raw', status: 200, body: JSON.stringify({ accountList: [], pad: 'x'.repeat(MAX_PORTAL_ANSWER_BYTES) }) }, logged: /answer over 262144 bytes/ },
  ] as const;

  it.each(HOSTILE)('$name', async ({ fault, logged }) => {
    emulator.injectFault({ path: PORTAL_PATHS.listAccounts, ...fault });
    const error = await failure(listAccounts(await token(), {}, deps, newAudit()));
    expect(error).toMatchObject({ status: 502, type: 'BadGatewayException', description: UNREADABLE, fromUpstream: false });
    expect(error.logDetail).toMatch(logged);
  });

  it('credentials without a session token, or with an expiration of 1e999', async () => {
    for (const body of ['{"roleCredentials":{"accessKeyId":"ASIA","secretAccessKey":"s","expiration":1}}', '{"roleCredentials":{"accessKeyId":"ASIA","secretAccessKey":"s","sessionToken":"t","expiration":1e999}}']) {
      emulator.injectFault({ path: PORTAL_PATHS.getRoleCredentials, kind: 'raw', status: 200, body });
      const error = await failure(getRoleCredentials(await token(), { accountId: SANDBOX.accountId, roleName: 'ReadOnlyAccess' }, deps, newAudit()));
      expect(error.type).toBe('BadGatewayException');
    }
  });

  it('a portal that does not answer in time is a 504; one that cannot be reached a 502', async () => {
    emulator.injectFault({ path: PORTAL_PATHS.listAccounts, kind: 'delay', ms: 5000 });
    const slow = { ...deps, client: createPortalClient({ oidcRegion: 'us-east-1', portalEndpoint: emulator.url, upstreamTimeoutMs: 300 }) };
    expect(await failure(listAccounts(await token(), {}, slow, newAudit()))).toMatchObject({ status: 504, type: 'GatewayTimeoutException' });
    const closed = { ...deps, client: createPortalClient({ oidcRegion: 'us-east-1', portalEndpoint: 'http://127.0.0.1:9', upstreamTimeoutMs: 2000 }) };
    expect(await failure(listAccounts('aoa-token', {}, closed, newAudit()))).toMatchObject({ status: 502, description: 'The AWS access portal could not be reached.' });
  });
});

describe('input, checked before anything is sent', () => {
  it('reads the portal\'s own query names', () => {
    expect(listAccountsInput('next_token=abc&max_result=5')).toEqual({ nextToken: 'abc', maxResults: 5 });
    expect(listAccountRolesInput(`account_id=${SANDBOX.accountId}`)).toEqual({ accountId: SANDBOX.accountId });
    expect(getRoleCredentialsInput(`role_name=ReadOnlyAccess&account_id=${SANDBOX.accountId}`)).toEqual({ accountId: SANDBOX.accountId, roleName: 'ReadOnlyAccess' });
  });

  it.each([
    ['a repeated account_id (one value for the policy, another upstream)', () => getRoleCredentialsInput(`role_name=ReadOnlyAccess&account_id=${SANDBOX.accountId}&account_id=${PRODUCTION.accountId}`), 'sent more than once'],
    ['a repeated role_name', () => getRoleCredentialsInput(`role_name=ReadOnlyAccess&role_name=AdministratorAccess&account_id=${SANDBOX.accountId}`), 'sent more than once'],
    ['no role_name', () => getRoleCredentialsInput(`account_id=${SANDBOX.accountId}`), '"role_name" is required'],
    ['an account id that is not 12 digits', () => listAccountRolesInput('account_id=1111'), '12-digit'],
    ['a role name with a slash', () => getRoleCredentialsInput(`role_name=a/b&account_id=${SANDBOX.accountId}`), '"role_name" must be'],
    ['max_result 0', () => listAccountsInput('max_result=0'), 'from 1 to 100'],
    ['max_result 101', () => listAccountsInput('max_result=101'), 'from 1 to 100'],
    ['a next token with a space', () => listAccountsInput('next_token=a%20b'), 'visible ASCII'],
  ])('refuses %s', (_, parse, message) => {
    expect(parse).toThrow(expect.objectContaining({ status: 400, type: 'InvalidRequestException', description: expect.stringContaining(message) }));
  });

  it('an access token that is missing or not one is UnauthorizedException from the broker', () => {
    for (const value of [undefined, '', 'a b', 'x'.repeat(10_241)]) {
      expect(() => accessTokenOf(value)).toThrow(expect.objectContaining({ status: 401, type: 'UnauthorizedException', fromUpstream: false }));
    }
    expect(accessTokenOf('aoa-0123')).toBe('aoa-0123');
  });
});
