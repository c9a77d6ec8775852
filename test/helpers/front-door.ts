// The front door's browser legs, driven over raw HTTP as a browser would follow them: the client
// sends the person to /oauth2/authorize, SSO OIDC (the emulator's page) signs them in and sends
// them to the broker's callback, which sends them back to the client with a code.

import type { Environment } from './environment.js';
import { pkcePair } from './pkce.js';

/** The loopback callback registered with SSO OIDC: any port matches (RFC 8252 §7.3), as the CLI's. */
export const LOOPBACK_CALLBACK = 'http://127.0.0.1/oauth2/callback';
export const START_URL = 'https://d-1234567890.awsapps.com/start';
export const PUBLIC_CLIENT_ID = 'token-broker';

/** Variables that turn the front door on for a test broker (its own URL is the issuer). */
export const frontDoorEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  TOKEN_BROKER_ISSUER: 'self',
  TOKEN_BROKER_START_URL: START_URL,
  ...extra,
});

export async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { redirect: 'manual', headers });
  const text = await response.text();
  return { status: response.status, headers: response.headers, location: response.headers.get('location'), text };
}

/** A form POST, as standard clients send token requests. */
export async function postForm(url: string, form: Record<string, string> | string, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Left empty: tests assert on text.
  }
  return { status: response.status, headers: response.headers, body, text };
}

export interface AuthorizeParams {
  readonly clientId?: string;
  readonly redirectUri: string;
  readonly state?: string;
  readonly scope?: string;
  readonly challenge?: string;
}

export const authorizeUrl = (brokerUrl: string, params: AuthorizeParams): string =>
  `${brokerUrl}/oauth2/authorize?${new URLSearchParams({
    response_type: 'code',
    client_id: params.clientId ?? PUBLIC_CLIENT_ID,
    redirect_uri: params.redirectUri,
    ...(params.state === undefined ? {} : { state: params.state }),
    ...(params.scope === undefined ? {} : { scope: params.scope }),
    code_challenge: params.challenge ?? pkcePair().challenge,
    code_challenge_method: 'S256',
  }).toString()}`;

/** Follows the person through SSO OIDC's page (allow or deny): the URL SSO OIDC redirects to. */
export async function throughSsoOidc(upstreamAuthorizeUrl: string, decision: 'allow' | 'deny' = 'allow'): Promise<string> {
  const url = new URL(upstreamAuthorizeUrl);
  const form = new URLSearchParams(url.searchParams);
  form.set('decision', decision);
  const response = await fetch(`${url.origin}/authorize`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const text = await response.text();
  if (response.status !== 302) throw new Error(`SSO OIDC answered ${response.status}: ${text}`);
  return response.headers.get('location')!;
}

export interface SignIn {
  readonly code: string;
  readonly verifier: string;
  readonly state: string;
  readonly iss: string | null;
  /** The URL SSO OIDC sent the browser to (the broker's callback, with SSO OIDC's code). */
  readonly callbackUrl: string;
}

/** Begins a sign-in: up to SSO OIDC's redirect to the broker's callback (not yet followed). */
export async function beginSignIn(environment: Pick<Environment, 'broker'>, params: Omit<AuthorizeParams, 'challenge'>) {
  const { verifier, challenge } = pkcePair();
  const authorize = await get(authorizeUrl(environment.broker.url, { ...params, challenge }));
  if (authorize.status !== 302) throw new Error(`authorize answered ${authorize.status}: ${authorize.text}`);
  const callbackUrl = await throughSsoOidc(authorize.location!);
  return { verifier, callbackUrl };
}

/** Finishes a sign-in begun with beginSignIn: the broker's callback sends the browser back with a code. */
export async function finishSignIn(begun: { verifier: string; callbackUrl: string }): Promise<SignIn> {
  const back = await get(begun.callbackUrl);
  if (back.status !== 302) throw new Error(`callback answered ${back.status}: ${back.text}`);
  const url = new URL(back.location!);
  return {
    code: url.searchParams.get('code')!,
    verifier: begun.verifier,
    state: url.searchParams.get('state') ?? '',
    iss: url.searchParams.get('iss'),
    callbackUrl: begun.callbackUrl,
  };
}

export const signInThroughFrontDoor = async (environment: Pick<Environment, 'broker'>, params: Omit<AuthorizeParams, 'challenge'>) =>
  finishSignIn(await beginSignIn(environment, params));
