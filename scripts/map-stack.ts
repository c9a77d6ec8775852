// `npm run map-stack -- <index.mjs.map | index.mjs | its directory> [file]`: turns a stack trace logged
// by the deployed function (frames in index.mjs, minified) into source positions (lambda/*.ts and
// packages), through the bundle's source map. The function runs without --enable-source-maps, which
// would read the map at every cold start (docs/performance.md); the map is kept beside index.mjs in the
// asset and in the deployed package instead, and read here, after the fact.
// The stack is read from `file`, or from stdin: a raw stack, or a whole JSON log line (the broker's
// "unexpected error" line carries its frames in `frames`). Everything else is printed unchanged.

import { readFileSync, statSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HELP = `Usage: npm run map-stack -- <map> [file]

  <map>   the bundle's index.mjs.map, or index.mjs, or the directory holding them: the asset directory
          in cdk.out (cdk.out/asset.<hash>/, the hash is the function's S3 key in the template), or the
          deployed package (aws lambda get-function --function-name <name> --query Code.Location).
  [file]  text holding the stack; stdin when left out.

Every "index.mjs:<line>:<column>" becomes "<source>:<line>:<column>" of the code it came from.`;

/** A frame position in the bundle: `index.mjs:12:345` (1-based line and column, as V8 prints them). */
const POSITION = /index\.mjs:(\d+):(\d+)/g;

/** A source path as written in the map, made readable: from `lambda/` or `node_modules/` on. */
export function readableSource(source: string): string {
  return source.replace(/^.*?(?=(?:node_modules|lambda)\/)/, '');
}

/** The text with every bundle position replaced by the original one (positions the map does not cover stay). */
export function mapStack(text: string, map: SourceMap): string {
  return text.replace(POSITION, (position, line: string, column: string) => {
    // SourceMap.findEntry takes 0-based positions.
    const entry = map.findEntry(Number(line) - 1, Number(column) - 1) as {
      originalSource?: string;
      originalLine?: number;
      originalColumn?: number;
      name?: string;
    };
    if (entry.originalSource === undefined || entry.originalLine === undefined || entry.originalColumn === undefined) return position;
    const name = entry.name === undefined ? '' : ` [${entry.name}]`;
    return `${readableSource(entry.originalSource)}:${entry.originalLine + 1}:${entry.originalColumn + 1}${name}`;
  });
}

/** Reads the source map named by a path to the map, to index.mjs, or to their directory. */
export function loadSourceMap(path: string): SourceMap {
  const file = statSync(path).isDirectory() ? join(path, 'index.mjs.map') : path.endsWith('.map') ? path : `${path}.map`;
  return new SourceMap(JSON.parse(readFileSync(file, 'utf8')));
}

async function main(args: readonly string[]): Promise<void> {
  if (args.length < 1 || args.length > 2 || args[0] === '--help' || args[0] === '-h') {
    process.stderr.write(`${HELP}\n`);
    process.exitCode = args[0] === '--help' || args[0] === '-h' ? 0 : 2;
    return;
  }
  const map = loadSourceMap(args[0]!);
  let text: string;
  if (args[1] !== undefined) {
    text = readFileSync(args[1], 'utf8');
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    text = Buffer.concat(chunks).toString('utf8');
  }
  // A JSON log line keeps its frames in one string with escaped newlines: print them as lines.
  process.stdout.write(mapStack(text.replace(/\\n/g, '\n'), map));
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main(process.argv.slice(2));
}
