// The construct's CloudWatch dashboard: on by default, off with `dashboard: false`, and every broker
// metric it graphs is one the function really emits. The emitted side is taken from the function's
// own telemetry (recordRequest, publishing EMF lines as in Lambda), not from a list kept here.

import { jest } from '@jest/globals';
import { BROKER_ERRORS, brokerError, upstreamError } from '../../lambda/core/errors.js';
import { METRIC, METRICS_NAMESPACE } from '../../lambda/core/metric-names.js';
import { recordRequest } from '../../lambda/core/telemetry.js';
import { resourcesOf, synthesize, type TemplateJson } from './synth.js';

interface Widget {
  type: string;
  width: number;
  properties: {
    title?: string;
    markdown?: string;
    metrics?: unknown[][];
    query?: string;
    annotations?: { horizontal?: { value: number; label?: string }[] };
  };
}

/** The dashboard body as JSON; deploy-time references (region, names) become "<ref>". */
function dashboardsOf(json: TemplateJson): Widget[][] {
  return Object.values(resourcesOf(json, 'AWS::CloudWatch::Dashboard')).map((dashboard) => {
    const body = dashboard.Properties.DashboardBody as string | { 'Fn::Join': [string, unknown[]] };
    const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<ref>')).join('');
    return (JSON.parse(text) as { widgets: Widget[] }).widgets;
  });
}

/** What recordRequest publishes: namespace, dimension names and metric names of every EMF line. */
function emitted(record: () => void): { namespace: string; dimensions: string[]; metric: string }[] {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  // The request's log line goes to stderr (an error) or stdout; only EMF lines are kept.
  const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    record();
  } finally {
    write.mockRestore();
    quiet.mockRestore();
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.includes('"CloudWatchMetrics"'))
    .flatMap((line) => {
      const emf = JSON.parse(line) as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } };
      return emf._aws.CloudWatchMetrics.flatMap((set) =>
        set.Dimensions.flatMap((dimensions) => set.Metrics.map(({ Name }) => ({ namespace: set.Namespace, dimensions, metric: Name }))),
      );
    });
}

/** Every (metric, dimension names) the dashboard reads from the broker's namespace, from plain metrics and SEARCH schemas. */
function graphed(widgets: Widget[]): { metric: string; dimensions: string[] }[] {
  const found: { metric: string; dimensions: string[] }[] = [];
  for (const widget of widgets) {
    for (const entry of widget.properties.metrics ?? []) {
      const [first] = entry;
      if (first === METRICS_NAMESPACE) {
        const [, metric, ...rest] = entry as string[];
        const names = rest.filter((item) => typeof item === 'string').filter((_, index) => index % 2 === 0);
        found.push({ metric: metric!, dimensions: names });
      }
      const expression = (entry.find((item) => typeof item === 'object' && item !== null && 'expression' in item) as { expression?: string } | undefined)
        ?.expression;
      const search = expression === undefined ? null : /^SEARCH\('\{([^}]+)\} MetricName="([^"]+)"/.exec(expression);
      if (search) {
        const [namespace, ...dimensions] = search[1]!.split(',');
        if (namespace === METRICS_NAMESPACE) found.push({ metric: search[2]!, dimensions });
      }
    }
  }
  return found;
}

const sameSet = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((item) => b.includes(item));

let widgets: Widget[];
beforeAll(() => {
  const s = synthesize({ allowedOrigins: 'https://app.example.com' });
  try {
    const dashboards = dashboardsOf(s.json);
    expect(dashboards).toHaveLength(1);
    widgets = dashboards[0]!;
  } finally {
    s.dispose();
  }
});

it('graphs every metric the function emits, under the dimensions it emits them with', () => {
  const nowMs = Date.now();
  const expiresAt = Math.floor(nowMs / 1000) + 30 * 86_400;
  const audit = { grantType: 'refresh_token', upstreamCalls: 1, upstreamStatus: 500, upstreamLatencyMs: 120, clientSecretExpiresAt: expiresAt };
  const failure = upstreamError({ status: 500, type: 'InternalServerException' });
  const sets = [
    ...emitted(() => recordRequest(audit, { route: 'POST /token', status: 500, error: failure }, 14, nowMs)),
    ...emitted(() => recordRequest({ upstreamCalls: 0 }, { route: 'POST /token', status: 403, error: brokerError('ForbiddenOriginException', 'no') }, 14, nowMs)),
  ];
  // Every metric name the construct knows is among what the function emitted here.
  expect(new Set(sets.map(({ metric }) => metric))).toEqual(new Set(Object.values(METRIC)));
  const onDashboard = graphed(widgets);
  for (const { namespace, dimensions, metric } of sets) {
    expect(namespace).toBe(METRICS_NAMESPACE);
    expect(onDashboard.some((entry) => entry.metric === metric && sameSet(entry.dimensions, dimensions))).toBe(true);
  }
  // And nothing on the dashboard reads a broker metric the function does not emit.
  for (const entry of onDashboard) {
    expect(sets.some(({ metric, dimensions }) => metric === entry.metric && sameSet(entry.dimensions, dimensions))).toBe(true);
  }
});

it('queries log fields the function really writes on each request record (outcome, status, fromUpstream, grantType)', () => {
  const lines: string[] = [];
  const write = (chunk: string | Uint8Array): boolean => {
    lines.push(String(chunk));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(write);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(write);
  try {
    recordRequest({ upstreamCalls: 0 }, { route: 'POST /token', status: 403, error: brokerError('ForbiddenOriginException', 'no') }, 14);
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  const records = lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const table = widgets.find((widget) => /^Errors by type and source/.test(widget.properties.title ?? ''))!;
  const fields = ['outcome', 'status', 'fromUpstream', 'grantType'];
  for (const field of fields) expect(table.properties.query).toContain(field);
  expect(records).toContainEqual(
    expect.objectContaining({ outcome: 'ForbiddenOriginException', status: 403, fromUpstream: false, grantType: 'none' }),
  );
});

it('has the widgets an operator needs, by title', () => {
  const titles = widgets.map((widget) => widget.properties.title ?? widget.properties.markdown ?? '');
  for (const wanted of [
    /^Alarms$/,
    /^Exchanges by grant type and outcome/,
    /^SSO OIDC latency p50 \/ p99/,
    /^SSO OIDC error types/,
    /^Broker-raised errors/,
    /^API Gateway answers/,
    /^Lambda throttles/,
    /^Cold starts/,
    /^Days until the client registration expires/,
    /^Rotation errors/,
  ]) {
    expect(titles.filter((title) => wanted.test(title))).not.toHaveLength(0);
  }
  for (const row of [widgets]) expect(row.every((widget) => widget.width >= 1 && widget.width <= 24)).toBe(true);
});

it('splits error outcomes into SSO OIDC types and broker-raised types, and reads p50 and p99 latency', () => {
  const expressionsOf = (title: RegExp): string[] =>
    widgets
      .filter((widget) => title.test(widget.properties.title ?? ''))
      .flatMap((widget) => widget.properties.metrics ?? [])
      .flatMap((entry) => entry.filter((item): item is { expression: string } => typeof item === 'object' && item !== null && 'expression' in item))
      .map(({ expression }) => expression);
  const brokerRaised = expressionsOf(/^Broker-raised errors/);
  expect(brokerRaised).toHaveLength(1);
  for (const type of Object.keys(BROKER_ERRORS)) expect(brokerRaised[0]).toContain(`Outcome="${type}"`);
  expect(expressionsOf(/^SSO OIDC error types/)[0]).toContain('Outcome="InvalidGrantException"');
  expect(expressionsOf(/^SSO OIDC error types/)[0]).not.toContain('Outcome="ForbiddenOriginException"');
  const latency = expressionsOf(/^SSO OIDC latency/);
  expect(latency).toEqual([expect.stringMatching(/MetricName="UpstreamLatency".*'p50', 300\)$/), expect.stringMatching(/'p99', 300\)$/)]);
});

it("reads the gateway's 4xx and 5xx, the function's throttles, cold starts from REPORT lines, and rotation errors", () => {
  const all = widgets.flatMap((widget) => widget.properties.metrics ?? []).map((entry) => entry.filter((item) => typeof item === 'string'));
  expect(all).toContainEqual(expect.arrayContaining(['AWS/ApiGateway', '4xx', 'ApiId']));
  expect(all).toContainEqual(expect.arrayContaining(['AWS/ApiGateway', '5xx', 'ApiId']));
  expect(all).toContainEqual(expect.arrayContaining(['AWS/Lambda', 'Throttles', 'FunctionName']));
  expect(all.filter((entry) => entry.includes('AWS/Lambda') && entry.includes('Errors'))).toHaveLength(2);
  const coldStarts = widgets.find((widget) => /^Cold starts/.test(widget.properties.title ?? ''))!;
  expect(coldStarts.properties.query).toMatch(/filter @type = "REPORT"[\s\S]*ispresent\(@initDuration\)/);
  const expiry = widgets.find((widget) => /^Days until the registration expires/.test(widget.properties.title ?? ''))!;
  expect(expiry.properties.annotations?.horizontal).toEqual([expect.objectContaining({ value: 14, label: 'expiry alarm' })]);
});

it('is left out with dashboard: false, and shows that rotation is off when it is', () => {
  const off = synthesize({ rotationDays: '0', allowedOrigins: 'https://app.example.com' });
  try {
    const [rotationOff] = dashboardsOf(off.json);
    expect(rotationOff!.some((widget) => /Rotation is off/.test(widget.properties.markdown ?? ''))).toBe(true);
    expect(rotationOff!.some((widget) => /^Rotation errors/.test(widget.properties.title ?? ''))).toBe(false);
  } finally {
    off.dispose();
  }
  const none = synthesize({ dashboard: 'false', allowedOrigins: 'https://app.example.com' });
  try {
    expect(dashboardsOf(none.json)).toEqual([]);
    expect(none.stack.broker.dashboard).toBeUndefined();
  } finally {
    none.dispose();
  }
});
