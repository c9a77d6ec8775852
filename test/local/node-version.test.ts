// The Node story the README tells: the project installs on Node 20 or later (engines, so `npm ci`
// on the Node a fresh machine has prints no EBADENGINE for the project itself), and every npm script,
// this test suite included, runs on the Node 24 the `node` dev dependency brings, the Lambda runtime's.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const semver = require('semver') as { satisfies(version: string, range: string): boolean; major(version: string): number };
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(new URL('../../package-lock.json', import.meta.url), 'utf8')) as {
  packages: Record<string, { engines?: { node?: string } }>;
};

describe('the Node versions', () => {
  it('installs on Node 20 and later: engines admits 20, and the lockfile agrees with package.json', () => {
    expect(semver.satisfies('20.0.0', pkg.engines.node)).toBe(true);
    expect(semver.satisfies('18.20.0', pkg.engines.node)).toBe(false);
    expect(lock.packages['']!.engines).toEqual(pkg.engines);
  });

  it('warns (EBADENGINE) on Node 20 only for the three @middy/* packages, as the README says, and on Node 22 for none', () => {
    const refusing = (version: string): string[] =>
      Object.entries(lock.packages)
        .filter(([path, entry]) => path !== '' && entry.engines?.node !== undefined && !semver.satisfies(version, entry.engines.node))
        .map(([path]) => path.replace(/^.*node_modules\//, ''))
        .sort();
    expect(refusing('20.0.0')).toEqual(['@middy/core', '@middy/http-json-body-parser', '@middy/util']);
    expect(refusing('22.0.0')).toEqual([]);
  });

  it('runs the npm scripts on the node dev dependency, Node 24 like the Lambda runtime (nodejs24.x)', () => {
    expect(semver.major(pkg.devDependencies['node']!)).toBe(24);
    // `npm test` puts node_modules/.bin first on PATH, so jest runs on that Node.
    if (process.env['npm_lifecycle_event'] !== undefined) expect(process.versions.node).toBe(pkg.devDependencies['node']);
    expect(readFileSync(new URL('../../infra/bundling.ts', import.meta.url), 'utf8')).toContain('Runtime.NODEJS_24_X');
  });
});
