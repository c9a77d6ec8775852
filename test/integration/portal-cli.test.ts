// The AWS access portal through the broker from Python: boto3's `sso` client and the AWS CLI
// (`aws sso list-accounts`, `get-role-credentials`), unmodified, with their endpoint at
// `<broker>/portal` (both keep the path prefix). Debian's python3-boto3 and awscli, by absolute path
// (scripts/ensure-test-packages.sh installs them), with empty config and credentials files and no
// credentials: the portal's operations are unsigned, and nothing on the machine may leak in.

import { jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_ASSIGNMENTS, PORTAL_PATHS, type PortalAccount } from '../../local/emulators/sso-oidc.js';
import { post } from '../helpers/broker-process.js';
import { startEnvironment, type Environment } from '../helpers/environment.js';

const PYTHON = '/usr/bin/python3';
const AWS = '/usr/bin/aws';
const [SANDBOX, STAGING, PRODUCTION] = DEMO_ASSIGNMENTS as [PortalAccount, PortalAccount, PortalAccount];
const REDIRECT = 'https://app.example.com/callback';

const run = promisify(execFile);
// A Python program starts in a second or two here; several in one test, on a machine whose CPUs are busy, take longer.
jest.setTimeout(120_000);
let environment: Environment;
let home: string;
let endpoint: string;
const sensitive = new Set<string>();

beforeAll(async () => {
  environment = await startEnvironment({
    name: 'portal-cli',
    redirectUri: REDIRECT,
    brokerEnv: { TOKEN_BROKER_PORTAL: 'on', TOKEN_BROKER_PORTAL_ROLES: `${SANDBOX.accountId}/PowerUserAccess,*/ReadOnlyAccess` },
  });
  endpoint = `${environment.broker.url}/portal`;
  home = mkdtempSync(join(tmpdir(), 'portal-cli-'));
  writeFileSync(join(home, 'config'), '');
  writeFileSync(join(home, 'credentials'), '');
});

afterAll(async () => {
  await environment?.stop();
  if (home !== undefined) rmSync(home, { recursive: true, force: true });
});

/** Only what a program needs to run: no AWS_* of this machine, empty config and credentials files, no credentials. */
const cleanEnv = (): NodeJS.ProcessEnv => ({
  PATH: '/usr/bin:/bin',
  HOME: home,
  LANG: 'C.UTF-8',
  AWS_CONFIG_FILE: join(home, 'config'),
  AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_PAGER: '',
});

async function accessToken(): Promise<string> {
  const { body, code, verifier } = environment.codeExchange();
  const answer = await post(`${environment.broker.url}/token`, body);
  for (const value of [code, verifier, answer.body.accessToken, answer.body.refreshToken]) if (typeof value === 'string') sensitive.add(value);
  return String(answer.body.accessToken);
}

/** Runs `aws sso ...` and gives its exit code, JSON answer (on success) and stderr. */
async function aws(...args: string[]): Promise<{ code: number; json?: Record<string, unknown>; stderr: string }> {
  try {
    const { stdout, stderr } = await run(AWS, ['sso', ...args, '--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json'], { env: cleanEnv() });
    return { code: 0, json: JSON.parse(stdout) as Record<string, unknown>, stderr };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code ?? -1, stderr: failed.stderr ?? String(error) };
  }
}

/** boto3's `sso` client at the broker: each call's answer or its error code, message and status, as JSON. */
const BOTO3 = `
import json, sys, boto3
from botocore.exceptions import ClientError
endpoint, token, calls = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
sso = boto3.client('sso', region_name='us-east-1', endpoint_url=endpoint)
results = []
for name, params in calls:
    try:
        answer = getattr(sso, name)(accessToken=token, **params)
        answer.pop('ResponseMetadata', None)
        results.append({'ok': answer})
    except ClientError as error:
        results.append({'error': error.response['Error'], 'status': error.response['ResponseMetadata']['HTTPStatusCode']})
print(json.dumps(results))
`;

async function boto3(token: string, calls: [string, Record<string, unknown>][]): Promise<Record<string, any>[]> {
  const { stdout } = await run(PYTHON, ['-c', BOTO3, endpoint, token, JSON.stringify(calls)], { env: cleanEnv() });
  return JSON.parse(stdout) as Record<string, any>[];
}

describe('boto3\'s sso client at <broker>/portal', () => {
  it('lists accounts and allowed roles, gets credentials, is refused outside the policy, and logs out', async () => {
    const token = await accessToken();
    const before = environment.oidc.callCount(PORTAL_PATHS.getRoleCredentials);
    const [accounts, roles, production, credentials, refused, logout, after] = await boto3(token, [
      ['list_accounts', {}],
      ['list_account_roles', { accountId: SANDBOX.accountId }],
      ['list_account_roles', { accountId: PRODUCTION.accountId }],
      ['get_role_credentials', { accountId: STAGING.accountId, roleName: 'ReadOnlyAccess' }],
      ['get_role_credentials', { accountId: SANDBOX.accountId, roleName: 'AdministratorAccess' }],
      ['logout', {}],
      ['list_accounts', {}],
    ]);
    expect(accounts!.ok.accountList.map((account: { accountId: string }) => account.accountId)).toEqual([SANDBOX.accountId, STAGING.accountId]);
    expect(roles!.ok.roleList.map((role: { roleName: string }) => role.roleName)).toEqual(['PowerUserAccess', 'ReadOnlyAccess']);
    expect(production!.ok.roleList).toEqual([]);
    const issued = credentials!.ok.roleCredentials;
    for (const value of [issued.accessKeyId, issued.secretAccessKey, issued.sessionToken]) sensitive.add(value);
    expect(issued).toEqual({ accessKeyId: expect.stringMatching(/^ASIA/), secretAccessKey: expect.any(String), sessionToken: expect.any(String), expiration: expect.any(Number) });
    expect(refused).toEqual({
      error: { Code: 'RoleNotAllowedException', Message: expect.stringContaining("is not in this token broker's role policy") },
      status: 403,
    });
    // One GetRoleCredentials reached the portal: the allowed one.
    expect(environment.oidc.callCount(PORTAL_PATHS.getRoleCredentials)).toBe(before + 1);
    expect(logout).toEqual({ ok: {} });
    expect(after).toEqual({ error: { Code: 'UnauthorizedException', Message: 'Session token not found or invalid' }, status: 401 });
  });
});

describe('the AWS CLI, aws sso ... --endpoint-url <broker>/portal', () => {
  it('list-accounts and list-account-roles answer what the policy allows', async () => {
    const token = await accessToken();
    const accounts = await aws('list-accounts', '--access-token', token);
    expect(accounts.code).toBe(0);
    expect(accounts.json!.accountList).toEqual([SANDBOX, STAGING].map(({ accountId, accountName, emailAddress }) => ({ accountId, accountName, emailAddress })));
    const roles = await aws('list-account-roles', '--account-id', STAGING.accountId, '--access-token', token);
    expect(roles.json!.roleList).toEqual([{ roleName: 'ReadOnlyAccess', accountId: STAGING.accountId }]);
  });

  it('get-role-credentials gives credentials for an allowed role, and the broker\'s refusal for another', async () => {
    const token = await accessToken();
    const allowed = await aws('get-role-credentials', '--role-name', 'PowerUserAccess', '--account-id', SANDBOX.accountId, '--access-token', token);
    expect(allowed.code).toBe(0);
    const issued = allowed.json!.roleCredentials as Record<string, string>;
    for (const value of Object.values(issued)) if (typeof value === 'string') sensitive.add(value);
    expect(issued.accessKeyId).toMatch(/^ASIA/);

    const refused = await aws('get-role-credentials', '--role-name', 'PowerUserAccess', '--account-id', STAGING.accountId, '--access-token', token);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('An error occurred (RoleNotAllowedException) when calling the GetRoleCredentials operation: The role PowerUserAccess');
  });

  it('a token the portal does not know is its own UnauthorizedException', async () => {
    const unknown = await aws('list-accounts', '--access-token', 'aoa-not-issued-anywhere');
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('An error occurred (UnauthorizedException) when calling the ListAccounts operation: Session token not found or invalid');
  });
});

describe('logs', () => {
  it('hold no token or credential, after everything above', () => {
    const output = environment.broker.output();
    expect(output).toContain('GET /portal/federation/credentials');
    expect(sensitive.size).toBeGreaterThan(10);
    expect([...sensitive].filter((value) => output.includes(value))).toEqual([]);
  });
});
