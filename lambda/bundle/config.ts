// Stands in for `@smithy/core/config` in the bundle (esbuild alias, infra/substitutes.ts). Everything
// bundled code imports from it is the SDK's own, re-exported from the same files, except the two
// names that reach the EC2 instance metadata service for a region: NODE_REGION_CONFIG_OPTIONS (its
// default, when neither AWS_REGION nor a config file names one) and resolveDefaultsModeConfig (in
// defaults mode "auto", to compare the client's region with the machine's). On Lambda AWS_REGION and
// AWS_EXECUTION_ENV are always set, so the SDK never asks; outside it (npm start, the tests) nothing
// sets AWS_DEFAULTS_MODE=auto. These are the SDK's two without the lookup (about 1.2 KB with its
// HTTP client): a region that is missing fails as the SDK fails when the lookup finds none, and
// "auto" outside Lambda resolves as the SDK resolves it when the lookup finds none ("standard"). The
// build checks that the SDK's files are unchanged (infra/substitutes.ts).

// The SDK's own files, by path: the alias would turn `@smithy/core/config` back into this module.
// dist-es has no declarations beside them (they are in dist-types).
// @ts-expect-error see above
export * from '../../node_modules/@smithy/core/dist-es/submodules/config/index.js';
// @ts-expect-error see above
import { loadConfig, memoize } from '../../node_modules/@smithy/core/dist-es/submodules/config/index.js';
// @ts-expect-error see above
import { NODE_DEFAULTS_MODE_CONFIG_OPTIONS } from '../../node_modules/@smithy/core/dist-es/submodules/config/defaults-mode/defaultsModeConfig.js';
// @ts-expect-error see above
import { AWS_DEFAULT_REGION_ENV, AWS_EXECUTION_ENV, AWS_REGION_ENV, DEFAULTS_MODE_OPTIONS } from '../../node_modules/@smithy/core/dist-es/submodules/config/defaults-mode/constants.js';

type Provider<T> = () => Promise<T>;
const load = loadConfig as <T>(options: object) => Provider<T>;

/** The SDK's, with the region from AWS_REGION or a config file only. */
export const NODE_REGION_CONFIG_OPTIONS = {
  environmentVariableSelector: (env: Record<string, string | undefined>) => env.AWS_REGION,
  configFileSelector: (profile: Record<string, string | undefined>) => profile.region,
  default: async (): Promise<string> => {
    throw new Error('Region is missing');
  },
};

/** The SDK's; "auto" compares with the machine's region only where Lambda names it. */
export const resolveDefaultsModeConfig = ({
  region = load<string>(NODE_REGION_CONFIG_OPTIONS),
  defaultsMode = load<string>(NODE_DEFAULTS_MODE_CONFIG_OPTIONS),
}: { region?: string | Provider<string>; defaultsMode?: string | Provider<string | undefined> } = {}) =>
  (memoize as <T>(provider: Provider<T>) => Provider<T>)(async () => {
    const mode = typeof defaultsMode === 'function' ? await defaultsMode() : defaultsMode;
    switch (mode?.toLowerCase()) {
      case 'auto':
        return resolveNodeDefaultsModeAuto(region);
      case 'in-region':
      case 'cross-region':
      case 'mobile':
      case 'standard':
      case 'legacy':
        return Promise.resolve(mode?.toLocaleLowerCase());
      case undefined:
        return Promise.resolve('legacy');
      default:
        throw new Error(`Invalid parameter for "defaultsMode", expect ${(DEFAULTS_MODE_OPTIONS as string[]).join(', ')}, got ${mode}`);
    }
  });

const resolveNodeDefaultsModeAuto = async (clientRegion: string | Provider<string> | undefined): Promise<string> => {
  if (clientRegion) {
    const resolvedRegion = typeof clientRegion === 'function' ? await clientRegion() : clientRegion;
    const inferredRegion = inferPhysicalRegion();
    if (!inferredRegion) return 'standard';
    return resolvedRegion === inferredRegion ? 'in-region' : 'cross-region';
  }
  return 'standard';
};

/** Lambda's own variables; where they are not set the SDK would ask the instance metadata service. */
const inferPhysicalRegion = (): string | undefined => {
  const env = process.env;
  if (env[AWS_EXECUTION_ENV as string] && (env[AWS_REGION_ENV as string] || env[AWS_DEFAULT_REGION_ENV as string])) {
    return env[AWS_REGION_ENV as string] ?? env[AWS_DEFAULT_REGION_ENV as string];
  }
  return undefined;
};
