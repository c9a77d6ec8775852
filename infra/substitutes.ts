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
  /** Every name the substitute exports (test/infra/bundle.test.ts checks this list against the module). */
  readonly exports: readonly string[];
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

export const SUBSTITUTES: readonly Substitute[] = [
  CREDENTIAL_PROVIDER,
  EVENT_STREAMS,
  CHECKSUM,
  RETRY,
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
 * The SDK file whose resolveRetryConfig lambda/bundle/retry.ts copies without adaptive retry, and its
 * SHA-256: any change to it, at an SDK upgrade, is to be read and carried over (or the substitute dropped).
 */
const RETRY_CONFIGURATIONS = {
  file: 'dist-es/submodules/retry/middleware-retry/configurations.js',
  sha256: 'd68c25bcd3fae789b5bfad4f719741be92a76e9578fa9e5748a2ef62b9a424e2',
};

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
 * - an SDK client would use another copy of @smithy/core than the one lambda/bundle/retry.ts
 *   re-exports by path, or the SDK's resolveRetryConfig it copies has changed.
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
      problems.push(`${client} uses its own copy of @smithy/core (${smithyCore}): lambda/bundle/retry.ts re-exports the project's`);
    }
    const configurations = readFileSync(join(smithyCore, RETRY_CONFIGURATIONS.file));
    if (createHash('sha256').update(configurations).digest('hex') !== RETRY_CONFIGURATIONS.sha256) {
      problems.push(`@smithy/core's ${RETRY_CONFIGURATIONS.file} has changed: carry the change over to lambda/bundle/retry.ts and update its hash`);
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
