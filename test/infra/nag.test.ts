// cdk-nag's AwsSolutions checks run on every synthesis (buildApp registers them) and pass for each
// configuration; the acknowledgements are exactly the expected ones, each with a written reason.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';
import { DEFAULTS, GRANT_TYPES } from '../../lambda/core/config.js';
import { ROUTES, routeKeysFor } from '../../lambda/edge/routes.js';
import { synthesize } from './synth.js';

const FULL_CONTEXT = {
  allowedOrigins: 'https://app.example.com',
  grantTypes: 'authorization_code,refresh_token,device_code',
  secretArn: 'arn:aws:secretsmanager:eu-central-1:111122223333:secret:token-broker/registration-AbC123',
  kmsKeyArn: 'arn:aws:kms:eu-central-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  domainName: 'auth.example.com',
  certificateArn: 'arn:aws:acm:eu-central-1:111122223333:certificate/abcd1234-12ab-34cd-56ef-1234567890ab',
};

/** With the annotationsInValidationReport flag (cdk.json), construct warnings appear in the report under this name. */
const ANNOTATIONS_PLUGIN = 'Construct Annotations';

/** Every acknowledgement in the tree: construct path, rule id and reason. */
function acknowledgements(root: IConstruct): { path: string; id: string; reason: string }[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

// The last column: whether the created secret's AwsSolutions-SMG4 (no rotation) is acknowledged,
// which it is only when a secret is created and rotation is turned off; an imported secret is not checked.
describe.each([
  ['no context (rotation on)', {}, DEFAULTS.grantTypes, false],
  ['rotation turned off (rotationDays=0)', { rotationDays: 0 }, DEFAULTS.grantTypes, true],
  ['rotation every 30 days', { rotationDays: '30' }, DEFAULTS.grantTypes, false],
  ['an imported secret with its key, the device grant and a custom domain', FULL_CONTEXT, Object.values(GRANT_TYPES), false],
  ['the same without rotation', { ...FULL_CONTEXT, rotationDays: '0' }, Object.values(GRANT_TYPES), false],
  ['a secret imported by name', { secretName: 'token-broker/registration' }, DEFAULTS.grantTypes, false],
])('AwsSolutions checks with %s', (_name, context, grantTypes, smg4Acknowledged) => {
  it('pass, with only the expected acknowledgements, each with a reason', () => {
    const s = synthesize(context);
    try {
      const report = JSON.parse(readFileSync(join(s.outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: { pluginName: string; violations: { ruleName: string; severity: string }[] }[];
      };
      expect(report.pluginReports.filter(({ pluginName }) => pluginName !== ANNOTATIONS_PLUGIN)).toEqual([]);
      // The construct's own annotations: only the warning that no browser origin is allowed, when none is.
      const annotations = report.pluginReports
        .filter(({ pluginName }) => pluginName === ANNOTATIONS_PLUGIN)
        .flatMap(({ violations }) => violations.map(({ ruleName, severity }) => `${severity} ${ruleName}`));
      expect(annotations).toEqual('allowedOrigins' in context ? [] : ['warning Annotation::token-broker:no-allowed-origins']);

      const found = acknowledgements(s.app);
      // Every route is public by design, each for its own written reason (the route table's publicBecause, read by infra/api.ts).
      const routeNames = routeKeysFor(grantTypes).map((key) => Object.entries(ROUTES).find(([, route]) => route === key)![0]);
      const expected = [
        ...(smg4Acknowledged ? [{ path: 'TokenBroker/TokenBroker/Registration', id: 'AwsSolutions-SMG4' }] : []),
        ...routeNames.map((name) => ({ path: `TokenBroker/TokenBroker/Route-${name}`, id: 'AwsSolutions-APIG4' })),
      ];
      expect(found.map(({ path, id }) => ({ path, id })).sort(byPath)).toEqual(expected.sort(byPath));
      for (const { reason } of found) expect(reason.length).toBeGreaterThan(80);
      expect(new Set(found.map(({ reason }) => reason)).size).toBe(found.length);
    } finally {
      s.dispose();
    }
  });
});

it('are live: an unacknowledged finding fails the synthesis', () => {
  // The same app as `cdk synth` builds, plus a bucket without access logs or an SSL-only policy.
  expect(() => synthesize({}, { before: (stack) => new Bucket(stack, 'Unchecked') })).toThrow(/AwsSolutions-S1\b/);
});

const byPath = (a: { path: string; id: string }, b: { path: string; id: string }): number =>
  `${a.path} ${a.id}`.localeCompare(`${b.path} ${b.id}`);
