// The bundle's substitutes (lambda/bundle/, aliased in BUNDLING through infra/substitutes.ts): the
// build-time check that fails loudly when the SDK changes under them, esbuild refusing a bundle whose
// code needs what a substitute does not provide, and the credential chain's own contract. That the
// shipped bundle signs with environment and container credentials is proven on the artifact itself
// (test/infra/bundle-substitutes.test.ts).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import { BUNDLING } from '../../infra/token-broker.js';
import { ALIASES, checkSubstitutes, SubstituteMismatch, SUBSTITUTES } from '../../infra/substitutes.js';
import * as credentialSubstitute from '../../lambda/bundle/credential-provider.js';
import * as httpSubstitute from '../../lambda/bundle/node-http.js';
import * as processSubstitute from '../../lambda/bundle/node-process.js';
import * as eventStreamsSubstitute from '../../lambda/bundle/no-event-streams.js';
import { esbuildOptionsOf } from '../../bench/bundle.js';
import { ROOT } from './synth.js';

const temporary: string[] = [];
afterEach(() => {
  for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'substitutes-'));
  temporary.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const RETRY_FILE = 'dist-es/submodules/retry/middleware-retry/configurations.js';
const COPIED = [
  RETRY_FILE,
  'dist-es/submodules/serde/util-stream/sdk-stream-mixin.js',
  'dist-es/submodules/config/config-resolver/regionConfig/config.js',
  'dist-es/submodules/config/defaults-mode/resolveDefaultsModeConfig.js',
];

/** A node_modules tree shaped like the SDK's, with the parts the check reads. */
function fakeSdk(
  options: { runtimeConfig?: string; runtimeConfigShared?: string; chainExports?: string[]; nestedEnvVersion?: string; retryConfigurations?: string } = {},
): string {
  const shared = options.runtimeConfigShared ?? 'import { Sha256 } from "@smithy/core/checksum";\n';
  const runtimeConfig =
    options.runtimeConfig ?? 'import { defaultProvider as credentialDefaultProvider } from "@aws-sdk/credential-provider-node";\n';
  const exportsOf = options.chainExports ?? ['defaultProvider', 'credentialsWillNeedRefresh', 'credentialsTreatedAsExpired'];
  const pkg = (name: string, version = '1.0.0') => JSON.stringify({ name, version, main: 'index.js' });
  return tree({
    'node_modules/@aws-sdk/client-sso-oidc/package.json': pkg('@aws-sdk/client-sso-oidc'),
    'node_modules/@aws-sdk/client-sso-oidc/dist-es/runtimeConfig.js': runtimeConfig,
    'node_modules/@aws-sdk/client-sso-oidc/dist-es/runtimeConfig.shared.js': shared,
    'node_modules/@aws-sdk/client-secrets-manager/dist-es/runtimeConfig.shared.js': shared,
    'node_modules/@aws-sdk/client-secrets-manager/package.json': pkg('@aws-sdk/client-secrets-manager'),
    'node_modules/@aws-sdk/client-secrets-manager/dist-es/runtimeConfig.js': runtimeConfig,
    'node_modules/@aws-sdk/credential-provider-node/package.json': pkg('@aws-sdk/credential-provider-node'),
    'node_modules/@aws-sdk/credential-provider-node/index.js': exportsOf.map((name) => `exports.${name} = () => {};`).join('\n'),
    'node_modules/@aws-sdk/credential-provider-env/package.json': pkg('@aws-sdk/credential-provider-env'),
    'node_modules/@aws-sdk/credential-provider-http/package.json': pkg('@aws-sdk/credential-provider-http'),
    'node_modules/@smithy/core/package.json': pkg('@smithy/core'),
    // The SDK files the substitutes copy a function of, as installed (the retry one as the test says).
    ...Object.fromEntries(COPIED.map((file) => [`node_modules/@smithy/core/${file}`, readFileSync(join(ROOT, 'node_modules/@smithy/core', file), 'utf8')])),
    ...(options.retryConfigurations === undefined ? {} : { [`node_modules/@smithy/core/${RETRY_FILE}`]: options.retryConfigurations }),
    ...(options.nestedEnvVersion === undefined
      ? {}
      : {
          'node_modules/@aws-sdk/credential-provider-node/node_modules/@aws-sdk/credential-provider-env/package.json': pkg(
            '@aws-sdk/credential-provider-env',
            options.nestedEnvVersion,
          ),
        }),
  });
}

describe('the build-time check (BUNDLING beforeBundling)', () => {
  it('runs when NodejsFunction bundles, and passes on the installed SDK', () => {
    expect(BUNDLING.esbuildArgs).toMatchObject({ '--alias': [...ALIASES] });
    expect(() => BUNDLING.commandHooks!.beforeBundling(ROOT, ROOT)).not.toThrow();
    expect(BUNDLING.commandHooks!.beforeBundling(ROOT, ROOT)).toEqual([]);
    expect(() => checkSubstitutes(fakeSdk())).not.toThrow();
  });

  it('fails when an SDK client no longer takes its credential chain from @aws-sdk/credential-provider-node', () => {
    const root = fakeSdk({ runtimeConfig: 'import { defaultProvider } from "@aws-sdk/credential-providers";\n' });
    expect(() => checkSubstitutes(root)).toThrow(SubstituteMismatch);
    expect(() => checkSubstitutes(root)).toThrow(/@aws-sdk\/client-sso-oidc no longer imports defaultProvider/);
  });

  it('fails when @aws-sdk/credential-provider-node stops exporting what the substitute replaces, or exports more', () => {
    expect(() => checkSubstitutes(fakeSdk({ chainExports: ['credentialProvider', 'credentialsWillNeedRefresh', 'credentialsTreatedAsExpired'] }))).toThrow(
      /exports \[credentialProvider, credentialsTreatedAsExpired, credentialsWillNeedRefresh\], the substitute \[credentialsTreatedAsExpired, credentialsWillNeedRefresh, defaultProvider\]/,
    );
    expect(() =>
      checkSubstitutes(fakeSdk({ chainExports: ['defaultProvider', 'credentialsWillNeedRefresh', 'credentialsTreatedAsExpired', 'fromLogin'] })),
    ).toThrow(SubstituteMismatch);
  });

  it('fails when the SDK chain would use other versions of the providers the substitute bundles', () => {
    expect(() => checkSubstitutes(fakeSdk({ nestedEnvVersion: '9.9.9' }))).toThrow(
      /@aws-sdk\/credential-provider-env: the SDK's chain uses 9\.9\.9, the substitute 1\.0\.0: pin 9\.9\.9/,
    );
  });

  it('fails when an SDK client configures event streams, which the bundle leaves out', () => {
    const root = fakeSdk({ runtimeConfigShared: 'import { eventStreamSerdeProvider } from "@smithy/core/event-streams";\n' });
    expect(() => checkSubstitutes(root)).toThrow(/@aws-sdk\/client-sso-oidc configures event streams/);
  });

  it("fails when the SDK's resolveRetryConfig, which the retry substitute copies without adaptive retry, changes", () => {
    const real = readFileSync(join(ROOT, 'node_modules/@smithy/core', RETRY_FILE), 'utf8');
    const root = fakeSdk({ retryConfigurations: real.replace('StandardRetryStrategy({', 'StandardRetryStrategy({ jitter: true,') });
    expect(() => checkSubstitutes(root)).toThrow(/configurations\.js has changed: carry the change over to lambda\/bundle\/retry\.ts/);
  });

  it('fails the bench rebuild as it fails the real one', () => {
    const failing = { ...BUNDLING, commandHooks: { ...BUNDLING.commandHooks!, beforeBundling: () => checkSubstitutes(fakeSdk({ chainExports: [] })) as never } };
    expect(() => esbuildOptionsOf(failing)).toThrow(SubstituteMismatch);
  });
});

describe('the substitutes themselves', () => {
  it('export exactly the names infra/substitutes.ts lists', () => {
    const listed = (replaces: string) => [...SUBSTITUTES.find((s) => s.replaces === replaces)!.exports].sort();
    expect(Object.keys(credentialSubstitute).sort()).toEqual(listed('@aws-sdk/credential-provider-node'));
    expect(Object.keys(httpSubstitute).sort()).toEqual(listed('node:http'));
    expect(listed('http')).toEqual(listed('node:http'));
    expect(Object.keys(processSubstitute).sort()).toEqual(listed('node:process'));
    expect(listed('process')).toEqual(listed('node:process'));
    expect(Object.keys(eventStreamsSubstitute).sort()).toEqual(listed('@smithy/core/event-streams'));
  });

  it('leave event streams out loudly: the stub throws if anything ever reaches it', () => {
    expect(() => new eventStreamsSubstitute.EventStreamSerde()).toThrow(/event streams are not bundled/);
    expect(() => eventStreamsSubstitute.eventStreamSerdeProvider()).toThrow(/event streams are not bundled/);
  });

  it('hand over node:http itself, not a copy', async () => {
    const http = await import('node:http');
    expect(httpSubstitute.default).toBe(http.default);
    expect(httpSubstitute.request).toBe(http.request);
    expect(httpSubstitute.Agent).toBe(http.Agent);
  });

  it('hand over the process object itself, not a copy: its env is the live one', () => {
    // The built-in module itself (jest gives test code a process object of its own).
    const builtin = process.getBuiltinModule('node:process');
    expect(processSubstitute.default).toBe(builtin);
    expect(processSubstitute.env).toBe(builtin.env);
    expect(processSubstitute.versions).toBe(builtin.versions);
    builtin.env.TOKEN_BROKER_SUBSTITUTE_PROBE = 'live';
    try {
      expect(processSubstitute.env.TOKEN_BROKER_SUBSTITUTE_PROBE).toBe('live');
    } finally {
      delete builtin.env.TOKEN_BROKER_SUBSTITUTE_PROBE;
    }
  });

  it('make esbuild refuse a bundle that imports a name the process substitute leaves out (stdin is built by the facade)', async () => {
    const dir = tree({ 'entry.mjs': "import { stdin } from 'node:process';\nexport const input = stdin;\n" });
    await expect(
      build({ ...esbuildOptionsOf(BUNDLING), entryPoints: [join(dir, 'entry.mjs')], outfile: join(dir, 'out.mjs'), write: false }),
    ).rejects.toThrow(/No matching export in "lambda\/bundle\/node-process\.ts" for import "stdin"/);
  });

  it('make esbuild refuse a bundle that imports a name the http substitute leaves out (WebSocket loads undici)', async () => {
    const dir = tree({ 'entry.mjs': "import { WebSocket } from 'node:http';\nexport const ws = WebSocket;\n" });
    await expect(
      build({ ...esbuildOptionsOf(BUNDLING), entryPoints: [join(dir, 'entry.mjs')], outfile: join(dir, 'out.mjs'), write: false }),
    ).rejects.toThrow(/No matching export in "lambda\/bundle\/node-http\.ts" for import "WebSocket"/);
  });
});

describe('the credential chain substitute (environment, then container credentials)', () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
  });
  const setEnv = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };

  it('reads the environment once and answers from memory until forced', async () => {
    setEnv({ AWS_ACCESS_KEY_ID: 'AKIDONE', AWS_SECRET_ACCESS_KEY: 'one', AWS_SESSION_TOKEN: 'token-one', AWS_CREDENTIAL_EXPIRATION: undefined });
    const provider = credentialSubstitute.defaultProvider();
    expect(await provider()).toMatchObject({ accessKeyId: 'AKIDONE', secretAccessKey: 'one', sessionToken: 'token-one' });
    setEnv({ AWS_ACCESS_KEY_ID: 'AKIDTWO', AWS_SECRET_ACCESS_KEY: 'two' });
    expect((await provider()).accessKeyId).toBe('AKIDONE');
    expect((await provider({ forceRefresh: true })).accessKeyId).toBe('AKIDTWO');
  });

  it('renews credentials within five minutes of their expiry, answering with the old ones while they are valid', async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    setEnv({ AWS_ACCESS_KEY_ID: 'AKIDOLD', AWS_SECRET_ACCESS_KEY: 'old', AWS_CREDENTIAL_EXPIRATION: soon });
    const provider = credentialSubstitute.defaultProvider();
    expect((await provider()).accessKeyId).toBe('AKIDOLD');
    setEnv({ AWS_ACCESS_KEY_ID: 'AKIDNEW', AWS_SECRET_ACCESS_KEY: 'new', AWS_CREDENTIAL_EXPIRATION: new Date(Date.now() + 3_600_000).toISOString() });
    // Still valid: the old ones now, the renewal in the background; the new ones next.
    expect((await provider()).accessKeyId).toBe('AKIDOLD');
    await new Promise((resolve) => setImmediate(resolve));
    expect((await provider()).accessKeyId).toBe('AKIDNEW');
    expect(credentialSubstitute.credentialsTreatedAsExpired({ accessKeyId: 'a', secretAccessKey: 'b', expiration: new Date(soon) })).toBe(true);
    expect(credentialSubstitute.credentialsWillNeedRefresh({ accessKeyId: 'a', secretAccessKey: 'b' })).toBe(false);
  });

  it('fails with the SDK\'s CredentialsProviderError when neither environment nor container credentials exist', async () => {
    setEnv({
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    });
    await expect(credentialSubstitute.defaultProvider()()).rejects.toMatchObject({ name: 'CredentialsProviderError' });
  });
});
