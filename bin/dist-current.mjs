// Whether dist/ (the compiled CLI and library) can be run: built, and in a git checkout not older
// than any source file. Shared by bin/racewalk.mjs and the benchmark.
import { existsSync, readdirSync, statSync } from 'node:fs';

const root = new URL('../', import.meta.url);

export function distIsCurrent() {
  const stamp = new URL('dist/.built', root);
  if (!existsSync(stamp)) return false;
  // the published package has no tsconfig.build.json: its dist/ is what was packed
  if (!existsSync(new URL('tsconfig.build.json', root))) return true;
  const built = statSync(stamp).mtimeMs;
  for (const e of readdirSync(new URL('src/', root), { recursive: true, withFileTypes: true })) {
    if (e.isFile() && !e.name.endsWith('.test.ts') && statSync(`${e.parentPath}/${e.name}`).mtimeMs > built) return false;
  }
  return true;
}
