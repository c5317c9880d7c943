/**
 * The packed package works the way npm users consume packages. The repository's package files
 * are copied to a scratch folder and packed there (`npm pack` runs `prepack`, which builds dist/:
 * the repo's own dist/ is never rewritten under the other test files), then the tarball is
 * installed into fresh consumer projects:
 *
 * - plain Node ESM, with tsx removed from the install: `import('racewalk')`, `racewalk/model`,
 *   the published JSON schemas; the installed `racewalk` CLI starts without a TypeScript loader;
 * - `tsc` with the settings `tsc --init` writes (strict, `exactOptionalPropertyTypes`,
 *   `types: []`, `verbatimModuleSyntax`), and again with `skipLibCheck: false` so that an error
 *   inside racewalk's own .d.ts files cannot hide;
 * - vitest: examples/user-suite (its own package.json, tsconfig and vitest config) type-checks
 *   and runs green against the tarball;
 * - the installed CLI checks a .ts patch file that lives in the consumer's folder (tsx is loaded
 *   for that file only).
 *
 * Everything installs from npm's cache where it can (`--prefer-offline`), else from the registry.
 * If neither has a package, the test skips and names it (npm's message), never silently; under
 * CI=true that is a failure, since CI has the network its `npm ci` used.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');

/** The environment of a child process, without the parent vitest's worker variables. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST' && !k.startsWith('npm_')) env[k] = v;
  return { ...env, NO_COLOR: '1', CI: '1', npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: 170_000 });
}

function show(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

const tmp = mkdtempSync(join(tmpdir(), 'racewalk-pack-'));
let tgz = '';
/** why the consumers cannot be installed here (a package missing from npm's cache), or null */
let offlineGap: string | null = null;

/**
 * `npm install --prefer-offline` in `dir`: from npm's cache where it has the package (after the
 * repository's `npm ci`), from the registry where it has not (`npm ci` fetches tarballs by URL and
 * leaves no metadata for a pinned dependency such as ajv, so `--offline` alone fails on a fresh
 * machine). Sets `offlineGap` only when neither the cache nor the network can provide a package.
 */
function install(dir: string): boolean {
  const r = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
  if (r.status === 0) return true;
  const gap = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|request to (\S+) failed/.exec(r.stderr);
  if (gap !== null) {
    if (process.env.CI === 'true') throw new Error(`npm install in ${dir} could not get a package (CI has the network npm ci used; a skip here would hide the package tests):\n${show(r)}`);
    offlineGap = `npm can get a package the consumer needs from neither its cache nor the registry (${r.stderr.split('\n').find((l) => gap[0] !== undefined && l.includes(gap[0]))?.trim() ?? gap[0]}); run 'npm ci' in the repository once with network`;
    return false;
  }
  throw new Error(`npm install in ${dir} failed:\n${show(r)}`);
}

function consumer(name: string, pkg: Record<string, unknown>): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, private: true, type: 'module', ...pkg }, null, 2));
  return dir;
}

beforeAll(() => {
  // pack a copy of what a clean clone has, with the repo's node_modules for the build's tsc
  const src = join(tmp, 'racewalk');
  mkdirSync(src);
  for (const f of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'LICENSE', 'CHANGELOG.md', 'bin', 'scripts', 'src', 'docs', 'examples/patches']) {
    if (existsSync(join(repo, f))) cpSync(join(repo, f), join(src, f), { recursive: true });
  }
  symlinkSync(join(repo, 'node_modules'), join(src, 'node_modules'));
  const pack = run('npm', ['pack', '--pack-destination', tmp], src);
  if (pack.status !== 0) throw new Error(`npm pack failed:\n${show(pack)}`);
  const f = readdirSync(tmp).find((x) => x.endsWith('.tgz'));
  if (f === undefined) throw new Error(`npm pack wrote no tarball:\n${show(pack)}`);
  tgz = join(tmp, f);
}, 600_000);

describe('racewalk as an npm package', () => {
  test('the tarball ships built JavaScript with declarations, the loader entries, the schemas, LICENSE; no tests', () => {
    const files = run('tar', ['-tzf', tgz], tmp).stdout.split('\n');
    for (const f of [
      'package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/model.js', 'package/dist/model.d.ts',
      'package/dist/cli/main.js', 'package/dist/patch/hooks.mjs', 'package/dist/sched/shard-worker.mjs', 'package/dist/sched/shard-worker.js',
      'package/dist/report/report.schema.json', 'package/dist/report/explore-summary.schema.json',
      'package/bin/racewalk.mjs', 'package/LICENSE', 'package/CHANGELOG.md', 'package/examples/patches/gup-compound-head.ts',
    ]) expect(files).toContain(f);
    expect(files.filter((f) => /\.test\.(ts|js)$/.test(f))).toEqual([]);
    // no checkout marker: the installed CLI never falls back to the sources
    expect(files).not.toContain('package/tsconfig.build.json');
  }, 300_000);

  test('plain Node ESM imports racewalk, racewalk/model and the schemas with no TypeScript loader installed; the CLI starts without one', (ctx) => {
    const dir = consumer('node-esm', { dependencies: { racewalk: `file:${tgz}` } });
    if (!install(dir)) return ctx.skip(offlineGap!);
    // tsx is a dependency only for loading a user's .ts patch files: prove nothing else needs it
    renameSync(join(dir, 'node_modules', 'tsx'), join(dir, 'tsx.away'));
    writeFileSync(join(dir, 'main.js'), [
      "import { check, SCENARIOS } from 'racewalk';",
      "import { at, definePatch, READ_ONCE } from 'racewalk/model';",
      "import schema from 'racewalk/schema/report.json' with { type: 'json' };",
      "import summary from 'racewalk/schema/explore-summary.json' with { type: 'json' };",
      "const r = check({ scenario: 'gup-fast-vs-zap', variants: { gup_pte_range: 'no-pte-recheck' } });",
      'console.log(JSON.stringify({ verdict: r.explored.verdict, invariant: r.report.invariant, scenarios: SCENARIOS.length,',
      "  model: [typeof at, typeof definePatch, typeof READ_ONCE], schema: schema.title, summary: summary.title }));",
    ].join('\n'));
    const node = run('node', ['main.js'], dir);
    expect(node.status, show(node)).toBe(0);
    const out = JSON.parse(node.stdout);
    expect(out).toMatchObject({ verdict: 'violation', invariant: 'gup-returns-mapped-page', model: ['function', 'function', 'function'] });
    expect(out.scenarios).toBeGreaterThan(0);
    expect(out.schema).toMatch(/racewalk report/);
    expect(out.summary).toMatch(/explore/);

    const list = run(join(dir, 'node_modules', '.bin', 'racewalk'), ['list'], dir);
    expect(list.status, show(list)).toBe(0);
    expect(list.stdout).toContain('gup-fast-vs-zap');
    const explore = run(join(dir, 'node_modules', '.bin', 'racewalk'), ['explore', '--scenario', 'gup-fast-vs-zap', '--jobs', '2', '--json', '--out', join(tmp, 'node-esm-reports')], dir);
    expect(explore.status, show(explore)).toBe(0);
    expect(JSON.parse(explore.stdout)).toMatchObject({ verdict: 'clean', exhaustive: true });
  }, 300_000);

  test("tsc with the settings 'tsc --init' writes accepts racewalk's declarations (and with skipLibCheck off)", (ctx) => {
    const dir = consumer('tsc-init', { devDependencies: { racewalk: `file:${tgz}`, typescript: readDevDep('typescript') } });
    if (!install(dir)) return ctx.skip(offlineGap!);
    const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
    const init = run('node', [tsc, '--init'], dir);
    expect(init.status, show(init)).toBe(0);
    writeFileSync(join(dir, 'index.ts'), [
      "import { check, type CheckResult, type Report } from 'racewalk';",
      "import { at, READ_ONCE, definePatch, type K, type Path } from 'racewalk/model';",
      "const r: CheckResult = check({ scenario: 'gup-fast-vs-zap', variants: { gup_pte_range: 'no-pte-recheck' } });",
      'const report: Report = r.report;',
      "const verdict: 'violation' | 'clean' | 'no-violation-found' | 'model-error' = r.explored.verdict;",
      'export const lines: string[] = report.trace.map((s) => `${s.cpu} ${s.fn}: ${s.stmt}`);',
      'export { verdict, at, READ_ONCE, definePatch };',
      'export type Kernel = K;',
      'export type P = Path<number>;',
    ].join('\n'));
    const strict = run('node', [tsc, '--noEmit', '-p', '.'], dir);
    expect(strict.status, show(strict)).toBe(0);
    const noSkip = run('node', [tsc, '--noEmit', '-p', '.', '--skipLibCheck', 'false'], dir);
    expect(noSkip.stdout.split('\n').filter((l) => l.includes('node_modules/racewalk/')), show(noSkip)).toEqual([]);
  }, 300_000);

  test('vitest: examples/user-suite type-checks and runs green against the tarball; the installed CLI checks a .ts patch from its folder', (ctx) => {
    const dir = join(tmp, 'user-suite');
    cpSync(join(repo, 'examples', 'user-suite'), dir, { recursive: true, filter: (f) => !/node_modules|package-lock\.json/.test(f) });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    pkg.devDependencies.racewalk = `file:${tgz}`;
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 2));
    cpSync(join(repo, 'examples', 'patches', 'gup-compound-head.ts'), join(dir, 'my-patch.ts'));
    if (!install(dir)) return ctx.skip(offlineGap!);

    const typecheck = run('node', [join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', '.'], dir);
    expect(typecheck.status, show(typecheck)).toBe(0);
    const vitest = run('node', [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], dir);
    expect(vitest.status, show(vitest)).toBe(0);
    expect(vitest.stdout).toMatch(/Tests\s+\d+ passed/);
    expect(vitest.stdout).not.toMatch(/failed|skipped/);

    const cli = run(join(dir, 'node_modules', '.bin', 'racewalk'), ['check-patch', 'my-patch.ts', '--scenario', 'gup-fast-vs-zap', '--json', '--out', join(tmp, 'reports')], dir);
    expect(cli.status, show(cli)).toBe(0);
    expect(JSON.parse(cli.stdout).rows[0]).toMatchObject({ scenario: 'gup-fast-vs-zap', status: 'fixed' });
  }, 300_000);
});

function readDevDep(name: string): string {
  return (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies[name]!;
}
