// Reading an answer's body (lambda/core/http-handler.ts readBody), shared by the calls to SSO OIDC and
// the access portal (rest-json.ts) and the bearer proxy (api-proxy.ts): the whole body, or its
// stream's error, and the call's time ending the read. A service that sends its headers and then
// stalls is the broker's 504 naming the call's limit, never a request held until Lambda's timeout.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { newAudit } from '../../lambda/core/audit.js';
import { createApiClient } from '../../lambda/core/api-proxy.js';
import { readBody } from '../../lambda/core/http-handler.js';
import { restJsonCaller } from '../../lambda/core/rest-json.js';

describe('readBody', () => {
  it('is the whole body, one chunk or several', async () => {
    const one = new PassThrough();
    one.end('{"a":1}');
    expect((await readBody(one, new AbortController().signal)).toString()).toBe('{"a":1}');
    const several = new PassThrough();
    const read = readBody(several, new AbortController().signal);
    for (const part of ['{"a"', ':', '2}']) several.write(part);
    several.end();
    expect((await read).toString()).toBe('{"a":2}');
  });

  it('ends the read when the signal aborts, or has aborted, and leaves no listener behind', async () => {
    const controller = new AbortController();
    const stalled = new PassThrough();
    stalled.write('{"a":');
    const read = readBody(stalled, controller.signal);
    controller.abort();
    await expect(read).rejects.toThrow('aborted');
    expect(stalled.destroyed).toBe(true);

    const late = new PassThrough();
    await expect(readBody(late, controller.signal)).rejects.toThrow('aborted');

    const kept = new AbortController();
    // Not destroyed at its end by the stream itself, so that only a listener left behind could.
    const done = new PassThrough({ autoDestroy: false });
    done.end('x');
    await readBody(done, kept.signal);
    kept.abort();
    expect(done.destroyed).toBe(false);
  });

  it('rejects a stream closed before its end without an error, as `for await` does', async () => {
    const cut = new PassThrough();
    const read = readBody(cut, new AbortController().signal);
    cut.write('{"a":');
    cut.destroy();
    await expect(read).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});

describe('a service that sends its headers and then stalls', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"accessToken":');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('is SSO OIDC not answering within its limit (504), over the broker\u2019s own HTTP handler', async () => {
    const caller = restJsonCaller({ name: 'SSO OIDC', endpoint: `${url}/`, timeoutMs: 300, maxAnswerBytes: 1024 });
    await expect(caller({ method: 'POST', path: '/token', json: '{}' }, 'client-secret')).rejects.toMatchObject({
      status: 504,
      type: 'GatewayTimeoutException',
      description: 'SSO OIDC did not answer within 300 ms.',
    });
  });

  it('is the API not answering within its limit (504), through the bearer proxy', async () => {
    const client = createApiClient({ timeoutMs: 300 });
    const request = { api: { name: 'orders', url, methods: new Set(['GET'] as const) }, method: 'GET', path: 'items', rawQuery: '', headers: {}, body: undefined };
    await expect(client(request, 'access-token', newAudit())).rejects.toMatchObject({
      status: 504,
      type: 'GatewayTimeoutException',
      description: 'The API did not answer within 300 ms.',
    });
  });
});
