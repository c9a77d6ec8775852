// The smoke check's checks of how answers travel (scripts/smoke-checks.ts names them): TLS (the
// handshake, protocol and certificate of the broker's URL seen from outside, node:tls only) and the
// security and cache headers every answer must keep on its way.

import { connect, type TLSSocket } from 'node:tls';

/** What a check saw: its verdict, and for a failure or warning what to do. */
export interface Verdict {
  readonly verdict: 'pass' | 'fail' | 'warn';
  readonly saw: string;
  readonly advice?: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/**
 * https: the handshake must succeed with a trusted certificate, on TLS 1.2 or later. http on a
 * loopback address is a local run (npm start): a warning, not a failure. http anywhere else fails:
 * tokens and refresh tokens would cross the network in clear (API Gateway itself serves only https).
 */
export async function checkTls(base: URL, timeoutMs: number): Promise<Verdict> {
  if (base.protocol === 'http:') {
    if (LOOPBACK.has(base.hostname)) {
      return { verdict: 'warn', saw: `not applicable: plain http on ${base.hostname} (a local run)`, advice: 'A deployed broker is checked over https.' };
    }
    return {
      verdict: 'fail',
      saw: `plain http to ${base.hostname}`,
      advice: 'Tokens would cross the network unencrypted. Use the https URL (API Gateway serves only https; the stack output ApiUrl is https).',
    };
  }
  if (base.protocol !== 'https:') return { verdict: 'fail', saw: `scheme ${base.protocol}`, advice: 'Give the broker\'s https URL.' };
  const port = Number(base.port || 443);
  return new Promise<Verdict>((resolve) => {
    const socket: TLSSocket = connect({ host: base.hostname, port, servername: base.hostname, timeout: timeoutMs }, () => {
      const protocol = socket.getProtocol() ?? 'unknown';
      const cert = socket.getPeerCertificate();
      socket.end();
      const daysLeft = Math.floor((Date.parse(cert.valid_to) - Date.now()) / 86_400_000);
      const saw = `${protocol}, certificate for ${cert.subject?.CN ?? base.hostname} valid ${daysLeft} more days`;
      if (protocol !== 'TLSv1.2' && protocol !== 'TLSv1.3') {
        resolve({ verdict: 'fail', saw, advice: 'Only TLS 1.2 or later should be offered: set the custom domain\'s security policy to TLS_1_2.' });
      } else if (daysLeft < 14) {
        resolve({ verdict: 'warn', saw, advice: 'The certificate expires soon: renew it (ACM renews DNS-validated certificates by itself).' });
      } else {
        resolve({ verdict: 'pass', saw });
      }
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve({ verdict: 'fail', saw: 'no TLS handshake in time', advice: `Nothing answered TLS on ${base.hostname}:${port}.` });
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      resolve({
        verdict: 'fail',
        saw: `handshake failed: ${error.code ?? error.message}`,
        advice: 'The certificate is not trusted for this name, or nothing answers TLS there. For a custom domain: the certificate must cover the name, and DNS must point at CustomDomainTarget.',
      }),
    );
  });
}

/** Headers every answer must carry (lambda/edge/responses.ts SECURITY_HEADERS): name, test, what it should be. */
const SECURITY_HEADERS: readonly [string, (value: string) => boolean, string][] = [
  ['cache-control', (value) => /\bno-store\b/.test(value), 'no-store'],
  ['x-content-type-options', (value) => value.toLowerCase() === 'nosniff', 'nosniff'],
  ['strict-transport-security', (value) => /max-age=[1-9]\d*/.test(value), 'max-age > 0'],
  ['referrer-policy', (value) => value.toLowerCase() === 'no-referrer', 'no-referrer'],
];

export function checkSecurityHeaders(answers: readonly { readonly label: string; readonly headers: Headers }[]): Verdict {
  const problems: string[] = [];
  for (const answer of answers) {
    for (const [header, ok, want] of SECURITY_HEADERS) {
      const value = answer.headers.get(header);
      if (value === null || !ok(value)) problems.push(`${answer.label}: ${header} ${value === null ? 'missing' : `"${value}"`} (want ${want})`);
    }
  }
  if (problems.length === 0) {
    return { verdict: 'pass', saw: `${SECURITY_HEADERS.map(([header]) => header).join(', ')} on ${answers.length} answers` };
  }
  return {
    verdict: 'fail',
    saw: problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : ''),
    advice:
      'The function sets these on every answer (token answers must not be cached: Cache-Control: no-store). Something in front ' +
      '(a CDN or proxy) removes or rewrites them: configure it to pass the function\'s headers unchanged.',
  };
}
