// `npm run build` (and `npm pack`, through prepack): the installable package, in dist/.
//  1. tsc (tsconfig.build.json): the construct (infra/index.ts and what it imports) and the smoke
//     check, as ES modules with .d.ts files; tsc (browser/tsconfig.json): the browser module for
//     SPAs' cookie sessions (browser/session.ts), dependency-free.
//  2. The functions' code (the broker, its rotation, the cookie keys' rotation), bundled by the
//     construct itself (NodejsFunction with BUNDLING) in a throwaway synthesis and copied to
//     dist/assets/<function>/, where the compiled construct picks it up instead of bundling (codeOf
//     in infra/bundling.ts).
//
// Why prebuilt rather than bundled at the consumer's synthesis: the consumer then needs no esbuild
// (nor Docker), none of the function's libraries and none of our lockfile; the bundle's substitutes
// (infra/substitutes.ts) check our pinned SDK, not whatever the consumer resolved; and what deploys is
// exactly the bundle this repository's tests and benchmark ran. The cost is a package of a few MB.

import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { TokenBroker, type PrebuiltFunction } from '../infra/token-broker.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
// The construct and the smoke check; then the browser module for SPAs (`sso-oidc-token-broker/session`).
for (const project of ['tsconfig.build.json', 'browser/tsconfig.json']) {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], { cwd: ROOT, stdio: 'inherit' });
}
chmodSync(join(DIST, 'scripts', 'smoke.js'), 0o755);

const outdir = mkdtempSync(join(tmpdir(), 'token-broker-build-'));
try {
  const app = new App({ outdir });
  const stack = new Stack(app, 'Build');
  // Rotation and cookie sessions on: the bundles do not depend on props, but every function must
  // exist (cookie sessions need a custom domain, here with a stand-in certificate).
  const broker = new TokenBroker(stack, 'Broker', {
    allowedOrigins: ['https://build.invalid'],
    redirectUris: ['https://app.build.invalid/'],
    customDomain: {
      domainName: 'auth.build.invalid',
      certificate: Certificate.fromCertificateArn(stack, 'Certificate', 'arn:aws:acm:us-east-1:111122223333:certificate/build'),
    },
    cookieSessions: { origins: ['https://app.build.invalid'] },
  });
  const template = app.synth().getStackByName(stack.stackName).template as {
    Resources: Record<string, { Properties: { Code: { S3Key: string } } }>;
  };
  const assetOf = (fn: IFunction): string => {
    const logicalId = stack.resolve((fn.node.defaultChild as CfnFunction).logicalId) as string;
    return join(outdir, `asset.${template.Resources[logicalId]!.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
  };
  const copies: [IFunction, PrebuiltFunction][] = [
    [broker.function, 'handler'],
    [broker.rotation!.function, 'rotation'],
    [broker.cookieKeys!.rotationFunction, 'cookie-key-rotation'],
  ];
  for (const [fn, name] of copies) {
    const from = assetOf(fn);
    if (!existsSync(join(from, 'index.mjs'))) throw new Error(`no bundle for ${name} in ${from}`);
    cpSync(from, join(DIST, 'assets', name), { recursive: true });
  }
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
process.stderr.write(`built ${DIST}: the construct, the smoke check and the two functions' bundles\n`);
