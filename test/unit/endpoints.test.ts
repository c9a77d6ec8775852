// Where the broker calls SSO OIDC (lambda/core/endpoints.ts): the SDK's override variables, and
// otherwise the endpoint the SDK's own rules give, checked against the SDK client's resolver in
// every partition with FIPS and dual-stack on and off.

import { SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { partition } from '@aws-sdk/core/client';
import { configuredEndpoint, oidcEndpointOf, readOidcEndpoint } from '../../lambda/core/endpoints.js';
import { oidcEndpointFor } from '../../lambda/core/upstream.js';
import { loadConfig } from '../../lambda/core/config.js';

/** The SDK client's own endpoint rules. */
const sdkRules = new SSOOIDCClient({ region: 'us-east-1' }).config.endpointProvider;

const REGIONS = ['us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1'];

describe('SSO OIDC endpoints', () => {
  it.each(REGIONS)('in %s, with FIPS and dual-stack on or off, are the ones the SDK client resolves', (region) => {
    for (const fips of [false, true]) {
      for (const dualStack of [false, true]) {
        let sdk: string | undefined;
        try {
          sdk = sdkRules({ Region: region, UseFIPS: fips, UseDualStack: dualStack }).url.href.replace(/\/$/, '');
        } catch {
          sdk = undefined;
        }
        expect({ fips, dualStack, url: oidcEndpointOf(region, partition(region), { fips, dualStack }) }).toEqual({ fips, dualStack, url: sdk });
      }
    }
  });

  it('are overridden as the SDK overrides them: AWS_ENDPOINT_URL_SSO_OIDC, else AWS_ENDPOINT_URL, unless told to ignore both', () => {
    const problems: string[] = [];
    const at = (env: Record<string, string>) => oidcEndpointFor({ oidcRegion: 'us-east-1', oidcEndpoint: readOidcEndpoint(env, problems) });
    expect(at({ AWS_ENDPOINT_URL_SSO_OIDC: 'http://127.0.0.1:9/', AWS_ENDPOINT_URL: 'http://127.0.0.1:8' })).toBe('http://127.0.0.1:9');
    expect(at({ AWS_ENDPOINT_URL: 'http://127.0.0.1:8' })).toBe('http://127.0.0.1:8');
    expect(at({ AWS_ENDPOINT_URL: 'http://127.0.0.1:8', AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true' })).toBe('https://oidc.us-east-1.amazonaws.com');
    expect(at({ AWS_USE_FIPS_ENDPOINT: 'true' })).toBe('https://oidc-fips.us-east-1.amazonaws.com');
    expect(problems).toEqual([]);
    expect(configuredEndpoint({ AWS_ENDPOINT_URL_SSO: 'ftp://x' }, 'SSO', problems)).toBeUndefined();
    expect(problems).toEqual(['AWS_ENDPOINT_URL_SSO "ftp://x" is not an http(s) URL']);
  });

  it('are part of the configuration, and a bad override is a configuration problem', () => {
    expect(oidcEndpointFor(loadConfig({ TOKEN_BROKER_SECRET_ID: 's', AWS_REGION: 'eu-west-1' }))).toBe('https://oidc.eu-west-1.amazonaws.com');
    expect(oidcEndpointFor(loadConfig({ TOKEN_BROKER_SECRET_ID: 's', AWS_REGION: 'eu-west-1', TOKEN_BROKER_OIDC_REGION: 'cn-north-1' }))).toBe(
      'https://oidc.cn-north-1.amazonaws.com.cn',
    );
    expect(() => loadConfig({ TOKEN_BROKER_SECRET_ID: 's', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_SSO_OIDC: 'not a url' })).toThrow(
      'AWS_ENDPOINT_URL_SSO_OIDC "not a url" is not an http(s) URL',
    );
  });
});
