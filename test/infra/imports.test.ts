// The construct's modules import each other in one direction only: no import circle in infra/,
// type-only imports included (a circle of types still ties two modules into one). Relative imports
// are read from the sources; imports into lambda/ cannot lead back, since lambda/ never imports infra/.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ROOT } from './synth.js';

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s*['"](\.{1,2}\/[^'"]+)['"]/g;

/** Each module's relative imports, as paths of .ts files among `files`. */
function importsOf(files: readonly string[]): Map<string, string[]> {
  return new Map(
    files.map((file) => [
      file,
      [...readFileSync(file, 'utf8').matchAll(IMPORT)]
        .map((match) => resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')))
        .filter((target) => files.includes(target)),
    ]),
  );
}

/** Every circle found by a depth-first walk, as `a -> b -> a`. */
function circles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    path.push(file);
    for (const target of graph.get(file) ?? []) {
      if (path.includes(target)) found.push([...path.slice(path.indexOf(target)), target].map((f) => relative(ROOT, f)).join(' -> '));
      else if (!done.has(target)) visit(target);
    }
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return found;
}

const infraFiles = readdirSync(join(ROOT, 'infra'))
  .filter((name) => name.endsWith('.ts'))
  .map((name) => join(ROOT, 'infra', name));

it('reads imports, type-only ones included (the check itself can see a circle)', () => {
  const graph = importsOf(infraFiles);
  expect(graph.get(join(ROOT, 'infra', 'token-broker.ts'))).toEqual(expect.arrayContaining([join(ROOT, 'infra', 'props.ts')]));
  // props.ts's type-only imports from aws-cdk-lib are not relative; its relative ones are.
  expect(graph.get(join(ROOT, 'infra', 'props.ts'))).toEqual([join(ROOT, 'infra', 'validation.ts')]);
  const withCircle = new Map(graph);
  withCircle.set(join(ROOT, 'infra', 'validation.ts'), [join(ROOT, 'infra', 'props.ts')]);
  expect(circles(withCircle)).toEqual(['infra/props.ts -> infra/validation.ts -> infra/props.ts']);
});

it('finds no import circle among the modules of infra/', () => {
  expect(circles(importsOf(infraFiles))).toEqual([]);
});
