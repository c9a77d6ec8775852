// The names under which the broker's metrics appear, in a module without side effects so that the
// CDK construct can import them for its alarms without loading Powertools.

export const SERVICE_NAME = 'token-broker';
export const METRICS_NAMESPACE = 'TokenBroker';

/** Metric names the CDK construct's alarms refer to. */
export const METRIC = {
  requests: 'Requests',
  upstreamLatency: 'UpstreamLatency',
  upstreamServerErrors: 'UpstreamServerErrors',
  clientSecretDaysToExpiry: 'ClientSecretDaysToExpiry',
} as const;
