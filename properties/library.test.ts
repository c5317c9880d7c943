/**
 * The packed package works from another folder: `npm pack` the repo, install the tarball into a
 * fresh consumer project (examples/user-suite: its own package.json and vitest config), run the
 * consumer's own vitest suite against it, and check a patch file from that folder with the
 * installed CLI. Installs from npm's cache when it can (`--offline`), from the registry if not.
 */
import { describe, expect, test } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');

/** The environment of a child process, without the parent vitest's worker variables. */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS' && k !== 'TEST') env[k] = v;
  return { ...env, NO_COLOR: '1', CI: '1', npm_config_update_notifier: 'false' };
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env: childEnv(), encoding: 'utf8', timeout: 110_000 });
}

function show(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

describe('racewalk as an npm package', () => {
  test('a consumer project installs the packed tarball, type-checks and runs its own vitest suite green, and checks a patch with the installed CLI', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'racewalk-pack-'));
    const pack = run('npm', ['pack', '--ignore-scripts', '--pack-destination', tmp], repo);
    expect(pack.status, show(pack)).toBe(0);
    const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    expect(tarball, show(pack)).toBeDefined();
    const tgz = join(tmp, tarball!);

    // what the tarball ships: the sources run through tsx, the bin, the worked example; no tests
    const list = run('tar', ['-tzf', tgz], tmp);
    const files = list.stdout.split('\n');
    for (const f of ['package/src/index.ts', 'package/src/model.ts', 'package/bin/racewalk.mjs', 'package/src/patch/hooks.mjs', 'package/examples/patches/gup-compound-head.ts']) expect(files).toContain(f);
    expect(files.filter((f) => f.endsWith('.test.ts'))).toEqual([]);

    // the consumer: examples/user-suite, depending on the tarball instead of the repo folder
    const consumer = join(tmp, 'consumer');
    mkdirSync(consumer);
    const suite = join(repo, 'examples', 'user-suite');
    for (const f of readdirSync(suite)) if (/\.(ts|json)$/.test(f) && f !== 'package-lock.json') copyFileSync(join(suite, f), join(consumer, f));
    const pkg = JSON.parse(readFileSync(join(consumer, 'package.json'), 'utf8'));
    pkg.devDependencies.racewalk = `file:${tgz}`;
    writeFileSync(join(consumer, 'package.json'), JSON.stringify(pkg, null, 2));
    copyFileSync(join(repo, 'examples', 'patches', 'gup-compound-head.ts'), join(consumer, 'my-patch.ts'));

    const flags = ['install', '--ignore-scripts', '--no-audit', '--no-fund'];
    let install = run('npm', [...flags, '--offline'], consumer);
    if (install.status !== 0) install = run('npm', [...flags, '--prefer-offline'], consumer);
    expect(install.status, show(install)).toBe(0);

    // the exports map carries the types: the consumer's suite type-checks against the package
    const tsc = run('node', [join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], consumer);
    expect(tsc.status, show(tsc)).toBe(0);

    const vitest = run('node', [join(consumer, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], consumer);
    expect(vitest.status, show(vitest)).toBe(0);
    expect(vitest.stdout).toMatch(/Tests\s+\d+ passed/);
    expect(vitest.stdout).not.toMatch(/failed|skipped/);

    // the installed CLI loads a patch file that lives in the consumer folder
    const cli = run('node', [join(consumer, 'node_modules', 'racewalk', 'bin', 'racewalk.mjs'), 'check-patch', 'my-patch.ts', '--scenario', 'gup-fast-vs-zap', '--json', '--out', join(tmp, 'reports')], consumer);
    expect(cli.status, show(cli)).toBe(0);
    const out = JSON.parse(cli.stdout);
    expect(out.rows[0]).toMatchObject({ scenario: 'gup-fast-vs-zap', status: 'fixed' });
  });
});
