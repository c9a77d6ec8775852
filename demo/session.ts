// The cookie-session demo: the token broker as this page's backend-for-frontend. The page uses the
// broker's browser module (browser/session.ts): sign in, come back, refresh across tabs, call an API
// through the broker, list "Your AWS access" through the broker's access portal routes, sign out. It
// holds no token: the broker keeps them in HttpOnly cookies and adds the access token itself.

import { BrokerSessionError, createSessionClient, type SessionClient, type SessionStatus } from '../browser/session.js';
import type { DemoConfig } from './config.js';

let session: SessionClient;
let refreshes = 0;
/** The broker serves "Your AWS access" (/bff/portal). */
let portal = false;

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

function show(state: { signedIn: boolean; message: string; status?: SessionStatus }): void {
  $('session-status').textContent = state.message;
  $('session-status').dataset.signedIn = String(state.signedIn);
  $<HTMLButtonElement>('session-sign-in').disabled = state.signedIn;
  for (const id of ['session-refresh', 'session-log-out', 'session-call-api']) $<HTMLButtonElement>(id).disabled = !state.signedIn;
  $('session-refreshes').textContent = String(refreshes);
  const { sessionExpiresAt, accessTokenExpiresAt } = state.status ?? {};
  $('session-ends').textContent = state.signedIn && sessionExpiresAt !== undefined ? new Date(sessionExpiresAt * 1000).toLocaleString() : '–';
  $('session-expires-in').textContent = state.signedIn && accessTokenExpiresAt !== undefined ? new Date(accessTokenExpiresAt * 1000).toLocaleTimeString() : '–';
}

function showError(error: unknown): void {
  $('session-error').hidden = false;
  if (error instanceof BrokerSessionError) {
    $('session-error-code').textContent = `${error.status} ${String(error.body.error ?? '')}`;
    $('session-error-description').textContent = String(error.body.error_description ?? '');
  } else {
    $('session-error-code').textContent = 'error';
    $('session-error-description').textContent = String(error);
  }
}

async function onLoad(): Promise<void> {
  const config = (await (await fetch('/config.json')).json()) as DemoConfig;
  session = createSessionClient({ broker: config.brokerUrl });
  portal = config.portal != null;
  const [api] = config.apis ?? [];
  if (api !== undefined) {
    $('session-api').hidden = false;
    $('session-api-path').textContent = `${config.brokerUrl}/bff/api/${api}/whoami`;
    $('session-call-api').addEventListener('click', () => void callApi(api));
  }
  let returned: SessionStatus | undefined;
  try {
    returned = await session.handleRedirect();
  } catch (error) {
    showError(error);
    show({ signedIn: false, message: 'Not signed in.' });
    return;
  }
  if (returned !== undefined) {
    show({ signedIn: true, message: 'Signed in.', status: returned });
    await showAccess();
    return;
  }
  const status = await session.status();
  if (!status.isLoggedIn) return show({ signedIn: false, message: 'Not signed in.' });
  // A tab opened on an existing session: a fresh access token, taking turns with the other tabs.
  const restored = await session.refresh({ force: true });
  refreshes += 1;
  show({ signedIn: restored.isLoggedIn, message: restored.isLoggedIn ? 'Signed in (session restored from its cookie).' : 'Not signed in.', status: restored });
  if (restored.isLoggedIn) await showAccess();
}

interface Account {
  readonly accountId: string;
  readonly accountName?: string;
}

/** "Your AWS access": the accounts and roles through /bff/portal, each role with a button for its credentials. */
async function showAccess(): Promise<void> {
  if (!portal) return;
  const response = await session.call('/bff/portal/assignment/accounts');
  if (!response.ok) return;
  const { accountList } = (await response.json()) as { accountList: Account[] };
  const items: HTMLLIElement[] = [];
  for (const account of accountList) {
    const item = document.createElement('li');
    item.textContent = `${account.accountName ?? account.accountId} (${account.accountId}): `;
    item.dataset.accountId = account.accountId;
    const roles = await session.call(`/bff/portal/assignment/roles?account_id=${encodeURIComponent(account.accountId)}`);
    const { roleList } = (await roles.json()) as { roleList: { roleName: string }[] };
    for (const { roleName } of roleList) {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = roleName;
      button.addEventListener('click', () => void showCredentials(account.accountId, roleName));
      item.append(button);
    }
    items.push(item);
  }
  // All at once, when every account's roles are known.
  $('session-aws-accounts').replaceChildren(...items);
  $('session-aws').hidden = false;
}

/** Role credentials: the access key id and expiry shown, the secret parts never. */
async function showCredentials(accountId: string, roleName: string): Promise<void> {
  const query = new URLSearchParams({ account_id: accountId, role_name: roleName });
  const response = await session.call(`/bff/portal/federation/credentials?${query.toString()}`);
  const note = $('session-aws-credentials');
  note.hidden = false;
  if (!response.ok) {
    note.textContent = `${response.status}: ${((await response.json()) as { error_description?: string }).error_description ?? ''}`;
    return;
  }
  const { roleCredentials } = (await response.json()) as { roleCredentials: { accessKeyId: string; expiration: number } };
  note.textContent = `Credentials for ${roleName} in ${accountId}: access key ${roleCredentials.accessKeyId.slice(0, 8)}…, until ${new Date(roleCredentials.expiration).toLocaleTimeString()}.`;
}

async function callApi(api: string): Promise<void> {
  const response = await session.fetch(api, 'whoami?from=demo', { headers: { accept: 'application/json' } });
  $('session-api-answer').hidden = false;
  $('session-api-answer').textContent = `${response.status}\n${await response.text()}`;
  if (response.status === 401) show({ signedIn: false, message: 'Not signed in (the session has ended).' });
}

$('session-sign-in').addEventListener('click', () => {
  void (async () => {
    const config = (await (await fetch('/config.json')).json()) as DemoConfig;
    await session.signIn({ redirectUri: `${location.origin}/session`, scope: config.scopes.join(' ') });
  })().catch(showError);
});

$('session-refresh').addEventListener('click', () => {
  void (async () => {
    try {
      const status = await session.refresh({ force: true });
      refreshes += 1;
      show(status.isLoggedIn ? { signedIn: true, message: 'Signed in: access token refreshed.', status } : { signedIn: false, message: 'Not signed in (the session has ended).' });
    } catch (error) {
      showError(error);
      show({ signedIn: false, message: 'Not signed in (the session has ended).' });
    }
  })();
});

$('session-log-out').addEventListener('click', () => {
  void (async () => {
    const out = await session.signOut();
    $('session-logout-note').hidden = false;
    $('session-logout-note').textContent = String(out.description ?? '');
    $('session-aws').hidden = true;
    show({ signedIn: false, message: out.identityCenterSignedOut === true ? 'Signed out (IAM Identity Center too).' : 'Signed out.' });
  })();
});

void onLoad().catch((error: unknown) => show({ signedIn: false, message: `The page could not start: ${String(error)}` }));
