import { ConfigError, DEFAULTS, GRANT_TYPES, loadConfig, regionOfArn } from '../../lambda/config.js';

const base = { TOKEN_BROKER_SECRET_ID: 'token-broker/registration', AWS_REGION: 'eu-west-1' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.secretId).toBe('token-broker/registration');
    expect(config.oidcRegion).toBe('eu-west-1');
    expect([...config.grantTypes]).toEqual([GRANT_TYPES.authorizationCode, GRANT_TYPES.refreshToken]);
    expect(config.allowedOrigins.size).toBe(0);
    expect(config.redirectUris.size).toBe(0);
    expect(config.upstreamTimeoutMs).toBe(DEFAULTS.upstreamTimeoutMs);
    expect(config.secretMaxAgeSeconds).toBe(DEFAULTS.secretMaxAgeSeconds);
  });

  it('prefers TOKEN_BROKER_OIDC_REGION over AWS_REGION: the instance region need not be the function region', () => {
    expect(loadConfig({ ...base, TOKEN_BROKER_OIDC_REGION: 'us-east-2' }).oidcRegion).toBe('us-east-2');
  });

  it('parses comma lists, trimming blanks', () => {
    const config = loadConfig({
      ...base,
      TOKEN_BROKER_ALLOWED_ORIGINS: ' https://app.example.com, http://localhost:5173 ,',
      TOKEN_BROKER_REDIRECT_URIS: 'https://app.example.com/callback',
      TOKEN_BROKER_GRANT_TYPES: 'refresh_token,urn:ietf:params:oauth:grant-type:device_code',
    });
    expect([...config.allowedOrigins]).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect([...config.redirectUris]).toEqual(['https://app.example.com/callback']);
    expect([...config.grantTypes]).toEqual([GRANT_TYPES.refreshToken, GRANT_TYPES.deviceCode]);
  });

  it('lists every problem at once', () => {
    let caught: unknown;
    try {
      loadConfig({
        TOKEN_BROKER_ALLOWED_ORIGINS: 'https://app.example.com/path,*',
        TOKEN_BROKER_GRANT_TYPES: 'password',
        TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: '99999',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const problems = (caught as ConfigError).problems.join('\n');
    expect(problems).toContain('TOKEN_BROKER_SECRET_ID is required');
    expect(problems).toContain('TOKEN_BROKER_OIDC_REGION (or AWS_REGION) is required');
    expect(problems).toContain('"https://app.example.com/path" is not an origin');
    expect(problems).toContain('"*" is not an origin');
    expect(problems).toContain('"password" is not one of');
    expect(problems).toContain('TOKEN_BROKER_UPSTREAM_TIMEOUT_MS must be a whole number from 100 to 25000');
  });

  it('rejects a region that is not a region name', () => {
    expect(() => loadConfig({ ...base, TOKEN_BROKER_OIDC_REGION: 'oidc.example.com' })).toThrow(/not an AWS region/);
  });

  it('rejects an empty grant type list', () => {
    expect(() => loadConfig({ ...base, TOKEN_BROKER_GRANT_TYPES: ' , ' })).toThrow(/at least one grant type/);
  });
});

describe('regionOfArn', () => {
  it('is the region of an ARN and undefined for a name', () => {
    expect(regionOfArn('arn:aws:secretsmanager:eu-west-1:111122223333:secret:broker-AbC123')).toBe('eu-west-1');
    expect(regionOfArn('broker/registration')).toBeUndefined();
    expect(regionOfArn('arn:aws:secretsmanager::111122223333:secret:x')).toBeUndefined();
  });
});
