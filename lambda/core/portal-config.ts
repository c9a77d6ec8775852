// The access portal's part of the configuration, parsed here and called by loadConfig (config.ts):
// whether the /portal routes are on (TOKEN_BROKER_PORTAL), the role policy they enforce
// (TOKEN_BROKER_PORTAL_ROLES, required when they are on), and where the AWS access portal API is
// (AWS_ENDPOINT_URL_SSO or AWS_ENDPOINT_URL, the SDK's own overrides for service `sso`, endpoints.ts; otherwise the portal of the
// Identity Center region, see portal-client.ts).

import { configuredEndpoint } from './endpoints.js';
import { isOn, list, type Env } from './env.js';
import { parseRolePolicy, type RolePolicy } from './role-policy.js';

export const PORTAL_ENV = {
  portal: 'TOKEN_BROKER_PORTAL',
  portalRoles: 'TOKEN_BROKER_PORTAL_ROLES',
} as const;

/**
 * The request header that carries the access token (AccessTokenType's location in the `sso` model):
 * the client sends it, and the CORS preflight of the /portal paths allows it.
 */
export const PORTAL_BEARER_HEADER = 'x-amz-sso_bearer_token';

/** The broker's own answer to a portal request without a token (the smoke check tells it from the portal's). */
export const NO_ACCESS_TOKEN_MESSAGE = `The request carries no access token: send it in the header ${PORTAL_BEARER_HEADER}.`;

/** The /portal routes: on with TOKEN_BROKER_PORTAL=on. */
export interface PortalConfig {
  /** What a web app may get credentials for (TOKEN_BROKER_PORTAL_ROLES). */
  readonly roles: RolePolicy;
}

export interface PortalSettings {
  /** Undefined when the /portal routes are off (the default). */
  readonly portal: PortalConfig | undefined;
  /**
   * The access portal's URL when overridden (AWS_ENDPOINT_URL_SSO or AWS_ENDPOINT_URL), without a trailing slash. The
   * portal is also called without TOKEN_BROKER_PORTAL: the front door's revocation ends sessions there.
   */
  readonly portalEndpoint: string | undefined;
}

/** Reads the portal's variables; each problem is added to `problems`. */
export function readPortalSettings(env: Env, problems: string[]): PortalSettings {
  const on = isOn(env, PORTAL_ENV.portal, problems);
  const rolesGiven = (env[PORTAL_ENV.portalRoles] ?? '').trim() !== '';

  let portal: PortalConfig | undefined;
  if (on) {
    const { policy, problems: roleProblems } = parseRolePolicy(list(env[PORTAL_ENV.portalRoles]));
    if (!rolesGiven) {
      problems.push(`${PORTAL_ENV.portalRoles} is required when ${PORTAL_ENV.portal}=on (accountId/roleName, * for any account): no default allows every role`);
    } else {
      problems.push(...roleProblems.map((problem) => `${PORTAL_ENV.portalRoles}: ${problem}`));
    }
    portal = { roles: policy };
  } else if (rolesGiven) {
    problems.push(`${PORTAL_ENV.portalRoles} is set but ${PORTAL_ENV.portal} is not on`);
  }

  return { portal, portalEndpoint: configuredEndpoint(env, 'SSO', problems) };
}
