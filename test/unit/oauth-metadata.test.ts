// The front door's RFC 8414 authorization server metadata (lambda/surfaces/oauth/metadata.ts): only
// what the broker can honestly promise, built from configuration, and served alike at both names.

import { newAudit } from '../../lambda/core/audit.js';
import { loadConfig } from '../../lambda/core/config.js';
import type { FrontDoorDeps } from '../../lambda/core/front-door-grants.js';
import { ROUTE_TABLE } from '../../lambda/edge/routes.js';
import { oauthRoutes } from '../../lambda/surfaces/oauth/index.js';
import { authorizationServerMetadata } from '../../lambda/surfaces/oauth/metadata.js';

const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';
const ISSUER = 'https://auth.example.com/broker';
const ENV = { TOKEN_BROKER_SECRET_ID: 'registration', AWS_REGION: 'us-east-1', TOKEN_BROKER_ISSUER: ISSUER };

describe('RFC 8414 §2 metadata', () => {
  it('names the issuer as configured and every endpoint under it, with the methods the broker supports', () => {
    expect(authorizationServerMetadata(loadConfig(ENV), ISSUER)).toEqual({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}${ROUTE_TABLE.oauthAuthorize.path}`,
      token_endpoint: `${ISSUER}${ROUTE_TABLE.oauthToken.path}`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      // RFC 7636 §4.2/§4.3: S256 only, never plain.
      code_challenge_methods_supported: ['S256'],
      // Public clients only (RFC 6749 §2.1): the registration's secret stays in the broker.
      token_endpoint_auth_methods_supported: ['none'],
      // RFC 9207 §3: every authorization response carries iss.
      authorization_response_iss_parameter_supported: true,
      // RFC 7009 §2 via RFC 8414 §2: the revocation endpoint, for public clients.
      revocation_endpoint: `${ISSUER}${ROUTE_TABLE.oauthRevoke.path}`,
      revocation_endpoint_auth_methods_supported: ['none'],
    });
  });

  it('RFC 8628 §4: names the device authorization endpoint only when the device grant is enabled, grants in a fixed order', () => {
    const withDevice = authorizationServerMetadata(
      loadConfig({ ...ENV, TOKEN_BROKER_GRANT_TYPES: `${DEVICE},refresh_token,authorization_code`, TOKEN_BROKER_START_URL: 'https://d-1.awsapps.com/start' }),
      ISSUER,
    );
    expect(withDevice.device_authorization_endpoint).toBe(`${ISSUER}${ROUTE_TABLE.oauthDeviceAuthorization.path}`);
    expect(withDevice.grant_types_supported).toEqual(['authorization_code', 'refresh_token', DEVICE]);

    const refreshOnly = authorizationServerMetadata(loadConfig({ ...ENV, TOKEN_BROKER_GRANT_TYPES: 'refresh_token' }), ISSUER);
    expect(refreshOnly.grant_types_supported).toEqual(['refresh_token']);
    expect('device_authorization_endpoint' in refreshOnly).toBe(false);
  });

  it('promises nothing the broker cannot keep: no jwks_uri, userinfo, registration or openid scope', () => {
    const metadata = authorizationServerMetadata(loadConfig(ENV), ISSUER);
    for (const member of ['jwks_uri', 'userinfo_endpoint', 'registration_endpoint', 'scopes_supported', 'id_token_signing_alg_values_supported']) {
      expect([member, member in metadata]).toEqual([member, false]);
    }
  });

  it('is served alike at /.well-known/oauth-authorization-server and /.well-known/openid-configuration', async () => {
    const config = loadConfig(ENV);
    const never = async (): Promise<never> => {
      throw new Error('metadata is built from configuration only');
    };
    const deps: FrontDoorDeps = {
      config,
      issuer: ISSUER,
      callbackUrl: `${ISSUER}${ROUTE_TABLE.oauthCallback.path}`,
      registrations: { get: never, forClient: never, refresh: never },
      upstream: { createToken: never, startDeviceAuthorization: never },
    };
    const routes = oauthRoutes(deps, { call: never });
    const request = { body: undefined, rawQuery: '', headers: {}, cookies: [] };
    const expected = { statusCode: 200, body: authorizationServerMetadata(config, ISSUER) };
    expect(await routes.oauthMetadata(request, newAudit())).toEqual(expected);
    expect(await routes.openidConfiguration(request, newAudit())).toEqual(expected);
  });
});
