// Cookie-session configuration (lambda/core/session-config.ts): off by default; when on, a keys
// secret, the session origins (apart from the token-API origins) with a redirect URI to sign in to,
// what page script receives (none by default), and the bearer proxy's APIs.
import { ConfigError, DEFAULTS, loadConfig } from '../../lambda/core/config.js';
import { BFF_ROUTES, featuresOf, routeKeysFor, ROUTES } from '../../lambda/edge/routes.js';

const base = { TOKEN_BROKER_SECRET_ID: 'token-broker/registration', AWS_REGION: 'eu-west-1', TOKEN_BROKER_ISSUER: 'https://auth.example.com' };
const on = {
  ...base,
  TOKEN_BROKER_COOKIE_SESSIONS: 'on',
  TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: 'token-broker/cookie-keys',
  TOKEN_BROKER_SESSION_ORIGINS: 'https://app.example.com',
  TOKEN_BROKER_REDIRECT_URIS: 'https://app.example.com/',
};
const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
};

describe('cookie sessions configuration', () => {
  it('is off by default, and then no /bff route exists', () => {
    const config = loadConfig(base);
    expect(config.cookieSessions).toBeUndefined();
    expect(routeKeysFor(config.grantTypes, featuresOf(config)).filter((r) => r.includes('/bff'))).toEqual([]);
  });

  it('on: needs the front door (TOKEN_BROKER_ISSUER), through whose callback sign-in comes back', () => {
    expect(() => loadConfig({ ...on, TOKEN_BROKER_ISSUER: undefined })).toThrow(/TOKEN_BROKER_COOKIE_SESSIONS=on needs TOKEN_BROKER_ISSUER/);
  });

  it('on: the keys secret, the session max age (default 8 hours), page tokens none, the session origins; the /bff routes but the proxy', () => {
    const config = loadConfig(on);
    expect(config.cookieSessions).toEqual({
      keysSecretId: 'token-broker/cookie-keys',
      sessionMaxAgeSeconds: DEFAULTS.sessionMaxAgeSeconds,
      pageTokens: 'none',
      origins: new Set(['https://app.example.com']),
      apis: new Map(),
      apiTimeoutMs: 8000,
    });
    expect(DEFAULTS.sessionMaxAgeSeconds).toBe(28800);
    const routes = routeKeysFor(config.grantTypes, featuresOf(config));
    const core = [ROUTES.bffLoginStart, ROUTES.bffLoginEnd, ROUTES.bffSession, ROUTES.bffRefresh, ROUTES.bffLogout];
    expect(routes.filter((r) => BFF_ROUTES.includes(r))).toEqual(core);
    // The proxy needs an API, the portal routes TOKEN_BROKER_PORTAL (and its role policy).
    const portal = loadConfig({ ...on, TOKEN_BROKER_PORTAL: 'on', TOKEN_BROKER_PORTAL_ROLES: '*/ReadOnly' });
    expect(routeKeysFor(portal.grantTypes, featuresOf(portal))).toEqual(expect.arrayContaining([ROUTES.bffPortalAccounts, ROUTES.bffPortalRoles, ROUTES.bffPortalCredentials]));
    expect(loadConfig({ ...on, TOKEN_BROKER_SESSION_MAX_AGE_SECONDS: '3600', TOKEN_BROKER_PAGE_TOKENS: 'access' }).cookieSessions).toMatchObject({ sessionMaxAgeSeconds: 3600, pageTokens: 'access' });
  });

  it('names every problem: no keys secret, an unknown switch value, a max age out of range, an unknown page-token mode', () => {
    expect(problemsOf({ ...on, TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: undefined })).toEqual([expect.stringMatching(/TOKEN_BROKER_COOKIE_KEYS_SECRET_ID is required/)]);
    expect(problemsOf({ ...base, TOKEN_BROKER_COOKIE_SESSIONS: 'yes' })).toHaveLength(1);
    expect(problemsOf({ ...on, TOKEN_BROKER_SESSION_MAX_AGE_SECONDS: '60' })).toEqual([expect.stringMatching(/TOKEN_BROKER_SESSION_MAX_AGE_SECONDS must be a whole number from 300 to 7776000/)]);
    expect(problemsOf({ ...on, TOKEN_BROKER_PAGE_TOKENS: 'all' })).toEqual(['TOKEN_BROKER_PAGE_TOKENS must be one of none, access, got "all"']);
  });

  it('the session origins are required, and apart from the token-API origins: an origin on both lists could acquire tokens', () => {
    expect(problemsOf({ ...on, TOKEN_BROKER_SESSION_ORIGINS: undefined })).toEqual([expect.stringMatching(/^TOKEN_BROKER_SESSION_ORIGINS is required when TOKEN_BROKER_COOKIE_SESSIONS=on/)]);
    expect(problemsOf({ ...on, TOKEN_BROKER_ALLOWED_ORIGINS: 'https://app.example.com' })).toEqual([
      expect.stringMatching(/"https:\/\/app\.example\.com" is also in TOKEN_BROKER_ALLOWED_ORIGINS: a cookie-session origin must not be able to acquire tokens/),
    ]);
    expect(problemsOf({ ...on, TOKEN_BROKER_SESSION_ORIGINS: 'https://app.example.com/path' })).toEqual([expect.stringMatching(/is not an origin/)]);
  });

  it('needs a redirect URI on a session origin: cookie sessions sign in to it', () => {
    expect(problemsOf({ ...on, TOKEN_BROKER_REDIRECT_URIS: 'https://tools.example.com/callback' })).toEqual([
      expect.stringMatching(/TOKEN_BROKER_REDIRECT_URIS must hold at least one redirect URI on a cookie-session origin/),
    ]);
  });

  it('TOKEN_BROKER_APIS: name=url [METHOD ...], GET by default, https (http on loopback); the proxy route appears with one', () => {
    const config = loadConfig({ ...on, TOKEN_BROKER_APIS: 'orders=https://api.example.com/v1/ GET post, local=http://127.0.0.1:8080' });
    const apis = config.cookieSessions!.apis;
    expect([...apis.values()]).toEqual([
      { name: 'orders', url: 'https://api.example.com/v1', methods: new Set(['GET', 'POST']) },
      { name: 'local', url: 'http://127.0.0.1:8080', methods: new Set(['GET']) },
    ]);
    expect(routeKeysFor(config.grantTypes, featuresOf(config))).toContain(ROUTES.bffApi);
    expect(problemsOf({ ...on, TOKEN_BROKER_APIS: 'Orders=https://a.example.com, b=http://a.example.com, c=https://a.example.com?x=1, d=https://a.example.com TRACE, d=https://b.example.com' })).toEqual([
      expect.stringMatching(/"Orders=https:\/\/a.example.com" must be name=url/),
      expect.stringMatching(/the URL of "b" "http:\/\/a.example.com" must use https/),
      expect.stringMatching(/the URL of "c" .* must have no user name, password, query or fragment/),
      expect.stringMatching(/the method "TRACE" of "d" is not one of GET, HEAD, POST, PUT, PATCH, DELETE/),
      expect.stringMatching(/the API "d" is named twice/),
    ]);
  });
});
