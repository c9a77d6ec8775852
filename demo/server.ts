// The demo frontend's server for `npm start`: a static site on its own origin (not the broker's), so
// the browser applies CORS to every call the page makes to the broker, as it would in production.
// Two of them run: the token pages (the JSON API's and the front door's) and, on an origin of its
// own, the cookie-session page: a cookie-session origin may not acquire tokens, so the two kinds of
// page cannot share one.
// demo/app.ts is bundled with esbuild once, at start (a build error stops `npm start`); the page
// reads the broker URL and its redirect URI from GET /config.json, which stays 503 until configure()
// is called (the client is registered after this server listens: its redirect URI needs this
// server's origin, and the broker starts after that).

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { DemoConfig } from './config.js';

export interface DemoFrontend {
  /** Where this server listens, e.g. http://127.0.0.1:3001. */
  readonly url: string;
  /**
   * Makes /config.json available; the Content-Security-Policy then lets the page call the broker.
   * `redirectUris` are the page's redirect URIs on every origin it may be opened at: a page opened
   * at one of them is told that one (the default is `config.redirectUri`).
   */
  configure(config: DemoConfig, redirectUris?: readonly string[]): void;
  close(): Promise<void>;
}

/** Which pages a demo server serves: the token pages, or the cookie-session page (at / and /session). */
export type DemoPages = 'tokens' | 'session';

interface Asset {
  readonly type: string;
  readonly body: string;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

const bundle = async (entry: string): Promise<string> => {
  const built = await build({
    entryPoints: [here(entry)],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  return built.outputFiles[0]!.text;
};

async function loadAssets(pages: DemoPages): Promise<Record<string, Asset>> {
  const style: Asset = { type: 'text/css; charset=utf-8', body: await readFile(here('./style.css'), 'utf8') };
  if (pages === 'session') {
    // demo/session.ts: the cookie-session page, its own callback (/session itself).
    const sessionHtml: Asset = { type: 'text/html; charset=utf-8', body: await readFile(here('./session.html'), 'utf8') };
    return { '/': sessionHtml, '/session': sessionHtml, '/session.js': { type: 'text/javascript; charset=utf-8', body: await bundle('./session.ts') }, '/style.css': style };
  }
  // demo/oidc.ts: the front door's page, signing in with oidc-client-ts (bundled in).
  const [app, oidc] = await Promise.all([bundle('./app.ts'), bundle('./oidc.ts')]);
  const html: Asset = { type: 'text/html; charset=utf-8', body: await readFile(here('./index.html'), 'utf8') };
  return {
    '/': html,
    '/callback': html,
    '/app.js': { type: 'text/javascript; charset=utf-8', body: app },
    '/oidc.html': { type: 'text/html; charset=utf-8', body: await readFile(here('./oidc.html'), 'utf8') },
    '/oidc.js': { type: 'text/javascript; charset=utf-8', body: oidc },
    '/style.css': style,
  };
}

/**
 * The configuration for a page opened at `host` (the Host header: the page's own origin, on this
 * plain-http server): the redirect URI on that origin when there is one, so that a page opened at
 * http://localhost:3001 signs in there as well as at http://127.0.0.1:3001.
 */
function configFor(config: DemoConfig, redirectUris: readonly string[], host: string | undefined): DemoConfig {
  const here = redirectUris.find((uri) => host !== undefined && new URL(uri).host === host.toLowerCase());
  return here === undefined ? config : { ...config, redirectUri: here };
}

export async function startDemoFrontend(options: { port: number; host?: string; pages?: DemoPages }): Promise<DemoFrontend> {
  const assets = await loadAssets(options.pages ?? 'tokens');
  const host = options.host ?? '127.0.0.1';
  let config: DemoConfig | undefined;
  let redirectUris: readonly string[] = [];

  const server = http.createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://demo').pathname;
    // Scripts, styles and fetches from this origin only, plus fetches to the broker; no framing.
    // Navigations (to /authorize) and links (to the device page) are not restricted by these.
    const connect = config === undefined ? "'self'" : `'self' ${new URL(config.brokerUrl).origin}`;
    const headers = {
      'content-security-policy': `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src ${connect}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    };
    const reply = (status: number, type: string, body: string): void => {
      res.writeHead(status, { ...headers, 'content-type': type, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };

    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      reply(405, 'text/plain; charset=utf-8', 'Method Not Allowed\n');
    } else if (path === '/config.json') {
      if (config === undefined) reply(503, 'application/json', '{"message":"The demo is still starting."}');
      else reply(200, 'application/json', JSON.stringify(configFor(config, redirectUris, req.headers.host)));
    } else if (path === '/favicon.ico') {
      reply(204, 'text/plain', '');
    } else if (path === '/session' && config?.sessionPage !== undefined && assets[path] === undefined) {
      // The cookie-session page lives on an origin of its own.
      res.writeHead(302, { ...headers, location: config.sessionPage, 'content-length': 0 });
      res.end();
    } else {
      const asset = assets[path];
      if (asset === undefined) reply(404, 'text/plain; charset=utf-8', 'Not Found\n');
      else reply(200, asset.type, asset.body);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${host}:${port}`,
    configure(next, uris = []) {
      config = next;
      redirectUris = uris;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
