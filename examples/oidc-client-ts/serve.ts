// Bundles examples/oidc-client-ts/app.ts (esbuild) and serves it on its own origin, with the
// broker's issuer in /config.json. `npm start` turns the front door on (its URL is the issuer):
//
//   TOKEN_BROKER_ALLOWED_ORIGINS=http://127.0.0.1:8081 TOKEN_BROKER_REDIRECT_URIS=http://127.0.0.1:8081/ npm start
//   ISSUER=http://127.0.0.1:3000 PORT=8081 npx tsx examples/oidc-client-ts/serve.ts
//
// then open http://127.0.0.1:8081/.

import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

export async function createOidcClientTsServer(options: { issuer: string }): Promise<http.RequestListener> {
  const bundle = await build({ entryPoints: [here('./app.ts')], bundle: true, format: 'esm', target: 'es2022', write: false, logLevel: 'silent' });
  const files: Record<string, { type: string; body: string }> = {
    '/': { type: 'text/html; charset=utf-8', body: await readFile(here('./index.html'), 'utf8') },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: bundle.outputFiles[0]!.text },
    '/config.json': { type: 'application/json', body: JSON.stringify({ issuer: options.issuer }) },
  };
  return (req, res) => {
    const file = files[new URL(req.url ?? '/', 'http://spa').pathname];
    if (file === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': file.type }).end(file.body);
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const issuer = process.env.ISSUER ?? 'http://127.0.0.1:3000';
  const server = http.createServer(await createOidcClientTsServer({ issuer }));
  server.listen(Number(process.env.PORT ?? 8081), '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    console.log(`oidc-client-ts example on http://127.0.0.1:${port}/ (issuer ${issuer})`);
  });
}
