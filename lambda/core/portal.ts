// The AWS access portal's operations, for every surface that offers them (the /portal routes, and
// cookie sessions with the session's token): one function per operation, taking the caller's access
// token and checked input, calling the portal (portal-client.ts), applying the deployment's role
// policy (role-policy.ts) and answering the portal's modeled members. Input is checked first, and a
// request that fails a check, or asks for a role the policy leaves out, is never sent.
//   ListAccounts        only accounts where the user has a role the policy allows: one
//                       ListAccountRoles per listed account the policy could allow a role in
//   ListAccountRoles    only the allowed roles
//   GetRoleCredentials  refused by the broker (RoleNotAllowedException, 403) outside the policy
//   Logout              ends the user's IAM Identity Center sign-in session; no policy applies

import { timed, type Audit } from './audit.js';
import { BrokerError, brokerError, invalidRequest } from './errors.js';
import type { PortalClient, PortalOperation } from './portal-client.js';
import { NO_ACCESS_TOKEN_MESSAGE } from './portal-config.js';
import { ACCOUNT_ID, allowedRoles, ROLE_NAME, type RolePolicy } from './role-policy.js';
import { pick, type Shape } from './upstream.js';
import { clip, parseParameters } from './validation.js';

export interface PortalDeps {
  readonly client: PortalClient;
  readonly policy: RolePolicy;
}

export interface Account {
  readonly accountId: string;
  readonly accountName?: string;
  readonly emailAddress?: string;
}
export interface ListAccountsOutput {
  readonly accountList: Account[];
  readonly nextToken?: string;
}
export interface Role {
  readonly roleName: string;
  readonly accountId?: string;
}
export interface ListAccountRolesOutput {
  readonly roleList: Role[];
  readonly nextToken?: string;
}
export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch milliseconds. */
  readonly expiration: number;
}
export interface GetRoleCredentialsOutput {
  readonly roleCredentials: RoleCredentials;
}

export interface ListAccountsInput {
  readonly nextToken?: string;
  readonly maxResults?: number;
}
export interface ListAccountRolesInput extends ListAccountsInput {
  readonly accountId: string;
}
export interface GetRoleCredentialsInput {
  readonly accountId: string;
  readonly roleName: string;
}

// ---- input: the portal's own query names ----

/** The portal's MaxResultType: 1 to 100. */
const MAX_RESULTS = 100;
/** Next tokens are opaque; no real one comes near this. */
const MAX_NEXT_TOKEN_CHARS = 4096;
const VISIBLE = /^[\x21-\x7e]+$/;
/** API Gateway caps a request's headers at 10,240 bytes: no access token it passes is longer. */
const MAX_ACCESS_TOKEN_CHARS = 10_240;

/** The access token of a request (the value of x-amz-sso_bearer_token): missing or malformed is 401, never sent. */
export function accessTokenOf(value: string | undefined): string {
  if (value === undefined || value.length > MAX_ACCESS_TOKEN_CHARS || !VISIBLE.test(value)) throw brokerError('UnauthorizedException', NO_ACCESS_TOKEN_MESSAGE);
  return value;
}

/** The query's parameters, each at most once: a repeat could mean one thing to the broker's policy and another upstream. */
function queryValues(rawQuery: string): ReadonlyMap<string, string> {
  const { values, repeated } = parseParameters(rawQuery);
  const [first] = repeated;
  if (first !== undefined) throw badParameter(clip(first), 'is sent more than once');
  return values;
}

const badParameter = (name: string, problem: string) => invalidRequest(`The parameter "${name}" ${problem}.`);

function pageInput(values: ReadonlyMap<string, string>): ListAccountsInput {
  const nextToken = values.get('next_token');
  if (nextToken !== undefined && (nextToken.length > MAX_NEXT_TOKEN_CHARS || !VISIBLE.test(nextToken))) {
    throw badParameter('next_token', `must be 1 to ${MAX_NEXT_TOKEN_CHARS} visible ASCII characters`);
  }
  const raw = values.get('max_result');
  const maxResults = raw === undefined ? undefined : /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (maxResults !== undefined && !(maxResults >= 1 && maxResults <= MAX_RESULTS)) {
    throw badParameter('max_result', `must be a whole number from 1 to ${MAX_RESULTS}`);
  }
  return { ...(nextToken === undefined ? {} : { nextToken }), ...(maxResults === undefined ? {} : { maxResults }) };
}

function accountIdOf(values: ReadonlyMap<string, string>): string {
  const accountId = values.get('account_id');
  if (accountId === undefined) throw badParameter('account_id', 'is required');
  if (!ACCOUNT_ID.test(accountId)) throw badParameter('account_id', 'must be a 12-digit AWS account id');
  return accountId;
}

export const listAccountsInput = (rawQuery: string): ListAccountsInput => pageInput(queryValues(rawQuery));

export function listAccountRolesInput(rawQuery: string): ListAccountRolesInput {
  const values = queryValues(rawQuery);
  return { accountId: accountIdOf(values), ...pageInput(values) };
}

export function getRoleCredentialsInput(rawQuery: string): GetRoleCredentialsInput {
  const values = queryValues(rawQuery);
  const roleName = values.get('role_name');
  if (roleName === undefined) throw badParameter('role_name', 'is required');
  if (!ROLE_NAME.test(roleName)) throw badParameter('role_name', 'must be 1 to 64 of A-Z a-z 0-9 +=,.@_-');
  return { accountId: accountIdOf(values), roleName };
}

// ---- the operations ----

/** ListAccounts: the accounts where the user has a role the policy allows. */
export async function listAccounts(accessToken: string, input: ListAccountsInput, deps: PortalDeps, audit: Audit): Promise<ListAccountsOutput> {
  audit.grantType = 'ListAccounts';
  const body = await call(deps, audit, 'ListAccounts', accessToken, pageQuery(input));
  const page = check(readPage(body, 'accountList', ACCOUNT, 'accountId')) as unknown as ListAccountsOutput;
  // A few accounts at a time; after a failure no more start: the answer is decided.
  const keep: boolean[] = [];
  for (let at = 0; at < page.accountList.length; at += ROLE_LOOKUPS_AT_ONCE) {
    const accounts = page.accountList.slice(at, at + ROLE_LOOKUPS_AT_ONCE);
    keep.push(...(await Promise.all(accounts.map((account) => hasAllowedRole(accessToken, account.accountId, deps, audit)))));
  }
  return { accountList: page.accountList.filter((_, index) => keep[index]), ...next(page.nextToken) };
}

/** ListAccountRoles: only the roles the policy allows. */
export async function listAccountRoles(accessToken: string, input: ListAccountRolesInput, deps: PortalDeps, audit: Audit): Promise<ListAccountRolesOutput> {
  audit.grantType = 'ListAccountRoles';
  const page = await rolesPage(accessToken, input, deps, audit);
  return { roleList: allowedRoles(deps.policy, input.accountId, page.roleList), ...next(page.nextToken) };
}

/** GetRoleCredentials: refused outside the policy before anything is sent. */
export async function getRoleCredentials(
  accessToken: string,
  input: GetRoleCredentialsInput,
  deps: PortalDeps,
  audit: Audit,
): Promise<GetRoleCredentialsOutput> {
  audit.grantType = 'GetRoleCredentials';
  if (!deps.policy.allows(input.accountId, input.roleName)) {
    throw brokerError(
      'RoleNotAllowedException',
      `The role ${input.roleName} in account ${input.accountId} is not in this token broker's role policy (TOKEN_BROKER_PORTAL_ROLES).`,
    );
  }
  const body = await call(deps, audit, 'GetRoleCredentials', accessToken, { role_name: input.roleName, account_id: input.accountId });
  return { roleCredentials: check(readCredentials(body)) };
}

/** Logout: the portal ends the IAM Identity Center sign-in session the token belongs to. */
export async function logout(accessToken: string, client: PortalClient, audit: Audit): Promise<void> {
  audit.grantType = 'Logout';
  await timed(audit, () => client.call('Logout', accessToken));
}

/** The portal said the token is not (or no longer) valid: a cue to refresh, or proof a sign-out already happened. */
export const isUnauthorized = (error: unknown): boolean =>
  error instanceof BrokerError && error.fromUpstream && error.type === 'UnauthorizedException';

// ---- ListAccounts' filter ----

/** At most this many ListAccountRoles under way at once for one ListAccounts, to spare the portal's rate limits. */
const ROLE_LOOKUPS_AT_ONCE = 4;
/** Pages of roles read for one account (of 100 each): more roles than any account has. */
const MAX_ROLE_PAGES = 5;

async function hasAllowedRole(accessToken: string, accountId: string, deps: PortalDeps, audit: Audit): Promise<boolean> {
  if (!deps.policy.mayAllowIn(accountId)) return false;
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_ROLE_PAGES; page += 1) {
    const roles = await rolesPage(accessToken, { accountId, maxResults: MAX_RESULTS, ...next(nextToken) }, deps, audit);
    if (allowedRoles(deps.policy, accountId, roles.roleList).length > 0) return true;
    if ((nextToken = roles.nextToken) === undefined) break;
  }
  return false;
}

async function rolesPage(accessToken: string, input: ListAccountRolesInput, deps: PortalDeps, audit: Audit): Promise<ListAccountRolesOutput> {
  const body = await call(deps, audit, 'ListAccountRoles', accessToken, { ...pageQuery(input), account_id: input.accountId });
  return check(readPage(body, 'roleList', ROLE, 'roleName')) as unknown as ListAccountRolesOutput;
}

// ---- calls and answers ----

const call = async (deps: PortalDeps, audit: Audit, operation: PortalOperation, accessToken: string, query: Record<string, string>) =>
  (await timed(audit, () => deps.client.call(operation, accessToken, query))).body;

const pageQuery = (input: ListAccountsInput): Record<string, string> => ({
  ...(input.nextToken === undefined ? {} : { next_token: input.nextToken }),
  ...(input.maxResults === undefined ? {} : { max_result: String(input.maxResults) }),
});

const next = (nextToken: string | undefined): { nextToken?: string } => (nextToken === undefined ? {} : { nextToken });

/** A 200 whose body is not the operation's answer: the same 502 as any answer the broker cannot read. */
function check<T>(value: T | undefined): T {
  if (value === undefined) {
    throw brokerError('BadGatewayException', 'The AWS access portal gave an answer the broker could not read.', { logDetail: 'a 200 without the answer\'s members' });
  }
  return value;
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;

// The modeled members of each answer (pick: in a fixed order, absent ones left out, the wrong type
// or a missing required member makes the answer unreadable). The SDKs do not check them: a 200 may
// carry anything.
const ACCOUNT: Shape<Account> = { accountId: 'string', accountName: 'string', emailAddress: 'string' };
const ROLE: Shape<Role> = { roleName: 'string', accountId: 'string' };
const CREDENTIALS: Shape<RoleCredentials> = { accessKeyId: 'string', secretAccessKey: 'string', sessionToken: 'string', expiration: 'number' };

/** A page of a list answer, `{ [listName]: items, nextToken? }`: undefined when any of it is not the model's. */
function readPage<T extends object>(body: unknown, listName: string, shape: Shape<T>, required: keyof T): Json | undefined {
  const page = object(body);
  const list = page?.[listName] ?? [];
  const rest = page && pick(page as { nextToken?: string }, { nextToken: 'string' }, []);
  if (rest === undefined || !Array.isArray(list)) return undefined;
  const items = list.map((item: unknown) => {
    const fields = object(item);
    return fields && pick(fields as T, shape, [required]);
  });
  return items.every((item) => item !== undefined) ? { [listName]: items, ...rest } : undefined;
}

function readCredentials(body: unknown): RoleCredentials | undefined {
  const credentials = object(object(body)?.roleCredentials);
  return credentials && pick(credentials as unknown as RoleCredentials, CREDENTIALS, ['accessKeyId', 'secretAccessKey', 'sessionToken', 'expiration']);
}
