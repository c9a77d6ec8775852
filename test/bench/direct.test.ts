// The direct calls route families are compared with (bench/baseline/direct.ts), in the benchmark's
// own child process: each answers from its upstream (the SSO OIDC emulator's CreateToken, its access
// portal API, a bearer-protected API the bench starts), and a call the upstream refuses counts as a
// failure rather than as a fast success. The portal and API calls wait for their route families.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiUpstream, type ApiUpstream } from '../../bench/api-upstream.js';
import { baselineBundle, directBundle } from '../../bench/bundle.js';
import { lambdaEnvironment, startWarm, type WarmProcess } from '../../bench/processes.js';
import { REGION, SECRET_NAME, startUpstreams, type Upstreams } from '../../bench/upstream.js';

let work: string;
let upstreams: Upstreams;
let api: ApiUpstream;
let direct: WarmProcess;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'token-broker-direct-'));
  upstreams = await startUpstreams();
  api = await startApiUpstream(upstreams.accessToken);
  const family = (call: string, input: unknown, member: string) => ({ event: {}, direct: { call, input }, expect: { status: 200, direct: member } });
  const accounts = { accessToken: upstreams.accessToken };
  const families = {
    refresh: family('createToken', { clientId: upstreams.clientId, clientSecret: upstreams.clientSecret, grantType: 'refresh_token', refreshToken: upstreams.refreshToken }, 'accessToken'),
    accounts: family('listAccounts', accounts, 'accountList'),
    roles: family('listAccountRoles', { ...accounts, accountId: '111122223333' }, 'roleList'),
    credentials: family('getRoleCredentials', { ...accounts, accountId: '111122223333', roleName: 'ReadOnlyAccess' }, 'roleCredentials'),
    api: family('fetch', { url: `${api.url}/things`, headers: { authorization: `Bearer ${upstreams.accessToken}` } }, 'body'),
    refusedPortal: family('listAccounts', { accessToken: 'not-a-token' }, 'accountList'),
    refusedApi: family('fetch', { url: `${api.url}/things`, headers: { authorization: 'Bearer not-a-token' } }, 'body'),
  };
  const inputFile = join(work, 'input.json');
  writeFileSync(inputFile, JSON.stringify({ cold: {}, families }));
  mkdirSync(join(work, 'home'));
  const env = lambdaEnvironment(
    { memorySize: 1024, runtime: 'nodejs24.x', environment: {} },
    { secretId: SECRET_NAME, region: REGION, oidcUrl: upstreams.oidc.url, secretsUrl: upstreams.secrets.url },
    join(work, 'home'),
  );
  direct = await startWarm((await directBundle(join(work, 'direct'))).path, inputFile, env, 'direct');
}, 120_000);

afterAll(async () => {
  await direct?.stop();
  await api?.stop();
  await upstreams?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('the direct calls', () => {
  it.each(['refresh', 'accounts', 'roles', 'credentials', 'api'])('%s answers from its upstream', async (family) => {
    expect(await direct.call('direct', family)).toMatchObject({ ok: true, ms: expect.any(Number) });
    expect(await direct.calls(5, 'direct', family)).toMatchObject({ failures: 0 });
  });

  it('counts a refused call as a failure', async () => {
    expect((await direct.call('direct', 'refusedPortal')).ok).toBe(false);
    expect((await direct.call('direct', 'refusedApi')).ok).toBe(false);
    expect(await direct.calls(3, 'direct', 'refusedApi')).toMatchObject({ failures: 3 });
    expect(api.requests().refused).toBe(4);
  });

  it('reuses its connections: repeated calls open none', async () => {
    await direct.calls(3, 'direct', 'api');
    const before = api.connections();
    await direct.calls(20, 'direct', 'api');
    expect(api.connections()).toBe(before);
  });

  it('a bundle without direct calls is refused as the direct process', async () => {
    const baseline = await baselineBundle(join(work, 'baseline'));
    await expect(startWarm(baseline.path, join(work, 'input.json'), {}, 'direct')).rejects.toThrow(/exports no direct calls/);
  });
});
