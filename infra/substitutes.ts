// The bundle's substitutes (lambda/bundle/), as esbuild aliases, and the check that keeps them
// honest: it runs when NodejsFunction bundles (BUNDLING's beforeBundling hook, infra/token-broker.ts)
// and fails the build, loudly, when the SDK no longer matches what a substitute replaces. Without it an
// SDK upgrade could leave an alias pointing at a package nobody imports any more (silently doing
// nothing) or hand the SDK a stand-in for an API it has changed.
// Why each substitute exists and how to remove them: docs/performance.md.

import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface Substitute {
  /** The import specifier esbuild replaces. */
  readonly replaces: string;
  /** The module that stands in for it, relative to the project root (esbuild runs there). */
  readonly module: string;
  /** Every name the substitute exports (test/infra/substitutes.test.ts checks this list against the module). */
  readonly exports: readonly string[];
  /**
   * Set when the substitute re-exports every name of the module it replaces (from the SDK's own files,
   * by path) and `exports` lists only those it defines itself, in the SDK's stead.
   */
  readonly reexportsAll?: true;
}

const CREDENTIAL_PROVIDER: Substitute = {
  replaces: '@aws-sdk/credential-provider-node',
  module: './lambda/bundle/credential-provider.ts',
  exports: ['credentialsTreatedAsExpired', 'credentialsWillNeedRefresh', 'defaultProvider'],
};

const HTTP_EXPORTS = [
  'Agent',
  'ClientRequest',
  'IncomingMessage',
  'METHODS',
  'OutgoingMessage',
  'STATUS_CODES',
  'Server',
  'ServerResponse',
  'createServer',
  'default',
  'get',
  'globalAgent',
  'maxHeaderSize',
  'request',
  'setMaxIdleHTTPParsers',
  'validateHeaderName',
  'validateHeaderValue',
];

const PROCESS_EXPORTS = ['default', 'env', 'versions'];

const EVENT_STREAMS: Substitute = {
  replaces: '@smithy/core/event-streams',
  module: './lambda/bundle/no-event-streams.ts',
  exports: ['EventStreamSerde', 'eventStreamSerdeProvider'],
};

/** The SDK's hashes: only Sha256 is imported by bundled code, and only Node's crypto is kept of it. */
const CHECKSUM: Substitute = {
  replaces: '@smithy/core/checksum',
  module: './lambda/bundle/sha256.ts',
  exports: ['Sha256'],
};

/** The SDK's retry configuration without adaptive retry (its rate limiter): the clients set "standard". */
const RETRY: Substitute = {
  replaces: '@smithy/core/retry',
  module: './lambda/bundle/retry.ts',
  exports: ['DEFAULT_RETRY_MODE', 'NODE_MAX_ATTEMPT_CONFIG_OPTIONS', 'NODE_RETRY_MODE_CONFIG_OPTIONS', 'RETRY_MODES', 'getRetryPlugin', 'resolveRetryConfig'],
};

/**
 * Two entry points re-exported whole, but for the names that reach code no Lambda function runs:
 * the browser branch of sdkStreamMixin, and the EC2 instance metadata region lookup.
 */
const SERDE: Substitute = {
  replaces: '@smithy/core/serde',
  module: './lambda/bundle/serde.ts',
  exports: ['sdkStreamMixin'],
  reexportsAll: true,
};
const CONFIG: Substitute = {
  replaces: '@smithy/core/config',
  module: './lambda/bundle/config.ts',
  exports: ['NODE_REGION_CONFIG_OPTIONS', 'resolveDefaultsModeConfig'],
  reexportsAll: true,
};

export const SUBSTITUTES: readonly Substitute[] = [
  CREDENTIAL_PROVIDER,
  EVENT_STREAMS,
  CHECKSUM,
  RETRY,
  SERDE,
  CONFIG,
  // Both spellings: bundled code imports `node:http` today, and may write `http` tomorrow.
  { replaces: 'node:http', module: './lambda/bundle/node-http.ts', exports: HTTP_EXPORTS },
  { replaces: 'http', module: './lambda/bundle/node-http.ts', exports: HTTP_EXPORTS },
  { replaces: 'node:process', module: './lambda/bundle/node-process.ts', exports: PROCESS_EXPORTS },
  { replaces: 'process', module: './lambda/bundle/node-process.ts', exports: PROCESS_EXPORTS },
];

/** The SDK clients the functions bundle: the packages whose credential chain is replaced. */
const SDK_CLIENTS = ['@aws-sdk/client-sso-oidc', '@aws-sdk/client-secrets-manager'];
/** The providers the credential substitute imports: pinned direct dependencies of this project. */
const KEPT_PROVIDERS = ['@aws-sdk/credential-provider-env', '@aws-sdk/credential-provider-http'];

/**
 * The SDK files whose functions the substitutes copy without a branch no Lambda function runs, with
 * their SHA-256: any change to one, at an SDK upgrade, is to be read and carried over to its
 * substitute (or the substitute dropped) before the hash is updated.
 */
const COPIED_FILES: readonly { readonly file: string; readonly sha256: string; readonly copiedBy: string }[] = [
  {
    file: 'dist-es/submodules/retry/middleware-retry/configurations.js',
    sha256: 'd68c25bcd3fae789b5bfad4f719741be92a76e9578fa9e5748a2ef62b9a424e2',
    copiedBy: 'lambda/bundle/retry.ts',
  },
  {
    file: 'dist-es/submodules/serde/util-stream/sdk-stream-mixin.js',
    sha256: 'c409e3da2f1bbed47c342a24fc8e69f75c73546fd579840374ab776d0343ca95',
    copiedBy: 'lambda/bundle/serde.ts',
  },
  {
    file: 'dist-es/submodules/config/config-resolver/regionConfig/config.js',
    sha256: '2831f2b499d882b9da1905360170465d24b08468c5f892b15631c45240d8088b',
    copiedBy: 'lambda/bundle/config.ts',
  },
  {
    file: 'dist-es/submodules/config/defaults-mode/resolveDefaultsModeConfig.js',
    sha256: '9be007b29bf82fc421dd3389c8d28881b606e69788e9d25642abc9e22c2e3d76',
    copiedBy: 'lambda/bundle/config.ts',
  },
];

/** esbuild `--alias` values ("from=to"), as NodejsFunction's esbuildArgs takes them. */
export const ALIASES: readonly string[] = SUBSTITUTES.map((s) => `${s.replaces}=${s.module}`);

export class SubstituteMismatch extends Error {
  constructor(problems: readonly string[]) {
    super(
      `The bundle's substitutes no longer match the AWS SDK (infra/substitutes.ts; docs/performance.md, ` +
        `"Removing the substitutes"):\n- ${problems.join('\n- ')}`,
    );
    this.name = 'SubstituteMismatch';
  }
}

/** The directory of an installed package, resolved from `from` as Node would. */
function packageDir(name: string, from: string): string {
  return dirname(createRequire(join(from, 'noop.js')).resolve(`${name}/package.json`));
}

/**
 * Throws SubstituteMismatch listing every problem, when:
 * - an SDK client no longer imports `defaultProvider` from @aws-sdk/credential-provider-node in its
 *   ESM runtime config (the alias would then do nothing, or replace something else);
 * - @aws-sdk/credential-provider-node's exports differ from the substitute's (a name gone, or a new one);
 * - the providers the substitute bundles are not the versions the SDK's own chain would use;
 * - an SDK client configures event streams (the stub for @smithy/core/event-streams would then be reached);
 * - node:http or node:process lacks a name its substitute re-exports;
 * - an SDK client would use another copy of @smithy/core than the one the substitutes re-export by
 *   path, or a function of the SDK's that a substitute copies has changed (COPIED_FILES).
 */
export function checkSubstitutes(root: string = PROJECT_ROOT): void {
  const problems: string[] = [];
  for (const client of SDK_CLIENTS) {
    const clientDir = packageDir(client, root);
    const runtimeConfig = readFileSync(join(clientDir, 'dist-es/runtimeConfig.js'), 'utf8');
    if (!/import\s*\{\s*defaultProvider\b[^}]*\}\s*from\s*["']@aws-sdk\/credential-provider-node["']/.test(runtimeConfig)) {
      problems.push(`${client} no longer imports defaultProvider from @aws-sdk/credential-provider-node (dist-es/runtimeConfig.js)`);
    }
    // A client with an event-stream operation configures a marshaller for it in its runtime config.
    const runtimeConfigShared = readFileSync(join(clientDir, 'dist-es/runtimeConfig.shared.js'), 'utf8');
    if (/event-?stream/i.test(runtimeConfig + runtimeConfigShared)) {
      problems.push(`${client} configures event streams (dist-es/runtimeConfig*.js): ${EVENT_STREAMS.replaces} cannot be left out`);
    }
    const chainDir = packageDir(CREDENTIAL_PROVIDER.replaces, clientDir);
    const real = Object.keys(createRequire(join(chainDir, 'package.json'))(chainDir) as object)
      .filter((name) => name !== '__esModule')
      .sort();
    const ours = [...CREDENTIAL_PROVIDER.exports].sort();
    if (JSON.stringify(real) !== JSON.stringify(ours)) {
      problems.push(`${CREDENTIAL_PROVIDER.replaces} (for ${client}) exports [${real.join(', ')}], the substitute [${ours.join(', ')}]`);
    }
    const smithyCore = packageDir('@smithy/core', clientDir);
    if (smithyCore !== packageDir('@smithy/core', root)) {
      problems.push(`${client} uses its own copy of @smithy/core (${smithyCore}): the substitutes re-export the project's`);
    }
    for (const { file, sha256, copiedBy } of COPIED_FILES) {
      if (createHash('sha256').update(readFileSync(join(smithyCore, file))).digest('hex') !== sha256) {
        problems.push(`@smithy/core's ${file} has changed: carry the change over to ${copiedBy} and update its hash`);
      }
    }
    for (const provider of KEPT_PROVIDERS) {
      const sdkCopy = packageDir(provider, chainDir);
      const ourCopy = packageDir(provider, root);
      if (sdkCopy !== ourCopy) {
        const version = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
        problems.push(`${provider}: the SDK's chain uses ${version(sdkCopy)}, the substitute ${version(ourCopy)}: pin ${version(sdkCopy)} in package.json`);
      }
    }
  }
  for (const [builtin, names] of [['node:http', HTTP_EXPORTS], ['node:process', PROCESS_EXPORTS]] as const) {
    const module = createRequire(join(root, 'noop.js'))(builtin) as Record<string, unknown>;
    const missing = names.filter((name) => name !== 'default' && !(name in module));
    if (missing.length > 0) problems.push(`${builtin} no longer exports ${missing.join(', ')}`);
  }
  if (problems.length > 0) throw new SubstituteMismatch([...new Set(problems)]);
}
