import { humanLine, logFormat } from '../../local/log-format.js';

describe('humanLine', () => {
  const at = '2026-11-26T12:00:01.000Z';
  const time = new Date(at).toLocaleTimeString('en-GB', { hour12: false });

  it("turns a request's log record into one line: route, grant, status, outcome, upstream", () => {
    const record = {
      level: 'INFO', message: 'request completed', timestamp: at, route: 'POST /token', grantType: 'authorization_code',
      outcome: 'Success', status: 200, upstreamStatus: 200, upstreamLatencyMs: 12.4, upstreamRequestId: 'r-1',
    };
    expect(humanLine(JSON.stringify(record))).toBe(`${time} POST /token authorization_code -> 200 Success (upstream 200 in 12 ms)`);
  });

  it('keeps a request record that is also an EMF record (the metrics ride on the log line)', () => {
    const record = {
      _aws: { Timestamp: 1, CloudWatchMetrics: [] }, level: 'INFO', message: 'request completed', timestamp: at,
      route: 'GET /client', grantType: 'none', outcome: 'Success', status: 200, Requests: 1,
    };
    expect(humanLine(JSON.stringify(record))).toBe(`${time} GET /client -> 200 Success`);
  });

  it('leaves out what a request did not have and adds the detail of a failure', () => {
    expect(humanLine(JSON.stringify({ level: 'INFO', timestamp: at, route: 'GET /client', grantType: 'none', outcome: 'Success', status: 200 }))).toBe(
      `${time} GET /client -> 200 Success`,
    );
    expect(
      humanLine(JSON.stringify({ level: 'ERROR', timestamp: at, route: 'POST /token', grantType: 'refresh_token', outcome: 'InternalServerException', status: 500, detail: 'secret unreadable' })),
    ).toBe(`${time} POST /token refresh_token -> 500 InternalServerException: secret unreadable`);
  });

  it('shows the path as sent where the route key is a pattern, and a refusal\'s detail', () => {
    const record = {
      level: 'INFO', timestamp: at, route: 'OPTIONS /{proxy+}', path: '/token', grantType: 'none', outcome: 'ForbiddenOriginException', status: 403,
      detail: 'origin "http://localhost:5173" is not in TOKEN_BROKER_ALLOWED_ORIGINS',
    };
    expect(humanLine(JSON.stringify(record))).toBe(
      `${time} OPTIONS /token -> 403 ForbiddenOriginException: origin "http://localhost:5173" is not in TOKEN_BROKER_ALLOWED_ORIGINS`,
    );
  });

  it('drops EMF metric lines, shortens other records and passes text through', () => {
    expect(humanLine(JSON.stringify({ _aws: { Timestamp: 1 }, Requests: 1 }))).toBeUndefined();
    // The request's EMF record is also its log line: shown as the request line.
    expect(
      humanLine(
        JSON.stringify({ _aws: { Timestamp: 1 }, level: 'INFO', message: 'request completed', timestamp: at, route: 'GET /client', grantType: 'none', outcome: 'Success', status: 200, Requests: 1 }),
      ),
    ).toBe(`${new Date(at).toLocaleTimeString('en-GB', { hour12: false })} GET /client -> 200 Success`);
    expect(humanLine(JSON.stringify({ level: 'WARN', timestamp: at, message: 'client registration expires soon', clientSecretDaysToExpiry: 3 }))).toBe(
      `${time} WARN client registration expires soon (clientSecretDaysToExpiry=3)`,
    );
    expect(humanLine('token broker listening on http://127.0.0.1:3000')).toBe('token broker listening on http://127.0.0.1:3000');
    expect(humanLine('[1,2]')).toBe('[1,2]');
  });
});

describe('logFormat', () => {
  it('is human unless json is asked for, and refuses anything else', () => {
    expect(logFormat(undefined)).toBe('human');
    expect(logFormat('')).toBe('human');
    expect(logFormat('json')).toBe('json');
    expect(() => logFormat('JSON!')).toThrow('TOKEN_BROKER_LOCAL_LOGS must be "human" or "json", got "JSON!"');
  });
});
