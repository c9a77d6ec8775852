// `npm run bench:compare`: the machinery, with very short runs. It asserts nothing about speed; here,
// that each side is bundled from its own revision with that revision's bundling options, that every
// figure comes from pairs, and that a revision that does not exist is refused.

import { compare, formatComparison } from '../../bench/compare.js';

describe('comparing two revisions (npm run bench:compare)', () => {
  it('bundles lambda/ at a revision and in the working tree, and reads head over base from pairs', async () => {
    // The same revision on both sides, too: each side has its own copy of the tree.
    const same = await compare({ base: 'HEAD', head: 'HEAD', coldRuns: 1, instructionRounds: 0, cpuBatches: 1, callsPerBatch: 2 });
    expect(same.head.bytes).toBe(same.base.bytes);
    const result = await compare({ base: 'HEAD', coldRuns: 2, instructionRounds: 0, cpuBatches: 2, callsPerBatch: 5 });
    expect(result.base.name).toBe('HEAD');
    expect(result.head.name).toBe('working tree');
    for (const side of [result.base, result.head]) {
      expect(side.bytes).toBeGreaterThan(100_000);
      expect(side.cold.total).toBeGreaterThan(side.cold.firstRequestCpu / 10);
      expect(side.instructions).toBeUndefined();
    }
    expect(result.paired.coldCpu.n).toBe(2);
    expect(result.paired.firstRequestCpu.n).toBe(2);
    expect(result.paired.instructions).toBeUndefined();
    expect(result.families.map((family) => family.name)).toEqual([
      'POST /token',
      'POST /oauth2/token',
      'POST /bff/refresh',
      'GET /portal/federation/credentials',
      'GET /bff/api/orders/items',
    ]);
    for (const family of result.families) {
      expect(family.headOverBase.n).toBe(2);
      expect(family.headOverDirect.n).toBe(2);
      expect(family.baseMs).toBeGreaterThan(0);
    }
    const text = formatComparison(result);
    expect(text).toMatch(/^cold start CPU\s+\d\.\d{3}x \[\d\.\d{3}-\d\.\d{3} \(n 2\)\]$/m);
    expect(text).toMatch(/^cold start instructions\s+not counted$/m);
    expect(text).toMatch(/^head against base: bundle -?[\d,]+ B/m);
    // A revision that does not exist is refused, not measured as something else.
    await expect(compare({ base: 'no-such-revision-here', coldRuns: 1, instructionRounds: 0, cpuBatches: 1, callsPerBatch: 1 })).rejects.toThrow();
  }, 600_000);
});
