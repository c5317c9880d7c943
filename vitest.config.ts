import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

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
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
