// Worker-thread entry for --jobs: Node 20 does not run `--import tsx` hooks inside worker
// threads, so the worker registers tsx itself (as bin/racewalk.mjs does) and then loads the
// TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./shard-worker.ts');
