// The standard OAuth 2.0 front door: what other surfaces (the token handler, /bff) reuse.
export { redeemAuthorizationCode, redeemRefreshToken, type OAuthTokens } from './tokens.js';
export { authorize } from './authorize.js';
export { frontDoorUrls } from './metadata.js';
