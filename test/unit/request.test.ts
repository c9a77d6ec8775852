import { loadConfig } from '../../lambda/core/config.js';
import { BrokerError } from '../../lambda/core/errors.js';
import { parseDeviceAuthorizationRequest, parseTokenRequest, requestedClientId } from '../../lambda/surfaces/aws-json/request.js';

const config = loadConfig({
  TOKEN_BROKER_SECRET_ID: 's',
  AWS_REGION: 'us-east-1',
  TOKEN_BROKER_REDIRECT_URIS: 'https://app.example.com/callback',
});
const verifier = 'v'.repeat(43);
const codeBody = { grantType: 'authorization_code', code: 'c1', codeVerifier: verifier, redirectUri: 'https://app.example.com/callback' };

function rejection(run: () => unknown): BrokerError {
  try {
    run();
  } catch (error) {
    if (error instanceof BrokerError) return error;
    throw error;
  }
  throw new Error('expected a BrokerError');
}

describe('parseTokenRequest', () => {
  it('keeps the members of an authorization_code exchange and drops the rest', () => {
    const parsed = parseTokenRequest(
      { ...codeBody, scope: ['openid'], clientSecret: 'from-an-sdk', refreshToken: 'unrelated', extra: 1 },
      config,
    );
    expect(parsed).toEqual({ ...codeBody, scope: ['openid'] });
  });

  it('keeps only the refresh token for a refresh', () => {
    expect(parseTokenRequest({ grantType: 'refresh_token', refreshToken: 'r1', code: 'x' }, config)).toEqual({
      grantType: 'refresh_token',
      refreshToken: 'r1',
    });
  });

  it.each([
    [null, 'must be a JSON object'],
    [[1, 2], 'must be a JSON object'],
    ['text', 'must be a JSON object'],
    [{}, '"grantType" is required'],
    [{ grantType: 7 }, '"grantType" must be a string'],
    [{ ...codeBody, code: undefined }, '"code" is required for the authorization_code grant'],
    [{ ...codeBody, code: '' }, '"code" must not be empty'],
    [{ ...codeBody, codeVerifier: undefined }, '"codeVerifier" is required'],
    [{ ...codeBody, codeVerifier: 'short' }, '"codeVerifier" must be 43 to 128 characters'],
    [{ ...codeBody, codeVerifier: 'é'.repeat(50) }, '"codeVerifier" must be 43 to 128 characters'],
    [{ ...codeBody, redirectUri: 'https://evil.example.com/callback' }, '"redirectUri" is not one of the redirect URIs'],
    [{ ...codeBody, scope: 'openid' }, '"scope" must be an array of non-empty strings'],
    [{ ...codeBody, scope: ['openid', 3] }, '"scope" must be an array of non-empty strings'],
    [{ ...codeBody, scope: Array.from({ length: 51 }, (_, i) => `s${i}`) }, 'at most 50 entries'],
    [{ grantType: 'refresh_token', refreshToken: { $ne: '' } }, '"refreshToken" must be a string'],
  ])('rejects %j with a 400 InvalidRequestException naming the member', (body, description) => {
    const error = rejection(() => parseTokenRequest(body, config));
    expect(error.status).toBe(400);
    expect(error.type).toBe('InvalidRequestException');
    expect(error.error).toBe('invalid_request');
    expect(error.description).toContain(description);
  });

  it('answers UnsupportedGrantTypeException for a grant not enabled here, known or not', () => {
    for (const grantType of ['urn:ietf:params:oauth:grant-type:device_code', 'client_credentials']) {
      const error = rejection(() => parseTokenRequest({ grantType, deviceCode: 'd' }, config));
      expect([error.status, error.type, error.error]).toEqual([400, 'UnsupportedGrantTypeException', 'unsupported_grant_type']);
      expect(error.description).toContain(grantType);
    }
  });

  it('names the URN when the device grant is sent as "device_code" (RFC 8628 section 3.4), enabled or not', () => {
    const device = loadConfig({
      TOKEN_BROKER_SECRET_ID: 's',
      AWS_REGION: 'us-east-1',
      TOKEN_BROKER_GRANT_TYPES: 'authorization_code,refresh_token,urn:ietf:params:oauth:grant-type:device_code',
    });
    const enabled = rejection(() => parseTokenRequest({ grantType: 'device_code', deviceCode: 'd' }, device));
    expect([enabled.status, enabled.type, enabled.error]).toEqual([400, 'UnsupportedGrantTypeException', 'unsupported_grant_type']);
    expect(enabled.description).toBe(
      'The grant type "device_code" is not enabled on this broker. The device grant\'s grantType is the URN ' +
        '"urn:ietf:params:oauth:grant-type:device_code" (RFC 8628 section 3.4).',
    );
    const disabled = rejection(() => parseTokenRequest({ grantType: 'device_code', deviceCode: 'd' }, config));
    expect(disabled.description).toContain('"urn:ietf:params:oauth:grant-type:device_code" (RFC 8628 section 3.4); it is not enabled on this broker either (TOKEN_BROKER_GRANT_TYPES)');
    // Other unknown grants get no hint.
    expect(rejection(() => parseTokenRequest({ grantType: 'client_credentials' }, device)).description).toBe(
      'The grant type "client_credentials" is not enabled on this broker.',
    );
  });

  it('says which dialect it speaks when an OAuth 2.0 snake_case body arrives (RFC 6749 section 4.1.3 names)', () => {
    const error = rejection(() =>
      parseTokenRequest({ grant_type: 'authorization_code', code: 'c', redirect_uri: 'https://app.example.com/callback', code_verifier: verifier }, config),
    );
    expect([error.status, error.type, error.error]).toEqual([400, 'InvalidRequestException', 'invalid_request']);
    expect(error.description).toBe(
      'The member "grantType" is required. This endpoint takes SSO OIDC CreateToken\'s camelCase JSON members, not OAuth 2.0 ' +
        'form names: "grant_type" -> "grantType", "redirect_uri" -> "redirectUri", "code_verifier" -> "codeVerifier".',
    );
    // A body with no snake_case member keeps the plain message.
    expect(rejection(() => parseTokenRequest({ code: 'c' }, config)).description).toBe('The member "grantType" is required.');
  });

  it('accepts any redirect URI when no allow list is configured', () => {
    const open = loadConfig({ TOKEN_BROKER_SECRET_ID: 's', AWS_REGION: 'us-east-1' });
    expect(parseTokenRequest({ ...codeBody, redirectUri: 'http://127.0.0.1:8080/cb' }, open).redirectUri).toBe(
      'http://127.0.0.1:8080/cb',
    );
  });
});

describe('requestedClientId', () => {
  it('is the clientId a caller names, or undefined', () => {
    expect(requestedClientId({})).toBeUndefined();
    expect(requestedClientId({ clientId: null })).toBeUndefined();
    expect(requestedClientId({ clientId: 'client-1' })).toBe('client-1');
  });

  it('rejects a mistyped clientId with 400', () => {
    const error = rejection(() => requestedClientId({ clientId: 7 }));
    expect([error.status, error.type, error.description]).toEqual([400, 'InvalidRequestException', 'The member "clientId" must be a string.']);
  });
});

describe('parseDeviceAuthorizationRequest', () => {
  it('takes the start URL', () => {
    expect(parseDeviceAuthorizationRequest({ startUrl: 'https://d-123.awsapps.com/start' })).toEqual({
      startUrl: 'https://d-123.awsapps.com/start',
    });
  });

  it.each([[{}], [{ startUrl: 'not a url' }], [{ startUrl: 'javascript:alert(1)' }], [{ startUrl: 5 }]])(
    'rejects %j',
    (body) => {
      const error = rejection(() => parseDeviceAuthorizationRequest(body));
      expect([error.status, error.type]).toEqual([400, 'InvalidRequestException']);
      expect(error.description).toContain('"startUrl"');
    },
  );
});
