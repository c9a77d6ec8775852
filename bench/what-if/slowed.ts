// What-if stand-in (never shipped): the broker made deliberately slower, to show that the benchmark's
// targets read a slower broker as missed (test/bench runs it in the broker's place). The busy loops
// burn CPU in proportion to the CPU the process has itself used, never a fixed count or time, so the
// build is as much slower than the broker on a fast machine as on a slow or busy one: at init, as
// much CPU again as the process used up to there (Node's start, the broker's module); on every
// request, twice what the broker's handler used for it.

import { handler as broker } from '../../lambda/handler.js';

const cpuMs = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Spins until this process has used `ms` more milliseconds of CPU. */
function burn(ms: number): void {
  const until = cpuMs() + ms;
  while (cpuMs() < until) {
    // busy
  }
}

burn(cpuMs());

export async function handler(...args: Parameters<typeof broker>): Promise<unknown> {
  const before = cpuMs();
  const answer = await broker(...args);
  burn(2 * (cpuMs() - before));
  return answer;
}
