// Small pieces the front door's endpoints share.

import type { Answer } from '../answer.js';

/**
 * A 302 to a validated redirect URI with `params` added to its query (RFC 6749 §4.1.2: any query it
 * has is kept). Undefined parameters are left out.
 */
export function redirectTo(redirectUri: string, params: Record<string, string | undefined>): Answer {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.append(name, value);
  const separator = !redirectUri.includes('?') ? '?' : /[?&]$/.test(redirectUri) ? '' : '&';
  return { statusCode: 302, location: `${redirectUri}${separator}${query.toString().replace(/\+/g, '%20')}` };
}
