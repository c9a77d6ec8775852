// Proves the shipped artifact, not only the TypeScript: the index.mjs synthesis wrote for the broker
// (ESM, the SDK inside, its source map), run in a child process on the project's Node 24: what the
// substitutes (infra/substitutes.ts) keep out of it and what must keep working (credentials from the
// environment or a container endpoint, no undici), and its stack traces mapped back to lambda/*.ts.
// The bundles driven against the emulators: bundle-emulators.test.ts.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { loadSourceMap, mapStack } from '../../scripts/map-stack.js';
import {
  brokerEnv,
  bundle,
  CONTAINER_ACCESS_KEY,
  exchange,
  fn,
  invoke,
  lambda,
  newCode,
  rotationBundleOf,
  secrets,
  setUpBundleRun,
  tokenBody,
} from './support/bundle.js';
import { ENV_ACCESS_KEY, startLambda } from './support/lambda-process.js';
import { ROOT } from './synth.js';

setUpBundleRun();

/** A container credentials endpoint on 127.0.0.1, answering as Lambda's does when `authorized` says yes. */
async function credentialsEndpoint(authorized: (authorization: string | undefined) => boolean): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        AccessKeyId: CONTAINER_ACCESS_KEY,
        SecretAccessKey: 'container-secret-key',
        Token: 'container-session-token',
        Expiration: new Date(Date.now() + 3_600_000).toISOString(),
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('the artifact synthesis wrote', () => {
  it('is an ESM bundle with the createRequire banner, the Secrets Manager client inside it and no SSO OIDC client, and a source map without sources', () => {
    expect(existsSync(bundle)).toBe(true);
    const code = readFileSync(bundle, 'utf8');
    expect(code.startsWith("import { createRequire } from 'module'; const require = createRequire(import.meta.url);")).toBe(true);
    // Minified (long lines).
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
    // The Secrets Manager client is inside, at the locked version, and nothing is left to the
    // runtime's copy (the SDK's own error messages quote require("@aws-sdk/...") in brackets: not
    // calls). SSO OIDC's client is not: the broker calls SSO OIDC on the wire (core/upstream.ts).
    const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules/@aws-sdk/client-secrets-manager/package.json'), 'utf8')) as { version: string };
    expect(code).toContain(`name:"@aws-sdk/client-secrets-manager",version:"${version}"`);
    expect(code).not.toContain('name:"@aws-sdk/client-sso-oidc"');
    expect(code).not.toMatch(/from\s*["']@aws-sdk\/|import\(\s*["']@aws-sdk\/|(?<!\[)require\(\s*["']@aws-sdk\//);
    expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
    // Dependencies' legal comments are kept beside the bundle, not in what every cold start loads.
    expect(code).not.toContain('Bundled license information');
    expect(readFileSync(`${bundle}.LEGAL.txt`, 'utf8')).toContain('Bundled license information');
    const map = JSON.parse(readFileSync(`${bundle}.map`, 'utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources.some((source) => source.endsWith('lambda/handler.ts'))).toBe(true);
    expect(map.sourcesContent).toBeUndefined();
    expect(statSync(bundle).size).toBeGreaterThan(0);
  });

  it('runs on the Node major of the function runtime', () => {
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(lambda.node).toMatch(/^v24\./);
    expect(lambda.handlerType).toBe('function');
  });
});

describe('the substitutes (infra/substitutes.ts): what they keep out and what must keep working', () => {
  /** Sources of a bundle's map (mappings only: the file names of everything bundled). */
  const sourcesOf = (path: string) => (JSON.parse(readFileSync(`${path}.map`, 'utf8')) as { sources: string[] }).sources;
  /** The SDK default chain's own packages, and the event-stream code: none may be bundled. */
  const CHAIN = /@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|login)|nested-clients|token-providers)\/|@smithy\/credential-provider-imds\/|@smithy\/core\/dist-es\/submodules\/event-streams\//;

  it('bundles the environment and container providers instead of the default chain, no event-stream code, and no ESM import of node:http or node:process', () => {
    for (const path of [bundle, rotationBundleOf()]) {
      const sources = sourcesOf(path);
      expect(sources.filter((source) => CHAIN.test(source))).toEqual([]);
      for (const kept of [
        'lambda/bundle/credential-provider.ts',
        'lambda/bundle/no-event-streams.ts',
        '@aws-sdk/credential-provider-env/',
        '@aws-sdk/credential-provider-http/',
      ]) {
        expect(sources.some((source) => source.includes(kept))).toBe(true);
      }
      const code = readFileSync(path, 'utf8');
      // An ESM import of node:http (static or dynamic) in the output is what loads undici; one of
      // node:process is what builds the stdio streams.
      expect(code).not.toMatch(/from\s*["'](node:)?http["']|import\(\s*["'](node:)?http["']\s*\)/);
      expect(code).not.toMatch(/from\s*["'](node:)?process["']|import\(\s*["'](node:)?process["']\s*\)/);
    }
    // The broker's HTTP code (Middy, the SDK's handler) does use node:http, and the SDK's user-agent
    // code node:process, through the substitutes.
    expect(sourcesOf(bundle).some((source) => source.endsWith('lambda/bundle/node-http.ts'))).toBe(true);
    expect(sourcesOf(bundle).some((source) => source.endsWith('lambda/bundle/node-process.ts'))).toBe(true);
  });

  it('never loads undici in the function process, after real requests (an ESM import of node:http would)', async () => {
    const { response } = await exchange();
    expect(response.status).toBe(200);
    const loaded = await lambda.modules();
    expect(loaded.length).toBeGreaterThan(0);
    expect(loaded.filter((name) => /undici/i.test(name))).toEqual([]);
    // The control: on the same Node, one ESM import of node:http does load it.
    const control = spawn(process.execPath, [
      '--input-type=module',
      '-e',
      "import 'node:http'; process.stdout.write(String(process.moduleLoadList.some((m) => /undici/.test(m))))",
    ]);
    let out = '';
    control.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => control.once('close', resolve));
    expect(out).toBe('true');
  });

  it('signs Secrets Manager requests with the environment credentials (the emulator checks the access key)', () => {
    const reads = secrets.calls.filter((call) => call.action === 'GetSecretValue');
    expect(reads.length).toBeGreaterThan(0);
    expect(reads.map((call) => call.accessKeyId)).toEqual(reads.map(() => ENV_ACCESS_KEY));
  });

  it('signs with container credentials when the environment has none (AWS_CONTAINER_CREDENTIALS_FULL_URI, as under SnapStart)', async () => {
    const token = `container-token-${randomUUID()}`;
    const seen: (string | undefined)[] = [];
    const endpoint = await credentialsEndpoint((authorization) => {
      seen.push(authorization);
      return authorization === token;
    });
    const before = secrets.calls.length;
    const containerLambda = await startLambda(fn, bundle, brokerEnv(), 'token-broker-container-credentials', {
      unset: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
      extra: { AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint.url}/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN: token },
    });
    try {
      const { response } = await exchange(containerLambda);
      expect(response.status).toBe(200);
      expect(response.body.accessToken).toEqual(expect.any(String));
      // The endpoint was asked with the token, and every read since was signed with its key.
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((authorization) => authorization === token)).toBe(true);
      const reads = secrets.calls.slice(before).filter((call) => call.action === 'GetSecretValue');
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.map((call) => call.accessKeyId)).toEqual(reads.map(() => CONTAINER_ACCESS_KEY));
      expect(containerLambda.output()).not.toContain(token);
    } finally {
      await containerLambda.stop();
      await endpoint.close();
    }
  });

  it('fails cleanly without any credentials: 500 InternalServerException, and nothing unsigned reaches Secrets Manager', async () => {
    const before = secrets.calls.length;
    const bare = await startLambda(fn, bundle, brokerEnv(), 'token-broker-no-credentials', {
      unset: ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'],
    });
    try {
      const { code, verifier } = newCode();
      const response = await invoke('POST', '/token', tokenBody(code, verifier), {}, bare);
      expect(response.status).toBe(500);
      expect(response.body).toMatchObject({ __type: 'InternalServerException' });
      expect(secrets.calls.slice(before)).toEqual([]);
    } finally {
      await bare.stop();
    }
  });
});

describe('stack traces without --enable-source-maps', () => {
  it('are mapped back to lambda/*.ts by scripts/map-stack.ts, with the map kept beside the shipped index.mjs', async () => {
    // Nothing reads the map at start-up: the template sets no NODE_OPTIONS.
    expect(fn.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
    // An event the handler cannot read makes bundle code throw: the "unexpected error" log line carries its frames.
    await lambda.invoke(null).catch(() => undefined);
    const line = await lambda.waitFor(() =>
      lambda
        .output()
        .split('\n')
        .find((text) => text.includes('"unexpected error"')),
    );
    expect(line).toMatch(/index\.mjs:\d+:\d+/);
    // Not mapped in the log itself: the minified frames only.
    expect(line).not.toMatch(/lambda\/[a-z/-]+\.ts/);
    const mapped = mapStack(line!, loadSourceMap(bundle));
    expect(mapped).toMatch(/lambda\/edge\/routing\.ts:\d+:\d+/);
    expect(mapped).not.toMatch(/index\.mjs:\d+:\d+/);
  });
});
