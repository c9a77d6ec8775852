// The browser side of the token broker's cookie sessions, for single-page apps: sign in, come back
// from the sign-in, call APIs through the broker, refresh and sign out, with the CSRF header and
// credentials on every call. No dependency, no token: the broker keeps the tokens in HttpOnly cookies
// and, with page tokens `none` (the default), page script never sees one.
//
// Tabs: one browser shares one cookie jar, so tabs that refresh at the same moment would send the
// same refresh token, and with SSO OIDC rotating refresh tokens all but one would be refused. Every
// refresh here holds an exclusive Web Lock (navigator.locks, in every current browser on a secure
// context) and every API call a shared one, so a browser's refreshes run one at a time and never
// while one of its calls is under way; a tab that waited first asks whether another tab has already
// refreshed. Without Web Locks the broker's two cookie slots and one retry still keep two tabs safe.
//
// Published as the package's `sso-oidc-token-broker/session` (docs/token-handler.md), used by
// demo/session.ts.

/** The broker's answer when it is not 2xx: its status and `{ __type, error, error_description }`. */
export class BrokerSessionError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {
    super(typeof body.error_description === 'string' ? body.error_description : `the token broker answered ${status}`);
    this.name = 'BrokerSessionError';
  }
}

export interface SessionStatus {
  readonly isLoggedIn: boolean;
  /** Epoch seconds. */
  readonly sessionExpiresAt?: number;
  /** Epoch seconds (from GET /bff/session, or computed from a refresh's `expiresIn`). */
  readonly accessTokenExpiresAt?: number;
  /** Only with page tokens `access`. */
  readonly accessToken?: string;
}

export interface SessionClientOptions {
  /** The broker's URL (its issuer), e.g. `https://auth.example.com`. */
  readonly broker: string;
  /** Refresh an access token this many seconds before it expires. Default 60. */
  readonly refreshSkewSeconds?: number;
  /** The Web Lock's name; tabs of one app share it. Default `token-broker-session`. */
  readonly lockName?: string;
}

export interface SessionClient {
  /** POST /bff/login/start, then sends the browser to the sign-in page. */
  signIn(options?: { readonly redirectUri?: string; readonly scope?: string }): Promise<void>;
  /** On the page a sign-in came back to: POST /bff/login/end, then removes code, state and iss from the address bar. Undefined on any other page. */
  handleRedirect(): Promise<SessionStatus | undefined>;
  /** GET /bff/session. */
  status(): Promise<SessionStatus>;
  /** A fresh access token in the session, one tab at a time; `force` refreshes even when another tab just did. */
  refresh(options?: { readonly force?: boolean }): Promise<SessionStatus>;
  /** A request to `/bff/api/<api>/<path>`: the broker adds the access token. The body must be re-readable (a string, Blob, FormData…): a request may be sent twice. */
  fetch(api: string, path: string, init?: RequestInit): Promise<Response>;
  /** A request to any other session route of the broker (e.g. `/bff/portal/…`), with the same care. */
  call(path: string, init?: RequestInit): Promise<Response>;
  /** POST /bff/logout. */
  signOut(): Promise<Record<string, unknown>>;
}

const CSRF = { 'x-token-broker-csrf': '1' } as const;
const SIGN_IN_PARAMETERS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri'];
const now = (): number => Math.floor(Date.now() / 1000);

export function createSessionClient(options: SessionClientOptions): SessionClient {
  const broker = options.broker.replace(/\/+$/, '');
  const skew = options.refreshSkewSeconds ?? 60;
  const lockName = options.lockName ?? 'token-broker-session';
  let accessTokenExpiresAt: number | undefined;

  const locked = <T>(mode: LockMode, work: () => Promise<T>): Promise<T> =>
    typeof navigator !== 'undefined' && navigator.locks !== undefined ? navigator.locks.request(lockName, { mode }, work) : work();

  const send = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${broker}${path}`, { ...init, credentials: 'include', headers: { ...Object.fromEntries(new Headers(init.headers)), ...CSRF } });

  async function json(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Record<string, unknown>> {
    const response = await send(path, method === 'GET' ? {} : { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    const text = await response.text();
    const parsed = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
    if (!response.ok) throw new BrokerSessionError(response.status, parsed);
    return parsed;
  }

  const remember = (answer: Record<string, unknown>): SessionStatus => {
    if (typeof answer.accessTokenExpiresAt === 'number') accessTokenExpiresAt = answer.accessTokenExpiresAt;
    else if (typeof answer.expiresIn === 'number') accessTokenExpiresAt = now() + answer.expiresIn;
    if (answer.isLoggedIn === false) accessTokenExpiresAt = undefined;
    return { ...(answer as unknown as SessionStatus), ...(accessTokenExpiresAt === undefined ? {} : { accessTokenExpiresAt }) };
  };

  const status = async (): Promise<SessionStatus> => {
    try {
      return remember(await json('GET', '/bff/session'));
    } catch (error) {
      // An unusable cookie: the broker has cleared it.
      if (error instanceof BrokerSessionError && error.status === 401) return remember({ isLoggedIn: false });
      throw error;
    }
  };

  /** The session expired under us: unless another tab kept it alive (asked once), it is over. */
  const stillSignedIn = async (response: Response): Promise<boolean> =>
    response.status === 401 && response.headers.get('x-amzn-ErrorType') === 'SessionExpiredException' && (await status()).isLoggedIn;

  const refresh = (refreshOptions: { readonly force?: boolean } = {}): Promise<SessionStatus> =>
    locked('exclusive', async () => {
      const current = await status();
      // Another tab may have refreshed while this one waited for the lock.
      if (!current.isLoggedIn || (refreshOptions.force !== true && (current.accessTokenExpiresAt ?? 0) - now() > skew)) return current;
      try {
        return remember(await json('POST', '/bff/refresh'));
      } catch (error) {
        // A refresh from another browser (or a tab without Web Locks) won the race: once more, if the session lives on.
        if (!(error instanceof BrokerSessionError) || error.status !== 401 || !(await status()).isLoggedIn) throw error;
        return remember(await json('POST', '/bff/refresh'));
      }
    });

  async function call(path: string, init: RequestInit = {}): Promise<Response> {
    if (accessTokenExpiresAt === undefined) await status();
    if (accessTokenExpiresAt !== undefined && accessTokenExpiresAt - now() <= skew) await refresh();
    const response = await locked('shared', () => send(path, init));
    return (await stillSignedIn(response)) ? locked('shared', () => send(path, init)) : response;
  }

  return {
    async signIn(signInOptions = {}) {
      const { authorizationUrl } = await json('POST', '/bff/login/start', signInOptions);
      location.assign(String(authorizationUrl));
    },
    async handleRedirect() {
      const url = new URL(location.href);
      if (!url.searchParams.has('code') && !url.searchParams.has('error')) return undefined;
      try {
        return remember(await json('POST', '/bff/login/end', { pageUrl: location.href }));
      } finally {
        // The code, state and iss have done their work: off the address bar and the history.
        for (const name of SIGN_IN_PARAMETERS) url.searchParams.delete(name);
        history.replaceState(history.state, '', url.href);
      }
    },
    status,
    refresh,
    fetch: (api, path, init) => call(`/bff/api/${encodeURIComponent(api)}/${path.replace(/^\/+/, '')}`, init),
    call,
    async signOut() {
      const answer = await json('POST', '/bff/logout');
      accessTokenExpiresAt = undefined;
      return answer;
    },
  };
}
