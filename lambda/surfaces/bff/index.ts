// The token handler (cookie sessions under /bff): the broker as a single-page app's
// backend-for-frontend. Sign-in (login.ts) and sessions (session.ts) over sealed HttpOnly cookies
// (cookies.ts, session-cookie.ts), the bearer proxy to the deployer's APIs (api.ts), and the AWS
// access portal with the session's token, sign-out included (portal.ts); only the cookies this module
// names are ever read.

import type { RouteHandler } from '../answer.js';
import { proxyApi, type ApiDeps } from './api.js';
import { brokerCookies } from './cookies.js';
import { loginEnd, loginStart } from './login.js';
import { bffPortalRoutes, logout, type SessionPortalDeps } from './portal.js';
import { refresh, sessionStatus, type SessionDeps } from './session.js';

export type { ApiDeps } from './api.js';
export type { SessionPortalDeps } from './portal.js';
export type { SessionDeps, SessionGrants } from './session.js';

type BffRoute = 'bffLoginStart' | 'bffLoginEnd' | 'bffSession' | 'bffRefresh' | 'bffLogout' | 'bffApi' | 'bffPortalAccounts' | 'bffPortalRoles' | 'bffPortalCredentials';

export function bffRoutes(deps: SessionDeps & ApiDeps & SessionPortalDeps): Record<BffRoute, RouteHandler> {
  return {
    bffLoginStart: ({ body }, audit) => loginStart(body, deps, audit),
    bffLoginEnd: ({ body, cookies }, audit) => loginEnd(body, brokerCookies(cookies), deps, audit),
    bffSession: ({ cookies }) => sessionStatus(brokerCookies(cookies), deps),
    bffRefresh: ({ cookies }, audit) => refresh(brokerCookies(cookies), deps, audit),
    bffLogout: ({ cookies }, audit) => logout(brokerCookies(cookies), deps, audit),
    bffApi: (request, audit) => proxyApi(request, brokerCookies(request.cookies), deps, audit),
    ...bffPortalRoutes(deps),
  };
}
