// Cookie-session configuration (issue 11): off by default, and when on, a keys secret is required.
import { ConfigError, DEFAULTS, loadConfig } from '../../lambda/core/config.js';
import { BFF_ROUTES, routeKeysFor } from '../../lambda/edge/routes.js';

const base = { TOKEN_BROKER_SECRET_ID: 'token-broker/registration', AWS_REGION: 'eu-west-1', TOKEN_BROKER_ISSUER: 'https://auth.example.com' };

describe('cookie sessions configuration', () => {
  it('is off by default, and then no /bff route exists', () => {
    const config = loadConfig(base);
    expect(config.cookieSessions).toBeUndefined();
    expect(routeKeysFor(config.grantTypes, { cookieSessions: false }).filter((r) => r.includes('/bff'))).toEqual([]);
  });

  it('on: needs the front door (TOKEN_BROKER_ISSUER), where sign-in starts', () => {
    expect(() => loadConfig({ ...base, TOKEN_BROKER_ISSUER: undefined, TOKEN_BROKER_COOKIE_SESSIONS: 'on', TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: 'k' })).toThrow(
      /TOKEN_BROKER_COOKIE_SESSIONS=on needs TOKEN_BROKER_ISSUER/,
    );
  });

  it('on: reads the keys secret id and the session max age (default 8 hours), and adds the /bff routes', () => {
    const config = loadConfig({ ...base, TOKEN_BROKER_COOKIE_SESSIONS: 'on', TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: 'token-broker/cookie-keys' });
    expect(config.cookieSessions).toEqual({ keysSecretId: 'token-broker/cookie-keys', sessionMaxAgeSeconds: DEFAULTS.sessionMaxAgeSeconds });
    expect(DEFAULTS.sessionMaxAgeSeconds).toBe(28800);
    expect(routeKeysFor(config.grantTypes, { cookieSessions: true })).toEqual(expect.arrayContaining([...BFF_ROUTES]));
    const custom = loadConfig({ ...base, TOKEN_BROKER_COOKIE_SESSIONS: 'on', TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: 'k', TOKEN_BROKER_SESSION_MAX_AGE_SECONDS: '3600' });
    expect(custom.cookieSessions?.sessionMaxAgeSeconds).toBe(3600);
  });

  it('names every problem: no keys secret, an unknown switch value, a max age out of range', () => {
    expect(() => loadConfig({ ...base, TOKEN_BROKER_COOKIE_SESSIONS: 'on' })).toThrow(/TOKEN_BROKER_COOKIE_KEYS_SECRET_ID is required/);
    expect(() => loadConfig({ ...base, TOKEN_BROKER_COOKIE_SESSIONS: 'yes' })).toThrow(ConfigError);
    expect(() =>
      loadConfig({ ...base, TOKEN_BROKER_COOKIE_SESSIONS: 'on', TOKEN_BROKER_COOKIE_KEYS_SECRET_ID: 'k', TOKEN_BROKER_SESSION_MAX_AGE_SECONDS: '60' }),
    ).toThrow(/TOKEN_BROKER_SESSION_MAX_AGE_SECONDS must be a whole number from 300 to 7776000/);
  });
});
