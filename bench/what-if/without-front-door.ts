// What-if stand-in (never shipped): the modules of the standard OAuth front door (issue 10) and the
// token handler's cookie sessions (issue 11) that lambda/handler.ts imports, replaced by nothing, so
// that `npm run bench` can weigh and time the broker without their code. The handler still checks
// its configuration; with these stand-ins neither feature can be turned on.

export const FRONT_DOOR_ROUTES: ReadonlySet<string> = new Set();

const absent = (): never => {
  throw new Error('what-if build: the front door and token handler are left out');
};

export const answerFrontDoor = absent;
export const redeemAuthorizationCode = absent;
export const redeemRefreshToken = absent;
export const answerBff = absent;
export const brokerCookies = absent;
export const cookiePaths = absent;

export class CookieKeySource {
  constructor() {
    absent();
  }
  prefetch(): void {}
}
