// A single-page app using oidc-client-ts (v3), a standard OpenID Connect library for browsers,
// against the broker's standard OAuth front door: discovery, authorization code + PKCE, refresh.
// The library talks to /oauth2/* only; the client secret stays with the broker. Tokens are kept in
// memory (InMemoryWebStorage), not in sessionStorage where any script of the page could read them.
// examples/oidc-client-ts/serve.ts bundles this file and serves it; see its header to run it.

import { InMemoryWebStorage, UserManager, WebStorageStateStore } from 'oidc-client-ts';

const result = document.getElementById('result')!;
const refreshButton = document.getElementById('refresh') as HTMLButtonElement;
const { issuer } = (await (await fetch('/config.json')).json()) as { issuer: string };

const users = new UserManager({
  authority: issuer, // metadata from `${issuer}/.well-known/openid-configuration`
  client_id: 'token-broker', // the front door's stable public client id (TOKEN_BROKER_PUBLIC_CLIENT_ID)
  redirect_uri: `${window.location.origin}/`,
  response_type: 'code',
  scope: 'sso:account:access', // no `openid`: SSO OIDC issues no verifiable ID token
  loadUserInfo: false,
  automaticSilentRenew: false,
  userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
});

const show = (text: string): void => {
  result.textContent = text;
};

document.getElementById('sign-in')!.addEventListener('click', () => {
  users.signinRedirect().catch((error: Error) => show(`Error: ${error.message}`));
});
refreshButton.addEventListener('click', () => {
  // With a refresh token in hand, signinSilent uses the refresh_token grant (no iframe).
  users.signinSilent().then(
    (user) => show(`Refreshed: a new access token for ${user?.expires_in ?? '?'} s`),
    (error: Error) => show(`Error: ${error.message}`),
  );
});

const params = new URLSearchParams(window.location.search);
if (params.has('code') || params.has('error')) {
  try {
    const user = await users.signinRedirectCallback();
    window.history.replaceState(null, '', '/');
    show(`Signed in: an access token for ${user.expires_in ?? '?'} s`);
    refreshButton.disabled = user.refresh_token === undefined;
  } catch (error) {
    show(`Error: ${(error as Error).message}`);
  }
}
