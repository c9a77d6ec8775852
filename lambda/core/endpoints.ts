// Where the broker calls SSO OIDC and the AWS access portal, read as the AWS SDK reads it: the SDK's
// endpoint override variables (AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, both ignored when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true), else the service's endpoint in the Identity Center
// region as the SDK's endpoint rules build it. For SSO OIDC that includes FIPS and dual-stack
// endpoints (AWS_USE_FIPS_ENDPOINT, AWS_USE_DUALSTACK_ENDPOINT); `test/unit/endpoints.test.ts` checks
// the rules against the SDK's own resolver in every partition.

import { partition } from '@aws-sdk/core/client';
import type { Env } from './env.js';

/** The SDK's service ids in its override variables: SSO OIDC (`sso-oidc`) and the access portal (`sso`). */
export type EndpointService = 'SSO_OIDC' | 'SSO';

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

/** SSO OIDC's endpoint in a region, by the rules of its SDK model; undefined where a partition offers none. */
export function oidcEndpointOf(region: string, options: { readonly fips?: boolean; readonly dualStack?: boolean } = {}): string | undefined {
  const p = partition(region);
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

/** SSO OIDC's endpoint for the broker: the override, else the region's; a problem when there is none. */
export function readOidcEndpoint(env: Env, region: string, problems: string[]): string {
  const fips = isTrue(env.AWS_USE_FIPS_ENDPOINT);
  const dualStack = isTrue(env.AWS_USE_DUALSTACK_ENDPOINT);
  const override = configuredEndpoint(env, 'SSO_OIDC', problems);
  if (override !== undefined) return override;
  const endpoint = region === '' ? undefined : oidcEndpointOf(region, { fips, dualStack });
  if (endpoint === undefined && region !== '') {
    problems.push(`SSO OIDC has no ${[fips ? 'FIPS' : '', dualStack ? 'dual-stack' : ''].filter(Boolean).join(' and ')} endpoint in ${region}`);
  }
  return endpoint ?? '';
}
