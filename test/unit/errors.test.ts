import { BROKER_ERRORS, BrokerError, brokerError, internalError, portalErrorCode, toPortalWire, UPSTREAM_ERRORS, upstreamError } from '../../lambda/core/errors.js';

describe('error vocabulary', () => {
  it('pairs each of the 11 CreateToken error types with its documented status and error code', () => {
    expect(Object.keys(UPSTREAM_ERRORS)).toHaveLength(11);
    expect(UPSTREAM_ERRORS.InvalidClientException).toEqual({ status: 401, error: 'invalid_client' });
    expect(UPSTREAM_ERRORS.InternalServerException).toEqual({ status: 500, error: 'server_error' });
    const others = Object.entries(UPSTREAM_ERRORS).filter(([type]) => !['InvalidClientException', 'InternalServerException'].includes(type));
    for (const [, known] of others) expect(known.status).toBe(400);
  });

  it('gives broker-raised errors the same wire shape, with __type, and a `message` the AWS CLI and SDKs print', () => {
    const error = brokerError('PayloadTooLargeException', 'too big');
    expect(error.status).toBe(413);
    expect(error.toWire()).toEqual({ __type: 'PayloadTooLargeException', error: 'invalid_request', error_description: 'too big', message: 'too big' });
    // SSO OIDC's own types raised by the broker (a client id that is not the registration's) too.
    expect(brokerError('InvalidClientException', 'not ours').toWire()).toEqual({ __type: 'InvalidClientException', error: 'invalid_client', error_description: 'not ours', message: 'not ours' });
    expect(Object.values(BROKER_ERRORS).map((e) => e.status).sort()).toEqual([401, 403, 403, 403, 404, 405, 413, 415, 500, 502, 504]);
  });

  it('passes an upstream error through as it came, reason included, unknown types too', () => {
    // Exactly as it came: no `message` is added to SSO OIDC's answers.
    const known = upstreamError({ status: 400, type: 'InvalidRequestException', error: 'invalid_request', description: 'd', reason: 'KMS_NewReason' });
    expect(known.toWire()).toEqual({ __type: 'InvalidRequestException', error: 'invalid_request', error_description: 'd', reason: 'KMS_NewReason' });
    expect(known.fromUpstream).toBe(true);
    const unknown = upstreamError({ status: 429, type: 'TooManyRequestsException', error: 'too_many' });
    expect([unknown.status, unknown.toWire()]).toEqual([429, { __type: 'TooManyRequestsException', error: 'too_many' }]);
  });

  it('fills in the modeled error code only when the service sent none', () => {
    expect(upstreamError({ status: 400, type: 'SlowDownException' }).error).toBe('slow_down');
    expect(upstreamError({ status: 400, type: 'SlowDownException', error: 'other' }).error).toBe('other');
  });

  it('writes the access portal\'s shape: `message` (and `__type`), with the message absent when the portal sent none', () => {
    const refused = brokerError('RoleNotAllowedException', 'not this role');
    expect([refused.status, toPortalWire(refused)]).toEqual([403, { __type: 'RoleNotAllowedException', message: 'not this role' }]);
    expect(toPortalWire(upstreamError({ status: 401, type: 'UnauthorizedException' }))).toEqual({ __type: 'UnauthorizedException' });
    expect(brokerError('UnauthorizedException', 'no token').status).toBe(401);
    expect([portalErrorCode('UnauthorizedException', 401), portalErrorCode('SomethingNew', 418), portalErrorCode('SomethingNew', 503)]).toEqual([
      'invalid_token',
      'invalid_request',
      'server_error',
    ]);
  });

  it('keeps internal details out of the wire form', () => {
    const error = internalError('secret not JSON');
    expect(error).toBeInstanceOf(BrokerError);
    expect(error.status).toBe(500);
    expect(JSON.stringify(error.toWire())).not.toContain('secret not JSON');
    expect(error.logDetail).toBe('secret not JSON');
  });
});
