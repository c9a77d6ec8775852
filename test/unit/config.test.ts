import { ANSWER_MARGIN_MS, ConfigError, DEFAULTS, FUNCTION_TIMEOUT_MS, GRANT_TYPES, loadConfig, regionOfArn, REQUEST_DEADLINE_MS, timeBudgetProblem, worstCaseMs } from '../../lambda/core/config.js';

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

describe('the time budget: the worst case of one request fits its deadline', () => {
  it('accepts the defaults, whose worst case (4 × 2 s + 2 × 8 s) is the deadline exactly', () => {
    expect(worstCaseMs(DEFAULTS)).toBe(24_000);
    expect(worstCaseMs(DEFAULTS)).toBeLessThanOrEqual(REQUEST_DEADLINE_MS);
    expect(() => loadConfig(base)).not.toThrow();
    // The deadline and the time to answer are the function timeout, well inside API Gateway's 30 s.
    expect(FUNCTION_TIMEOUT_MS).toBe(REQUEST_DEADLINE_MS + ANSWER_MARGIN_MS);
    expect(FUNCTION_TIMEOUT_MS).toBeLessThan(30_000);
  });

  it('refuses TOKEN_BROKER_UPSTREAM_TIMEOUT_MS=25000 (it ended as a 500 from Lambda\'s timeout at 25 s)', () => {
    expect(() => loadConfig({ ...base, TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: '25000' })).toThrow(
      /TOKEN_BROKER_UPSTREAM_TIMEOUT_MS and TOKEN_BROKER_SECRET_TIMEOUT_MS: the worst case of one request, 4 secret reads and 2 SSO OIDC calls \(4 × 2000 \+ 2 × 25000 = 58000 ms\), must fit in its deadline of 24000 ms/,
    );
  });

  it('refuses a secret timeout of 10 s with an upstream timeout of 2.5 s, which the construct used to accept', () => {
    expect(() => loadConfig({ ...base, TOKEN_BROKER_SECRET_TIMEOUT_MS: '10000', TOKEN_BROKER_UPSTREAM_TIMEOUT_MS: '2500' })).toThrow(/= 45000 ms\), must fit/);
  });

  it('names the construct\'s props when asked to', () => {
    expect(timeBudgetProblem({ upstreamTimeoutMs: 10_000, secretTimeoutMs: 2000 }, { upstream: 'upstreamTimeout', secret: 'secretTimeout' })).toMatch(
      /^upstreamTimeout and secretTimeout: /,
    );
    expect(timeBudgetProblem({ upstreamTimeoutMs: 8000, secretTimeoutMs: 2000 })).toBeUndefined();
  });
});
