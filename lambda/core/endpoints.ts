// Where the broker calls SSO OIDC and the AWS access portal, read as the AWS SDK reads it: the SDK's
// endpoint override variables (AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, both ignored when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else the service's endpoint in the Identity Center
// region as the SDK's endpoint rules build it. For SSO OIDC that includes FIPS and dual-stack
// endpoints (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT); `test/unit/endpoints.test.ts` checks
// the rules against the SDK's own resolver in every partition. Nothing here imports the SDK: the
// construct reads the configuration too, and the package does not depend on it (upstream.ts hands
// the rules the region's partition).

import type { Env } from './env.js';

/** The SDK's service ids in its override variables: SSO OIDC (`sso-oidc`) and the access portal (`sso`). */
export type EndpointService = 'SSO_OIDC' | 'SSO';

/** What the SDK's partitions table says of a region's partition (`partition()` of @aws-sdk/core). */
export interface PartitionFacts {
  readonly name: string;
  readonly dnsSuffix: string;
  readonly dualStackDnsSuffix: string;
  readonly supportsFIPS: boolean;
  readonly supportsDualStack: boolean;
}

/** Where SSO OIDC is: an override, or the region's endpoint of the variant asked for. */
export interface OidcEndpointSettings {
  /** The URL the environment sets, without a trailing slash. */
  readonly override: string | undefined;
  readonly fips: boolean;
  readonly dualStack: boolean;
}

const isTrue = (value: string | undefined): boolean => value?.trim().toLowerCase() === 'true';

/**
 * The endpoint URL the environment sets for a service (without a trailing slash), or undefined;
 * a value that is not an http(s) URL is added to `problems`.
 */
export function configuredEndpoint(env: Env, service: EndpointService, problems: string[]): string | undefined {
  if (isTrue(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)) return undefined;
  for (const name of [`AWS_ENDPOINT_URL_${service}`, 'AWS_ENDPOINT_URL']) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') continue;
    if (!(URL.canParse(value) && /^https?:$/.test(new URL(value).protocol))) {
      problems.push(`${name} "${value}" is not an http(s) URL`);
      return undefined;
    }
    return value.replace(/\/+$/, '');
  }
  return undefined;
}

/** SSO OIDC's endpoint settings from the environment. */
export function readOidcEndpoint(env: Env, problems: string[]): OidcEndpointSettings {
  return {
    override: configuredEndpoint(env, 'SSO_OIDC', problems),
    fips: isTrue(env.AWS_USE_FIPS_ENDPOINT),
    dualStack: isTrue(env.AWS_USE_DUALSTACK_ENDPOINT),
  };
}

/** SSO OIDC's endpoint in a region of partition `p`, by the rules of its SDK model; undefined where the partition offers none. */
export function oidcEndpointOf(region: string, p: PartitionFacts, options: { readonly fips?: boolean; readonly dualStack?: boolean } = {}): string | undefined {
  const { fips = false, dualStack = false } = options;
  if (fips && dualStack) return p.supportsFIPS && p.supportsDualStack ? `https://oidc-fips.${region}.${p.dualStackDnsSuffix}` : undefined;
  if (fips) {
    if (!p.supportsFIPS) return undefined;
    // GovCloud's endpoints are FIPS endpoints already.
    return p.name === 'aws-us-gov' ? `https://oidc.${region}.amazonaws.com` : `https://oidc-fips.${region}.${p.dnsSuffix}`;
  }
  if (dualStack) return p.supportsDualStack ? `https://oidc.${region}.${p.dualStackDnsSuffix}` : undefined;
  return `https://oidc.${region}.${p.dnsSuffix}`;
}
