// Stands in for `@smithy/core/retry` in the bundle (esbuild alias, infra/substitutes.ts). Everything
// bundled code imports from it is the SDK's own, re-exported from the same files, except
// resolveRetryConfig: the SDK's builds an AdaptiveRetryStrategy when the retry mode is "adaptive"
// (AWS_RETRY_MODE, or retry_mode in a shared config file), so its client-side rate limiter was
// bundled (about 3.4 KB) though every client of this project sets retryMode "standard" and most make
// a single attempt. This resolveRetryConfig is the SDK's without that branch; asked for adaptive
// retry, it fails loudly rather than retry otherwise. The build checks that the SDK's own is
// unchanged (infra/substitutes.ts), and the substitute test compares the two.

// The SDK's own files, by path: the alias would turn `@smithy/core/retry` back into this module.
// dist-es has no declarations beside it (they are in dist-types): the names are typed below.
// @ts-expect-error see above
import { DEFAULT_MAX_ATTEMPTS, Retry, RETRY_MODES, StandardRetryStrategy } from '../../node_modules/@smithy/core/dist-es/submodules/retry/index.js';
// @ts-expect-error see above
export { DEFAULT_RETRY_MODE, NODE_MAX_ATTEMPT_CONFIG_OPTIONS, NODE_RETRY_MODE_CONFIG_OPTIONS, getRetryPlugin } from '../../node_modules/@smithy/core/dist-es/submodules/retry/index.js';
import { normalizeProvider } from '@smithy/core/client';
import type * as typed from '@smithy/core/retry';

export { RETRY_MODES };

const ADAPTIVE_ABSENT =
  'adaptive retry is not bundled (lambda/bundle/retry.ts): the clients set retryMode "standard"; remove the substitute to use it';

type Input = Parameters<typeof typed.resolveRetryConfig>[0];
type Defaults = Parameters<typeof typed.resolveRetryConfig>[1];

/** The SDK's resolveRetryConfig, standard retry only. */
export const resolveRetryConfig = <T>(input: T & Input, defaults?: Defaults): ReturnType<typeof typed.resolveRetryConfig<T>> => {
  const { retryStrategy, retryMode } = input;
  const { defaultMaxAttempts = DEFAULT_MAX_ATTEMPTS, defaultBaseDelay = Retry.delay() } = defaults ?? {};
  const maxAttemptsProvider = normalizeProvider(input.maxAttempts ?? defaultMaxAttempts);
  let controller = retryStrategy ? Promise.resolve(retryStrategy) : undefined;
  const getDefault = async () => {
    const maxAttempts = await maxAttemptsProvider();
    if ((await normalizeProvider(retryMode)()) === RETRY_MODES.ADAPTIVE) throw new Error(ADAPTIVE_ABSENT);
    return new StandardRetryStrategy({ maxAttempts, baseDelay: defaultBaseDelay });
  };
  return Object.assign(input, { maxAttempts: maxAttemptsProvider, retryStrategy: () => (controller ??= getDefault()) }) as never;
};
