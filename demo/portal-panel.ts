// "Your AWS access": what an IAM Identity Center access token is for, on the demo pages once signed
// in. The AWS access portal answers no browser (no CORS), so the page calls it through the broker:
// an unmodified SSOClient from @aws-sdk/client-sso with its endpoint at `<broker>/portal`. The panel
// lists the accounts and the roles the broker's role policy allows, gets role credentials (shown
// masked, with their expiry), lets a person try a role the policy refuses, and signs out of IAM
// Identity Center (each page says how: the portal's Logout, or RFC 7009 revocation). Credentials are
// kept nowhere: the page shows the key id's first characters and the expiry, and drops the rest.
// Any page can use it with another PortalAccess (the cookie-session page's would call /bff/portal).

import { GetRoleCredentialsCommand, ListAccountRolesCommand, LogoutCommand, paginateListAccounts, SSOClient } from '@aws-sdk/client-sso';
import type { DemoPortal } from './config.js';

export interface PortalAccess {
  accounts(): Promise<{ readonly accountId: string; readonly accountName?: string }[]>;
  roles(accountId: string): Promise<string[]>;
  credentials(accountId: string, roleName: string): Promise<{ readonly accessKeyId: string; readonly expiration: number }>;
}

/** The broker's /portal routes through an unmodified SSOClient, with the page's current access token. */
export function sdkAccess(endpoint: string, accessToken: () => string | undefined): PortalAccess & { logout(): Promise<void> } {
  // Any region: the endpoint is given, and the portal's operations are unsigned.
  const client = new SSOClient({ region: 'us-east-1', endpoint, maxAttempts: 1 });
  const token = (): string => {
    const current = accessToken();
    if (current === undefined) throw new Error('Sign in first: the page holds no access token.');
    return current;
  };
  return {
    async accounts() {
      const found = [];
      for await (const page of paginateListAccounts({ client }, { accessToken: token() })) found.push(...(page.accountList ?? []));
      return found.map((account) => ({ accountId: account.accountId ?? '', ...(account.accountName === undefined ? {} : { accountName: account.accountName }) }));
    },
    async roles(accountId) {
      const answer = await client.send(new ListAccountRolesCommand({ accessToken: token(), accountId }));
      return (answer.roleList ?? []).map((role) => role.roleName ?? '');
    },
    async credentials(accountId, roleName) {
      const answer = await client.send(new GetRoleCredentialsCommand({ accessToken: token(), accountId, roleName }));
      return { accessKeyId: answer.roleCredentials?.accessKeyId ?? '', expiration: answer.roleCredentials?.expiration ?? 0 };
    },
    async logout() {
      await client.send(new LogoutCommand({ accessToken: token() }));
    },
  };
}

/** An error as a person should read it: the SDK's error name (the portal's or the broker's type), status and message. */
export function describeError(error: unknown): string {
  const failed = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = failed.$metadata?.httpStatusCode;
  return `${failed.name ?? 'Error'}${status === undefined ? '' : ` (${status})`}: ${failed.message ?? String(error)}`;
}

const make = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attributes: Record<string, string> = {}): HTMLElementTagNameMap[K] => {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
};

const maskKey = (accessKeyId: string): string => `${accessKeyId.slice(0, 6)}…`;
const expiry = (epochMs: number): string => `expires ${new Date(epochMs).toLocaleTimeString()} (in ${Math.round((epochMs - Date.now()) / 60_000)} min)`;

export interface Panel {
  /** Shows the panel and lists the accounts (after a sign-in). */
  show(): Promise<void>;
  /** Hides the panel (after a sign-out). */
  hide(): void;
}

/**
 * Fills `section` (an empty, hidden panel) with the AWS access of the signed-in user. `signOut` ends
 * the Identity Center session and answers what happened, in a sentence.
 */
export function portalPanel(section: HTMLElement, access: PortalAccess, portal: DemoPortal, signOut: { label: string; run(): Promise<string> }): Panel {
  const status = make('p', '', { id: 'portal-status', class: 'status', role: 'status', 'aria-live': 'polite' });
  const list = make('ul', undefined, { id: 'portal-accounts' });
  const result = make('p', '', { id: 'portal-result' });
  const reload = make('button', 'List my accounts again', { type: 'button', id: 'portal-reload' });
  const out = make('button', signOut.label, { type: 'button', id: 'portal-sign-out' });
  const tryAccount = make('input', undefined, { id: 'portal-try-account', value: portal.refused?.accountId ?? '', size: '14', 'aria-label': 'account id' });
  const tryRole = make('input', undefined, { id: 'portal-try-role', value: portal.refused?.roleName ?? '', size: '20', 'aria-label': 'role name' });
  const tryButton = make('button', 'Get credentials', { type: 'button', id: 'portal-try' });
  const policy = make('p', undefined, { class: 'hint' });
  policy.append('The broker hands out credentials only for the roles of its role policy (TOKEN_BROKER_PORTAL_ROLES): ', make('code', portal.roles.join(', ')), '.');
  section.replaceChildren(
    make('h2', 'Your AWS access', { id: 'portal-heading' }),
    make('p', 'What the access token is for: the AWS accounts and roles assigned to you in IAM Identity Center, and short-term credentials for them. No browser can call the AWS access portal itself; this page calls it through the broker with an unmodified SSOClient.', { class: 'hint' }),
    policy,
    status,
    list,
    make('h3', 'Try any role'),
    (() => {
      const row = make('div', undefined, { class: 'actions' });
      row.append(tryAccount, tryRole, tryButton);
      return row;
    })(),
    result,
    (() => {
      const row = make('div', undefined, { class: 'actions' });
      row.append(reload, out);
      return row;
    })(),
  );

  const getCredentials = async (accountId: string, roleName: string, shown: HTMLElement): Promise<void> => {
    shown.textContent = 'asking…';
    try {
      const credentials = await access.credentials(accountId, roleName);
      shown.textContent = `${maskKey(credentials.accessKeyId)} ${expiry(credentials.expiration)}`;
      shown.dataset['outcome'] = 'granted';
    } catch (error) {
      shown.textContent = describeError(error);
      shown.dataset['outcome'] = 'refused';
    }
  };

  const load = async (): Promise<void> => {
    status.textContent = 'Asking the broker for your accounts…';
    list.replaceChildren();
    try {
      const accounts = await access.accounts();
      for (const account of accounts) {
        const item = make('li', undefined, { 'data-account': account.accountId });
        const roles = make('ul');
        item.append(make('strong', account.accountName ?? account.accountId), ' ', make('code', account.accountId), roles);
        list.append(item);
        for (const roleName of await access.roles(account.accountId)) {
          const role = make('li', undefined, { 'data-role': roleName });
          const shown = make('span', '', { class: 'portal-credentials' });
          const get = make('button', 'Get credentials', { type: 'button' });
          get.addEventListener('click', () => void getCredentials(account.accountId, roleName, shown));
          role.append(make('code', roleName), ' ', get, ' ', shown);
          roles.append(role);
        }
      }
      status.textContent = accounts.length === 0 ? 'No account has a role the broker allows.' : `${accounts.length} account(s) with roles the broker allows.`;
    } catch (error) {
      status.textContent = describeError(error);
    }
  };

  reload.addEventListener('click', () => void load());
  tryButton.addEventListener('click', () => void getCredentials(tryAccount.value.trim(), tryRole.value.trim(), result));
  out.addEventListener('click', () => {
    status.textContent = 'Signing out of IAM Identity Center…';
    signOut.run().then(
      (said) => {
        status.textContent = said;
        list.replaceChildren();
        section.dataset['signedOut'] = 'true';
      },
      (error: unknown) => {
        status.textContent = describeError(error);
      },
    );
  });

  return {
    async show() {
      section.hidden = false;
      delete section.dataset['signedOut'];
      await load();
    },
    hide() {
      section.hidden = true;
    },
  };
}
