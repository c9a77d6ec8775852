// The token handler (cookie sessions under /bff): the broker as a single-page app's
// backend-for-frontend. Sign-in (login.ts) and sessions (session.ts) over sealed HttpOnly cookies
// (cookies.ts, session-cookie.ts), and the bearer proxy to the deployer's APIs (api.ts); only the
// cookies this module names are ever read.

import type { RouteHandler } from '../answer.js';
import { proxyApi, type ApiDeps } from './api.js';
import { brokerCookies } from './cookies.js';
import { loginEnd, loginStart } from './login.js';
import { logout, refresh, sessionStatus, type SessionDeps } from './session.js';

export type { ApiDeps } from './api.js';
export type { SessionDeps, SessionGrants } from './session.js';

type BffRoute = 'bffLoginStart' | 'bffLoginEnd' | 'bffSession' | 'bffRefresh' | 'bffLogout' | 'bffApi';

export function bffRoutes(deps: SessionDeps & ApiDeps): Record<BffRoute, RouteHandler> {
  return {
    bffLoginStart: ({ body }, audit) => loginStart(body, deps, audit),
    bffLoginEnd: ({ body, cookies }, audit) => loginEnd(body, brokerCookies(cookies), deps, audit),
    bffSession: ({ cookies }) => sessionStatus(brokerCookies(cookies), deps),
    bffRefresh: ({ cookies }, audit) => refresh(brokerCookies(cookies), deps, audit),
    bffLogout: async () => logout(deps),
    bffApi: (request, audit) => proxyApi(request, brokerCookies(request.cookies), deps, audit),
  };
}
