// Form and query parsing for the front door (RFC 6749 §3.1, §3.2) and the RFC error mapping.

import { BrokerError, brokerError, rfcErrorCode, toOAuthWire, upstreamError } from '../../lambda/core/errors.js';
import { checkFormContentType, parseParameters } from '../../lambda/core/validation.js';

describe('parseParameters', () => {
  it('decodes application/x-www-form-urlencoded, + as space', () => {
    const { values } = parseParameters('a=1&b=x+y%20z&c=%2B');
    expect(Object.fromEntries(values)).toEqual({ a: '1', b: 'x y z', c: '+' });
  });

  it('RFC 6749 §3.1: a parameter sent without a value counts as omitted', () => {
    const { values } = parseParameters('scope=&state');
    expect(values.has('scope')).toBe(false);
    expect(values.has('state')).toBe(false);
  });

  it('RFC 6749 §3.1/§3.2: reports every parameter sent more than once, even empty ones', () => {
    expect([...parseParameters('a=1&a=2&b=&b=&c=3').repeated]).toEqual(['a', 'b']);
  });

  it('refuses malformed percent-encoding with invalid_request', () => {
    expect(() => parseParameters('a=%E0%A4%A')).toThrow(BrokerError);
    expect(() => parseParameters('a=%ZZ')).toThrow(expect.objectContaining({ error: 'invalid_request' }));
  });

  it('refuses more parameters than any OAuth request has', () => {
    expect(() => parseParameters(Array.from({ length: 65 }, (_, i) => `p${i}=1`).join('&'))).toThrow(BrokerError);
  });
});

describe('checkFormContentType', () => {
  it.each(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded;charset=UTF-8', 'Application/X-WWW-Form-Urlencoded; charset="utf-8"'])(
    'RFC 6749 §3.2: accepts %s',
    (type) => expect(() => checkFormContentType(type)).not.toThrow(),
  );
  it.each([undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded; charset=iso-8859-1'])('refuses %s with 415', (type) => {
    expect(() => checkFormContentType(type)).toThrow(expect.objectContaining({ status: 415, error: 'invalid_request' }));
  });
});

describe('RFC 6749 §5.2 error mapping', () => {
  it('maps broker errors to RFC codes and keeps the type for the header', () => {
    expect(rfcErrorCode(brokerError('GatewayTimeoutException', 'x'))).toBe('temporarily_unavailable');
    expect(rfcErrorCode(brokerError('ForbiddenOriginException', 'x'))).toBe('access_denied');
    expect(toOAuthWire(brokerError('InvalidGrantException', 'no'))).toEqual({ error: 'invalid_grant', error_description: 'no' });
  });

  it('an unknown upstream type keeps a registered code, else takes its status class', () => {
    expect(rfcErrorCode(upstreamError({ status: 400, type: 'NewException', error: 'invalid_grant' }))).toBe('invalid_grant');
    expect(rfcErrorCode(upstreamError({ status: 400, type: 'NewException', error: 'made_up' }))).toBe('invalid_request');
    expect(rfcErrorCode(upstreamError({ status: 503, type: 'NewException', error: 'made_up' }))).toBe('server_error');
    // A known type is mapped by its type, whatever `error` the answer carried.
    expect(rfcErrorCode(upstreamError({ status: 400, type: 'SlowDownException', error: 'SlowDown' }))).toBe('slow_down');
  });
});
