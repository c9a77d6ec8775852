// The direct calls the broker's routes are compared with: what each route family's work costs with
// nothing around it, one SDK call (or one fetch) on a warm client. Bundled with the broker's own
// esbuild options (bench/bundle.ts) and loaded in a process of its own (bench/child.mjs), so that a
// route family's CPU per call is set against the physical limit of the same upstream call. A route
// family (bench/families.ts) names one of these calls and its argument.

import { CreateTokenCommand, SSOOIDCClient, type CreateTokenCommandInput } from '@aws-sdk/client-sso-oidc';
import {
  GetRoleCredentialsCommand,
  ListAccountRolesCommand,
  ListAccountsCommand,
  SSOClient,
  type GetRoleCredentialsCommandInput,
  type ListAccountRolesCommandInput,
  type ListAccountsCommandInput,
} from '@aws-sdk/client-sso';
import { onceMore } from './once-more.js';

const region = process.env.TOKEN_BROKER_OIDC_REGION ?? process.env.AWS_REGION;
const oidc = new SSOOIDCClient({ region, maxAttempts: 1 });
// The access portal API: unsigned, the access token in the call's input.
const sso = new SSOClient({ region, maxAttempts: 1 });

/** What a direct fetch sends: the API's URL and headers (a bearer token); GET unless a body is given. */
export interface FetchInput {
  readonly url: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** The answer of a direct fetch, read in full as the broker reads it. */
async function fetchOnce(input: FetchInput): Promise<{ status: number; body: string }> {
  const answer = await fetch(input.url, {
    method: input.method ?? 'GET',
    ...(input.headers === undefined ? {} : { headers: input.headers }),
    ...(input.body === undefined ? {} : { body: input.body }),
  });
  const body = await answer.text();
  if (!answer.ok) throw new Error(`the API answered ${answer.status}`);
  return { status: answer.status, body };
}

// Each resolves to the SDK's output as the SDK gives it (its $metadata included): nothing is copied.
export const direct = {
  createToken: (input: CreateTokenCommandInput) => onceMore(() => oidc.send(new CreateTokenCommand(input))),
  listAccounts: (input: ListAccountsCommandInput) => onceMore(() => sso.send(new ListAccountsCommand(input))),
  listAccountRoles: (input: ListAccountRolesCommandInput) => onceMore(() => sso.send(new ListAccountRolesCommand(input))),
  getRoleCredentials: (input: GetRoleCredentialsCommandInput) => onceMore(() => sso.send(new GetRoleCredentialsCommand(input))),
  fetch: fetchOnce,
} as const;

export type DirectCall = keyof typeof direct;
