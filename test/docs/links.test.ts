// The README is a front page: short, with a table of contents in reading order, the quick start's two
// commands as they have always been, and every relative link (README.md, examples/README.md and
// docs/*.md) pointing at a file that exists and, with a #fragment, at a heading or anchor in it.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string): string => readFileSync(join(ROOT, file), 'utf8');
const README = read('README.md');
const PAGES = [
  'README.md',
  'examples/README.md',
  ...readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`),
];

/** Markdown without fenced code blocks (a `# comment` in a shell block is no heading, a `[x](y)` no link). */
const prose = (markdown: string): string =>
  // Each block becomes as many empty lines, so that line numbers stay the file's.
  markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, (block) => '\n'.repeat(block.split('\n').length - 1));

/** GitHub's heading anchors: lower case, punctuation dropped, each space a hyphen, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const text = heading!.replace(/<[^>]+>/g, '').replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  for (const [, id] of markdown.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) found.add(id!);
  return found;
}

/** Relative link targets: inline links and images, and reference definitions. */
function links(markdown: string): string[] {
  const text = prose(markdown).replace(/`[^`\n]*`/g, '');
  const inline = [...text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1]!);
  const defined = [...text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((match) => match[1]!);
  return [...inline, ...defined].filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

describe('the documentation links', () => {
  it.each(PAGES)('every relative link in %s resolves to a file, and every #fragment to a heading in it', (page) => {
    const broken: string[] = [];
    for (const target of links(read(page))) {
      const [path, fragment] = target.split('#') as [string, string | undefined];
      const file = path === '' ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), decodeURI(path));
      if (!existsSync(file)) {
        broken.push(`${target}: no ${relative(ROOT, file)}`);
        continue;
      }
      if (fragment === undefined || fragment === '') continue;
      if (statSync(file).isDirectory() || !file.endsWith('.md')) {
        broken.push(`${target}: a fragment on a file that is not markdown`);
        continue;
      }
      if (!anchors(readFileSync(file, 'utf8')).has(decodeURIComponent(fragment))) broken.push(`${target}: no heading #${fragment}`);
    }
    expect(broken).toEqual([]);
  });

  it('finds the links and anchors it checks (the checker itself works)', () => {
    expect(anchors('# A `POST /token` route\n## Errors\n## Errors\n```sh\n# not a heading\n```\n<a id="x"></a>')).toEqual(
      new Set(['a-post-token-route', 'errors', 'errors-1', 'x']),
    );
    expect(links('[a](docs/x.md#y) ![b](docs/p.png) [c](https://example.com) `[d](no.md)`\n```\n[e](no.md)\n```\n[f]: ./g.md')).toEqual([
      'docs/x.md#y',
      'docs/p.png',
      './g.md',
    ]);
    expect(links(README).length).toBeGreaterThan(10);
  });
});

/** The cells of a table row: split on pipes that are neither escaped nor inside a code span. */
function cells(row: string): number {
  let count = 0;
  let code = false;
  for (let i = 0; i < row.length; i += 1) {
    if (row[i] === '`') code = !code;
    else if (row[i] === '\\') i += 1;
    else if (row[i] === '|' && !code) count += 1;
  }
  return count - 1;
}

describe('the documentation tables', () => {
  it.each(PAGES)('every row of every table in %s has as many cells as its header (a bad merge shows here)', (page) => {
    const broken: string[] = [];
    const lines = prose(read(page)).split('\n');
    let header: number | undefined;
    lines.forEach((line, index) => {
      if (!line.startsWith('|')) {
        header = undefined;
        return;
      }
      if (header === undefined) header = cells(line);
      else if (cells(line) !== header) broken.push(`line ${index + 1}: ${cells(line)} cells, header ${header}: ${line.slice(0, 60)}`);
    });
    expect(broken).toEqual([]);
  });
});

describe('the README', () => {
  it('is a front page of at most 320 lines', () => {
    expect(README.split('\n').length).toBeLessThanOrEqual(320);
  });

  it('opens with a table of contents listing every section, in the order they come', () => {
    const sections = [...prose(README).matchAll(/^## (.+)$/gm)].map((match) => match[1]!).filter((title) => title !== 'Contents');
    const contents = /^## Contents\n\n((?:\s*[-*\d.]+\s+\[.+\]\(#.+\)\n)+)/m.exec(README)?.[1];
    expect(contents).toBeDefined();
    const listed = [...contents!.matchAll(/^[-*\d.]+\s+\[(.+?)\]\(#(.+?)\)/gm)].map((match) => match[1]!);
    expect(listed).toEqual(sections);
    expect(README.indexOf('## Contents')).toBeLessThan(README.indexOf(`## ${sections[0]}`));
  });

  it('quotes examples/ verbatim: every code block headed "// from examples/…" is in that file', () => {
    const quoted = [...README.matchAll(/^```\w*\n\/\/ from (examples\/\S+)\n([\s\S]*?)^```$/gm)];
    expect(quoted.length).toBeGreaterThanOrEqual(3);
    for (const [, file, snippet] of quoted) {
      expect([file, read(file!).includes(snippet!)]).toEqual([file, true]);
    }
  });

  it("keeps the quick start's two commands", () => {
    const quickStart = /## Quick start\n([\s\S]*?)\n## /.exec(README)?.[1] ?? '';
    expect(quickStart).toContain('npm ci && npm start');
    expect(quickStart).toContain('npm ci && npm test');
  });
});
