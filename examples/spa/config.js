// What this SPA is deployed with. The broker must allow this page's origin
// (TOKEN_BROKER_ALLOWED_ORIGINS) and its redirect URI, this page's own URL (TOKEN_BROKER_REDIRECT_URIS).
export const BROKER_URL = 'http://127.0.0.1:3000';
export const SCOPES = ['sso:account:access'];
