// The substitutes that trim the SDK's own code (lambda/bundle/sha256.ts for @smithy/core/checksum,
// lambda/bundle/retry.ts for @smithy/core/retry): each does what the SDK's code does on Node, checked
// against the SDK itself, and esbuild refuses a bundle that needs a name they leave out. The retry
// substitute re-exports the SDK's dist-es files by path, which only a bundle can load, so it is
// exercised as bundled (the broker's own esbuild options, its aliases included) in a Node process.

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

const run = (file: string): unknown => JSON.parse(execFileSync(process.execPath, [file], { encoding: 'utf8', env: { PATH: process.env.PATH } }));

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
