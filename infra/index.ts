// The package's entry point (`import { TokenBroker } from 'sso-oidc-token-broker'`): the construct,
// its props and the types of what it exposes. Built into dist/ by `npm run build` (scripts/build-package.ts).

export {
  TokenBroker,
  type TokenBrokerProps,
  type TokenBrokerAlarms,
  type TokenBrokerRotation,
  type TokenBrokerDashboardOptions,
  type TokenBrokerFrontDoorOptions,
  type TokenBrokerPortalProps,
  type CustomDomain,
  type CookieSessionsProps,
  type TokenBrokerCookieKeys,
} from './token-broker.js';
export { TokenBrokerDashboard, type TokenBrokerDashboardProps } from './dashboard.js';
export { TokenBrokerPropsError } from './props.js';
export { GRANT_TYPES, type GrantType } from '../lambda/core/config.js';
