// `npm start`: the Lambda handler behind the local API Gateway adapter on 127.0.0.1:$PORT (3000).
// With TOKEN_BROKER_SECRET_ID unset it runs on embedded defaults, on the next ports: the demo
// frontend (PORT+1, a web page on another origin that signs in through the broker), an SSO OIDC
// emulator (PORT+2) and a Secrets Manager emulator (PORT+3), with a freshly registered client stored
// in the secret; with the front door on, the cookie-session page on an origin of its own (PORT+4)
// and a demo API the broker proxies for it (PORT+5). With TOKEN_BROKER_SECRET_ID set it uses the configured AWS endpoints and
// credentials, as the Lambda would, and serves no demo.
// The standard OAuth 2.0 front door (TOKEN_BROKER_ISSUER) is on in demo mode, with this server's own
// URL as issuer; elsewhere TOKEN_BROKER_ISSUER=self asks for the same (with PORT=0 the URL is known
// only once the server listens, so the server listens before the configuration is read).

import { RegisterClientCommand, SSOOIDCClient } from '@aws-sdk/client-sso-oidc';
import { startDemoFrontend, type DemoFrontend } from '../demo/server.js';
import { startDemoApi, type DemoApi } from './demo-api.js';
import { ConfigError, ENV, FUNCTION_TIMEOUT_MS, GRANT_TYPES, loadConfig, type BrokerConfig } from '../lambda/core/config.js';
import { generateCookieKey } from '../lambda/core/cookie-keys.js';
import { ROUTE_DOCS } from '../lambda/edge/route-docs.js';
import { featuresOf, PORTAL_BASE_PATH, ROUTE_TABLE, routeIdOf, routeKeysFor, type RouteKey } from '../lambda/edge/routes.js';
import { startLocalApi, type LambdaHandler } from './adapter.js';
import { LOCAL_LOGS_ENV, logFormat, useHumanLogs, type LogFormat } from './log-format.js';
import { SecretsManagerEmulator } from './emulators/secrets-manager.js';
import { DEMO_ASSIGNMENTS, SsoOidcEmulator, TOKEN_CHARS } from './emulators/sso-oidc.js';

const basePort = Number(process.env.PORT ?? 3000);
// PORT=0 puts every server on a free port (the tests use it); otherwise they sit side by side.
const portAt = (offset: number): number => (basePort === 0 ? 0 : basePort + offset);

/**
 * The function timeout the local adapter reports to the handler (context.getRemainingTimeInMillis),
 * in ms; default the deployed one (FUNCTION_TIMEOUT_MS). Tests shorten it to reach the request
 * deadline and Lambda's timeout quickly.
 */
const FUNCTION_TIMEOUT_ENV = 'TOKEN_BROKER_LOCAL_FUNCTION_TIMEOUT_MS';

function localFunctionTimeout(): number {
  const raw = process.env[FUNCTION_TIMEOUT_ENV];
  if (raw === undefined || raw === '') return FUNCTION_TIMEOUT_MS;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1000 || ms > 900_000) {
    throw new ConfigError([`${FUNCTION_TIMEOUT_ENV} must be a whole number from 1000 to 900000, got "${raw}"`]);
  }
  return ms;
}

/** Demo mode only. */
const DEMO_ENV = {
  /** The origin the browser opens the demo at, when not http://127.0.0.1:<port> (e.g. http://localhost:3001). */
  origin: 'TOKEN_BROKER_DEMO_ORIGIN',
  /** The emulator's device-flow polling interval in seconds (default 5); the browser tests set 1. */
  deviceIntervalSeconds: 'TOKEN_BROKER_DEMO_DEVICE_INTERVAL_SECONDS',
  /**
   * `true`: the emulator also returns an unsigned idToken on sign-in, as it used to. Off by default:
   * SSO OIDC documents idToken as not supported, and the emulator follows the documented service.
   */
  idToken: 'TOKEN_BROKER_DEMO_ID_TOKEN',
  /** The length of the emulator's access and refresh tokens in characters (default 67), to try big tokens. */
  accessTokenChars: 'TOKEN_BROKER_DEMO_ACCESS_TOKEN_CHARS',
  refreshTokenChars: 'TOKEN_BROKER_DEMO_REFRESH_TOKEN_CHARS',
  /** `true`: each refresh returns a new refresh token and revokes the old one. */
  rotateRefreshTokens: 'TOKEN_BROKER_DEMO_ROTATE_REFRESH_TOKENS',
  /** The origin the browser opens the cookie-session demo at, when not http://127.0.0.1:<PORT+4>. */
  sessionOrigin: 'TOKEN_BROKER_DEMO_SESSION_ORIGIN',
} as const;
/** The demo API's name in TOKEN_BROKER_APIS: the session page calls it at /bff/api/demo/…. */
const DEMO_API_NAME = 'demo';
const DEMO_SCOPES = ['openid', 'email', 'profile', 'sso:account:access'];
/** The cookie-session demo page (demo/session.html). */
const SESSION_PAGE = '/session';
const DEMO_START_URL = 'https://example.awsapps.com/start';
/**
 * The demo's role policy: PowerUserAccess in the first demo account, ReadOnlyAccess in any. The
 * demo user also has AdministratorAccess there, PowerUserAccess in the second account and
 * ViewOnlyAccess in the third, which it refuses: the page shows a grant and a refusal.
 */
const DEMO_SANDBOX = DEMO_ASSIGNMENTS[0]!.accountId;
const DEMO_PORTAL_ROLES = `${DEMO_SANDBOX}/PowerUserAccess,*/ReadOnlyAccess`;
const DEMO_REFUSED_ROLE = { accountId: DEMO_SANDBOX, roleName: 'AdministratorAccess' } as const;

interface Demo {
  readonly oidc: SsoOidcEmulator;
  readonly secrets: SecretsManagerEmulator;
  readonly frontend: DemoFrontend;
  /** The cookie-session page's server and the API it calls through the broker (with the front door on). */
  readonly session: { readonly frontend: DemoFrontend; readonly origins: readonly string[]; readonly api: DemoApi } | undefined;
  /** The origins the demo page may be opened at (both loopback spellings unless one is configured). */
  readonly origins: readonly string[];
  /** The page's redirect URI on each of those origins; the first is the one the banner shows. */
  readonly redirectUris: readonly string[];
  /** The redirect URIs and origins the developer configured for their own app, kept alongside the demo's. */
  readonly ownRedirectUris: readonly string[];
  readonly ownOrigins: readonly string[];
}

const commaList = (value: string | undefined): string[] =>
  (value ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');

const union = (...lists: (readonly string[])[]): string[] => [...new Set(lists.flat())];

/**
 * Where a developer may open the demo: the configured origin, or the frontend's own URL under both
 * loopback spellings (browsers treat http://127.0.0.1:3001 and http://localhost:3001 as different
 * origins, and people type either).
 */
function demoOrigins(frontendUrl: string): string[] {
  const configured = process.env[DEMO_ENV.origin];
  if (configured !== undefined && configured !== '') return [new URL(configured).origin];
  const url = new URL(frontendUrl);
  return [url.origin, `${url.protocol}//localhost:${url.port}`];
}

/**
 * The cookie-session page's own server (a cookie-session origin may not acquire tokens, so it cannot
 * share the token pages' origin) and the demo API the broker proxies for it, unless the developer
 * names APIs of their own.
 */
async function startSessionDemo(oidc: SsoOidcEmulator): Promise<NonNullable<Demo['session']>> {
  const frontend = await startDemoFrontend({ port: portAt(4), pages: 'session' });
  const api = await startDemoApi({ port: portAt(5), portalUrl: oidc.url });
  // 127.0.0.1 only, like the broker: its cookies are SameSite=Strict, and localhost is another site.
  const configured = process.env[DEMO_ENV.sessionOrigin];
  const origins = [configured !== undefined && configured !== '' ? new URL(configured).origin : frontend.url];
  process.env[ENV.sessionOrigins] = union(commaList(process.env[ENV.sessionOrigins]), origins).join(',');
  process.env[ENV.apis] ??= `${DEMO_API_NAME}=${api.url} GET POST`;
  return { frontend, origins, api };
}

/** `TOKEN_BROKER_ISSUER=self`: the issuer is the URL this server listens on (local runs only). */
const ISSUER_SELF = 'self';

/** The front door's demo page (demo/oidc.html) is its own redirect URI, on each demo origin. */
const OIDC_PAGE = '/oidc.html';

function demoDeviceInterval(): number {
  const raw = process.env[DEMO_ENV.deviceIntervalSeconds] ?? '5';
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 60) {
    throw new ConfigError([`${DEMO_ENV.deviceIntervalSeconds} must be a whole number from 1 to 60, got "${raw}"`]);
  }
  return seconds;
}

/** A token length from DEMO_ENV, or undefined for the emulator's default. */
function demoTokenChars(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const chars = Number(raw);
  if (!Number.isInteger(chars) || chars < TOKEN_CHARS.min || chars > TOKEN_CHARS.max) {
    throw new ConfigError([`${name} must be a whole number from ${TOKEN_CHARS.min} to ${TOKEN_CHARS.max}, got "${raw}"`]);
  }
  return chars;
}

/**
 * Starts the emulators and the demo frontend, registers a client whose redirect URI is on the
 * frontend's origin, and points the broker's variables at all of it. The frontend listens first:
 * with PORT=0 its origin is known only then.
 */
async function startDemo(issuer: string | undefined): Promise<Demo> {
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const oidc = await SsoOidcEmulator.start({
    port: portAt(2),
    deviceIntervalSeconds: demoDeviceInterval(),
    idToken: process.env[DEMO_ENV.idToken] === 'true',
    accessTokenChars: demoTokenChars(DEMO_ENV.accessTokenChars),
    refreshTokenChars: demoTokenChars(DEMO_ENV.refreshTokenChars),
    rotateRefreshTokens: process.env[DEMO_ENV.rotateRefreshTokens] === 'true',
  });
  const secrets = await SecretsManagerEmulator.start({ port: portAt(3), region });
  const frontend = await startDemoFrontend({ port: portAt(1) });
  const session = issuer === undefined ? undefined : await startSessionDemo(oidc);
  const origins = demoOrigins(frontend.url);
  const redirectUris = origins.map((origin) => `${origin}/callback`);
  // A developer's own app, configured as for a deployment, signs in next to the demo: its redirect
  // URIs are registered with the emulator and allowed by the broker, and so are the demo's.
  const ownRedirectUris = commaList(process.env[ENV.redirectUris]);
  const ownOrigins = commaList(process.env[ENV.allowedOrigins]);

  // The registration is made the way an operator would make it: RegisterClient over HTTP.
  const client = new SSOOIDCClient({ region, endpoint: oidc.url });
  const registration = await client.send(
    new RegisterClientCommand({
      clientName: 'token-broker-local',
      clientType: 'public',
      grantTypes: Object.values(GRANT_TYPES),
      // With the front door on, SSO OIDC sends its sign-ins to the broker's callback.
      redirectUris: union(redirectUris, ownRedirectUris, issuer === undefined ? [] : [`${issuer}${ROUTE_TABLE.oauthCallback.path}`]),
      issuerUrl: oidc.url,
      scopes: DEMO_SCOPES,
    }),
  );
  client.destroy();
  const { $metadata: _metadata, ...answer } = registration;
  secrets.putSecret('token-broker/registration', JSON.stringify(answer));
  // Cookie sessions (/bff), on in the sandbox, with a key made as the rotation step makes one.
  secrets.putSecret('token-broker/cookie-keys', JSON.stringify(generateCookieKey()));

  const defaults: Record<string, string> = {
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_SSO_OIDC: oidc.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
    [ENV.secretId]: 'token-broker/registration',
    [ENV.grantTypes]: Object.values(GRANT_TYPES).join(','),
    [ENV.startUrl]: DEMO_START_URL,
    // The access portal through the broker, with a role policy that allows some of the demo user's roles.
    [ENV.portal]: 'on',
    ...(issuer === undefined ? {} : { [ENV.cookieSessions]: 'on', [ENV.cookieKeysSecretId]: 'token-broker/cookie-keys' }),
  };
  for (const [name, value] of Object.entries(defaults)) process.env[name] ??= value;
  if (process.env[ENV.portal] === 'on') process.env[ENV.portalRoles] ??= DEMO_PORTAL_ROLES;
  process.env[ENV.allowedOrigins] = union(ownOrigins, origins).join(',');
  process.env[ENV.redirectUris] = union(
    ownRedirectUris,
    redirectUris,
    origins.map((origin) => `${origin}${OIDC_PAGE}`),
    // The cookie-session page is its own callback, on its own origin.
    (session?.origins ?? []).map((origin) => `${origin}${SESSION_PAGE}`),
  ).join(',');
  // The emulators' endpoints always win in demo mode: real AWS is never called from it.
  process.env.AWS_ENDPOINT_URL_SSO_OIDC = oidc.url;
  // The access portal (service `sso`) is served by the same emulator.
  process.env.AWS_ENDPOINT_URL_SSO = oidc.url;
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;
  return { oidc, secrets, frontend, session, origins, redirectUris, ownRedirectUris, ownOrigins };
}

/**
 * Tells the demo page where the broker is, now that its URL is known. The page gets the client id
 * and the authorize endpoint from the broker itself (GET /client), as any frontend should.
 */
function configureFrontend(demo: Demo, config: BrokerConfig, brokerUrl: string): void {
  const sessionPage = demo.session === undefined ? undefined : `${demo.session.origins[0]}${SESSION_PAGE}`;
  const portal =
    config.portal === undefined
      ? null
      : {
          endpoint: `${brokerUrl}${PORTAL_BASE_PATH}`,
          roles: config.portal.roles.rules.map((rule) => `${rule.accountId}/${rule.roleName}`),
          refused: DEMO_REFUSED_ROLE,
        };
  demo.frontend.configure({
    brokerUrl,
    redirectUri: demo.redirectUris[0]!,
    scopes: DEMO_SCOPES,
    deviceStartUrl: config.grantTypes.has(GRANT_TYPES.deviceCode) ? DEMO_START_URL : null,
    frontDoor: config.issuer === undefined ? null : { authority: config.issuer, clientId: config.publicClientId },
    ...(sessionPage === undefined ? {} : { sessionPage }),
    portal,
  }, demo.redirectUris);
  if (demo.session === undefined || sessionPage === undefined) return;
  const sessionRedirects = demo.session.origins.map((origin) => `${origin}${SESSION_PAGE}`);
  demo.session.frontend.configure(
    { brokerUrl, redirectUri: sessionPage, scopes: DEMO_SCOPES, deviceStartUrl: null, sessionPage, apis: [...(config.cookieSessions?.apis.keys() ?? [])], portal },
    sessionRedirects,
  );
}

/** One line per route the configuration enables: the same list the adapter (and API Gateway) serves. */
function routeLines(apiUrl: string, routes: readonly RouteKey[]): string[] {
  const width = Math.max(...routes.map((route) => route.length)) + apiUrl.length;
  return routes.map((route) => {
    const [method, path] = route.split(' ') as [string, string];
    const shown = `${method} ${apiUrl}${path === '/{proxy+}' ? '/*' : path}`;
    return `  ${shown.padEnd(width)}  ${ROUTE_DOCS[routeIdOf(route)!].note}`;
  });
}

function banner(apiUrl: string, routes: readonly RouteKey[], config: BrokerConfig, demo: Demo | undefined, logs: LogFormat): string[] {
  const device = config.grantTypes.has(GRANT_TYPES.deviceCode);
  const lines = [`token broker listening on ${apiUrl}`, ...routeLines(apiUrl, routes)];
  if (config.issuer !== undefined) {
    lines.push(
      `standard OAuth 2.0 front door: issuer ${config.issuer}, client_id ${config.publicClientId}`,
      `  the redirect URI to register with SSO OIDC for it: ${config.issuer}${ROUTE_TABLE.oauthCallback.path}`,
    );
  }
  if (config.portal !== undefined) {
    lines.push(
      `AWS access portal: endpoint ${apiUrl}${PORTAL_BASE_PATH} for an SSOClient, boto3 or aws sso --endpoint-url`,
      `  role policy: ${config.portal.roles.rules.map((rule) => `${rule.accountId}/${rule.roleName}`).join(', ')}`,
    );
  }
  if (demo === undefined) {
    lines.push(`using secret ${config.secretId} and SSO OIDC in ${config.oidcRegion}`);
  } else {
    const [primary, ...others] = demo.origins;
    const served = primary === demo.frontend.url || others.includes(demo.frontend.url) ? '' : ` (served on ${demo.frontend.url})`;
    lines.push(
      `embedded SSO OIDC emulator on ${demo.oidc.url}, Secrets Manager emulator on ${demo.secrets.url}`,
      `demo frontend: ${primary}${served}${others.length === 0 ? '' : ` (or ${others.join(', ')})`}`,
      `  open it in a browser and click "Sign in": the emulator signs in a demo user, no AWS account needed`,
      ...(config.issuer === undefined ? [] : [`  ${primary}/oidc.html signs in with oidc-client-ts through the front door`]),
      ...(config.portal === undefined ? [] : [`  once signed in, "Your AWS access" lists the accounts and allowed roles, gets credentials and signs out`]),
      ...(demo.session === undefined || config.cookieSessions === undefined
        ? []
        : [
            `cookie-session demo: ${demo.session.origins[0]}${SESSION_PAGE}${demo.session.origins.length > 1 ? ` (or ${demo.session.origins.slice(1).join(', ')})` : ''}`,
            `  signs in with cookie sessions (the broker as its backend-for-frontend) and calls ${demo.session.api.url} through the broker (/bff/api/${DEMO_API_NAME}/...)`,
          ]),
    );
    if (demo.ownRedirectUris.length > 0 || demo.ownOrigins.length > 0) {
      lines.push(
        `your app: redirect URIs ${demo.ownRedirectUris.join(', ') || '(none)'} registered with the emulator;` +
          ` origins ${demo.ownOrigins.join(', ') || '(none)'} allowed, next to the demo's`,
      );
    }
  }
  const json = `-H 'content-type: application/json'`;
  lines.push(
    `try it with curl:`,
    `  curl -s ${apiUrl}/client`,
    `  curl -s -X POST ${apiUrl}/token ${json} -d '{"grantType":"refresh_token","refreshToken":"not-a-real-one"}'   (an error, as SSO OIDC says it)`,
  );
  if (config.portal !== undefined) {
    lines.push(`  aws sso list-accounts --endpoint-url ${apiUrl}${PORTAL_BASE_PATH} --region ${config.oidcRegion} --access-token <accessToken>`);
  }
  if (device && demo !== undefined) {
    lines.push(
      `the device flow with curl:`,
      `  curl -s -X POST ${apiUrl}/device_authorization ${json} -d '{"startUrl":"${DEMO_START_URL}"}'`,
      `  then open the verificationUriComplete it prints, approve, and exchange the deviceCode:`,
      `  curl -s -X POST ${apiUrl}/token ${json} -d '{"grantType":"${GRANT_TYPES.deviceCode}","deviceCode":"<deviceCode>"}'`,
    );
  }
  lines.push(
    logs === 'human'
      ? `one line per request below; ${LOCAL_LOGS_ENV}=json prints the Lambda's JSON log and metric lines instead`
      : `printing the Lambda's JSON log and metric lines (${LOCAL_LOGS_ENV}=json)`,
  );
  return lines;
}

async function main(): Promise<void> {
  const logs = logFormat(process.env[LOCAL_LOGS_ENV]);
  if (logs === 'human') useHumanLogs();
  const demoMode = !process.env[ENV.secretId];
  // The server listens first, so that its own URL can be the front door's issuer: requests wait for
  // the handler, and the route list (which the adapter reads on each request) is filled once the
  // configuration is known. Nothing is served before the banner below is printed.
  let ready: (handler: LambdaHandler) => void = () => undefined;
  const loaded = new Promise<LambdaHandler>((resolve) => (ready = resolve));
  const routes: RouteKey[] = [];
  const api = await startLocalApi({
    handler: async (event, context) => (await loaded)(event, context),
    routes,
    port: basePort,
    timeoutMs: localFunctionTimeout(),
  });
  // The front door is on in demo mode, with this server as issuer; TOKEN_BROKER_ISSUER=self asks for it elsewhere.
  if (process.env[ENV.issuer] === ISSUER_SELF || (demoMode && process.env[ENV.issuer] === undefined)) {
    process.env[ENV.issuer] = api.url;
  }
  const demo = demoMode ? await startDemo(process.env[ENV.issuer]) : undefined;
  const config = loadConfig();
  const features = featuresOf(config);
  routes.push(...routeKeysFor(features.grantTypes, features));
  // As the Lambda runtime sets it: Powertools reports the first invocation as a cold start.
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE ??= 'on-demand';
  // Imported only now: the handler reads its configuration at module load, as in Lambda.
  const { handler } = await import('../lambda/handler.js');
  // Middy types the context as its handler sees it (with the audit record its middleware adds); the
  // caller, like Lambda, passes a plain Context.
  ready(handler as unknown as LambdaHandler);
  if (demo) configureFrontend(demo, config, api.url);
  // One write, so that whoever reads the banner (the tests do) gets it whole.
  process.stderr.write(`${banner(api.url, routes, config, demo, logs).join('\n')}\n`);

  const stop = async (): Promise<void> => {
    await api.close();
    await demo?.frontend.close();
    await demo?.session?.frontend.close();
    await demo?.session?.api.stop();
    await demo?.oidc.stop();
    await demo?.secrets.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError ? `${error.message}\n` : `token broker failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
