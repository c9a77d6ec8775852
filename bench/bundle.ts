// The artifacts the benchmark runs: the broker's index.mjs exactly as CDK ships it (synthesized with
// the real NodejsFunction bundling), and a baseline function bundled with the same esbuild options.
// Also the bundle's composition by package, from an esbuild metafile of a rebuild with those options,
// checked to be byte-identical to the shipped artifact so that the analysis is of what ships.

import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { BUNDLING } from '../infra/token-broker.js';
import { synthesize } from '../test/infra/synth.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BROKER_ENTRY = join(ROOT, 'lambda/handler.ts');
const BASELINE_ENTRY = fileURLToPath(new URL('./baseline/handler.ts', import.meta.url));
const DIRECT_ENTRY = fileURLToPath(new URL('./baseline/direct.ts', import.meta.url));
const SLOWED_ENTRY = fileURLToPath(new URL('./what-if/slowed.ts', import.meta.url));

/**
 * The esbuild options NodejsFunction derives from infra/bundling.ts's BUNDLING (it turns them into
 * these CLI flags: aws-cdk-lib/aws-lambda-nodejs/lib/bundling.js). An option this does not translate
 * fails here rather than being ignored, and `composition()` checks that the result reproduces the
 * shipped artifact byte for byte.
 */
export function esbuildOptionsOf(bundling: BundlingOptions): BuildOptions {
  const translated = new Set([
    'format',
    'target',
    'minify',
    'sourceMap',
    'sourcesContent',
    'mainFields',
    'banner',
    'bundleAwsSDK',
    'forceDockerBundling',
    'esbuildArgs',
    'commandHooks',
  ]);
  const unknown = Object.keys(bundling).filter((key) => !translated.has(key));
  const { '--alias': aliasArgs, '--legal-comments': legalComments, ...otherArgs } = bundling.esbuildArgs ?? {};
  if (legalComments !== undefined && !['none', 'inline', 'eof', 'linked', 'external'].includes(String(legalComments))) {
    throw new Error(`bench/bundle.ts cannot read --legal-comments=${String(legalComments)}`);
  }
  unknown.push(...Object.keys(otherArgs).map((key) => `esbuildArgs ${key}`));
  if (unknown.length > 0) throw new Error(`bench/bundle.ts does not translate the bundling option(s) ${unknown.join(', ')}`);
  if (bundling.bundleAwsSDK !== true) throw new Error('the benchmark expects the SDK bundled (bundleAwsSDK: true)');
  // Hooks may check things (the substitutes' check throws, as it fails the real build) but must not
  // add shell commands, which a rebuild here would not run.
  const hooks = bundling.commandHooks;
  const commands = hooks === undefined ? [] : [...hooks.beforeInstall('', ''), ...hooks.beforeBundling('', ''), ...hooks.afterBundling('', '')];
  if (commands.length > 0) throw new Error(`bench/bundle.ts cannot run the bundling hooks' commands: ${commands.join('; ')}`);
  // `--alias` items are "from=to", as NodejsFunction passes them (`--alias:from=to`).
  const aliases = (typeof aliasArgs === 'string' ? [aliasArgs] : Array.isArray(aliasArgs) ? aliasArgs : []).map((item) => {
    const at = item.indexOf('=');
    if (at < 1) throw new Error(`bench/bundle.ts cannot read the --alias "${item}"`);
    return [item.slice(0, at), item.slice(at + 1)] as const;
  });
  return {
    bundle: true,
    platform: 'node',
    // NodejsFunction runs esbuild in the project root: relative paths (aliases) resolve from there.
    absWorkingDir: ROOT,
    ...(aliases.length === 0 ? {} : { alias: Object.fromEntries(aliases) }),
    ...(legalComments === undefined ? {} : { legalComments: String(legalComments) as BuildOptions['legalComments'] }),
    ...(bundling.target === undefined ? {} : { target: bundling.target }),
    ...(bundling.format === undefined ? {} : { format: bundling.format === OutputFormat.ESM ? 'esm' : 'cjs' }),
    ...(bundling.minify ? { minify: true } : {}),
    ...(bundling.sourceMap ? { sourcemap: true } : {}),
    ...(bundling.sourcesContent === false ? { sourcesContent: false } : {}),
    ...(bundling.mainFields === undefined ? {} : { mainFields: [...bundling.mainFields] }),
    ...(bundling.banner === undefined ? {} : { banner: { js: bundling.banner } }),
    logLevel: 'error',
  };
}

export const SHIPPED_ESBUILD_OPTIONS: BuildOptions = esbuildOptionsOf(BUNDLING);

export interface Artifact {
  /** index.mjs */
  readonly path: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  readonly sourceMapBytes: number;
}

export interface ShippedBundle extends Artifact {
  /** The function's settings in the synthesized template. */
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly runtime: string;
  readonly architecture: string;
  /** The template's literal environment variables (deploy-time references left out). */
  readonly environment: Readonly<Record<string, string>>;
  readonly dispose: () => void;
}

function artifact(path: string): Artifact {
  let sourceMapBytes = 0;
  try {
    sourceMapBytes = statSync(`${path}.map`).size;
  } catch {
    // no map
  }
  return { path, bytes: statSync(path).size, gzipBytes: gzipSync(readFileSync(path), { level: 9 }).length, sourceMapBytes };
}

/** Synthesizes the app with bundling, as `cdk synth` does, and finds the broker function's index.mjs (as test/infra/support/bundle.ts does). */
export function shippedBundle(): ShippedBundle {
  const synthesis = synthesize({}, { bundle: true });
  // The broker's function (the stack has others, e.g. the rotation function).
  const resource = synthesis.json.Resources[synthesis.logicalId(synthesis.stack.broker.function)];
  if (resource?.Type !== 'AWS::Lambda::Function') throw new Error('the synthesized template has no broker function');
  const fn = resource.Properties as Record<string, any>;
  const path = join(synthesis.outdir, `asset.${String(fn.Code.S3Key).replace(/\.zip$/, '')}`, 'index.mjs');
  const environment = Object.fromEntries(
    Object.entries((fn.Environment?.Variables ?? {}) as Record<string, unknown>).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
  return {
    ...artifact(path),
    memorySize: Number(fn.MemorySize),
    timeoutSeconds: Number(fn.Timeout),
    runtime: String(fn.Runtime),
    architecture: String(fn.Architectures?.[0] ?? 'x86_64'),
    environment,
    dispose: synthesis.dispose,
  };
}

/** An entry point bundled with the shipped options (substitutes included) into `outdir`/index.mjs. */
async function shippedOptionsBundle(entry: string, outdir: string): Promise<Artifact> {
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  await build({ ...SHIPPED_ESBUILD_OPTIONS, entryPoints: [entry], outfile });
  return artifact(outfile);
}

/** The baseline function (bench/baseline/handler.ts), bundled as the broker is. */
export const baselineBundle = (outdir: string): Promise<Artifact> => shippedOptionsBundle(BASELINE_ENTRY, outdir);

/** The direct calls every route family is compared with (bench/baseline/direct.ts), bundled as the broker is. */
export const directBundle = (outdir: string): Promise<Artifact> => shippedOptionsBundle(DIRECT_ENTRY, outdir);

/**
 * The broker made deliberately slower (bench/what-if/slowed.ts, never shipped): what test/bench runs
 * in the broker's place to show that the targets read a slower broker as missed.
 */
export const slowedBundle = (outdir: string): Promise<Artifact> => shippedOptionsBundle(SLOWED_ENTRY, outdir);

/**
 * What-if builds of the broker (never shipped): lambda/handler.ts bundled with the shipped options,
 * some of its imports replaced by stand-ins in bench/what-if/, to measure what the code they replace
 * costs. Each answers POST /token as the broker does.
 *   withoutFrontDoor    the front door and token handler modules left out
 *   handBuiltTelemetry  Powertools (Logger, Metrics, Parameters) replaced by hand-written code with
 *                       the same output
 *   neither             both
 */
export const WHAT_IF = {
  withoutFrontDoor: { frontDoor: false, powertools: true, label: 'without the front door and token handler' },
  handBuiltTelemetry: { frontDoor: true, powertools: false, label: 'Powertools replaced by hand-built telemetry' },
  neither: { frontDoor: false, powertools: false, label: 'without both' },
} as const;
export const WHAT_IFS = Object.keys(WHAT_IF) as WhatIf[];
export type WhatIf = keyof typeof WHAT_IF;

const FRONT_DOOR_MODULES =
  /\/lambda\/(surfaces\/oauth\/index|surfaces\/bff\/index|surfaces\/bff\/cookies|core\/cookie-keys|core\/api-proxy|core\/session-grants|core\/sign-in)\.js$/;
/** How many of them lambda/handler.ts imports: a change to its imports must not quietly leave the code in. */
const FRONT_DOOR_MODULE_COUNT = 7;
/** The Powertools modules the broker's code imports (Logger, Metrics). */
const POWERTOOLS_MODULE_COUNT = 2;
const POWERTOOLS = /^@aws-lambda-powertools\/(logger|metrics)$/;

export async function whatIfBundle(whatIf: WhatIf, outdir: string): Promise<Artifact> {
  const { frontDoor, powertools } = WHAT_IF[whatIf];
  const standIn = (file: string) => ({ path: fileURLToPath(new URL(`./what-if/${file}`, import.meta.url)) });
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  const replaced = new Set<string>();
  await build({
    ...SHIPPED_ESBUILD_OPTIONS,
    entryPoints: [BROKER_ENTRY],
    outfile,
    plugins: [
      {
        name: 'what-if',
        setup(on) {
          on.onResolve({ filter: /.*/ }, (args) => {
            if (!frontDoor && args.importer.endsWith('/lambda/handler.ts') && FRONT_DOOR_MODULES.test(join(args.resolveDir, args.path))) {
              replaced.add(args.path);
              return standIn('without-front-door.ts');
            }
            if (!powertools && POWERTOOLS.test(args.path) && args.importer.includes('/lambda/')) {
              replaced.add(args.path);
              return standIn('hand-built-telemetry.ts');
            }
            return undefined;
          });
        },
      },
    ],
  });
  // Every module each: a change to the handler's imports must not quietly leave the code in.
  const expected = (frontDoor ? 0 : FRONT_DOOR_MODULE_COUNT) + (powertools ? 0 : POWERTOOLS_MODULE_COUNT);
  if (replaced.size !== expected) throw new Error(`what-if ${whatIf}: replaced ${[...replaced].join(', ')}; expected ${expected} modules`);
  return artifact(outfile);
}

/**
 * The baseline function as a team would deploy it without this project: CDK's NodejsFunction with
 * its default bundling for nodejs24.x (CommonJS, the AWS SDK left out for the runtime to provide, not
 * minified, no source map), synthesized with the real construct and its local esbuild into `outdir`.
 * The SDK is then loaded from this project's node_modules, standing in for the runtime's copy
 * (run it with NODE_PATH=SDK_NODE_PATH, as Lambda's NODE_PATH points at /var/runtime/node_modules).
 */
export function defaultsBaselineBundle(outdir: string): Artifact {
  const cdkOut = mkdtempSync(join(tmpdir(), 'token-broker-bench-defaults-'));
  try {
    const app = new App({ outdir: cdkOut });
    const stack = new Stack(app, 'NaiveBroker');
    const fn = new NodejsFunction(stack, 'Naive', {
      entry: BASELINE_ENTRY,
      handler: 'handler',
      runtime: Runtime.NODEJS_24_X,
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
    });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, { Properties?: Record<string, any> }> };
    const key = String(template.Resources[stack.resolve((fn.node.defaultChild as unknown as { logicalId: string }).logicalId) as string]?.Properties?.Code?.S3Key ?? '');
    const asset = join(cdkOut, `asset.${key.replace(/\.zip$/, '')}`);
    const files = readdirSync(asset);
    if (files.join() !== 'index.js') throw new Error(`NodejsFunction's default bundling wrote ${files.join(', ')}, not one CommonJS index.js`);
    mkdirSync(outdir, { recursive: true });
    cpSync(join(asset, 'index.js'), join(outdir, 'index.js'));
    return artifact(join(outdir, 'index.js'));
  } finally {
    rmSync(cdkOut, { recursive: true, force: true });
  }
}

/** Where the defaults baseline finds the SDK it leaves out (NODE_PATH), as Lambda's runtime provides it. */
export const SDK_NODE_PATH = join(ROOT, 'node_modules');

export interface PackageWeight {
  readonly name: string;
  readonly bytes: number;
  /** Share of the bundle's bytes, 0..1. */
  readonly share: number;
}

export interface Composition {
  /** True when the rebuild with SHIPPED_ESBUILD_OPTIONS is byte-identical to the shipped index.mjs. */
  readonly identicalToShipped: boolean;
  readonly bytes: number;
  readonly inputs: number;
  /** Bytes in the output by package (the broker's own code is "lambda/ (broker code)"), largest first. */
  readonly packages: readonly PackageWeight[];
  /** The same, by family: AWS SDK (@aws-sdk, @smithy, @aws), Powertools, Middy, broker code, other. */
  readonly families: readonly PackageWeight[];
  /** Packages only the SDK's default credential chain needs (never used in Lambda, where credentials are env vars). */
  readonly credentialChain: { readonly packages: readonly string[]; readonly bytes: number };
}

/** The package a bundled input belongs to: the last node_modules segment, or the broker's own folder. */
export function packageOf(input: string): string {
  const matches = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/g);
  if (matches !== null) return matches[matches.length - 1]!.replace('node_modules/', '');
  if (input.startsWith('lambda/')) return 'lambda/ (broker code)';
  return input;
}

export function familyOf(pkg: string): string {
  if (/^@(aws-sdk|smithy|aws)\//.test(pkg)) return 'AWS SDK v3 (@aws-sdk, @smithy)';
  if (pkg.startsWith('@aws-lambda-powertools/')) return 'Powertools (logger, metrics, commons)';
  if (pkg.startsWith('@middy/')) return 'Middy';
  if (pkg.startsWith('lambda/')) return 'broker code (lambda/)';
  return 'other';
}

/** Reached from @aws-sdk/credential-provider-node's chain only (profiles, SSO, web identity, IMDS, ECS, process). */
const CREDENTIAL_CHAIN = /^@aws-sdk\/(credential-provider-(?!env$).+|nested-clients|token-providers)$|^@smithy\/credential-provider-imds$/;

function weigh(byName: Map<string, number>, total: number): PackageWeight[] {
  return [...byName]
    .map(([name, bytes]) => ({ name, bytes, share: bytes / total }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** Rebuilds the broker with the shipped options and a metafile, into `outdir`, and weighs it by package. */
export async function composition(shipped: Artifact, outdir: string): Promise<Composition> {
  mkdirSync(outdir, { recursive: true });
  const outfile = join(outdir, 'index.mjs');
  const result = await build({ ...SHIPPED_ESBUILD_OPTIONS, entryPoints: [BROKER_ENTRY], outfile, metafile: true });
  const metafile = result.metafile as Metafile;
  writeFileSync(join(outdir, 'meta.json'), JSON.stringify(metafile));
  const output = Object.values(metafile.outputs).find((out) => out.entryPoint !== undefined);
  if (output === undefined) throw new Error('esbuild wrote no entry point output');
  const bytes = statSync(outfile).size;
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(input);
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  const byFamily = new Map<string, number>();
  for (const [name, size] of byPackage) byFamily.set(familyOf(name), (byFamily.get(familyOf(name)) ?? 0) + size);
  const chain = [...byPackage].filter(([name]) => CREDENTIAL_CHAIN.test(name));
  return {
    identicalToShipped: readFileSync(outfile).equals(readFileSync(shipped.path)),
    bytes,
    inputs: Object.keys(output.inputs).length,
    packages: weigh(byPackage, bytes),
    families: weigh(byFamily, bytes),
    credentialChain: { packages: chain.map(([name]) => name).sort(), bytes: chain.reduce((sum, [, size]) => sum + size, 0) },
  };
}
