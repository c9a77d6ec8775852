// Where the CPU goes: V8 CPU profiles of broker cold starts (--cpu-prof, from process start) and of
// warm broker requests (the inspector's profiler around a run of calls), attributed to what caused
// each sample. A sample belongs to the first rule that matches its stack:
//   source maps         a frame of node:internal/source_map (the work --enable-source-maps does)
//   undici via node:http a frame loading undici: an ESM import of node:http runs the module's lazy
//                       getters, which load Node's fetch implementation (nodejs/node#57649, #59686)
//   stdout writes       the write syscall wrappers (log lines and EMF metrics)
//   bundle compile      V8 compiling index.mjs (compileSourceTextModule)
//   <package>           the nearest bundle frame, mapped through index.mjs.map to its package
//   bundle top level    a bundle frame the map does not cover (the module's own top-level code)
//   GC, V8/native, Node's ESM loader, bench harness, other Node internals
// Profiles are written next to bench.json for Chrome DevTools; the summary goes into the report.

import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import { packageOf } from './bundle.js';
import { runCold, startWarm } from './processes.js';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface Attribution {
  readonly name: string;
  /** Per cold start (ms) or per warm request (µs), as the table says. */
  readonly value: number;
  readonly share: number;
}

export interface ProfileSummary {
  /** CPU ms per cold start by cause, largest first. */
  readonly cold: readonly Attribution[];
  readonly coldRuns: number;
  /** CPU µs per warm request by cause, largest first. */
  readonly warm: readonly Attribution[];
  readonly warmRequests: number;
  readonly directory: string;
}

const WRITES = new Set(['writev', 'writeUtf8String', 'writeBuffer', 'writeLatin1String', 'writeAsciiString', 'writeUcs2String']);

/** Self time in µs by cause, summed over the profiles. */
export function attribute(profiles: readonly CpuProfile[], bundleUrlSuffix: string, map: SourceMap | undefined): Map<string, number> {
  const totals = new Map<string, number>();
  const add = (name: string, us: number) => totals.set(name, (totals.get(name) ?? 0) + us);
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parent = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const causes = new Map<number, string | undefined>();
    for (const [id, us] of self) {
      if (!causes.has(id)) causes.set(id, causeOf(id, byId, parent, bundleUrlSuffix, map));
      const cause = causes.get(id);
      if (cause !== undefined) add(cause, us);
    }
  }
  return totals;
}

function causeOf(
  leafId: number,
  byId: Map<number, ProfileNode>,
  parent: Map<number, number>,
  bundleUrlSuffix: string,
  map: SourceMap | undefined,
): string | undefined {
  const stack: CallFrame[] = [];
  for (let id: number | undefined = leafId; id !== undefined; id = parent.get(id)) stack.push(byId.get(id)!.callFrame);
  const leaf = stack[0]!;
  if (leaf.functionName === '(idle)') return undefined;
  if (stack.some((frame) => frame.url.startsWith('node:internal/source_map'))) return 'source maps (--enable-source-maps)';
  if (stack.some((frame) => frame.url.includes('deps/undici') || frame.functionName === 'lazyUndici')) {
    return 'undici, loaded by an ESM import of node:http';
  }
  if (stack.some((frame) => WRITES.has(frame.functionName))) return 'stdout writes (log lines, EMF)';
  if (leaf.functionName === 'compileSourceTextModule') return 'V8 compiling index.mjs';
  const bundleFrame = stack.find((frame) => frame.url.endsWith(bundleUrlSuffix));
  if (bundleFrame !== undefined) {
    const entry = map?.findEntry(bundleFrame.lineNumber, bundleFrame.columnNumber) as { originalSource?: string } | undefined;
    const source = entry?.originalSource;
    if (source === undefined) return 'bundle top-level code (unmapped)';
    // The last lambda/ or bench/ of the path: the checkout's own folder may be called either.
    return packageOf(source.includes('node_modules/') ? source : source.replace(/^.*\/(?=(lambda|bench)\/)/, ''));
  }
  if (leaf.functionName === '(garbage collector)') return 'garbage collection';
  if (leaf.functionName === '(program)' || leaf.functionName === '(root)') return 'V8 / native (unattributed)';
  if (stack.some((frame) => frame.url.startsWith('node:internal/modules/'))) return 'Node ESM loader, built-ins index.mjs imports';
  if (stack.find((frame) => frame.url !== '')?.url.endsWith('/bench/child.mjs')) return 'bench harness';
  return 'Node internals (bootstrap, event loop, http, streams)';
}

function ranked(totals: Map<string, number>, divisor: number, unit: number, top = 14): Attribution[] {
  const all = [...totals].sort((a, b) => b[1] - a[1]);
  const sum = all.reduce((acc, [, us]) => acc + us, 0);
  const head = all.slice(0, top);
  const rest = all.slice(top).reduce((acc, [, us]) => acc + us, 0);
  const rows = rest > 0 ? [...head, ['(everything else)', rest] as [string, number]] : head;
  return rows.map(([name, us]) => ({ name, value: us / divisor / unit, share: sum > 0 ? us / sum : 0 }));
}

function readProfiles(directory: string): CpuProfile[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.cpuprofile'))
    .map((file) => JSON.parse(readFileSync(join(directory, file), 'utf8')) as CpuProfile);
}

export interface ProfileOptions {
  readonly bundle: string;
  readonly inputFile: string;
  readonly env: Record<string, string>;
  readonly directory: string;
  readonly coldRuns: number;
  readonly warmRequests: number;
  /** The route family the warm requests are (bench/families.ts familyName). */
  readonly family: string;
}

export async function profileBroker(options: ProfileOptions): Promise<ProfileSummary> {
  rmSync(options.directory, { recursive: true, force: true });
  const coldDirectory = join(options.directory, 'cold');
  const warmDirectory = join(options.directory, 'warm');
  mkdirSync(coldDirectory, { recursive: true });
  mkdirSync(warmDirectory, { recursive: true });
  const nodeOptions = options.env.NODE_OPTIONS === undefined ? '' : `${options.env.NODE_OPTIONS} `;

  for (let i = 0; i < options.coldRuns; i += 1) {
    await runCold(options.bundle, options.inputFile, {
      ...options.env,
      NODE_OPTIONS: `${nodeOptions}--cpu-prof --cpu-prof-dir=${coldDirectory} --cpu-prof-interval=200`,
    });
  }
  const warm = await startWarm(options.bundle, options.inputFile, options.env);
  try {
    await warm.calls(300, 'handler', options.family);
    const { failures } = await warm.profile(options.warmRequests, 'handler', options.family, join(warmDirectory, 'warm.cpuprofile'), 100);
    if (failures > 0) throw new Error(`${failures} profiled warm requests failed:\n${warm.output()}`);
  } finally {
    await warm.stop();
  }

  let map: SourceMap | undefined;
  try {
    map = new SourceMap(JSON.parse(readFileSync(`${options.bundle}.map`, 'utf8')));
  } catch {
    map = undefined;
  }
  const suffix = '/index.mjs';
  return {
    cold: ranked(attribute(readProfiles(coldDirectory), suffix, map), options.coldRuns, 1000),
    coldRuns: options.coldRuns,
    warm: ranked(attribute(readProfiles(warmDirectory), suffix, map), options.warmRequests, 1),
    warmRequests: options.warmRequests,
    directory: options.directory,
  };
}
