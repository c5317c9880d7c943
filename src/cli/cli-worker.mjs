// Worker-thread entry of a searching command (cli/process.ts). Built (dist/cli/, next to
// cli-worker.js): load the compiled worker, no TypeScript loader. From the sources (src/cli/,
// under tsx): Node 20 does not run the parent's tsx hooks inside worker threads, so the worker
// registers tsx itself and then loads the TypeScript worker.
import { existsSync } from 'node:fs';

if (existsSync(new URL('./cli-worker.js', import.meta.url))) {
  await import('./cli-worker.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli-worker.ts');
}
