// Reads a Secrets Manager secret with a cache of its own: GetSecretValue on the client the broker
// already has, the answer kept for the max age it is asked with, re-read when forced. This is what
// the broker used Powertools Parameters' SecretsProvider for, and all of it: one SDK call, a cache by
// secret name, forceFetch, the version stage as an SDK option. Written here because the bundle has a
// size budget (300,000 B with every surface) and Parameters, with what only it used of Powertools'
// commons, weighed about 5 KB of it for these few lines (docs/performance.md, "The bundle's budget"). The
// caching above it (both versions, forced re-reads, deadlines) is core/secrets.ts's, as before.

import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

export interface SecretGetOptions {
  /** Seconds an answer is served from the cache. */
  readonly maxAge: number;
  /** Read Secrets Manager now, whatever is cached. */
  readonly forceFetch?: boolean;
  /** GetSecretValue's own options: the version stage (AWSCURRENT unless said). */
  readonly sdkOptions?: { readonly VersionStage?: string };
}

/** What core/secrets.ts reads a secret through: the SecretString, or the SecretBinary when there is none. */
export interface SecretSource {
  get(secretId: string, options: SecretGetOptions): Promise<unknown>;
}

export class SecretReader implements SecretSource {
  /** By secret name alone, as Powertools kept it: a reader per version stage (core/secrets.ts). */
  private readonly cache = new Map<string, { readonly value: unknown; readonly until: number }>();

  constructor(private readonly client: Pick<SecretsManagerClient, 'send'>) {}

  async get(secretId: string, options: SecretGetOptions): Promise<unknown> {
    const cached = this.cache.get(secretId);
    if (!options.forceFetch && cached !== undefined && Date.now() < cached.until) return cached.value;
    const answer = await this.client.send(new GetSecretValueCommand({ ...options.sdkOptions, SecretId: secretId }));
    const value = answer.SecretString || answer.SecretBinary;
    // An empty answer is not kept: the next read asks again.
    if (value && options.maxAge > 0) this.cache.set(secretId, { value, until: Date.now() + options.maxAge * 1000 });
    return value;
  }
}
