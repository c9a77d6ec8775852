// What-if stand-in (never shipped): the modules of the standard OAuth front door and the token
// handler's cookie sessions that lambda/handler.ts imports, replaced by nothing, so that
// `npm run bench` can weigh and time the broker without their code. The handler still checks its
// configuration; with these stand-ins neither feature can be turned on.

const absent = (): never => {
  throw new Error('what-if build: the front door and token handler are left out');
};

export const oauthRoutes = absent;
export const bffRoutes = absent;
export const cookiePaths = absent;
export const createApiClient = absent;
export const redeemSessionCode = absent;
export const refreshSession = absent;
export const upstreamAuthorizeUrl = absent;
export const isSessionRedirectUri = absent;

export class CookieKeySource {
  constructor() {
    absent();
  }
  prefetch(): void {}
}
