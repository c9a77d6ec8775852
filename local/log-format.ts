// `npm start`'s console: one short human line per request instead of the Lambda's JSON log lines
// (the structured log line and the EMF metric lines). The Lambda keeps JSON; only the local run
// changes, and TOKEN_BROKER_LOCAL_LOGS=json brings the full JSON lines back (the tests use it).
// The human line is built from the same audit fields as the JSON line, so it never carries more:
// no secret, token, code or verifier ever reaches either.

/** `npm start` only: `human` (default) or `json` (the Lambda's own log lines, unchanged). */
export const LOCAL_LOGS_ENV = 'TOKEN_BROKER_LOCAL_LOGS';

export type LogFormat = 'human' | 'json';

export function logFormat(raw: string | undefined): LogFormat {
  if (raw === undefined || raw === '' || raw === 'human') return 'human';
  if (raw === 'json') return 'json';
  throw new Error(`${LOCAL_LOGS_ENV} must be "human" or "json", got "${raw}"`);
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;

/** HH:MM:SS of the log line's timestamp (local time), or of now when it has none. */
function clock(timestamp: unknown): string {
  const at = typeof timestamp === 'string' && !Number.isNaN(Date.parse(timestamp)) ? new Date(timestamp) : new Date();
  return at.toLocaleTimeString('en-GB', { hour12: false });
}

/** `OPTIONS /token` rather than the route's key `OPTIONS /{proxy+}`, when the line names the path. */
function shownRoute(route: string | undefined, path: string | undefined): string | undefined {
  if (route === undefined || path === undefined) return route;
  const space = route.indexOf(' ');
  return space === -1 ? `${route} ${path}` : `${route.slice(0, space)} ${path}`;
}

/**
 * One console line for one JSON line the handler wrote: undefined drops it (EMF metric lines).
 * A request's record becomes `12:00:01 POST /token authorization_code -> 200 Success (upstream 200 in 3 ms)`,
 * with the path as sent where the route's key has a pattern, and the log's detail after a colon
 * (`12:00:01 OPTIONS /token -> 403 ForbiddenOriginException: origin "http://localhost:5173" is not in
 * TOKEN_BROKER_ALLOWED_ORIGINS`);
 * any other log record becomes `12:00:01 WARN <message>` with its detail; what is not JSON passes unchanged.
 */
export function humanLine(line: string): string | undefined {
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return line;
    record = parsed as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = clock(record['timestamp']);
  const status = text(record['status']);
  const route = shownRoute(text(record['route']), text(record['path']));
  // A request's record (also its EMF record: the metrics ride on the log line) becomes the one line.
  if (route !== undefined && status !== undefined) {
    const grant = text(record['grantType']);
    const upstreamStatus = text(record['upstreamStatus']);
    const latency = typeof record['upstreamLatencyMs'] === 'number' ? String(Math.round(record['upstreamLatencyMs'])) : undefined;
    const upstream =
      upstreamStatus === undefined ? '' : ` (upstream ${upstreamStatus}${latency === undefined ? '' : ` in ${latency} ms`})`;
    const detail = text(record['detail']);
    return `${time} ${route}${grant === undefined || grant === 'none' ? '' : ` ${grant}`} -> ${status} ${text(record['outcome']) ?? ''}${upstream}${detail === undefined ? '' : `: ${detail}`}`;
  }
  // Any other Embedded Metric Format line (e.g. ClientSecretDaysToExpiry alone): for CloudWatch, noise on a console.
  if (Object.hasOwn(record, '_aws')) return undefined;
  const level = text(record['level']) ?? 'INFO';
  const message = text(record['message']) ?? '';
  const extras = ['detail', 'errorName', 'clientSecretDaysToExpiry']
    .map((key) => [key, text(record[key])] as const)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${value}`);
  return `${time} ${level} ${message}${extras.length === 0 ? '' : ` (${extras.join(', ')})`}`;
}

/**
 * Rewrites what this process writes to stdout and stderr, line by line, through humanLine. The
 * handler's logger and metrics hold these streams, so the write methods are wrapped in place.
 */
export function useHumanLogs(streams: readonly NodeJS.WriteStream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    const write = stream.write.bind(stream) as (chunk: string) => boolean;
    let pending = '';
    stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
      pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      const out = lines.map(humanLine).filter((line) => line !== undefined);
      const ok = out.length === 0 ? true : write(`${out.join('\n')}\n`);
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return ok;
    }) as typeof stream.write;
  }
}
