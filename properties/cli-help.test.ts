/**
 * The conventional CLI (issue 16): per-command help and --version on stdout with exit 0, help
 * derived from the option declarations; colour by NO_COLOR / FORCE_COLOR / --color with the
 * progress line independent of colour; the printed replay command runs as printed; and what
 * was read from a file reaches the terminal with control and bidi characters escaped (issue 11).
 */
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS, globalHelp, main, type Io } from '../src/cli/main.js';
import { allOptions, commandHelp } from '../src/cli/options.js';
import { racewalkCommand, sanitize, useColor } from '../src/cli/terminal.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'racewalk-help-'));

async function cli(argv: string[], io: Partial<Io> = {}) {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (s) => void (out += s), err: (s) => void (err += s), isTTY: false, command: 'racewalk', ...io });
  return { code, out, err };
}

describe('help and --version', () => {
  for (const c of COMMANDS) {
    const name = c.decl.name;
    test(`racewalk ${name} --help, -h and racewalk help ${name}: that command's usage, exit 0, stdout`, async () => {
      const want = commandHelp(c.decl);
      for (const argv of [[name, '--help'], [name, '-h'], ['help', name], [name, '--json', '--help']]) {
        const r = await cli(argv);
        expect(r.code, argv.join(' ')).toBe(0);
        expect(r.err).toBe('');
        expect(r.out).toBe(want);
      }
      expect(want).toMatch(new RegExp(`^Usage: racewalk ${name}`));
      // one line per option, saying what it does (and its default and range when it has them)
      for (const [opt, d] of allOptions(c.decl)) {
        const line = want.split('\n').find((l) => l.includes(`--${opt}${d.kind === 'flag' ? '' : ' '}`) && l.includes(d.help));
        expect(line, `--${opt} in the help of ${name}`).toBeDefined();
        if (d.default !== undefined) expect(line).toContain(`default ${d.default}`);
        if (d.kind === 'int' && d.min !== undefined && d.max !== undefined) expect(line).toContain(`${d.min}..${d.max}`);
      }
    });
  }

  test('racewalk, racewalk help, --help: the command list with one line each', async () => {
    for (const argv of [[], ['help'], ['--help'], ['-h']]) {
      const r = await cli(argv);
      expect(r.code).toBe(0);
      expect(r.out).toBe(globalHelp());
    }
    for (const c of COMMANDS) expect(globalHelp()).toContain(`  ${c.decl.name}`);
  });

  test('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`racewalk ${pkg.version}\n`);
  });

  test('the help of a bad command line is not printed instead of the error', async () => {
    const r = await cli(['explore', '--bogus', '--help']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option '--bogus'/);
  });
});

describe('colour and the progress line', () => {
  test('useColor: --no-color and --color win, then FORCE_COLOR, then NO_COLOR, then the TTY', () => {
    expect(useColor(true, {}, {})).toBe(true);
    expect(useColor(false, {}, {})).toBe(false);
    expect(useColor(true, {}, { NO_COLOR: '1' })).toBe(false);
    expect(useColor(true, {}, { NO_COLOR: '' })).toBe(true); // no-color.org: set and non-empty
    expect(useColor(false, {}, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor(true, {}, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColor(false, {}, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(true);
    expect(useColor(false, { color: true }, { NO_COLOR: '1' })).toBe(true);
    expect(useColor(true, { 'no-color': true }, { FORCE_COLOR: '1' })).toBe(false);
  });

  test('FORCE_COLOR colours a run whose stdout is not a terminal; NO_COLOR does not', async () => {
    const argv = ['explore', '--variant', 'gup_pte_range=no-pte-recheck', '--out', tmp()];
    expect((await cli(argv, { env: { FORCE_COLOR: '1' } })).out).toContain('\x1b[');
    expect((await cli(argv, { isTTY: true, env: { NO_COLOR: '1' } })).out).not.toContain('\x1b[');
  });

  test('with NO_COLOR the progress line stays on a terminal (only the colours go)', async () => {
    const r = await cli(['explore', '--strategy', 'random', '--max-executions', '400', '--out', tmp()], { isTTY: true, progressTTY: true, env: { NO_COLOR: '1' } });
    expect(r.err).toMatch(/\r {2}\d+ executions, \d+\/s, depth \d+, violations \d+/);
    expect(r.out + r.err).not.toContain('\x1b[');
  });

  const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;
  test.skipIf(!hasScript)(`a real terminal (script(1)), NO_COLOR=1: the progress line is drawn, no colour${hasScript ? '' : ' (skipped: util-linux script(1) is not installed)'}`, () => {
    const d = tmp();
    const cmd = `${process.execPath} bin/racewalk.mjs explore --strategy random --max-executions 3000 --out ${d}`;
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined }, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\r {2}\d+ executions, \d+\/s/);
    expect(r.stdout).not.toContain('\x1b[');
  });
});

describe('the replay command runs as printed', () => {
  test('racewalk when a racewalk executable is on PATH, npx racewalk when not (npm\'s node_modules/.bin does not count)', () => {
    const bin = tmp();
    const exe = join(bin, 'racewalk');
    writeFileSync(exe, '#!/bin/sh\n');
    chmodSync(exe, 0o755);
    expect(racewalkCommand({ PATH: `/nonexistent:${bin}` })).toBe('racewalk');
    expect(racewalkCommand({ PATH: '/nonexistent' })).toBe('npx racewalk');
    const local = join(tmp(), 'node_modules', '.bin');
    mkdirSync(local, { recursive: true });
    writeFileSync(join(local, 'racewalk'), '#!/bin/sh\n');
    chmodSync(join(local, 'racewalk'), 0o755);
    expect(racewalkCommand({ PATH: local })).toBe('npx racewalk');
  });

  test('the printed line, pasted into a shell from the repo, replays the violation', async () => {
    const r = await cli(['explore', '--variant', 'gup_pte_range=no-pte-recheck', '--out', tmp()], { command: racewalkCommand({ PATH: '/nonexistent' }) });
    expect(r.code).toBe(1);
    const line = /\n {2}replay: +(npx racewalk replay [^\n]+)/.exec(r.out)?.[1];
    expect(line, r.out).toBeDefined();
    const sh = spawnSync('sh', ['-c', line!.replace(/^npx /, 'npx --no-install ')], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000 });
    expect(sh.status, sh.stderr).toBe(1);
    expect(sh.stdout).toMatch(/VIOLATION of gup-returns-mapped-page/);
  });
});

describe('what came from a file is escaped on the terminal', () => {
  test('sanitize escapes ESC, other C0/C1 controls and bidi overrides, keeps text and newlines', () => {
    expect(sanitize('ok\n\x1b[31mred\x1b[0m')).toBe('ok\n\\u{1b}[31mred\\u{1b}[0m');
    expect(sanitize('a\u202eb\u2066c\u200fd\x07e\x9bf')).toBe('a\\u{202e}b\\u{2066}c\\u{200f}d\\u{7}e\\u{9b}f');
    expect(sanitize('page[4] → folio_ref_freeze')).toBe('page[4] → folio_ref_freeze');
  });

  test('merge of shard reports with ESC and bidi characters in their fields: none reaches stdout, stderr or the .txt', async () => {
    const d = tmp();
    const shards: string[] = [];
    for (const i of [1, 2]) {
      const s = await cli(['explore', '--variant', 'gup_pte_range=no-pte-recheck', '--shard', `${i}/2`, '--out', d, '--json']);
      const path = JSON.parse(s.out).report as string;
      const r = JSON.parse(readFileSync(path, 'utf8'));
      r.description = `evil \x1b]0;pwned\x07 \x1b[2J text \u202e reversed`;
      if (r.message !== null) r.message = `${r.message} \x1b[31m\u2066`;
      r.trace = r.trace.map((t: { stmt: string }) => ({ ...t, stmt: `${t.stmt}\x1b[8m` }));
      writeFileSync(path, JSON.stringify(r));
      shards.push(path);
    }
    const out = join(d, 'merged');
    const m = await cli(['merge', ...shards, '--out', out, '--color']);
    const unsafe = /[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|\x1b(?!\[[0-9;]*m)/; // only racewalk's own SGR colour codes may appear
    expect(m.out).not.toMatch(unsafe);
    expect(m.err).not.toMatch(unsafe);
    expect(m.out).toContain('\\u{1b}]0;pwned\\u{7}');
    const txt = readFileSync(join(out, 'gup-fast-vs-zap--gup_pte_range=no-pte-recheck--merged.txt'), 'utf8');
    expect(txt).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/);
    // and an error quoting a field of a file is escaped too
    const r = JSON.parse(readFileSync(shards[0]!, 'utf8'));
    r.scenario = 'x\x1b[2Jy';
    writeFileSync(shards[0]!, JSON.stringify(r));
    const bad = await cli(['replay', shards[0]!]);
    expect(bad.code).toBe(2);
    expect(bad.err).not.toMatch(/\x1b/);
  });
});
