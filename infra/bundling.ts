// How the construct's three functions (the broker, the registration's rotation, the cookie keys'
// rotation) are built: one esbuild configuration, one runtime, and where each one's code comes from
// (bundled from lambda/ here, prebuilt in the installed package).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Architecture, Code, Runtime } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ALIASES, checkSubstitutes } from './substitutes.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** One esbuild configuration for every function (the broker and the rotation functions). */
export const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  // index.mjs.map, mappings only (no sources), is written beside index.mjs and deployed with it, but
  // never read at run time: --enable-source-maps would cost about a tenth of a cold start. A logged
  // stack is mapped afterwards with scripts/map-stack.ts (docs/performance.md).
  sourceMap: true,
  sourcesContent: false,
  // ESM entry points of dependencies first (Middy 7 is ESM-only).
  mainFields: ['module', 'main'],
  // The SDK is bundled rather than taken from the runtime: pinned versions and a faster cold start.
  bundleAwsSDK: true,
  // CommonJS dependencies inside an ESM bundle still call require().
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  // The local esbuild dev dependency; never Docker.
  forceDockerBundling: false,
  // The substitutes (infra/substitutes.ts): the SDK's credential chain cut to the environment and
  // container providers, no event-stream code, node:http and node:process without the ESM facades
  // that load undici and build the stdio streams (together about 128 KB and a fifth of the cold
  // start), and four parts of @smithy/core without code no Lambda function runs (the pure-JavaScript
  // SHA-256, adaptive retry, the browser stream mixin, the instance metadata region lookup: about
  // 10 KB of the bundle's 300,000 B budget; docs/performance.md).
  // Dependencies' legal comments go to index.mjs.LEGAL.txt beside the bundle, not into what loads.
  esbuildArgs: { '--alias': [...ALIASES], '--legal-comments': 'external' },
  // The build fails, loudly, when the SDK no longer matches what the substitutes replace.
  commandHooks: {
    beforeBundling: () => {
      checkSubstitutes();
      return [];
    },
    beforeInstall: () => [],
    afterBundling: () => [],
  },
};

/**
 * Where a function's code comes from. In this repository: bundled from lambda/ by NodejsFunction at
 * synthesis, with BUNDLING. In the installed package: prebuilt by `npm run build` (npm pack runs it)
 * with the same BUNDLING into dist/assets/<name>/, next to this module's compiled form, so a
 * consumer's synthesis needs no esbuild and none of the function's libraries, and deploys the very
 * bytes this repository tested (scripts/build-package.ts says more).
 */
export type PrebuiltFunction = 'handler' | 'rotation' | 'cookie-key-rotation';

/** Each function's entry point in lambda/. */
const ENTRY: Readonly<Record<PrebuiltFunction, string>> = {
  handler: fileURLToPath(new URL('../lambda/handler.ts', import.meta.url)),
  rotation: fileURLToPath(new URL('../lambda/rotation/registration-handler.ts', import.meta.url)),
  'cookie-key-rotation': fileURLToPath(new URL('../lambda/rotation/cookie-key-handler.ts', import.meta.url)),
};

/** The prebuilt bundle when the package ships one, else the entry point for NodejsFunction to bundle. */
export function codeOf(name: PrebuiltFunction): Pick<NodejsFunctionProps, 'entry' | 'code' | 'handler'> {
  const prebuilt = fileURLToPath(new URL(`../assets/${name}/`, import.meta.url));
  return existsSync(`${prebuilt}index.mjs`) ? { code: Code.fromAsset(prebuilt), handler: 'index.handler' } : { entry: ENTRY[name] };
}

/** What every function shares: Node 24 on arm64, the `handler` export, the bundling above. */
export const FUNCTION_DEFAULTS = {
  runtime: Runtime.NODEJS_24_X,
  architecture: Architecture.ARM_64,
  handler: 'handler',
  projectRoot: PROJECT_ROOT,
  depsLockFilePath: `${PROJECT_ROOT}package-lock.json`,
  bundling: BUNDLING,
} as const satisfies Partial<NodejsFunctionProps>;
