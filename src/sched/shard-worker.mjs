// Worker-thread entry for --jobs. Built (dist/sched/, next to shard-worker.js): load the compiled
// worker, no TypeScript loader. From the sources (src/sched/, under tsx or vitest): Node 20 does
// not run the parent's `--import tsx` hooks inside worker threads, so the worker registers tsx
// itself and then loads the TypeScript worker.
import { existsSync } from 'node:fs';

if (existsSync(new URL('./shard-worker.js', import.meta.url))) {
  await import('./shard-worker.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./shard-worker.ts');
}
