// The front door's configuration (TOKEN_BROKER_ISSUER, _PUBLIC_CLIENT_ID, _START_URL) and route set.

import { ConfigError, GRANT_TYPES, loadConfig } from '../../lambda/core/config.js';
import { ROUTES, routeKeysFor } from '../../lambda/edge/routes.js';

const base = { TOKEN_BROKER_SECRET_ID: 'token-broker/registration', AWS_REGION: 'eu-west-1' };
const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (error) {
    return [...(error as ConfigError).problems];
  }
};

describe('front door configuration', () => {
  it('is off by default, with the documented public client id', () => {
    const config = loadConfig(base);
    expect(config.issuer).toBeUndefined();
    expect(config.publicClientId).toBe('token-broker');
    expect(config.startUrl).toBeUndefined();
  });

  it.each(['https://auth.example.com', 'https://auth.example.com/broker', 'http://127.0.0.1:3000', 'http://localhost:3000', 'http://[::1]:3000'])(
    'RFC 8414 §2: accepts the issuer %s',
    (issuer) => {
      expect(loadConfig({ ...base, TOKEN_BROKER_ISSUER: issuer }).issuer).toBe(issuer);
    },
  );

  it.each([
    ['http on a public host', 'http://auth.example.com'],
    ['a query', 'https://auth.example.com?x=1'],
    ['a fragment', 'https://auth.example.com#x'],
    ['a trailing slash', 'https://auth.example.com/'],
    ['user info', 'https://user@auth.example.com'],
    ['an upper-case host', 'https://Auth.example.com'],
    ['a default port', 'https://auth.example.com:443'],
    ['no scheme', 'auth.example.com'],
  ])('RFC 8414 §2: refuses an issuer with %s', (_what, issuer) => {
    expect(problems({ TOKEN_BROKER_ISSUER: issuer }).join('\n')).toContain('TOKEN_BROKER_ISSUER');
  });

  it('requires TOKEN_BROKER_START_URL only when the issuer is set and the device grant enabled', () => {
    const device = { TOKEN_BROKER_GRANT_TYPES: Object.values(GRANT_TYPES).join(',') };
    expect(problems(device)).toEqual([]);
    expect(problems({ ...device, TOKEN_BROKER_ISSUER: 'https://auth.example.com' }).join('\n')).toContain('TOKEN_BROKER_START_URL is required');
    expect(problems({ TOKEN_BROKER_ISSUER: 'https://auth.example.com' })).toEqual([]);
    const config = loadConfig({ ...base, ...device, TOKEN_BROKER_ISSUER: 'https://auth.example.com', TOKEN_BROKER_START_URL: 'https://d-1.awsapps.com/start' });
    expect(config.startUrl).toBe('https://d-1.awsapps.com/start');
    expect(problems({ TOKEN_BROKER_START_URL: 'not a url' }).join('\n')).toContain('TOKEN_BROKER_START_URL');
  });

  it('RFC 6749 §3.1.2: refuses an allowed redirect URI with a fragment', () => {
    expect(problems({ TOKEN_BROKER_REDIRECT_URIS: 'https://app.example.com/cb#x' }).join('\n')).toContain('fragment');
  });

  it('takes a public client id of visible ASCII only', () => {
    expect(loadConfig({ ...base, TOKEN_BROKER_PUBLIC_CLIENT_ID: 'my-spa' }).publicClientId).toBe('my-spa');
    expect(problems({ TOKEN_BROKER_PUBLIC_CLIENT_ID: 'has space' }).join('\n')).toContain('TOKEN_BROKER_PUBLIC_CLIENT_ID');
  });
});

describe('front door routes', () => {
  const frontDoor = [ROUTES.oauthMetadata, ROUTES.openidConfiguration, ROUTES.oauthAuthorize, ROUTES.oauthCallback, ROUTES.oauthToken];

  it('exist only when the front door is on; the device route only with the device grant', () => {
    const codeGrants = [GRANT_TYPES.authorizationCode, GRANT_TYPES.refreshToken];
    expect(routeKeysFor(codeGrants)).not.toEqual(expect.arrayContaining([ROUTES.oauthToken]));
    expect(routeKeysFor(codeGrants, { frontDoor: true })).toEqual(expect.arrayContaining(frontDoor));
    expect(routeKeysFor(codeGrants, { frontDoor: true })).not.toContain(ROUTES.oauthDeviceAuthorization);
    expect(routeKeysFor(Object.values(GRANT_TYPES), { frontDoor: true })).toContain(ROUTES.oauthDeviceAuthorization);
    // The existing routes stay exactly as they were.
    expect(routeKeysFor(codeGrants, { frontDoor: true }).slice(0, 3)).toEqual(routeKeysFor(codeGrants));
  });
});
