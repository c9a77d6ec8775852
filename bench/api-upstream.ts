// A stand-in for a deployer's API behind the broker's bearer proxy, for route families whose upstream
// is an API rather than SSO OIDC: it answers every GET with a small JSON document when the request
// carries `Authorization: Bearer <token>` with the token it was started with, 401 otherwise, and
// counts the TCP connections it accepts (a warm request must open none). 127.0.0.1 only.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiUpstream {
  readonly url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Requests answered so far, and how many of them were refused. */
  requests(): { readonly answered: number; readonly refused: number };
  stop(): Promise<void>;
}

export async function startApiUpstream(token: string): Promise<ApiUpstream> {
  let connections = 0;
  let answered = 0;
  let refused = 0;
  const server: Server = createServer((request, response) => {
    answered += 1;
    const authorized = request.headers.authorization === `Bearer ${token}`;
    if (!authorized) refused += 1;
    const body = authorized ? JSON.stringify({ path: request.url, items: [{ id: 1, name: 'first' }, { id: 2, name: 'second' }] }) : '{"message":"Unauthorized"}';
    response.writeHead(authorized ? 200 : 401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    requests: () => ({ answered, refused }),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
