// The standard OAuth 2.0 front door: what other surfaces (the token handler, /bff) reuse.
export { redeemAuthorizationCode, redeemRefreshToken, type OAuthTokens } from '../../core/front-door-grants.js';
export { authorize } from './authorize.js';
export { frontDoorUrls } from './metadata.js';
