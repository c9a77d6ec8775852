// The front door's demo page: oidc-client-ts's UserManager, configured only with the broker's URL
// (authority) and its public client id, as a single-page app would be. Tokens are kept in memory
// (InMemoryWebStorage) and shown masked; the sign-in round trip's state (PKCE verifier included) is
// the library's, in localStorage until the callback consumes it. Once signed in, "Your AWS access"
// (demo/portal-panel.ts) uses the access token with an SSOClient through the broker, and signs out
// of IAM Identity Center with the library's revokeTokens() (the broker's RFC 7009 endpoint).

import { ErrorResponse, InMemoryWebStorage, UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { DemoConfig } from './config.js';
import { portalPanel, sdkAccess, type Panel } from './portal-panel.js';

const element = (id: string): HTMLElement => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing`);
  return found;
};
const button = (id: string): HTMLButtonElement => element(id) as HTMLButtonElement;
const mask = (value: string): string => `${value.slice(0, 6)}…`;
const status = (text: string): void => {
  element('status').textContent = text;
};

let manager: UserManager | undefined;
let refreshes = 0;
/** The signed-in user's access token, for "Your AWS access". */
let accessToken: string | undefined;
let panel: Panel | undefined;
/** The callback URL and the library's stored state for it, kept to show what a reused code gets. */
let usedCallback: { url: string; key: string; state: string } | undefined;

function showError(error: unknown): void {
  element('error-name').textContent = error instanceof ErrorResponse ? 'ErrorResponse' : error instanceof Error ? error.name : typeof error;
  element('error-code').textContent = error instanceof ErrorResponse ? (error.error ?? '') : '';
  element('error-description').textContent =
    error instanceof ErrorResponse ? (error.error_description ?? '') : error instanceof Error ? error.message : String(error);
  element('error').hidden = false;
  status('The last action failed.');
}

function showUser(user: User): void {
  element('error').hidden = true;
  element('user-empty').hidden = true;
  element('user').hidden = false;
  element('access-token').textContent = mask(user.access_token);
  element('token-type').textContent = user.token_type;
  element('expires-in').textContent = user.expires_in === undefined ? '' : `${user.expires_in} s`;
  element('scope').textContent = user.scope ?? '';
  element('refresh-token').textContent = user.refresh_token === undefined ? '(none)' : mask(user.refresh_token);
  element('id-token').textContent = user.id_token === undefined ? '(none: SSO OIDC sends none)' : mask(user.id_token);
  element('refresh-count').textContent = String(refreshes);
  button('refresh').disabled = user.refresh_token === undefined;
  const first = accessToken === undefined;
  accessToken = user.access_token;
  if (first) void panel?.show();
}

/**
 * revokeTokens(): the library sends the access token, then the refresh token, to the broker's
 * revocation endpoint, which ends the Identity Center session. The library then forgets the refresh
 * token; the page puts it back, so that Refresh shows what a revoked one gets (invalid_grant).
 */
async function signOut(): Promise<string> {
  const before = await manager!.getUser();
  await manager!.revokeTokens();
  const after = await manager!.getUser();
  if (after !== null && before?.refresh_token) {
    after.refresh_token = before.refresh_token;
    await manager!.storeUser(after);
  }
  accessToken = undefined;
  return 'Signed out of IAM Identity Center: revokeTokens() sent both tokens to the broker’s revocation endpoint (RFC 7009), which ended the session. Refresh now fails with invalid_grant.';
}

async function start(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as DemoConfig;
  const redirectUri = `${window.location.origin}/oidc.html`;
  element('config-redirect').textContent = redirectUri;
  if (!config.frontDoor) {
    status('The broker has no front door: set TOKEN_BROKER_ISSUER.');
    return;
  }
  element('config-authority').textContent = config.frontDoor.authority;
  element('config-client').textContent = config.frontDoor.clientId;
  manager = new UserManager({
    authority: config.frontDoor.authority,
    client_id: config.frontDoor.clientId,
    redirect_uri: redirectUri,
    scope: config.scopes.join(' '),
    userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
  });

  if (config.portal) {
    panel = portalPanel(element('portal'), sdkAccess(config.portal.endpoint, () => accessToken), config.portal, {
      label: 'Sign out of IAM Identity Center (revokeTokens)',
      run: signOut,
    });
  }

  const params = new URLSearchParams(window.location.search);
  if (params.has('code') || params.has('error')) {
    const url = window.location.href;
    const state = params.get('state') ?? '';
    const key = `oidc.${state}`;
    const stored = window.localStorage.getItem(key);
    // The address bar should not keep the code.
    window.history.replaceState(null, '', '/oidc.html');
    try {
      showUser(await manager.signinCallback(url) as User);
      if (stored !== null) usedCallback = { url, key, state: stored };
      button('replay-code').disabled = usedCallback === undefined;
      status('Signed in.');
    } catch (error) {
      showError(error);
    }
  } else {
    status('Ready.');
  }

  element('sign-in').addEventListener('click', () => {
    manager!.signinRedirect().catch(showError);
  });
  element('refresh').addEventListener('click', () => {
    status('Refreshing…');
    manager!
      .signinSilent()
      .then((user) => {
        refreshes += 1;
        if (user !== null) showUser(user);
        status('Refreshed.');
      })
      .catch(showError);
  });
  element('replay-code').addEventListener('click', () => {
    if (usedCallback === undefined) return;
    // Put the round trip's state back, as if the callback had never been processed: the library
    // exchanges the same code again, and the broker answers as SSO OIDC did (invalid_grant).
    window.localStorage.setItem(usedCallback.key, usedCallback.state);
    manager!.signinCallback(usedCallback.url).then(() => status('The used code worked?'), showError);
  });
  document.body.dataset.ready = 'true';
}

start().catch(showError);
