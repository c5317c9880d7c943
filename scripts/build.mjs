// `npm run build` (and `prepare`, `prepack`): compile src/ to dist/ (JavaScript + declarations)
// with tsconfig.build.json, then copy what tsc does not emit: the plain-JavaScript loader entries
// (*.mjs: module hooks and the worker entry, which run before or without TypeScript support) and
// the published JSON schemas. dist/ is rebuilt from scratch, so a file removed from src/ cannot
// linger in the package.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });

for (const e of readdirSync(src, { recursive: true, withFileTypes: true })) {
  if (!e.isFile() || !/\.(mjs|json)$/.test(e.name)) continue;
  const from = join(e.parentPath, e.name);
  const to = join(dist, relative(src, from));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(from, to);
}
// bin/racewalk.mjs compares this stamp with the sources' mtimes in a checkout (see there)
writeFileSync(join(dist, '.built'), `${new Date().toISOString()}\n`);
