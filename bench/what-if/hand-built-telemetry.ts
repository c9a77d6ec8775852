// What-if stand-in (never shipped): the few Powertools names the broker's handler bundle imports
// (Logger and Metrics), written by hand: the per-request JSON line that is both the log line and the EMF record, with the same fields
// and declaration as Powertools writes it (test/bench/what-if.test.ts compares them); the rare error
// and warning lines simpler (fewer context fields, no log-level filtering). It is what giving up Powertools would look like, so that `npm run bench` can measure what
// Powertools costs the broker. It leaves out Powertools' own checks (EMF limits, metric and
// dimension validation), which are part of what Powertools costs.

type Json = string | number | boolean;

export const MetricUnit = { Count: 'Count', Milliseconds: 'Milliseconds' } as const;

interface ServiceOptions {
  readonly serviceName?: string;
  readonly namespace?: string;
}

export class Metrics {
  private metadata: Record<string, Json> = {};
  private dimensions: Record<string, string> = {};
  private values: Record<string, number> = {};
  private units: Record<string, string> = {};
  private readonly service: string;
  private readonly namespace: string;

  constructor(options: ServiceOptions = {}) {
    this.service = options.serviceName ?? 'service_undefined';
    this.namespace = options.namespace ?? 'default_namespace';
  }

  addMetadata(key: string, value: Json): void {
    this.metadata[key] = value;
  }

  addDimensions(dimensions: Record<string, string>): void {
    Object.assign(this.dimensions, dimensions);
  }

  addMetric(name: string, unit: string, value: number): void {
    this.values[name] = value;
    this.units[name] = unit;
  }

  publishStoredMetrics(): void {
    const names = Object.keys(this.values);
    if (names.length > 0) {
      const record = {
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            {
              Namespace: this.namespace,
              Dimensions: [['service', ...Object.keys(this.dimensions)]],
              Metrics: names.map((name) => ({ Name: name, Unit: this.units[name] })),
            },
          ],
        },
        service: this.service,
        ...this.dimensions,
        ...this.values,
        ...this.metadata,
      };
      process.stdout.write(`${JSON.stringify(record)}\n`);
    }
    this.metadata = {};
    this.dimensions = {};
    this.values = {};
    this.units = {};
  }
}

export class Logger {
  private context: Record<string, Json> = {};
  private readonly service: string;

  constructor(options: ServiceOptions = {}) {
    this.service = options.serviceName ?? 'service_undefined';
  }

  addContext(context: { awsRequestId?: string; functionName?: string }): void {
    this.context = { function_request_id: context.awsRequestId ?? '', function_name: context.functionName ?? '' };
  }

  resetKeys(): void {
    this.context = {};
  }

  /** As Powertools' Utility: true the first time it is asked, false afterwards. */
  private coldStart = true;
  protected getColdStart(): boolean {
    const cold = this.coldStart;
    this.coldStart = false;
    return cold;
  }

  private write(level: string, message: string, extra: Record<string, unknown>): void {
    const line = { level, message, timestamp: new Date().toISOString(), service: this.service, ...this.context, ...extra };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }

  info(message: string, extra: Record<string, unknown> = {}): void {
    this.write('INFO', message, extra);
  }

  warn(message: string, extra: Record<string, unknown> = {}): void {
    this.write('WARN', message, extra);
  }

  error(message: string, extra: Record<string, unknown> = {}): void {
    this.write('ERROR', message, extra);
  }
}
