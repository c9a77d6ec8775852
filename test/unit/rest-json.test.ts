// The broker's rest-json calls (lambda/core/rest-json.ts) when no answer comes: every failure of the
// connection or the clock maps onto the broker's own 502 or 504, naming the service, never its text.

import { restJsonCaller } from '../../lambda/core/rest-json.js';
import { Deadline, withDeadline } from '../../lambda/core/deadline.js';

const SERVICE = { name: 'SSO OIDC', endpoint: 'http://127.0.0.1:9/prefix/', timeoutMs: 1000, maxAnswerBytes: 1024 };
const throwing = (error: unknown) => restJsonCaller(SERVICE, { handle: async () => Promise.reject(error) });
const call = { method: 'POST', path: '/token', json: '{}' } as const;

describe('a rest-json call that gets no answer', () => {
  it('answers 502 "could not be reached" when the connection failed, even when the SDK\'s handler names it a timeout', async () => {
    for (const error of [
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET' }),
    ]) {
      await expect(throwing(error)(call, 's')).rejects.toMatchObject({ status: 502, type: 'BadGatewayException', description: 'SSO OIDC could not be reached.' });
    }
  });

  it('answers 504 naming its timeout when the answer did not come in time', async () => {
    await expect(throwing(Object.assign(new Error('x'), { name: 'TimeoutError' }))(call, 's')).rejects.toMatchObject({
      status: 504,
      type: 'GatewayTimeoutException',
      description: 'SSO OIDC did not answer within 1000 ms.',
    });
  });

  it('answers 502 "could not read" for anything else, without the error\'s own text', async () => {
    const failure = await throwing(new SyntaxError('Unexpected token < secret')).call(null, call, 's').catch((e: unknown) => e);
    expect(failure).toMatchObject({ status: 502, description: 'SSO OIDC gave an answer the broker could not read.' });
    expect(JSON.stringify(failure)).not.toContain('secret');
  });

  it('is not started with less than 250 ms of the request left (504), and sends the path below the endpoint\'s', async () => {
    const paths: string[] = [];
    const caller = restJsonCaller(SERVICE, {
      handle: async (request) => {
        paths.push(request.path);
        throw Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });
      },
    });
    await expect(withDeadline(Deadline.in(100), () => caller(call, 's'))).rejects.toMatchObject({ status: 504 });
    expect(paths).toEqual([]);
    await expect(caller(call, 's')).rejects.toMatchObject({ status: 502 });
    expect(paths).toEqual(['/prefix/token']);
  });
});
