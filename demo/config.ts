// What the demo page learns from its server (GET /config.json): the settings a web frontend of the
// broker is deployed with. The client id and the authorize endpoint are not among them: the page
// asks the broker (GET /client), so a rotated registration reaches it without a redeploy. Shared by
// demo/server.ts and demo/app.ts; nothing here is secret.

export interface DemoConfig {
  /** The token broker's base URL: GET /client, POST /token and POST /device_authorization. */
  readonly brokerUrl: string;
  /** Where /authorize sends the browser back: `${origin}/callback`, registered with the client. */
  readonly redirectUri: string;
  /** Scopes asked for at /authorize (SSO OIDC's parameter is `scopes`, plural). */
  readonly scopes: readonly string[];
  /** The IAM Identity Center start URL sent to StartDeviceAuthorization; null when the device grant is off. */
  readonly deviceStartUrl: string | null;
  /**
   * The standard OAuth 2.0 front door, for demo/oidc.html: the broker's issuer (oidc-client-ts's
   * `authority`) and the public client id. Absent when the broker has no issuer.
   */
  readonly frontDoor?: { readonly authority: string; readonly clientId: string } | null;
  /** The cookie-session page (on its own origin), when cookie sessions are on. */
  readonly sessionPage?: string;
  /** The APIs the broker proxies for the cookie-session page (TOKEN_BROKER_APIS names). */
  readonly apis?: readonly string[];
  /**
   * The AWS access portal through the broker (TOKEN_BROKER_PORTAL=on); absent or null when off. The
   * cookie-session page reaches it through /bff/portal, the token pages through `endpoint`.
   */
  readonly portal?: DemoPortal | null;
}

/** What the "Your AWS access" panel (demo/portal-panel.ts) is told. */
export interface DemoPortal {
  /** The SSOClient's endpoint: `<broker>/portal`. */
  readonly endpoint: string;
  /** The broker's role policy (TOKEN_BROKER_PORTAL_ROLES), shown on the page. */
  readonly roles: readonly string[];
  /** A role of the demo user's the policy refuses, offered under "Try any role". */
  readonly refused?: { readonly accountId: string; readonly roleName: string };
}
