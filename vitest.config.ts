import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Without a timing cache (a fresh clone, as CI runs) vitest starts the larger files first;
 * properties/dpor.test.ts is not the largest but the longest (about a quarter of the suite's
 * CPU time), and started late it ran alone at the end. It starts first; the rest keep
 * vitest's order.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const longest = (f: TestSpecification) => (f.moduleId.endsWith('/properties/dpor.test.ts') ? 0 : 1);
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => longest(a.f) - longest(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

const src = (f: string) => fileURLToPath(new URL(`./src/${f}`, import.meta.url));

export default defineConfig({
  // the repo's tests run the sources: a patch file's `import ... from 'racewalk/model'` must get
  // the same module instances as the test, not the built dist/ the package's exports name
  resolve: {
    alias: [
      { find: /^racewalk$/, replacement: src('index.ts') },
      { find: /^racewalk\/model$/, replacement: src('model.ts') },
    ],
  },
  test: {
    include: ['properties/**/*.test.ts', 'src/**/*.test.ts'],
    setupFiles: ['properties/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // vitest's default is one worker per core minus one: a single worker on CI's 2 cores, while the
    // suite is CPU-bound test files that share nothing; two workers use both cores
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
