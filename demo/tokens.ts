// The tokens the page holds (memory only, shown masked): each answer shown as it arrived, a refresh
// through the broker, and the "Your AWS access" panel (demo/portal-panel.ts) that uses the access token.

import { callBroker, clearError, showError } from './broker.js';
import type { DemoPortal } from './config.js';
import { button, clock, element, mask, setStatus, setText, withClientId } from './page.js';
import { portalPanel, sdkAccess, type Panel } from './portal-panel.js';

export interface TokenResponse {
  readonly accessToken?: string;
  readonly tokenType?: string;
  readonly expiresIn?: number;
  readonly refreshToken?: string;
  readonly idToken?: string;
}

/** The tokens' client: the one the sign-in (or device authorization) was made with. */
let tokensClientId: string | undefined;
let refreshToken: string | undefined;
/** For the "Your AWS access" panel: what the token is for (demo/portal-panel.ts). */
let accessToken: string | undefined;
let panel: Panel | undefined;

/** The idToken's claims, for display only: this page does not (and cannot) verify its signature. */
function idTokenClaims(idToken: string): Record<string, unknown> | undefined {
  try {
    const payload = idToken.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(json) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function showTokens(tokens: TokenResponse, grant: string, clientId: string | undefined): void {
  tokensClientId = clientId;
  const rows = element('token-rows');
  rows.replaceChildren();
  const row = (name: string, value: string, id: string): void => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    th.scope = 'row';
    const code = document.createElement('code');
    code.textContent = name;
    th.append(code);
    const td = document.createElement('td');
    td.id = id;
    td.textContent = value;
    tr.append(th, td);
    rows.append(tr);
  };
  if (tokens.accessToken !== undefined) row('accessToken', mask(tokens.accessToken), 'token-access');
  if (tokens.tokenType !== undefined) row('tokenType', tokens.tokenType, 'token-type');
  if (tokens.expiresIn !== undefined) row('expiresIn', `${tokens.expiresIn} s`, 'token-expires');
  if (tokens.refreshToken !== undefined) row('refreshToken', mask(tokens.refreshToken), 'token-refresh');
  if (tokens.idToken !== undefined) row('idToken', mask(tokens.idToken), 'token-id');

  const claims = tokens.idToken === undefined ? undefined : idTokenClaims(tokens.idToken);
  // Only this answer's idToken says who signed in: an answer without one (a refresh, usually) clears it.
  element('signed-in-as').hidden = true;
  if (claims !== undefined) {
    const who = element('signed-in-as');
    const note = document.createElement('span');
    note.className = 'hint';
    note.textContent = " (the idToken's claim, displayed only: this page does not verify tokens)";
    who.replaceChildren(`Signed in as ${String(claims['email'] ?? claims['sub'] ?? 'unknown')}`, note);
    who.hidden = false;
  }

  const note = element('token-note');
  if (grant === 'refresh_token' && tokens.refreshToken === undefined && refreshToken !== undefined) {
    note.textContent = 'The refresh answer carried no new refreshToken, so the page keeps the previous one.';
    note.hidden = false;
  } else {
    note.hidden = true;
  }
  if (tokens.refreshToken !== undefined) refreshToken = tokens.refreshToken;
  // The first access token of a sign-in opens "Your AWS access"; refreshed ones replace it there.
  const first = accessToken === undefined;
  if (tokens.accessToken !== undefined) accessToken = tokens.accessToken;
  if (first && accessToken !== undefined) void panel?.show();

  setText('token-grant', grant);
  setText('token-time', clock());
  element('tokens-empty').hidden = true;
  element('tokens').hidden = false;
  button('refresh').disabled = refreshToken === undefined;
}

export async function refresh(): Promise<void> {
  if (refreshToken === undefined) return;
  clearError();
  setStatus('Refreshing through the broker…');
  const answer = await callBroker<TokenResponse>('/token', {
    grantType: 'refresh_token',
    ...withClientId(tokensClientId),
    refreshToken,
  });
  if (!answer.ok) {
    showError(answer.error);
    setStatus('The refresh failed.');
    return;
  }
  showTokens(answer.body, 'refresh_token', tokensClientId);
  setStatus('Tokens refreshed.');
}

/** Opens "Your AWS access" on the page: an SSOClient through the broker with the access token held here. */
export function attachPortalPanel(portal: DemoPortal): void {
  const access = sdkAccess(portal.endpoint, () => accessToken);
  panel = portalPanel(element('portal'), access, portal, {
    label: 'Sign out of IAM Identity Center',
    async run() {
      await access.logout();
      accessToken = undefined;
      return 'Signed out of IAM Identity Center: the portal’s Logout ended the session, so its tokens no longer work (Refresh tokens now answers invalid_grant).';
    },
  });
}
