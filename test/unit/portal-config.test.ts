// The access portal's configuration, as loadConfig reads it: off by default, the role policy required
// when on (no silent "everything"), and the portal's endpoint from AWS_ENDPOINT_URL_SSO or the region.

import { ConfigError, loadConfig } from '../../lambda/core/config.js';
import { createPortalClient, portalEndpointOf } from '../../lambda/core/portal-client.js';

const base = { TOKEN_BROKER_SECRET_ID: 'token-broker/registration', AWS_REGION: 'eu-west-1' };

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

describe('TOKEN_BROKER_PORTAL', () => {
  it('is off by default', () => {
    expect(loadConfig(base).portal).toBeUndefined();
  });

  it('on, with the role policy it enforces', () => {
    const config = loadConfig({ ...base, TOKEN_BROKER_PORTAL: 'on', TOKEN_BROKER_PORTAL_ROLES: ' */ReadOnlyAccess, 111122223333/PowerUserAccess ,' });
    expect(config.portal?.roles.rules).toEqual([
      { accountId: '*', roleName: 'ReadOnlyAccess' },
      { accountId: '111122223333', roleName: 'PowerUserAccess' },
    ]);
  });

  it('on without TOKEN_BROKER_PORTAL_ROLES fails at start: there is no default that allows every role', () => {
    expect(problemsOf({ ...base, TOKEN_BROKER_PORTAL: 'on' })).toEqual([
      expect.stringMatching(/^TOKEN_BROKER_PORTAL_ROLES is required when TOKEN_BROKER_PORTAL=on .*no default allows every role/),
    ]);
    expect(problemsOf({ ...base, TOKEN_BROKER_PORTAL: 'on', TOKEN_BROKER_PORTAL_ROLES: ' , ' })).toHaveLength(1);
  });

  it('names every bad rule, with the variable', () => {
    const problems = problemsOf({ ...base, TOKEN_BROKER_PORTAL: 'on', TOKEN_BROKER_PORTAL_ROLES: '*/*,ReadOnlyAccess' });
    expect(problems).toHaveLength(2);
    for (const problem of problems) expect(problem).toMatch(/^TOKEN_BROKER_PORTAL_ROLES: /);
  });

  it('refuses roles given while the portal is off, and a mode that is neither on nor off', () => {
    expect(problemsOf({ ...base, TOKEN_BROKER_PORTAL_ROLES: '*/ReadOnlyAccess' })).toEqual([expect.stringContaining('TOKEN_BROKER_PORTAL is not on')]);
    expect(problemsOf({ ...base, TOKEN_BROKER_PORTAL: 'yes' })).toEqual([expect.stringContaining('must be "on" or "off"')]);
  });
});

describe('the portal endpoint', () => {
  it('is the Identity Center region\'s portal, with its partition\'s DNS suffix', () => {
    expect(portalEndpointOf('eu-west-1')).toBe('https://portal.sso.eu-west-1.amazonaws.com');
    expect(portalEndpointOf('cn-north-1')).toBe('https://portal.sso.cn-north-1.amazonaws.com.cn');
    expect(portalEndpointOf('us-gov-west-1')).toBe('https://portal.sso.us-gov-west-1.amazonaws.com');
  });

  it('AWS_ENDPOINT_URL_SSO overrides it, as for any SDK, keeping a path and dropping a trailing slash', () => {
    expect(loadConfig({ ...base, AWS_ENDPOINT_URL_SSO: 'http://127.0.0.1:4000/sso/' }).portalEndpoint).toBe('http://127.0.0.1:4000/sso');
    expect(loadConfig(base).portalEndpoint).toBeUndefined();
  });

  it('refuses an override that is not an http(s) URL', () => {
    expect(problemsOf({ ...base, AWS_ENDPOINT_URL_SSO: 'portal.example.com' })).toEqual([expect.stringContaining('AWS_ENDPOINT_URL_SSO')]);
    expect(problemsOf({ ...base, AWS_ENDPOINT_URL_SSO: 'ftp://portal.example.com' })).toHaveLength(1);
  });

  it('the client calls the override, path prefix and all', async () => {
    const seen: { hostname: string; port?: number; path: string; protocol: string }[] = [];
    const client = createPortalClient(
      { oidcRegion: 'eu-west-1', portalEndpoint: 'http://127.0.0.1:4000/sso', upstreamTimeoutMs: 1000 },
      {
        handle: async (request) => {
          seen.push(request as never);
          throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
        },
      },
    );
    await expect(client.call('ListAccounts', 'token')).rejects.toMatchObject({ type: 'BadGatewayException', description: 'The AWS access portal could not be reached.' });
    expect(seen).toEqual([expect.objectContaining({ protocol: 'http:', hostname: '127.0.0.1', port: 4000, path: '/sso/assignment/accounts' })]);
  });
});
