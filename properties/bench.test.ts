/**
 * `npm run bench` measures and prints; it never rewrites what is tracked (bench/results.json is
 * rewritten only by an explicit `--out bench/results.json`) and never touches a user's file.
 * Runs the real npm script in its quick mode, limited to one short section (every section writes
 * through the same single, --out-gated writer at the end), and compares every tracked file's
 * content before and after.
 */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..');

function trackedDigest(): Map<string, string> {
  const files = spawnSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).stdout.split('\0').filter((f) => f !== '');
  return new Map(files.filter((f) => existsSync(join(repo, f))).map((f) => [f, createHash('sha1').update(readFileSync(join(repo, f))).digest('hex')]));
}

function bench(args: string[]) {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('VITEST') && k !== 'NODE_OPTIONS') env[k] = v;
  return spawnSync('npm', ['run', '--silent', 'bench', '--', ...args], { cwd: repo, env, encoding: 'utf8', timeout: 240_000 });
}

describe.skipIf(!existsSync(join(repo, '.git')))('npm run bench', () => {
  test('--quick leaves every tracked file and an untracked user file unchanged; --out writes where asked', () => {
    const user = join(repo, 'reports', 'my-own-notes.bench-test.txt');
    writeFileSync(user, 'mine\n');
    try {
      const before = trackedDigest();
      const r = bench(['--quick', '--sections=startup']);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/CLI start-up/);
      expect(r.stdout).not.toMatch(/wrote /);
      const changed = [...trackedDigest()].filter(([f, h]) => before.get(f) !== h).map(([f]) => f);
      expect(changed).toEqual([]);
      expect(readFileSync(user, 'utf8')).toBe('mine\n');

      const out = join(mkdtempSync(join(tmpdir(), 'racewalk-bench-')), 'sub', 'results.json');
      const w = bench(['--quick', '--sections=startup', '--out', out]);
      expect(w.status, `${w.stdout}\n${w.stderr}`).toBe(0);
      const j = JSON.parse(readFileSync(out, 'utf8'));
      expect(j.quick).toBe(true);
      expect(j.startup.builtRatio).toBeGreaterThan(0);
      expect([...trackedDigest()].filter(([f, h]) => before.get(f) !== h).map(([f]) => f)).toEqual([]);

      const bad = bench(['--nope']);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/unknown option '--nope'/);
    } finally {
      rmSync(user, { force: true });
    }
  });
});

describe('tests and system packages', () => {
  test('no test file runs a system package manager (.ci/run installs what the tests need)', () => {
    const files = spawnSync('git', ['ls-files', '-co', '--exclude-standard', 'properties', 'src'], { cwd: repo, encoding: 'utf8' }).stdout.split('\n').filter((f) => /\.(ts|mjs)$/.test(f));
    // a child process started with a package manager's install command on the same line
    const installer = new RegExp(`(spawn|exec)[A-Za-z]*\\([^;\\n]*(${['apt-get', 'apt', 'apk', 'dnf', 'yum'].join('|')})\\s+(update|install|add)`);
    const offenders = files.filter((f) => existsSync(join(repo, f)) && installer.test(readFileSync(join(repo, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
