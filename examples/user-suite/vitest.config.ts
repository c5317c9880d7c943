import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['*.test.ts'],
    testTimeout: 60_000,
    // racewalk ships TypeScript sources: let vitest transform them instead of handing them to Node
    server: { deps: { inline: ['racewalk'] } },
  },
});
