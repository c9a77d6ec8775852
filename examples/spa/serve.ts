// Serves examples/spa on its own origin, telling it where the broker is (config.js). Against `npm start`:
//
//   TOKEN_BROKER_ALLOWED_ORIGINS=http://127.0.0.1:8080 TOKEN_BROKER_REDIRECT_URIS=http://127.0.0.1:8080/ npm start
//   BROKER_URL=http://127.0.0.1:3000 PORT=8080 npx tsx examples/spa/serve.ts
//
// then open http://127.0.0.1:8080/. Any static file server does the same with config.js edited.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FILES: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/index.html': 'index.html',
  '/app.js': 'app.js',
};
const TYPES: Readonly<Record<string, string>> = { html: 'text/html; charset=utf-8', js: 'text/javascript; charset=utf-8' };

export function createSpaServer(options: { brokerUrl: string }): http.RequestListener {
  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://spa').pathname;
    if (path === '/config.js') {
      const config = (
        `export const BROKER_URL = ${JSON.stringify(options.brokerUrl)};\n` + `export const SCOPES = ['sso:account:access'];\n`
      );
      res.writeHead(200, { 'content-type': TYPES.js }).end(config);
      return;
    }
    const file = FILES[path];
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    readFile(fileURLToPath(new URL(file, import.meta.url)), 'utf8').then(
      (body) => res.writeHead(200, { 'content-type': TYPES[file.split('.').pop()!]! }).end(body),
      () => res.writeHead(500).end(),
    );
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const brokerUrl = process.env.BROKER_URL ?? 'http://127.0.0.1:3000';
  const server = http.createServer(createSpaServer({ brokerUrl }));
  server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    console.log(`SPA on http://127.0.0.1:${port}/ (broker ${brokerUrl})`);
  });
}
