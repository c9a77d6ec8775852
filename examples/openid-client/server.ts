// A backend-for-frontend server using openid-client (panva, v6), a standard OAuth 2.0 / OpenID
// Connect library, against the broker's standard OAuth front door (/oauth2/*, discovered from
// /.well-known/openid-configuration). The browser holds only an HttpOnly session cookie; the library
// does PKCE, state and RFC 9207 `iss` checks. `npm start` turns the front door on (its own URL is the
// issuer, the public client id is `token-broker`):
//
//   TOKEN_BROKER_REDIRECT_URIS=http://127.0.0.1:8080/callback npm start
//   ISSUER=http://127.0.0.1:3000 PORT=8080 npx tsx examples/openid-client/server.ts
//
// then open http://127.0.0.1:8080/login. Routes: GET /login, GET /callback, GET /me, POST /refresh.

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import * as oidc from 'openid-client';

export interface OidcBffOptions {
  /** The broker's issuer: its base URL (TOKEN_BROKER_ISSUER). */
  readonly issuer: string;
  /** Where browsers reach this server; `${publicUrl}/callback` must be in TOKEN_BROKER_REDIRECT_URIS. */
  readonly publicUrl: string;
  /** The stable client id of the front door (TOKEN_BROKER_PUBLIC_CLIENT_ID). */
  readonly clientId?: string;
}

interface Session {
  pending?: { state: string; codeVerifier: string };
  tokens?: { access_token: string; refresh_token?: string | undefined; expires_in?: number | undefined };
}

export async function createOidcBff(options: OidcBffOptions): Promise<http.RequestListener> {
  // A public client (no secret: the broker holds SSO OIDC's). http is allowed for loopback only.
  const config = await oidc.discovery(new URL(options.issuer), options.clientId ?? 'token-broker', undefined, oidc.None(), {
    ...(new URL(options.issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
  });
  const redirectUri = `${options.publicUrl}/callback`;
  const sessions = new Map<string, Session>();

  return (req, res) => {
    const url = new URL(req.url ?? '/', options.publicUrl);
    const sid = /(?:^|;\s*)oidc_session=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    const session = sid === undefined ? undefined : sessions.get(sid);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
    };
    void (async () => {
      switch (`${req.method} ${url.pathname}`) {
        case 'GET /login': {
          const codeVerifier = oidc.randomPKCECodeVerifier();
          const state = oidc.randomState();
          const id = randomBytes(24).toString('base64url');
          sessions.set(id, { pending: { state, codeVerifier } });
          const authorize = oidc.buildAuthorizationUrl(config, {
            redirect_uri: redirectUri,
            scope: 'sso:account:access',
            code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
            code_challenge_method: 'S256',
            state,
          });
          res.writeHead(302, { location: authorize.href, 'set-cookie': `oidc_session=${id}; HttpOnly; SameSite=Lax; Path=/` }).end();
          return;
        }
        case 'GET /callback': {
          if (session?.pending === undefined) return json(400, { error: 'no sign-in in progress' });
          const { state, codeVerifier } = session.pending;
          delete session.pending;
          // Checks state and iss, then redeems the code at the broker's /oauth2/token.
          const { access_token, refresh_token, expires_in } = await oidc.authorizationCodeGrant(config, url, {
            pkceCodeVerifier: codeVerifier,
            expectedState: state,
          });
          session.tokens = { access_token, refresh_token, expires_in };
          res.writeHead(302, { location: '/me' }).end();
          return;
        }
        case 'GET /me':
          if (session?.tokens === undefined) return json(401, { signedIn: false });
          return json(200, { signedIn: true, expiresIn: session.tokens.expires_in, canRefresh: session.tokens.refresh_token !== undefined });
        case 'POST /refresh': {
          const refreshToken = session?.tokens?.refresh_token;
          if (session === undefined || refreshToken === undefined) return json(401, { signedIn: false });
          const refreshed = await oidc.refreshTokenGrant(config, refreshToken);
          // A refresh may return no new refresh token (RFC 6749 section 6): keep the old one.
          session.tokens = { access_token: refreshed.access_token, refresh_token: refreshed.refresh_token ?? refreshToken, expires_in: refreshed.expires_in };
          return json(200, { refreshed: true, expiresIn: refreshed.expires_in });
        }
        default:
          return json(404, { error: 'not_found' });
      }
    })().catch((error: unknown) => {
      // openid-client's errors carry the OAuth error code (e.g. invalid_grant) and never a token.
      const code = error instanceof oidc.ResponseBodyError ? error.error : error instanceof Error ? error.name : 'error';
      json(502, { error: code });
    });
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const issuer = process.env.ISSUER ?? 'http://127.0.0.1:3000';
  const server = http.createServer();
  server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', async () => {
    const { port } = server.address() as { port: number };
    const publicUrl = `http://127.0.0.1:${port}`;
    server.on('request', await createOidcBff({ issuer, publicUrl }));
    console.log(`openid-client BFF on ${publicUrl}: open ${publicUrl}/login (redirect URI ${publicUrl}/callback, issuer ${issuer})`);
  });
}
