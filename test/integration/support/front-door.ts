// The front-door integration tests' one setup (front-door-authorize, -token, -hostile): each file
// starts the emulators and the broker as \`npm start\` runs it, with the front door on, and remembers
// every secret, code, verifier, state and token it sees, none of which may appear in the broker's
// output (checked after the file's tests). The state below is set by setUpFrontDoor()'s beforeAll.

import { afterAll, beforeAll, expect } from '@jest/globals';
import { startEnvironment, type Environment } from '../../helpers/environment.js';
import { beginSignIn, finishSignIn, frontDoorEnv, LOOPBACK_CALLBACK, postForm, PUBLIC_CLIENT_ID } from '../../helpers/front-door.js';
import { pkcePair } from '../../helpers/pkce.js';

export const ORIGIN = 'https://app.example.com';
export const REDIRECT = 'https://app.example.com/callback';
export const SCOPE = 'openid email sso:account:access';
export const DEVICE = 'urn:ietf:params:oauth:grant-type:device_code';

export let environment: Environment;
export let url: string;
/** Every secret, code, verifier, state and token the test file sees; none may appear in the broker's output. */
export const sensitive = new Set<string>();
export const remember = (...values: unknown[]): void => {
  for (const value of values) if (typeof value === 'string' && value.length >= 16) sensitive.add(value);
};
const longState = (): string => `state-${pkcePair().verifier}`;

/**
 * Starts the file's environment (SSO OIDC on \`now\`) before its tests; after them, checks that the
 * broker wrote nothing the file remembered, then stops it.
 */
export function setUpFrontDoor(now: () => number): void {
  beforeAll(async () => {
    environment = await startEnvironment({
      name: 'front-door',
      redirectUri: REDIRECT,
      extraRedirectUris: [LOOPBACK_CALLBACK],
      oidc: { now, deviceIntervalSeconds: 5 },
      brokerEnv: frontDoorEnv({ TOKEN_BROKER_ALLOWED_ORIGINS: ORIGIN }),
    });
    url = environment.broker.url;
    remember(environment.registration.clientSecret);
  });

  afterAll(async () => {
    try {
      if (environment !== undefined) {
        const output = environment.broker.output();
        expect([...sensitive].filter((value) => output.includes(value))).toEqual([]);
      }
    } finally {
      await environment?.stop();
    }
  });
}

export const upstreamTokenCalls = (): number => environment.oidc.callCount('/token');
export const token = (form: Record<string, string> | string, headers: Record<string, string> = {}) =>
  postForm(`${url}/oauth2/token`, form, headers);

export async function signedIn(scope = SCOPE) {
  const begun = await beginSignIn(environment, { redirectUri: REDIRECT, state: longState(), scope });
  const callback = new URL(begun.callbackUrl).searchParams;
  const signIn = await finishSignIn(begun);
  remember(callback.get('code'), callback.get('state'), signIn.code, signIn.verifier, signIn.state);
  return signIn;
}

export async function exchanged(scope = SCOPE) {
  const signIn = await signedIn(scope);
  const response = await token({
    grant_type: 'authorization_code',
    client_id: PUBLIC_CLIENT_ID,
    code: signIn.code,
    redirect_uri: REDIRECT,
    code_verifier: signIn.verifier,
  });
  remember(response.body.access_token, response.body.refresh_token);
  return { signIn, response };
}
