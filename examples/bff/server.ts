// A backend-for-frontend (BFF) server using the token broker's JSON API: the browser gets only an
// HttpOnly session cookie; the tokens stay in this server's memory. Sign-in is the authorization code
// grant with PKCE through IAM Identity Center; the code exchange and the refresh go through the
// broker's POST /token, which adds the client secret. Against `npm start`:
//
//   TOKEN_BROKER_REDIRECT_URIS=http://127.0.0.1:8080/callback npm start      (registers this redirect URI)
//   BROKER_URL=http://127.0.0.1:3000 PORT=8080 npx tsx examples/bff/server.ts
//
// then open http://127.0.0.1:8080/login. Routes: GET /login, GET /callback, GET /me, POST /refresh,
// POST /logout. A real BFF adds a session store shared by its instances and CSRF protection on POSTs.

import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { pathToFileURL } from 'node:url';

export interface BffOptions {
  /** The token broker's base URL. */
  readonly brokerUrl: string;
  /** Where browsers reach this server; `${publicUrl}/callback` must be registered (TOKEN_BROKER_REDIRECT_URIS). */
  readonly publicUrl: string;
  /** The scopes to ask IAM Identity Center for (its /authorize parameter is `scopes`, plural). */
  readonly scopes?: readonly string[];
}

interface Tokens {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
}

/** A sign-in in progress, or a signed-in session; kept server-side, found by the cookie's random id. */
interface Session {
  pending?: { state: string; codeVerifier: string; clientId: string };
  clientId?: string;
  tokens?: Tokens;
}

const COOKIE = 'bff_session';
const random = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** The broker's JSON API: POST /token with CreateToken's camelCase members, no secret. */
async function brokerToken(brokerUrl: string, body: Record<string, string>): Promise<{ ok: boolean; status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${brokerUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { ok: response.ok, status: response.status, json: (await response.json()) as Record<string, unknown> };
}

export function createBff(options: BffOptions): http.RequestListener {
  const sessions = new Map<string, Session>();
  const redirectUri = `${options.publicUrl}/callback`;
  const scopes = options.scopes ?? ['sso:account:access'];

  const store = (json: Record<string, unknown>, session: Session): void => {
    session.tokens = {
      accessToken: json['accessToken'] as string,
      // A refresh may return no new refresh token: keep the old one.
      refreshToken: (json['refreshToken'] as string | undefined) ?? session.tokens?.refreshToken,
      expiresAt: Date.now() + Number(json['expiresIn']) * 1000,
    };
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', options.publicUrl);
    const sid = /(?:^|;\s*)bff_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const session = sid === undefined ? undefined : sessions.get(sid);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };

    const route = `${req.method} ${url.pathname}`;
    void (async () => {
      if (route === 'GET /login') {
        // The client id and authorize endpoint come from the broker, so a rotated registration reaches us.
        const client = (await (await fetch(`${options.brokerUrl}/client`)).json()) as { clientId: string; authorizationEndpoint: string };
        const codeVerifier = random(32);
        const state = random(16);
        const id = random(24);
        sessions.set(id, { pending: { state, codeVerifier, clientId: client.clientId } });
        const authorize = new URL(client.authorizationEndpoint);
        authorize.search = new URLSearchParams({
          response_type: 'code',
          client_id: client.clientId,
          redirect_uri: redirectUri,
          state,
          code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
          code_challenge_method: 'S256',
          scopes: scopes.join(','),
        }).toString();
        res.writeHead(302, {
          location: authorize.href,
          'set-cookie': `${COOKIE}=${id}; HttpOnly; SameSite=Lax; Path=/`,
        }).end();
      } else if (route === 'GET /callback') {
        const pending = session?.pending;
        if (session === undefined || pending === undefined || url.searchParams.get('state') !== pending.state) {
          json(400, { error: 'state_mismatch' });
          return;
        }
        delete session.pending;
        const code = url.searchParams.get('code');
        if (code === null) {
          json(400, { error: url.searchParams.get('error') ?? 'invalid_request' });
          return;
        }
        // Name the client the sign-in was made with: the broker then uses that registration.
        const answer = await brokerToken(options.brokerUrl, {
          grantType: 'authorization_code',
          clientId: pending.clientId,
          code,
          codeVerifier: pending.codeVerifier,
          redirectUri,
        });
        if (!answer.ok) {
          json(answer.status, { error: answer.json['error'], error_description: answer.json['error_description'] });
          return;
        }
        session.clientId = pending.clientId;
        store(answer.json, session);
        res.writeHead(302, { location: '/me' }).end();
      } else if (route === 'GET /me') {
        // What the browser may know: whether it is signed in, never a token.
        if (session?.tokens === undefined) json(401, { signedIn: false });
        else json(200, { signedIn: true, expiresInSeconds: Math.round((session.tokens.expiresAt - Date.now()) / 1000), canRefresh: session.tokens.refreshToken !== undefined });
      } else if (route === 'POST /refresh') {
        if (session?.tokens?.refreshToken === undefined) {
          json(401, { signedIn: false });
          return;
        }
        const answer = await brokerToken(options.brokerUrl, {
          grantType: 'refresh_token',
          clientId: session.clientId!,
          refreshToken: session.tokens.refreshToken,
        });
        if (!answer.ok) {
          // A dead refresh token ends the session: the user signs in again.
          if (answer.json['error'] === 'invalid_grant' && sid !== undefined) sessions.delete(sid);
          json(answer.status, { error: answer.json['error'] });
          return;
        }
        store(answer.json, session);
        json(200, { refreshed: true, expiresInSeconds: Math.round((session.tokens.expiresAt - Date.now()) / 1000) });
      } else if (route === 'POST /logout') {
        if (sid !== undefined) sessions.delete(sid);
        res.writeHead(204, { 'set-cookie': `${COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0` }).end();
      } else {
        json(404, { error: 'not_found' });
      }
    })().catch(() => json(502, { error: 'broker_unreachable' }));
  };
}

// Run as a program: PORT (8080), BROKER_URL (http://127.0.0.1:3000), PUBLIC_URL (http://127.0.0.1:PORT).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const brokerUrl = process.env.BROKER_URL ?? 'http://127.0.0.1:3000';
  const server = http.createServer();
  server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    const publicUrl = process.env.PUBLIC_URL ?? `http://127.0.0.1:${port}`;
    server.on('request', createBff({ brokerUrl, publicUrl }));
    console.log(`BFF listening on ${publicUrl}: open ${publicUrl}/login (redirect URI ${publicUrl}/callback, broker ${brokerUrl})`);
  });
}
