// The AWS access portal through the broker, as `npm start` runs it, against the SSO OIDC emulator's
// portal over HTTP: an unmodified SSOClient (@aws-sdk/client-sso) with its endpoint at
// `<broker>/portal` lists, gets credentials and signs out; the role policy refuses, filters and never
// lets a refused call reach the portal; every portal error type comes back exactly as the portal
// gave it; a hostile portal answer is the broker's 502; the bearer header is allowed in the CORS
// preflight of the portal's paths only; and no token or credential appears in any log line.

import {
  GetRoleCredentialsCommand,
  InvalidRequestException,
  ListAccountRolesCommand,
  ListAccountsCommand,
  LogoutCommand,
  paginateListAccounts,
  ResourceNotFoundException,
  SSOClient,
  SSOServiceException,
  TooManyRequestsException,
  UnauthorizedException,
} from '@aws-sdk/client-sso';
import { DEMO_ASSIGNMENTS, PORTAL_PATHS, type PortalAccount, type SsoOidcFault } from '../../local/emulators/sso-oidc.js';
import { post, type BrokerProcess } from '../helpers/broker-process.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';

const [SANDBOX, STAGING, PRODUCTION] = DEMO_ASSIGNMENTS as [PortalAccount, PortalAccount, PortalAccount];
const ORIGIN = 'https://app.example.com';
const REDIRECT = 'https://app.example.com/callback';
const ROLES = `${SANDBOX.accountId}/PowerUserAccess,*/ReadOnlyAccess`;
const UNREADABLE = 'The AWS access portal gave an answer the broker could not read.';

let environment: Environment;
let broker: BrokerProcess;
let sso: SSOClient;
/** Every token and credential this file sees; none may appear in the broker's output. */
const sensitive = new Set<string>();
const remember = (...values: unknown[]): void => {
  for (const value of values) if (typeof value === 'string' && value.length > 0) sensitive.add(value);
};

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'portal-integration',
    redirectUri: REDIRECT,
    brokerEnv: { TOKEN_BROKER_PORTAL: 'on', TOKEN_BROKER_PORTAL_ROLES: ROLES, TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN, TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: '1000' },
  });
  ({ broker } = environment);
  remember(environment.registration.clientSecret);
  // Unmodified, but for one attempt per call (so a count of portal calls is exact).
  sso = new SSOClient({ region: 'us-east-1', endpoint: `${broker.url}/portal`, maxAttempts: 1 });
});

afterAll(async () => {
  sso?.destroy();
  await environment?.stop();
});

/** A sign-in through POST /token: the tokens a frontend holds. */
async function signIn(): Promise<{ accessToken: string; refreshToken: string }> {
  const { body, code, verifier } = environment.codeExchange();
  const answer = await post(`${broker.url}/token`, body);
  expect(answer.status).toBe(200);
  remember(code, verifier, answer.body.accessToken, answer.body.refreshToken);
  return { accessToken: String(answer.body.accessToken), refreshToken: String(answer.body.refreshToken) };
}

async function failure(call: Promise<unknown>): Promise<SSOServiceException> {
  const outcome = await call.then(() => undefined, (error: unknown) => error);
  if (!(outcome instanceof SSOServiceException)) throw new Error(`expected an SSOServiceException, got ${String(outcome)}`);
  return outcome;
}

/** A raw request to a portal path of the broker (or of the emulator, to compare). */
async function raw(base: string, path: string, query: Record<string, string>, headers: Record<string, string> = {}, method = 'GET') {
  const response = await fetch(`${base}${path}?${new URLSearchParams(query).toString()}`, { method, headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>) };
}

const portalCalls = (path: string): number => environment.oidc.callCount(path);
const accountsOf = (accounts: readonly PortalAccount[]) => accounts.map(({ accountId, accountName, emailAddress }) => ({ accountId, accountName, emailAddress }));

describe('an unmodified SSOClient at <broker>/portal', () => {
  it('lists the accounts with an allowed role, page by page with the SDK\'s paginator', async () => {
    const { accessToken } = await signIn();
    const answer = await sso.send(new ListAccountsCommand({ accessToken }));
    expect(answer.$metadata.httpStatusCode).toBe(200);
    expect(answer.accountList).toEqual(accountsOf([SANDBOX, STAGING]));
    const pages = [];
    for await (const page of paginateListAccounts({ client: sso, pageSize: 2 }, { accessToken })) pages.push(page.accountList);
    // The second page held only production, whose one role the policy leaves out.
    expect(pages).toEqual([accountsOf([SANDBOX, STAGING]), []]);
  });

  it('lists only the allowed roles of an account', async () => {
    const { accessToken } = await signIn();
    const roles = async (account: PortalAccount) => (await sso.send(new ListAccountRolesCommand({ accessToken, accountId: account.accountId }))).roleList;
    expect(await roles(SANDBOX)).toEqual([
      { roleName: 'PowerUserAccess', accountId: SANDBOX.accountId },
      { roleName: 'ReadOnlyAccess', accountId: SANDBOX.accountId },
    ]);
    expect(await roles(STAGING)).toEqual([{ roleName: 'ReadOnlyAccess', accountId: STAGING.accountId }]);
    expect(await roles(PRODUCTION)).toEqual([]);
  });

  it('gets role credentials for an allowed role (an * rule and an account rule alike)', async () => {
    const { accessToken } = await signIn();
    for (const [account, roleName] of [[STAGING, 'ReadOnlyAccess'], [SANDBOX, 'PowerUserAccess']] as const) {
      const { roleCredentials } = await sso.send(new GetRoleCredentialsCommand({ accessToken, accountId: account.accountId, roleName }));
      remember(roleCredentials?.accessKeyId, roleCredentials?.secretAccessKey, roleCredentials?.sessionToken);
      expect(roleCredentials).toEqual({ accessKeyId: expect.stringMatching(/^ASIA[A-Z0-9]{16}$/), secretAccessKey: expect.any(String), sessionToken: expect.any(String), expiration: expect.any(Number) });
    }
  });

  it('Logout ends the Identity Center session: the token is refused, and the refresh token is invalid_grant', async () => {
    const { accessToken, refreshToken } = await signIn();
    const answer = await sso.send(new LogoutCommand({ accessToken }));
    expect(answer.$metadata.httpStatusCode).toBe(200);
    const after = await failure(sso.send(new ListAccountsCommand({ accessToken })));
    expect(after).toBeInstanceOf(UnauthorizedException);
    const refresh = await post(`${broker.url}/token`, { grantType: 'refresh_token', refreshToken });
    expect([refresh.status, refresh.body.error]).toEqual([400, 'invalid_grant']);
  });
});

describe('the role policy', () => {
  it.each([
    ['a role the policy does not name', SANDBOX.accountId, 'AdministratorAccess'],
    ['a role the policy names for another account', STAGING.accountId, 'PowerUserAccess'],
    ['a role of an account the policy allows nothing in', PRODUCTION.accountId, 'ViewOnlyAccess'],
  ])('GetRoleCredentials for %s is refused by the broker, never sent to the portal', async (_, accountId, roleName) => {
    const { accessToken } = await signIn();
    const before = portalCalls(PORTAL_PATHS.getRoleCredentials);
    const error = await failure(sso.send(new GetRoleCredentialsCommand({ accessToken, accountId, roleName })));
    expect([error.name, error.$metadata.httpStatusCode]).toEqual(['RoleNotAllowedException', 403]);
    expect(error.message).toBe(`The role ${roleName} in account ${accountId} is not in this token broker's role policy (TOKEN_BROKER_PORTAL_ROLES).`);
    expect(portalCalls(PORTAL_PATHS.getRoleCredentials)).toBe(before);
  });

  it('a repeated parameter (one value for the policy, another for the portal) is refused, never sent', async () => {
    const { accessToken } = await signIn();
    const before = portalCalls(PORTAL_PATHS.getRoleCredentials);
    const query = `role_name=ReadOnlyAccess&account_id=${STAGING.accountId}&account_id=${PRODUCTION.accountId}`;
    const response = await fetch(`${broker.url}/portal/federation/credentials?${query}`, { headers: { 'x-amz-sso_bearer_token': accessToken } });
    expect([response.status, response.headers.get('x-amzn-ErrorType')]).toEqual([400, 'InvalidRequestException']);
    expect(await response.json()).toEqual({ __type: 'InvalidRequestException', message: 'The parameter "account_id" is sent more than once.' });
    expect(portalCalls(PORTAL_PATHS.getRoleCredentials)).toBe(before);
  });

  it('a request without an access token is the broker\'s own UnauthorizedException, never sent', async () => {
    const before = portalCalls(PORTAL_PATHS.listAccounts);
    const response = await raw(broker.url, '/portal/assignment/accounts', {});
    expect([response.status, response.headers.get('x-amzn-ErrorType'), response.json]).toEqual([
      401,
      'UnauthorizedException',
      { __type: 'UnauthorizedException', message: 'The request carries no access token: send it in the header x-amz-sso_bearer_token.' },
    ]);
    expect(portalCalls(PORTAL_PATHS.listAccounts)).toBe(before);
  });
});

describe('the portal\'s errors, exactly as it gave them', () => {
  const CASES = [
    ['InvalidRequestException', 400, InvalidRequestException],
    ['UnauthorizedException', 401, UnauthorizedException],
    ['ResourceNotFoundException', 404, ResourceNotFoundException],
    ['TooManyRequestsException', 429, TooManyRequestsException],
    ['ForbiddenException', 403, SSOServiceException],
  ] as const;

  it.each(CASES)('%s (%d): status, x-amzn-ErrorType and message, which the SDK reads as the portal\'s own', async (type, status, Exception) => {
    const { accessToken } = await signIn();
    const fault: SsoOidcFault = { path: PORTAL_PATHS.listAccountRoles, kind: 'error', type, status, message: `portal says ${type}` };
    // The portal's answer itself, then the same through the broker.
    environment.oidc.injectFault(fault);
    const direct = await raw(environment.oidc.url, PORTAL_PATHS.listAccountRoles, { account_id: SANDBOX.accountId }, { 'x-amz-sso_bearer_token': accessToken });
    environment.oidc.injectFault(fault);
    const through = await raw(broker.url, '/portal/assignment/roles', { account_id: SANDBOX.accountId }, { 'x-amz-sso_bearer_token': accessToken });
    expect([through.status, through.headers.get('x-amzn-ErrorType')]).toEqual([direct.status, direct.headers.get('x-amzn-ErrorType')]);
    expect(through.json).toEqual({ ...direct.json, __type: type });
    expect(through.headers.get('cache-control')).toBe('no-store');

    environment.oidc.injectFault(fault);
    const error = await failure(sso.send(new ListAccountRolesCommand({ accessToken, accountId: SANDBOX.accountId })));
    expect(error).toBeInstanceOf(Exception);
    expect([error.name, error.message, error.$metadata.httpStatusCode]).toEqual([type, `portal says ${type}`, status]);
  });

  it.each([
    ['oversized (1 MB)', { kind: 'raw', status: 200, body: JSON.stringify({ accountList: [], pad: 'x'.repeat(1_000_000) }) }, /answer over 262144 bytes/],
    ['a bad status (302 with a type)', { kind: 'raw', status: 302, headers: { 'x-amzn-ErrorType': 'UnauthorizedException', location: 'https://evil.example/' }, body: '{}' }, /status 302/],
    ['CR/LF in the error type', { kind: 'raw', status: 401, body: JSON.stringify({ __type: 'Unauthorized\r\nSet-Cookie: a=b', message: 'm' }) }, /Unauthorized\\r\\nSet-Cookie/],
  ] as const)('a hostile answer, %s, becomes the broker\'s 502, with what was wrong in the log only', async (_, fault, logged) => {
    const { accessToken } = await signIn();
    environment.oidc.injectFault({ path: PORTAL_PATHS.listAccounts, ...fault } as SsoOidcFault);
    const response = await raw(broker.url, '/portal/assignment/accounts', {}, { 'x-amz-sso_bearer_token': accessToken });
    expect([response.status, response.headers.get('x-amzn-ErrorType'), response.json]).toEqual([502, 'BadGatewayException', { __type: 'BadGatewayException', message: UNREADABLE }]);
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('location')).toBeNull();
    const line = broker.logs().filter((entry) => entry.route === 'GET /portal/assignment/accounts' && entry.status === 502).at(-1);
    expect(String(line?.detail)).toMatch(logged);
  });
});

describe('CORS', () => {
  const preflight = (path: string, headers: string) =>
    fetch(`${broker.url}${path}`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': headers } });

  it('the preflight of a portal path allows the bearer header and the SDK\'s own; no other path allows it', async () => {
    const asked = 'x-amz-sso_bearer_token,amz-sdk-invocation-id,amz-sdk-request,x-amz-user-agent';
    for (const path of ['/portal/assignment/accounts', '/portal/assignment/roles', '/portal/federation/credentials', '/portal/logout']) {
      const response = await preflight(path, asked);
      expect([path, response.status, response.headers.get('access-control-allow-origin')]).toEqual([path, 204, ORIGIN]);
      expect(response.headers.get('access-control-allow-headers')!.split(', ')).toEqual(expect.arrayContaining(asked.split(',')));
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
    }
    expect((await preflight('/token', 'content-type')).headers.get('access-control-allow-headers')).not.toContain('x-amz-sso_bearer_token');
  });

  it('an answer to an allowed origin is readable by it, error type and request id included', async () => {
    const { accessToken } = await signIn();
    const response = await raw(broker.url, '/portal/assignment/accounts', {}, { 'x-amz-sso_bearer_token': accessToken, origin: ORIGIN });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toBe('x-amzn-ErrorType, x-amzn-RequestId');
    const foreign = await raw(broker.url, '/portal/assignment/accounts', {}, { 'x-amz-sso_bearer_token': accessToken, origin: 'https://evil.example' });
    expect([foreign.status, foreign.headers.get('x-amzn-ErrorType')]).toEqual([403, 'ForbiddenOriginException']);
  });
});

describe('logs', () => {
  it('have one line per portal request, naming the operation, with the portal\'s status', () => {
    const lines = broker.logs().filter((line) => String(line.route).includes('/portal/'));
    expect(lines.find((line) => line.route === 'GET /portal/federation/credentials' && line.status === 200)).toMatchObject({
      grantType: 'GetRoleCredentials',
      outcome: 'Success',
      upstreamCalls: 1,
      upstreamStatus: 200,
    });
    expect(lines.find((line) => line.outcome === 'RoleNotAllowedException')).toMatchObject({ status: 403, upstreamCalls: 0 });
  });

  it('never contain an access token, refresh token or role credential, after everything above', () => {
    const output = broker.output();
    expect(output).toContain('/portal/federation/credentials');
    expect(sensitive.size).toBeGreaterThan(30);
    expect([...sensitive].filter((value) => output.includes(value))).toEqual([]);
  });
});
