// Stands in for `@aws-sdk/credential-provider-node` in the bundle (esbuild alias, infra/bundling.ts
// BUNDLING). The SDK's default chain tries environment variables, SSO, ini files, credential
// processes, web identity, container and instance metadata; a Lambda function only ever has the
// first (AWS_ACCESS_KEY_ID...) or, under SnapStart, container credentials
// (AWS_CONTAINER_CREDENTIALS_FULL_URI + token). Those two providers, with the chain's memoization,
// are all that is bundled: about 114 KB less to load at every cold start.
// To undo: remove the alias from BUNDLING (docs/performance.md, "Removing the substitutes").

import { fromEnv } from '@aws-sdk/credential-provider-env';
import { fromHttp } from '@aws-sdk/credential-provider-http';

type Init = NonNullable<Parameters<typeof fromEnv>[0]> & NonNullable<Parameters<typeof fromHttp>[0]>;
type Credentials = Awaited<ReturnType<ReturnType<typeof fromEnv>>>;

/** As the SDK's chain: credentials that expire are renewed five minutes before they do. */
const RENEW_BEFORE_MS = 300_000;

export const credentialsWillNeedRefresh = (credentials: Credentials | undefined): boolean => credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials: Credentials | undefined): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < RENEW_BEFORE_MS;

/** Environment credentials, else container credentials; the error of the last when neither is there. */
async function firstAvailable(init: Init): Promise<Credentials> {
  try {
    return await fromEnv(init)();
  } catch (error) {
    // A CredentialsProviderError says whether the next provider may be tried (the default) or not.
    if ((error as { tryNextLink?: unknown }).tryNextLink === false) throw error;
    return fromHttp(init)();
  }
}

/** The same contract as the SDK's defaultProvider: memoized, renewed ahead of expiry, forceRefresh honoured. */
export function defaultProvider(init: Init = {}): (options?: { forceRefresh?: boolean }) => Promise<Credentials> {
  let credentials: Credentials | undefined;
  let pending: Promise<Credentials> | undefined;
  const renew = (): Promise<Credentials> =>
    (pending ??= firstAvailable(init)
      .then((fresh) => (credentials = fresh))
      .finally(() => {
        pending = undefined;
      }));
  return async (options) => {
    if (options?.forceRefresh || credentials === undefined) return renew();
    if (!credentialsTreatedAsExpired(credentials)) return credentials;
    // Near expiry but still valid: answer with them and renew in the background, as the SDK does.
    if (credentials.expiration!.getTime() > Date.now()) {
      renew().catch(() => undefined);
      return credentials;
    }
    return renew();
  };
}
