// The substitutes that trim the SDK's own code (lambda/bundle/sha256.ts for @smithy/core/checksum,
// retry.ts, serde.ts and config.ts for @smithy/core/retry, /serde and /config): each does what the
// SDK's code does on Lambda, checked against the SDK itself, and esbuild refuses a bundle that needs a
// name they leave out. The last three re-export the SDK's dist-es files by path, which only a bundle
// can load, so they are exercised as bundled (the broker's own esbuild options, its aliases
// included) in a Node process.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { build } from 'esbuild';
import { Sha256 as SdkSha256 } from '@smithy/core/checksum';
import { resolveRetryConfig as sdkResolveRetryConfig } from '@smithy/core/retry';
import { BUNDLING } from '../../infra/token-broker.js';
import { SUBSTITUTES } from '../../infra/substitutes.js';
import { Sha256 } from '../../lambda/bundle/sha256.js';
import { esbuildOptionsOf } from '../../bench/bundle.js';
import { ROOT } from './synth.js';

const dir = mkdtempSync(join(tmpdir(), 'sdk-substitutes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Bundles `source` as the broker is bundled and returns the output's path and its exports. */
async function bundle(name: string, source: string): Promise<{ file: string; exports: string[] }> {
  const entry = join(dir, `${name}.mjs`);
  const file = join(dir, `${name}.out.mjs`);
  writeFileSync(entry, source);
  const result = await build({ ...esbuildOptionsOf(BUNDLING), entryPoints: [entry], outfile: file, metafile: true, sourcemap: false, nodePaths: [join(ROOT, 'node_modules')] });
  return { file, exports: result.metafile.outputs[Object.keys(result.metafile.outputs).find((out) => out.endsWith('.out.mjs'))!]!.exports };
}

const run = (file: string, env: Record<string, string> = {}): unknown =>
  JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } }));

/** The names a module exports, bundled with the broker's aliases or without them (the SDK's own). */
async function exportsOf(specifier: string, aliased: boolean): Promise<string[]> {
  const { alias, ...options } = esbuildOptionsOf(BUNDLING);
  const entry = join(dir, `names-${aliased}-${specifier.replace(/\W/g, '_')}.mjs`);
  writeFileSync(entry, `export * from '${specifier}';\n`);
  const result = await build({ ...options, ...(aliased ? { alias } : {}), entryPoints: [entry], outdir: join(dir, `out-${aliased}`), metafile: true, sourcemap: false, write: false, nodePaths: [join(ROOT, 'node_modules')] });
  return Object.values(result.metafile.outputs).find((out) => out.entryPoint !== undefined)!.exports.sort();
}

const listed = (replaces: string) => [...SUBSTITUTES.find((s) => s.replaces === replaces)!.exports].sort();

describe('the checksum substitute (Sha256 on Node crypto alone)', () => {
  const hex = async (hash: { digest(): Promise<Uint8Array> }) => Buffer.from(await hash.digest()).toString('hex');
  const inputs = ['', 'GET\n/\n\nhost:example.com', new Uint8Array([0, 1, 2, 250, 255]), new Uint8Array(Buffer.from('xxpayloadxx')).subarray(2, 9)];

  it('digests and HMACs as the SDK does, for strings and byte views (with offsets)', async () => {
    for (const secret of [undefined, 'AWS4secret', new Uint8Array([9, 8, 7])]) {
      for (const input of inputs) {
        const ours = new Sha256(secret);
        const sdks = new SdkSha256(secret);
        ours.update(input);
        // The SDK's Checksum type names Uint8Array; its Node class takes what Node's hash takes.
        sdks.update(input as Uint8Array);
        expect(await hex(ours)).toBe(await hex(sdks));
      }
    }
    expect(await hex(new Sha256())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('keeps hashing after a plain digest, refuses updates after an HMAC digest until reset', async () => {
    const plain = new Sha256();
    plain.update('ab');
    await plain.digest();
    plain.update('c');
    const whole = new SdkSha256();
    whole.update('abc' as never);
    expect(await hex(plain)).toBe(await hex(whole));
    const hmac = new Sha256('key');
    hmac.update('a');
    await hmac.digest();
    expect(() => hmac.update('b')).toThrow('Attempted to update an already finished hash.');
    hmac.reset();
    hmac.update('a');
    const sdk = new SdkSha256('key');
    sdk.update('a' as never);
    expect(await hex(hmac)).toBe(await hex(sdk));
  });

  it('exports exactly what infra/substitutes.ts lists, and esbuild refuses a bundle that needs another name', async () => {
    expect((await bundle('checksum-names', "export * from '@smithy/core/checksum';\n")).exports.sort()).toEqual(listed('@smithy/core/checksum'));
    await expect(bundle('crc', "import { Crc32 } from '@smithy/core/checksum';\nexport const crc = Crc32;\n")).rejects.toThrow(
      /No matching export in "lambda\/bundle\/sha256\.ts" for import "Crc32"/,
    );
  });
});

describe('the retry substitute (standard retry only)', () => {
  it('exports exactly what infra/substitutes.ts lists', async () => {
    expect((await bundle('retry-names', "export * from '@smithy/core/retry';\n")).exports.sort()).toEqual(listed('@smithy/core/retry'));
  });

  it('resolves the retry configuration as the SDK does in standard mode, and refuses adaptive mode loudly', async () => {
    const probe = `import { resolveRetryConfig } from '@smithy/core/retry';
const describe = async (config) => {
  try {
    const strategy = await config.retryStrategy();
    return { name: strategy.constructor.name, mode: strategy.mode, maxAttempts: await config.maxAttempts(), sameStrategy: strategy === (await config.retryStrategy()) };
  } catch (error) {
    return { error: error.message };
  }
};
process.stdout.write(JSON.stringify({
  one: await describe(resolveRetryConfig({ retryMode: 'standard', maxAttempts: 1 })),
  defaults: await describe(resolveRetryConfig({ retryMode: async () => 'standard' })),
  adaptive: await describe(resolveRetryConfig({ retryMode: 'adaptive', maxAttempts: 1 })),
}));
`;
    const answers = run((await bundle('retry-probe', probe)).file) as Record<string, Record<string, unknown>>;
    const sdk = async (config: ReturnType<typeof sdkResolveRetryConfig>) => {
      const strategy = (await config.retryStrategy()) as { mode?: string };
      return { mode: strategy.mode, maxAttempts: await config.maxAttempts(), sameStrategy: strategy === (await config.retryStrategy()) };
    };
    expect(answers.one).toMatchObject(await sdk(sdkResolveRetryConfig({ retryMode: 'standard', maxAttempts: 1 })));
    expect(answers.one).toMatchObject({ mode: 'standard', maxAttempts: 1, sameStrategy: true });
    expect(answers.defaults).toMatchObject(await sdk(sdkResolveRetryConfig({ retryMode: async () => 'standard' })));
    expect(answers.defaults).toMatchObject({ maxAttempts: 3 });
    expect(answers.adaptive).toEqual({ error: expect.stringMatching(/^adaptive retry is not bundled \(lambda\/bundle\/retry\.ts\)/) });
  });

  it('leave the pure-JavaScript SHA-256 and the adaptive rate limiter out of a client\'s bundle', async () => {
    const { file } = await bundle('retry-client', "import { SSOOIDCClient } from '@aws-sdk/client-sso-oidc';\nexport const client = new SSOOIDCClient({ region: 'eu-west-1' });\n");
    const code = readFileSync(file, 'utf8');
    expect(code).toContain('Attempted to update an already finished hash.');
    // The SHA-256 round constant 0x428a2f98 (Sha256Js's table); the rate limiter's own fields.
    expect(code).not.toMatch(/1116352408|0x428a2f98/i);
    expect(code).not.toMatch(/measuredTxRate|fillRate/);
  });
});

describe('the serde and config substitutes (the SDK entry points whole, but for code no Lambda function runs)', () => {
  it.each(['@smithy/core/serde', '@smithy/core/config'])('%s: every name of the SDK\'s, and the ones infra/substitutes.ts lists are its own', async (specifier) => {
    expect(await exportsOf(specifier, true)).toEqual(await exportsOf(specifier, false));
    const substitute = SUBSTITUTES.find((s) => s.replaces === specifier)!;
    expect(substitute.reexportsAll).toBe(true);
    const source = readFileSync(join(ROOT, substitute.module), 'utf8');
    for (const name of substitute.exports) expect(source).toMatch(new RegExp(`^export const ${name}\\b`, 'm'));
  });

  it("sdkStreamMixin reads a Node stream as the SDK's does, once, and refuses a web stream with the SDK's message", async () => {
    const probe = `import { Readable } from 'node:stream';
import { sdkStreamMixin } from '@smithy/core/serde';
const text = await sdkStreamMixin(Readable.from([Buffer.from('caf'), Buffer.from('\u00e9 ok')])).transformToString();
const latin1 = await sdkStreamMixin(Readable.from([Buffer.from([0xe9])])).transformToString('latin1');
const once = sdkStreamMixin(Readable.from([Buffer.from('x')]));
const bytes = [...(await once.transformToByteArray())];
const again = await once.transformToByteArray().then(() => 'read twice', (error) => error.message);
let web;
try { sdkStreamMixin(new ReadableStream()); web = 'accepted'; } catch (error) { web = error.message; }
process.stdout.write(JSON.stringify({ text, latin1, bytes, again, web }));
`;
    const answers = run((await bundle('serde-probe', probe)).file) as Record<string, unknown>;
    const { sdkStreamMixin } = await import('@smithy/core/serde');
    const { Readable } = await import('node:stream');
    expect(answers).toEqual({
      text: await sdkStreamMixin(Readable.from([Buffer.from('caf'), Buffer.from('\u00e9 ok')])).transformToString(),
      latin1: 'é',
      bytes: [120],
      again: 'The stream has already been transformed.',
      web: 'Unexpected stream implementation, expect Stream.Readable instance, got ReadableStream',
    });
  });

  it('takes the region from AWS_REGION, and resolves defaults modes as the SDK does where Lambda names the region', async () => {
    const probe = `import { loadConfig, NODE_REGION_CONFIG_OPTIONS, resolveDefaultsModeConfig } from '@smithy/core/config';
const mode = (options) => resolveDefaultsModeConfig(options)().then((value) => value, (error) => 'error: ' + error.message);
process.stdout.write(JSON.stringify({
  region: await loadConfig(NODE_REGION_CONFIG_OPTIONS)(),
  fromFile: NODE_REGION_CONFIG_OPTIONS.configFileSelector({ region: 'ap-south-1' }),
  missing: await NODE_REGION_CONFIG_OPTIONS.default().then(() => 'found', (error) => error.message),
  legacy: await mode({ region: 'eu-west-1', defaultsMode: async () => undefined }),
  standard: await mode({ region: 'eu-west-1', defaultsMode: 'standard' }),
  inRegion: await mode({ region: 'eu-west-1', defaultsMode: 'auto' }),
  crossRegion: await mode({ region: 'us-east-1', defaultsMode: 'auto' }),
  invalid: await mode({ region: 'eu-west-1', defaultsMode: 'fast' }),
}));
`;
    const lambda = { AWS_REGION: 'eu-west-1', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x', HOME: dir };
    const answers = run((await bundle('config-probe', probe)).file, lambda) as Record<string, string>;
    expect(answers).toEqual({
      region: 'eu-west-1',
      fromFile: 'ap-south-1',
      missing: 'Region is missing',
      legacy: 'legacy',
      standard: 'standard',
      inRegion: 'in-region',
      crossRegion: 'cross-region',
      invalid: expect.stringMatching(/^error: Invalid parameter for "defaultsMode", expect in-region, cross-region, mobile, standard, legacy, got fast$/),
    });
    // The SDK's own, in the same environment, answers alike.
    const { resolveDefaultsModeConfig } = await import('@smithy/core/config');
    const saved = { ...process.env };
    Object.assign(process.env, lambda);
    try {
      expect(await resolveDefaultsModeConfig({ region: 'eu-west-1', defaultsMode: 'auto' })()).toBe(answers.inRegion);
      expect(await resolveDefaultsModeConfig({ region: 'us-east-1', defaultsMode: 'auto' })()).toBe(answers.crossRegion);
      expect(await resolveDefaultsModeConfig({ region: 'eu-west-1', defaultsMode: async () => undefined as never })()).toBe(answers.legacy);
    } finally {
      for (const name of Object.keys(lambda)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it("asks no instance metadata service outside Lambda: defaults mode auto resolves as the SDK's does when the lookup finds nothing", async () => {
    const probe = `import { resolveDefaultsModeConfig } from '@smithy/core/config';
process.stdout.write(JSON.stringify(await resolveDefaultsModeConfig({ region: 'eu-west-1', defaultsMode: 'auto' })()));
`;
    // No AWS_EXECUTION_ENV, and an instance metadata endpoint that nothing listens on: the SDK's would
    // try it (and find nothing); the substitute does not look.
    expect(run((await bundle('config-auto', probe)).file, { AWS_REGION: 'eu-west-1', AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9' })).toBe('standard');
  });
});
