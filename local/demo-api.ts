// A small API behind the broker's bearer proxy (/bff/api/<name>/…), for `npm start`'s demo and the
// tests: it accepts a request only with a live access token, which it checks the way a real API
// would check its own (here by asking the AWS access portal emulator whether the token opens a
// session: ListAccounts), and answers with what it received, so a test can prove which headers did
// and did not cross. Its answers carry a Set-Cookie, a caching header and a redirect header that the
// broker must never pass back. Tests queue faults for the next requests. Nothing here logs.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { LocalServer, readBody } from './emulators/http.js';
import { PORTAL_BEARER_HEADER, PORTAL_PATHS } from './emulators/sso-oidc.js';

/** What one request looked like as the API received it (the token itself replaced by whether it was live). */
export interface DemoApiCall {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Every header as received, lower-case, the Authorization value left out. */
  readonly headers: Record<string, string>;
  readonly bearer: 'live' | 'refused' | 'none';
  readonly body: string;
}

export type DemoApiFault =
  /** The next request is answered with this status and body whatever its token. */
  | { readonly kind: 'status'; readonly status: number; readonly body?: string }
  /** The next request waits this long before it is answered. */
  | { readonly kind: 'delay'; readonly ms: number }
  /** The next answer's body has this many bytes. */
  | { readonly kind: 'large'; readonly bytes: number }
  /** The next request's connection is closed without an answer. */
  | { readonly kind: 'drop' };

export interface DemoApi {
  readonly url: string;
  readonly calls: DemoApiCall[];
  /** The access tokens it accepted, for tests to compare (never printed). */
  readonly acceptedTokens: string[];
  injectFault(fault: DemoApiFault): void;
  stop(): Promise<void>;
}

/** Starts the API on 127.0.0.1; `portalUrl` is where the access portal (the SSO OIDC emulator) answers. */
export async function startDemoApi(options: { readonly port?: number; readonly portalUrl: string }): Promise<DemoApi> {
  const calls: DemoApiCall[] = [];
  const acceptedTokens: string[] = [];
  const faults: DemoApiFault[] = [];

  /** Whether the access portal takes the token: a live session's access token. */
  const live = async (token: string): Promise<boolean> => {
    const response = await fetch(`${options.portalUrl}${PORTAL_PATHS.listAccounts}`, { headers: { [PORTAL_BEARER_HEADER]: token } });
    await response.arrayBuffer();
    return response.status === 200;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://api.invalid');
    const body = await readBody(req);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (name !== 'authorization' && value !== undefined) headers[name] = String(value);
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const accepted = token !== undefined && (await live(token));
    if (accepted) acceptedTokens.push(token);
    calls.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search.slice(1), headers, bearer: token === undefined ? 'none' : accepted ? 'live' : 'refused', body });

    const fault = faults.shift();
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    // Unref'd: a delayed answer never holds a stopping process open.
    if (fault?.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms).unref());
    // What the broker must never pass back, on every answer.
    const never = { 'set-cookie': 'api-session=from-the-api; Path=/', 'cache-control': 'public, max-age=600', location: 'https://api.invalid/elsewhere' };
    const send = (status: number, type: string, text: string | Buffer, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { ...never, 'content-type': type, 'x-request-id': 'demo-api-1', etag: '"v1"', ...extra });
      res.end(text);
    };
    if (fault?.kind === 'status') return send(fault.status, 'application/json', fault.body ?? '{"message":"injected"}');
    if (fault?.kind === 'large') return send(200, 'application/octet-stream', Buffer.alloc(fault.bytes, 0x61));
    if (!accepted) {
      // RFC 6750 §3.1: a refused bearer token.
      return send(401, 'application/json', '{"message":"invalid_token"}', { 'www-authenticate': 'Bearer error="invalid_token"' });
    }
    send(200, 'application/json', JSON.stringify({ ok: true, method: req.method, path: url.pathname, query: url.search.slice(1), received: headers, bodyBytes: Buffer.byteLength(body) }));
  };

  const server = await LocalServer.listen(options.port ?? 0, handle);
  return {
    url: server.url,
    calls,
    acceptedTokens,
    injectFault: (fault) => void faults.push(fault),
    stop: () => server.stop(),
  };
}
