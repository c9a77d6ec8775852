// The token handler (cookie sessions under /bff): the broker as a single-page app's
// backend-for-frontend. Sign-in (login.ts) and sessions (session.ts) over sealed HttpOnly cookies
// (cookies.ts); only the cookies this module names are ever read.

import type { RouteHandler } from '../answer.js';
import { brokerCookies } from './cookies.js';
import { loginEnd, loginStart } from './login.js';
import { logout, refresh, sessionStatus, type SessionDeps } from './session.js';

export type { FrontDoorGrants, SessionDeps } from './session.js';

type BffRoute = 'bffLoginStart' | 'bffLoginEnd' | 'bffSession' | 'bffRefresh' | 'bffLogout';

export function bffRoutes(deps: SessionDeps): Record<BffRoute, RouteHandler> {
  return {
    bffLoginStart: ({ body }) => loginStart(body, deps),
    bffLoginEnd: ({ body, cookies }, audit) => loginEnd(body, brokerCookies(cookies), deps, audit),
    bffSession: ({ cookies }) => sessionStatus(brokerCookies(cookies), deps),
    bffRefresh: ({ cookies }, audit) => refresh(brokerCookies(cookies), deps, audit),
    bffLogout: async () => logout(deps),
  };
}
