// The shape of the code, as docs/architecture.md draws it, checked on every run: a core that imports
// no HTTP or Middy type and no layer above it, surfaces that never import one another, one route
// table that alone writes route paths, no import circle, no source file anywhere in the repository
// over 400 lines, and comments and docs that say what the code does rather than cite an issue number.

import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function sources(folder: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) found.push(relative(ROOT, path));
    }
  };
  walk(join(ROOT, folder));
  return found.sort();
}

const text = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** The repository files a file imports (relative imports only), as repository paths of .ts files. */
function importsOf(file: string): string[] {
  const specifiers = [...text(file).matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((specifier) => relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts'));
}

/** Every package (non-relative) import of a file. */
const packagesOf = (file: string): string[] =>
  [...text(file).matchAll(/(?:^|\n)\s*import[^'";]*?from\s+'([^.][^']*)'/g)].map((m) => m[1]!);

const LAMBDA = sources('lambda');
const INFRA = sources('infra');

describe('layers', () => {
  it('the core imports nothing above it, no HTTP or Middy type, and no surface or edge module', () => {
    for (const file of LAMBDA.filter((f) => f.startsWith('lambda/core/'))) {
      expect({ file, imports: importsOf(file).filter((path) => !path.startsWith('lambda/core/')) }).toEqual({ file, imports: [] });
      expect({ file, packages: packagesOf(file).filter((name) => /^(@middy\/|aws-lambda$)/.test(name)) }).toEqual({ file, packages: [] });
    }
  });

  it('a surface imports the core, the route table and the surfaces\' shared contract, never another surface or the edge\'s code', () => {
    for (const file of LAMBDA.filter((f) => f.startsWith('lambda/surfaces/') && f !== 'lambda/surfaces/answer.ts')) {
      const surface = file.split('/')[2];
      const foreign = importsOf(file).filter(
        (path) =>
          !path.startsWith('lambda/core/') &&
          path !== 'lambda/edge/routes.ts' &&
          path !== 'lambda/surfaces/answer.ts' &&
          !path.startsWith(`lambda/surfaces/${surface}/`),
      );
      expect({ file, foreign }).toEqual({ file, foreign: [] });
    }
  });

  it('the route table is data: it imports only the configuration', () => {
    expect(importsOf('lambda/edge/routes.ts')).toEqual(['lambda/core/config.ts']);
  });

  it('no import circle anywhere in lambda/ or infra/', () => {
    const graph = new Map([...LAMBDA, ...INFRA].map((file) => [file, importsOf(file)]));
    const circles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(circles).toEqual([]);
  });
});

describe('the route table writes every route path once', () => {
  // Route paths as string literals anywhere but the table. Docs, tests, the demo and the examples are
  // clients; the emulators serve SSO OIDC's own paths (its POST /token), not the broker's.
  const ROUTE_LITERAL = /['"`](\/bff\/|\/oauth2\/|\/portal\/|POST \/token\b|\/\.well-known\/)/;
  const servers = [...LAMBDA, ...INFRA, ...sources('local').filter((file) => !file.startsWith('local/emulators/'))];
  it.each(servers.filter((file) => file !== 'lambda/edge/routes.ts'))('%s', (file) => {
    const lines = text(file)
      .split('\n')
      .filter((line) => ROUTE_LITERAL.test(line));
    expect(lines).toEqual([]);
  });
});

/** Every source file git tracks (the function, the construct, tests, the emulators, the demo, the bench, scripts). */
const TRACKED_SOURCES = execFileSync('git', ['ls-files', '*.ts', '*.mjs', '*.js', '*.sh'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '');
const TRACKED_DOCS = execFileSync('git', ['ls-files', '*.md'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file !== '');

describe('size and comments', () => {
  it('finds the sources and docs it checks', () => {
    expect(TRACKED_SOURCES).toEqual(expect.arrayContaining([...LAMBDA, ...INFRA, 'test/unit/architecture.test.ts', 'demo/app.ts', 'bench/run.ts', 'scripts/ensure-test-packages.sh']));
    expect(TRACKED_DOCS).toEqual(expect.arrayContaining(['README.md', 'docs/architecture.md']));
  });

  it.each(TRACKED_SOURCES)('%s has at most 400 lines and cites no issue number', (file) => {
    const lines = text(file).split('\n');
    expect(lines.length).toBeLessThanOrEqual(400);
    expect(lines.filter((line) => /(\/\/|\*|#).*\bissues? #?\d+/i.test(line))).toEqual([]);
  });

  it.each(TRACKED_DOCS)('%s cites no issue number', (file) => {
    expect(text(file).split('\n').filter((line) => /\bissues? #?\d+/i.test(line))).toEqual([]);
  });
});
