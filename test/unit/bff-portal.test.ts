// The access portal for cookie sessions (lambda/surfaces/bff/portal.ts over core/portal.ts) with a
// fake portal: the session's access token (refreshed when about to expire, and once on the portal's
// UnauthorizedException), the role policy (here */ReadOnly) applied before anything is sent, input
// checked first; and sign-out, which asks the portal to end the Identity Center session and clears
// the cookies whatever it answered.

import { BrokerError } from '../../lambda/core/errors.js';
import { ROUTES } from '../../lambda/edge/routes.js';
import { COOKIE_NAMES, SESSION_CHUNK_NAMES } from '../../lambda/surfaces/bff/cookies.js';
import { cleared, ISSUER, jar, names, REDIRECT, rejected, setup } from '../helpers/bff-unit.js';

type T = ReturnType<typeof setup>;

async function signedIn(t: T) {
  const start = await t.call(ROUTES.bffLoginStart, {});
  const url = new URL((start.body as { authorizationUrl: string }).authorizationUrl);
  const end = await t.call(ROUTES.bffLoginEnd, { pageUrl: `${REDIRECT}?code=good-code&state=${url.searchParams.get('state')}&iss=${encodeURIComponent(ISSUER)}` }, jar(start.cookies));
  return jar(end.cookies);
}
const ALL = [COOKIE_NAMES.login, ...SESSION_CHUNK_NAMES[0], ...SESSION_CHUNK_NAMES[1]].sort();

describe('/bff/portal', () => {
  it('lists accounts and roles and gets credentials with the session\u2019s token; the role policy filters and refuses', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    const accounts = await t.call(ROUTES.bffPortalAccounts, undefined, cookies, { rawQuery: 'max_result=10' });
    expect(accounts.body).toEqual({ accountList: [{ accountId: '111122223333', accountName: 'sandbox' }, { accountId: '444455556666' }] });
    const roles = await t.call(ROUTES.bffPortalRoles, undefined, cookies, { rawQuery: 'account_id=111122223333' });
    expect(roles.body).toEqual({ roleList: [{ roleName: 'ReadOnly', accountId: '111122223333' }] });
    const credentials = await t.call(ROUTES.bffPortalCredentials, undefined, cookies, { rawQuery: 'account_id=111122223333&role_name=ReadOnly' });
    expect(credentials.body).toMatchObject({ roleCredentials: { accessKeyId: 'ASIAX' } });
    const before = t.portal.calls.length;
    const refused = await rejected(t.call(ROUTES.bffPortalCredentials, undefined, cookies, { rawQuery: 'account_id=111122223333&role_name=Admin' }));
    expect([refused.status, refused.type]).toEqual([403, 'RoleNotAllowedException']);
    expect(t.portal.calls.length).toBe(before);
    // Every call carried the session's access token, which page script never saw.
    expect(new Set(t.portal.calls.map((c) => c.token)).size).toBe(1);
    expect(JSON.stringify([accounts.body, roles.body, credentials.body])).not.toContain(t.portal.calls[0]!.token);
  });

  it('input is checked before the session is read or anything is sent', async () => {
    const t = setup();
    const error = await rejected(t.call(ROUTES.bffPortalRoles, undefined, [], { rawQuery: 'account_id=12' }));
    expect([error.status, error.error]).toEqual([400, 'invalid_request']);
    expect(t.portal.calls).toEqual([]);
  });

  it('the portal refusing the token (UnauthorizedException): one refresh, one retry, the new session cookies in the answer', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    t.portal.live.clear();
    // The next token SSO OIDC issues works again (as after the session's token was revoked upstream).
    const answer = await t.call(ROUTES.bffPortalAccounts, undefined, cookies);
    expect(answer.statusCode).toBe(200);
    expect(t.portal.calls.map((c) => c.operation)).toEqual(['ListAccounts', 'ListAccounts', 'ListAccountRoles', 'ListAccountRoles']);
    expect(names(jar(answer.cookies))).toEqual([COOKIE_NAMES.session[1]]);
    expect(t.upstream.calls.filter((c) => c.grant === 'refresh_token')).toHaveLength(1);
  });
});

describe('POST /bff/logout', () => {
  it('asks the portal to end the Identity Center session with the session\u2019s token, then clears every cookie', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    const out = await t.call(ROUTES.bffLogout, {}, cookies);
    expect(out.body).toEqual({ isLoggedIn: false, identityCenterSignedOut: true, description: expect.stringMatching(/IAM Identity Center ended the sign-in session/) });
    expect(cleared(out.cookies).sort()).toEqual(ALL);
    expect(t.portal.calls.map((c) => c.operation)).toEqual(['Logout']);
    expect(t.portal.live.size).toBe(0);
  });

  it('the portal failing still clears the cookies, and says Identity Center did not confirm it', async () => {
    const t = setup();
    const cookies = await signedIn(t);
    t.deps.portalClient.call = async () => {
      throw new BrokerError({ status: 429, type: 'TooManyRequestsException', error: 'slow_down', fromUpstream: true });
    };
    const out = await t.call(ROUTES.bffLogout, {}, cookies);
    expect(out.body).toEqual({ isLoggedIn: false, identityCenterSignedOut: false, description: expect.stringMatching(/did not confirm the sign-out \(TooManyRequestsException\)/) });
    expect(cleared(out.cookies).sort()).toEqual(ALL);
  });

  it('without a session: cookies cleared, nothing sent, nothing confirmed', async () => {
    const t = setup();
    const out = await t.call(ROUTES.bffLogout, {}, []);
    expect(out.body).toMatchObject({ isLoggedIn: false, identityCenterSignedOut: false });
    expect(cleared(out.cookies).sort()).toEqual(ALL);
    expect(t.portal.calls).toEqual([]);
  });
});
