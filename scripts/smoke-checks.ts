// The post-deploy smoke check's checks (scripts/smoke.ts is the command): a deployed broker seen
// from outside, with no user and no real sign-in. Each check says what it saw, and for a failure what
// it means and what to do. Plain fetch and node:tls only, so it runs wherever Node 24 does, and the
// only upstream call it causes is one refresh with a made-up token, which SSO OIDC refuses.

import { randomUUID } from 'node:crypto';
import { NO_ACCESS_TOKEN_MESSAGE, PORTAL_BEARER_HEADER } from '../lambda/core/portal-config.js';
import { EXPOSED_HEADERS } from '../lambda/edge/cors.js';
import { ROUTES } from '../lambda/edge/routes.js';
import { checkSecurityHeaders, checkTls } from './smoke-transport.js';

export type Verdict = 'pass' | 'fail' | 'warn';

export interface CheckResult {
  /** Short stable name, printed in the table and used in tests. */
  readonly name: string;
  readonly verdict: Verdict;
  /** What the check saw, in a few words. */
  readonly saw: string;
  /** For fail and warn: what it means and what to do. */
  readonly advice?: string;
}

export interface SmokeOptions {
  /** The broker's base URL (the stack's ApiUrl or CustomDomainUrl). */
  readonly url: string;
  /** An origin in the broker's allowedOrigins. */
  readonly origin: string;
  /** An origin the broker must refuse. Default: https://smoke-check.invalid (a reserved name, RFC 2606). */
  readonly refusedOrigin?: string;
  /** Per request. Default: 10 s. */
  readonly timeoutMs?: number;
}

export const CHECKS = {
  tls: 'TLS',
  client: 'GET /client',
  preflightAllowed: 'Preflight from the allowed origin',
  preflightRefused: 'Preflight from a refused origin',
  refusedOrigin: 'Request from a refused origin',
  upstreamAnswer: 'Refresh with a made-up token (SSO OIDC answers)',
  errorTypeHeader: 'x-amzn-ErrorType survives the gateway',
  requestIdHeader: 'x-amzn-RequestId survives the gateway',
  bodyType: "Body's __type",
  corsOnAnswer: 'CORS headers on an answer',
  securityHeaders: 'Security and cache headers',
  frontDoor: 'Front door metadata (RFC 8414)',
  portal: 'ListAccounts with a made-up token (the portal answers)',
} as const;

export const DEFAULT_REFUSED_ORIGIN = 'https://smoke-check.invalid';

interface Seen {
  readonly label: string;
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> | undefined;
}

export async function runSmokeChecks(options: SmokeOptions): Promise<CheckResult[]> {
  const base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
  const refused = options.refusedOrigin ?? DEFAULT_REFUSED_ORIGIN;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const results: CheckResult[] = [];
  const answers: Seen[] = [];

  results.push({ name: CHECKS.tls, ...(await checkTls(base, timeoutMs)) });

  const request = async (label: string, path: string, init: RequestInit, record = true): Promise<Seen | CheckResult> => {
    try {
      const response = await fetch(new URL(path.replace(/^\//, ''), base), { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
      const text = await response.text();
      let body: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = JSON.parse(text);
        body = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined;
      } catch {
        body = undefined;
      }
      const seen = { label, status: response.status, headers: response.headers, body };
      if (record) answers.push(seen);
      return seen;
    } catch (error) {
      return {
        name: label,
        verdict: 'fail',
        saw: `no answer: ${describeError(error)}`,
        advice: `The broker could not be reached at ${base.href}. Check the URL (the stack output ApiUrl, or CustomDomainUrl once DNS points at CustomDomainTarget) and your network.`,
      };
    }
  };
  const isResult = (value: Seen | CheckResult): value is CheckResult => 'verdict' in value;

  // GET /client: the broker is up and its secret holds a registration.
  const client = await request(CHECKS.client, pathOf(ROUTES.client), { method: 'GET' });
  if (isResult(client)) return [...results, client];
  results.push(checkClient(client));

  // Preflight from the allowed origin and from a refused one (the function answers both).
  const preflight = (origin: string) =>
    request(CHECKS.preflightAllowed, pathOf(ROUTES.token), {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
  const allowedPreflight = await preflight(options.origin);
  results.push(isResult(allowedPreflight) ? allowedPreflight : checkAllowedPreflight(allowedPreflight, options.origin));
  const refusedPreflight = await preflight(refused);
  results.push(isResult(refusedPreflight) ? { ...refusedPreflight, name: CHECKS.preflightRefused } : checkRefusedPreflight(refusedPreflight, refused));

  // A token request from a refused origin: the broker answers 403 itself, before any upstream call.
  const madeUp = JSON.stringify({ grantType: 'refresh_token', refreshToken: `smoke-check-not-a-real-token-${randomUUID()}` });
  const json = { 'content-type': 'application/json' };
  const fromRefused = await request(CHECKS.refusedOrigin, pathOf(ROUTES.token), { method: 'POST', headers: { ...json, origin: refused }, body: madeUp });
  results.push(isResult(fromRefused) ? fromRefused : checkRefusedRequest(fromRefused, refused));

  // A refresh with a made-up token from the allowed origin: SSO OIDC itself refuses it, and its
  // answer shows whether the error type and request id headers come through the gateway unchanged.
  const upstream = await request(CHECKS.upstreamAnswer, pathOf(ROUTES.token), { method: 'POST', headers: { ...json, origin: options.origin }, body: madeUp });
  if (isResult(upstream)) {
    results.push(upstream);
  } else {
    results.push(...checkUpstreamAnswer(upstream, options.origin));
  }

  results.push({ name: CHECKS.securityHeaders, ...checkSecurityHeaders(answers) });

  // The standard OAuth front door, when enabled: its metadata must name this URL as the issuer.
  // Metadata is public and cacheable, so its headers are not held to the token answers' rules.
  const metadata = await request(CHECKS.frontDoor, pathOf(ROUTES.oauthMetadata), { method: 'GET' }, false);
  results.push(isResult(metadata) ? metadata : checkFrontDoor(metadata, base));

  // The AWS access portal, when enabled: ListAccounts with a made-up token must come back as the
  // portal's own UnauthorizedException, which proves the token's header got through and the
  // pass-through reaches the portal. (Not held to the token answers' header rules: off, it is the gateway's 404.)
  const bearer = { [PORTAL_BEARER_HEADER]: `smoke-check-not-a-real-token-${randomUUID()}` };
  const portal = await request(CHECKS.portal, pathOf(ROUTES.portalAccounts), { method: 'GET', headers: bearer }, false);
  results.push(isResult(portal) ? portal : checkPortal(portal));
  return results;
}

function checkPortal(seen: Seen): CheckResult {
  const name = CHECKS.portal;
  if (seen.status === 404) return { name, verdict: 'pass', saw: 'not enabled (404): no access portal routes' };
  // As the SDKs read it: the header first, then the body's __type.
  const type = seen.headers.get('x-amzn-errortype')?.split(':')[0] ?? typeOf(seen);
  const message = typeof seen.body?.message === 'string' ? seen.body.message : undefined;
  if (seen.status === 401 && type === 'UnauthorizedException' && message === NO_ACCESS_TOKEN_MESSAGE) {
    return {
      name,
      verdict: 'fail',
      saw: '401 from the broker: the request reached it without the token',
      advice:
        `Something in front of the function drops the ${PORTAL_BEARER_HEADER} header. Its name has underscores, which nginx and ` +
        'other proxies drop by default (nginx: underscores_in_headers on): configure it to pass the header unchanged.',
    };
  }
  if (seen.status === 401 && type === 'UnauthorizedException') {
    return { name, verdict: 'pass', saw: `401 UnauthorizedException from the portal${message === undefined ? '' : `: ${message}`}` };
  }
  if (type === 'BadGatewayException' || type === 'GatewayTimeoutException') {
    return {
      name,
      verdict: 'fail',
      saw: short(seen),
      advice:
        'The broker could not reach the AWS access portal (portal.sso.<oidcRegion>): check oidcRegion, the function\'s network ' +
        'egress, and the "request failed" lines of the function log.',
    };
  }
  return unexpected(name, seen, '401 UnauthorizedException from the AWS access portal, or 404 when the portal is off');
}

function checkFrontDoor(seen: Seen, base: URL): CheckResult {
  const name = CHECKS.frontDoor;
  if (seen.status === 404) return { name, verdict: 'pass', saw: 'not enabled (404): the JSON API only' };
  const issuer = seen.body?.issuer;
  if (seen.status !== 200 || typeof issuer !== 'string') return unexpected(name, seen, '200 with the metadata, or 404 when the front door is off');
  const here = base.href.replace(/\/+$/, '');
  const tokenEndpoint = seen.body?.token_endpoint;
  if (issuer !== here) {
    return {
      name,
      verdict: 'warn',
      saw: `issuer ${issuer}, not ${here}`,
      advice:
        `Standard OAuth clients must be configured with the issuer ${issuer} (openid-client, for one, requires the URL it ` +
        'discovers metadata at to be the issuer). That is expected when you checked the execute-api URL of a broker whose ' +
        `issuer is its custom domain; otherwise set the front door's issuer. SSO OIDC must have ${issuer}/oauth2/callback registered.`,
    };
  }
  if (tokenEndpoint !== `${issuer}/oauth2/token`) {
    return { name, verdict: 'fail', saw: `token_endpoint ${String(tokenEndpoint)}`, advice: `Expected ${issuer}/oauth2/token: something rewrites the metadata.` };
  }
  return { name, verdict: 'pass', saw: `issuer ${issuer}` };
}

const pathOf = (routeKey: string): string => routeKey.split(' ')[1]!;

function describeError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code !== undefined) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const typeOf = (seen: Seen): string | undefined => (typeof seen.body?.__type === 'string' ? seen.body.__type : undefined);
const short = (seen: Seen): string => `${seen.status}${typeOf(seen) === undefined ? '' : ` ${typeOf(seen)}`}`;

/** A 5xx or another answer that is not the broker's JSON: usually the gateway, a proxy or the secret. */
function unexpected(name: string, seen: Seen, expected: string): CheckResult {
  const type = typeOf(seen);
  let advice = `Expected ${expected}.`;
  if (seen.status === 500 && type === 'InternalServerException') {
    advice +=
      ' The broker answered 500 InternalServerException: usually its secret holds no registration yet ({}), or it cannot read it. ' +
      'Run `npm run register-client` (docs/deploy.md, "First registration"), then look for "request failed" lines in the function log.';
  } else if (seen.status >= 500 && type === undefined) {
    advice +=
      ' This 5xx is not the broker\'s own JSON answer: API Gateway ({"message":"Internal Server Error"} means the function failed; ' +
      'see the FunctionErrors alarm and the function log), or a proxy or load balancer in front of it answered.';
  } else if (seen.status === 404 && type === undefined) {
    advice += ' A 404 without the broker\'s JSON: the URL is not the broker\'s base URL (the stack output ApiUrl), or the route does not exist.';
  }
  return { name, verdict: 'fail', saw: short(seen), advice };
}

function checkClient(seen: Seen): CheckResult {
  if (seen.status !== 200) return unexpected(CHECKS.client, seen, '200 with the public client id');
  const clientId = seen.body?.clientId;
  if (typeof clientId !== 'string' || clientId === '') {
    return { name: CHECKS.client, verdict: 'fail', saw: '200 without a clientId', advice: 'The answer is not the broker\'s: check that the URL is the broker\'s base URL.' };
  }
  const endpoint = typeof seen.body?.authorizationEndpoint === 'string' ? `, authorize at ${seen.body.authorizationEndpoint}` : '';
  return { name: CHECKS.client, verdict: 'pass', saw: `200, client ${clientId.slice(0, 8)}…${endpoint}` };
}

function checkAllowedPreflight(seen: Seen, origin: string): CheckResult {
  const name = CHECKS.preflightAllowed;
  const allowOrigin = seen.headers.get('access-control-allow-origin');
  const methods = seen.headers.get('access-control-allow-methods') ?? '';
  const headers = (seen.headers.get('access-control-allow-headers') ?? '').toLowerCase();
  const saw = `${seen.status}, allow-origin ${allowOrigin ?? '(none)'}, methods ${methods || '(none)'}`;
  if (seen.status === 403) {
    return {
      name,
      verdict: 'fail',
      saw,
      advice: `The broker refused ${origin}: it is not in allowedOrigins. Give exactly this origin (scheme://host[:port]) in allowedOrigins and deploy again.`,
    };
  }
  if (seen.status >= 300) return unexpected(name, seen, `204 allowing ${origin}`);
  if (allowOrigin !== origin || !/\bPOST\b/.test(methods) || !headers.includes('content-type')) {
    return {
      name,
      verdict: 'fail',
      saw,
      advice:
        `Expected Access-Control-Allow-Origin: ${origin} with POST and content-type allowed. Something between the browser and ` +
        'the function rewrites CORS headers: API Gateway CORS configured on the API (corsPreflight) answers preflight itself and ' +
        'ignores the function; remove it, or check a proxy or CDN in front. Browsers will refuse the broker\'s answers.',
    };
  }
  return { name, verdict: 'pass', saw };
}

function checkRefusedPreflight(seen: Seen, refused: string): CheckResult {
  const name = CHECKS.preflightRefused;
  const allowOrigin = seen.headers.get('access-control-allow-origin');
  const saw = `${short(seen)}, allow-origin ${allowOrigin ?? '(none)'}`;
  if (allowOrigin === '*' || allowOrigin === refused) {
    return {
      name,
      verdict: 'fail',
      saw,
      advice: `A page on ${refused} may call the broker. The function never answers "*": something in front of it (API Gateway CORS, a proxy or CDN) rewrites CORS headers. Remove that, so that allowedOrigins decides.`,
    };
  }
  if (seen.status >= 500) return unexpected(name, seen, '403 ForbiddenOriginException and no Access-Control-Allow-Origin');
  return { name, verdict: 'pass', saw };
}

function checkRefusedRequest(seen: Seen, refused: string): CheckResult {
  const name = CHECKS.refusedOrigin;
  const allowOrigin = seen.headers.get('access-control-allow-origin');
  if (seen.status === 403 && typeOf(seen) === 'ForbiddenOriginException') {
    if (allowOrigin === null) return { name, verdict: 'pass', saw: `${short(seen)}, refused before any SSO OIDC call` };
    return {
      name,
      verdict: 'fail',
      saw: `${short(seen)}, but allow-origin ${allowOrigin}`,
      advice: `The broker refused ${refused}, yet the answer lets that page read it: something in front of the function adds CORS headers. Remove that.`,
    };
  }
  if (seen.status === 400 || seen.status === 401) {
    return {
      name,
      verdict: 'fail',
      saw: short(seen),
      advice: `A request from ${refused} reached SSO OIDC: the broker allows every origin. Check allowedOrigins (no "*"), and that nothing in front strips the Origin header.`,
    };
  }
  return unexpected(name, seen, '403 ForbiddenOriginException');
}

function checkUpstreamAnswer(seen: Seen, origin: string): CheckResult[] {
  const results: CheckResult[] = [];
  const type = typeOf(seen);
  if (seen.status === 400 && type === 'InvalidGrantException') {
    results.push({ name: CHECKS.upstreamAnswer, verdict: 'pass', saw: `${short(seen)}: the registration works and SSO OIDC answers` });
  } else if (type === 'InvalidClientException') {
    results.push({
      name: CHECKS.upstreamAnswer,
      verdict: 'fail',
      saw: short(seen),
      advice:
        'SSO OIDC does not accept the registration in the secret (expired, or registered in another region than oidcRegion). ' +
        'Register again with `npm run register-client` in the Identity Center region (docs/deploy.md).',
    });
    return results;
  } else if (seen.status === 403 && type === 'ForbiddenOriginException') {
    results.push({
      name: CHECKS.upstreamAnswer,
      verdict: 'fail',
      saw: short(seen),
      advice: `The broker refused ${origin}: it is not in allowedOrigins. Pass an allowed origin with --origin, or add it to allowedOrigins.`,
    });
    return results;
  } else {
    results.push(unexpected(CHECKS.upstreamAnswer, seen, '400 InvalidGrantException from SSO OIDC'));
    return results;
  }

  // The error type header: AWS SDKs read the type from it first.
  const errorType = seen.headers.get('x-amzn-errortype');
  const remapped = [...seen.headers.keys()].filter((name) => name.startsWith('x-amzn-remapped-'));
  if (errorType !== null && errorType.split(':')[0] === type) {
    results.push({ name: CHECKS.errorTypeHeader, verdict: 'pass', saw: errorType });
  } else {
    results.push({
      name: CHECKS.errorTypeHeader,
      verdict: 'fail',
      saw: errorType === null ? `missing${remapped.length > 0 ? ` (found ${remapped.join(', ')})` : ''}` : `"${errorType}", body says ${type}`,
      advice:
        'The function sends x-amzn-ErrorType on every error, and something on the way removed or changed it' +
        (remapped.length > 0 ? ' (API Gateway renames x-amzn-* headers it does not pass to x-amzn-Remapped-*)' : '') +
        '. AWS SDKs then fall back to the body\'s __type, which still works (see the next checks); other clients that read the header do not. ' +
        'Check any proxy or CDN in front of the API and report what you saw.',
    });
  }

  const requestId = seen.headers.get('x-amzn-requestid');
  results.push(
    requestId !== null && requestId !== ''
      ? { name: CHECKS.requestIdHeader, verdict: 'pass', saw: requestId }
      : {
          name: CHECKS.requestIdHeader,
          verdict: 'warn',
          saw: 'missing',
          advice: 'SDKs report the request id from this header; without it a support case lacks the id. Find it in the function log instead ("upstreamRequestId").',
        },
  );

  results.push(
    type === 'InvalidGrantException' && seen.body?.error === 'invalid_grant'
      ? { name: CHECKS.bodyType, verdict: 'pass', saw: `__type ${type}, error ${String(seen.body.error)}` }
      : { name: CHECKS.bodyType, verdict: 'fail', saw: `__type ${type ?? '(none)'}`, advice: 'The body is not the broker\'s error shape: something in front rewrites answers.' },
  );

  const allowOrigin = seen.headers.get('access-control-allow-origin');
  const exposed = (seen.headers.get('access-control-expose-headers') ?? '').toLowerCase();
  const missing = EXPOSED_HEADERS.filter((header) => !exposed.includes(header.toLowerCase()));
  results.push(
    allowOrigin === origin && missing.length === 0
      ? { name: CHECKS.corsOnAnswer, verdict: 'pass', saw: `allow-origin ${allowOrigin}, exposes ${EXPOSED_HEADERS.join(', ')}` }
      : {
          name: CHECKS.corsOnAnswer,
          verdict: 'fail',
          saw: `allow-origin ${allowOrigin ?? '(none)'}${missing.length > 0 ? `, not exposed: ${missing.join(', ')}` : ''}`,
          advice:
            `Expected Access-Control-Allow-Origin: ${origin} and Access-Control-Expose-Headers naming ${EXPOSED_HEADERS.join(', ')}. ` +
            'Without them a browser cannot read the answer or its error type. Something in front of the function rewrites CORS headers.',
        },
  );
  return results;
}

/** The table the command prints, then what to do about each failure and warning. */
export function report(results: readonly CheckResult[]): string {
  const mark: Record<Verdict, string> = { pass: 'PASS', fail: 'FAIL', warn: 'WARN' };
  const width = Math.max(...results.map((result) => result.name.length));
  const lines = results.map((result) => `${mark[result.verdict]}  ${result.name.padEnd(width)}  ${result.saw}`);
  const failed = results.filter((result) => result.verdict === 'fail');
  const warned = results.filter((result) => result.verdict === 'warn');
  const notes = [...failed, ...warned].filter((result) => result.advice !== undefined).map((result) => `${mark[result.verdict]} ${result.name}: ${result.advice}`);
  const summary =
    failed.length === 0
      ? `All checks passed${warned.length > 0 ? ` (${warned.length} warning${warned.length === 1 ? '' : 's'})` : ''}.`
      : `${failed.length} check${failed.length === 1 ? '' : 's'} failed: ${failed.map((result) => result.name).join(', ')}.`;
  return [...lines, '', ...(notes.length > 0 ? [...notes, ''] : []), summary].join('\n');
}
