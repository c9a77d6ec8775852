// The construct as an installable package: `npm pack` (which builds dist/ through prepack) produces a
// tarball that a fresh CDK app outside this repository installs and synthesizes a stack with, the
// function's code bundled (prebuilt in the package), its types checked by tsc, and whose bin runs
// the smoke check. Offline: the tarball has no dependencies, and the app's aws-cdk-lib and
// constructs are this repository's copies, linked (`file:`), as a consumer's own would be installed.

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startBroker, type BrokerProcess } from '../helpers/broker-process.js';
import { ROOT } from '../infra/synth.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'node_modules', '.bin');
/** npm and everything it starts run on the project's Node 24, as `npm test` does. */
const ENV = { ...process.env, PATH: `${BIN}:${process.env.PATH ?? ''}`, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };

let work: string;
let app: string;
let tarball: string;
let files: string[];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'token-broker-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: ENV, maxBuffer: 16 * 1024 * 1024 });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, packed!.filename);
  files = packed!.files.map((file) => file.path);

  app = join(work, 'consumer');
  const modules = join(ROOT, 'node_modules');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify(
      {
        name: 'consumer-cdk-app',
        private: true,
        type: 'module',
        dependencies: {
          'aws-cdk-lib': `file:${join(modules, 'aws-cdk-lib')}`,
          constructs: `file:${join(modules, 'constructs')}`,
          [pkg.name]: `file:${tarball}`,
        },
      },
      null,
      2,
    ),
  );
  writeFileSync(join(app, 'app.ts'), CONSUMER_APP);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2024',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        verbatimModuleSyntax: true,
        typeRoots: [join(modules, '@types')],
        types: ['node'],
      },
      files: ['app.ts'],
    }),
  );
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, env: ENV });
}, 240_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A user's own CDK app: a stack in their account with the broker, typed props, and an output. */
const CONSUMER_APP = `import { App, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { TokenBroker, type TokenBrokerProps, type TokenBrokerAlarms } from '${pkg.name}';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'ConsumerStack', { env: { account: '111122223333', region: 'eu-west-1' } });
const props: TokenBrokerProps = {
  allowedOrigins: ['https://tools.example.com'],
  redirectUris: ['https://tools.example.com/callback', 'https://app.example.com/'],
  oidcRegion: 'eu-west-1',
  rotationSchedule: Duration.days(30),
  // Cookie sessions bring the third function (the cookie keys' rotation); they need a custom domain.
  customDomain: {
    domainName: 'auth.example.com',
    certificate: Certificate.fromCertificateArn(stack, 'Certificate', 'arn:aws:acm:eu-west-1:111122223333:certificate/abcd1234'),
  },
  cookieSessions: { origins: ['https://app.example.com'] },
};
const broker = new TokenBroker(stack, 'Broker', props);
const alarms: TokenBrokerAlarms = broker.alarms;
new CfnOutput(stack, 'BrokerUrl', { value: broker.url });
new CfnOutput(stack, 'AlarmCount', { value: String(Object.keys(alarms).length) });
app.synth();
`;

it('packs dist/ (the construct, its types, the prebuilt bundles, the smoke check) and the docs pages the README and deploy guide link to, and nothing else', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'package.json',
      'dist/infra/index.js',
      'dist/infra/index.d.ts',
      'dist/infra/token-broker.js',
      'dist/assets/handler/index.mjs',
      'dist/assets/rotation/index.mjs',
      'dist/assets/cookie-key-rotation/index.mjs',
      'dist/scripts/smoke.js',
      'dist/browser/session.js',
      'dist/browser/session.d.ts',
      'docs/deploy.md',
      'docs/deploy-reference.md',
    ]),
  );
  // The README's and the guides' links resolve inside the package: every docs page ships (not the screenshot).
  const docsPages = readdirSync(new URL('../../docs/', import.meta.url)).filter((name) => name.endsWith('.md'));
  expect(files.filter((file) => file.startsWith('docs/')).sort()).toEqual(docsPages.map((name) => `docs/${name}`).sort());
  expect(files.filter((file) => !file.startsWith('dist/') && !file.startsWith('docs/') && !['package.json', 'README.md', 'LICENSE'].includes(file))).toEqual([]);
  // No TypeScript sources of the function, no tests.
  expect(files.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
});

it('installs with only its peer dependencies (aws-cdk-lib, constructs): the function libraries are inside the bundles', () => {
  const installed = JSON.parse(readFileSync(join(app, 'node_modules', pkg.name, 'package.json'), 'utf8')) as Record<string, unknown>;
  expect(installed.dependencies).toBeUndefined();
  expect(installed.peerDependencies).toEqual({ 'aws-cdk-lib': expect.any(String), constructs: expect.any(String) });
  expect(readdirSync(join(app, 'node_modules')).sort()).toEqual(['.bin', '.package-lock.json', 'aws-cdk-lib', 'constructs', 'sso-oidc-token-broker'].sort());
});

it("type-checks a consumer's app against the package's types (TokenBroker, TokenBrokerProps)", async () => {
  await expect(run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app], { cwd: app, env: ENV })).resolves.toBeDefined();
}, 120_000);

it("synthesizes the consumer's stack with the package's prebuilt bundles as the functions' code", async () => {
  const outdir = join(work, 'cdk.out');
  await run(process.execPath, ['app.ts', outdir], { cwd: app, env: ENV });
  const template = JSON.parse(readFileSync(join(outdir, 'ConsumerStack.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  };
  const functions = Object.values(template.Resources).filter((resource) => resource.Type === 'AWS::Lambda::Function');
  expect(functions.map((fn) => fn.Properties.Handler)).toEqual(['index.handler', 'index.handler', 'index.handler']);
  expect(new Set(functions.map((fn) => fn.Properties.Runtime))).toEqual(new Set(['nodejs24.x']));
  const installed = join(app, 'node_modules', pkg.name, 'dist', 'assets');
  const prebuiltFor = (description: string): string =>
    description === 'SSO OIDC token broker' ? 'handler' : description.includes('cookie') ? 'cookie-key-rotation' : 'rotation';
  const used = functions.map((fn) => {
    const asset = readFileSync(join(outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs'));
    const prebuilt = prebuiltFor(String(fn.Properties.Description));
    return { prebuilt, same: asset.equals(readFileSync(join(installed, prebuilt, 'index.mjs'))) };
  });
  expect(used.sort((a, b) => a.prebuilt.localeCompare(b.prebuilt))).toEqual([
    { prebuilt: 'cookie-key-rotation', same: true },
    { prebuilt: 'handler', same: true },
    { prebuilt: 'rotation', same: true },
  ]);
  // The rest of the construct came along: the API, the alarms, the dashboard.
  const types = Object.values(template.Resources).map((resource) => resource.Type);
  expect(types).toEqual(expect.arrayContaining(['AWS::ApiGatewayV2::Api', 'AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Dashboard', 'AWS::SecretsManager::RotationSchedule']));
  expect(existsSync(join(outdir, 'manifest.json'))).toBe(true);
}, 120_000);

it('exports the browser module for SPAs (sso-oidc-token-broker/session): dependency-free, its client made without a browser in sight', async () => {
  const script = `import('${pkg.name}/session').then((m) => process.stdout.write(typeof m.createSessionClient + ' ' + Object.keys(m.createSessionClient({ broker: 'https://auth.example.com' })).sort().join(',')))`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: app, env: ENV });
  expect(stdout).toBe('function call,fetch,handleRedirect,refresh,signIn,signOut,status');
  const source = readFileSync(join(app, 'node_modules', pkg.name, 'dist', 'browser', 'session.js'), 'utf8');
  expect(source).not.toMatch(/^import /m);
}, 60_000);

it('loads from a CommonJS app too (require of an ES module, Node 22.12 and later)', async () => {
  const { stdout } = await run(process.execPath, ['--input-type=commonjs', '-e', `process.stdout.write(typeof require('${pkg.name}').TokenBroker)`], {
    cwd: app,
    env: ENV,
  });
  expect(stdout).toBe('function');
}, 60_000);

describe('the installed smoke check (npx token-broker-smoke)', () => {
  let broker: BrokerProcess;
  beforeAll(async () => {
    broker = await startBroker({ TOKEN_BROKER_ALLOWED_ORIGINS: 'https://app.example.com' });
  }, 60_000);
  afterAll(async () => broker?.stop());

  it('runs from the package, without tsx, and passes against npm start', async () => {
    const { stdout } = await run('npx', ['--no-install', 'token-broker-smoke', '--url', broker.url, '--origin', 'https://app.example.com'], {
      cwd: app,
      env: ENV,
    });
    expect(stdout).toMatch(/All checks passed/);
  }, 60_000);
});
