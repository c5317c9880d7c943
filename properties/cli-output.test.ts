/**
 * Never lose a counterexample (issue 11): what a run found reaches stdout, and the JSON report
 * is written, before any other file; a full disk or any write error still prints the
 * counterexample, names what could not be written, and exits 1 for a violation. Signals while
 * the reports are written do not leave a partial set, and stdout is not cut short.
 *
 * A full disk is played two ways: a writer injected through the CLI's Io that fails like
 * ENOSPC (always runs), and a real 8 KiB tmpfs (needs root to mount; skipped, saying so, without).
 */
import { describe, expect, test } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, type Io } from '../src/cli/main.js';
import { writeFileAtomic } from '../src/report/write.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const tmp = () => mkdtempSync(join(tmpdir(), 'racewalk-out-'));
const RACE = ['explore', '--variant', 'gup_pte_range=no-pte-recheck'];

type Event = { kind: 'out' | 'err'; text: string } | { kind: 'write'; path: string; ok: boolean };

/** the CLI in-process, with a writer that fails for the paths `fails` accepts (ENOSPC) */
async function cli(argv: string[], fails: (path: string) => boolean = () => false) {
  const events: Event[] = [];
  const enospc = (path: string) => Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: 'ENOSPC' });
  const io: Io = {
    out: (s) => void events.push({ kind: 'out', text: s }),
    err: (s) => void events.push({ kind: 'err', text: s }),
    isTTY: false,
    command: 'racewalk',
    writeFile: (path, data) => {
      const ok = !fails(path);
      events.push({ kind: 'write', path, ok });
      if (!ok) throw enospc(path);
      writeFileAtomic(path, data);
    },
  };
  const code = await main(argv, io);
  const text = (k: 'out' | 'err') => events.flatMap((e) => (e.kind === k ? [e.text] : [])).join('');
  return { code, events, out: text('out'), err: text('err') };
}

describe('a full disk never loses the counterexample (injected writer)', () => {
  test('every file fails: exit 1, the schedule and replay command on stdout, each file named on stderr', async () => {
    const d = tmp();
    const r = await cli([...RACE, '--out', d], () => true);
    expect(r.code, r.err).toBe(1);
    expect(r.out).toMatch(/VIOLATION of gup-returns-mapped-page/);
    expect(r.out).toMatch(/schedule: rw1:gup-fast-vs-zap:[0-9x,]+/);
    const replay = /replay: +(racewalk replay [^\n]+)/.exec(r.out)?.[1];
    expect(replay).toBeDefined();
    for (const ext of ['json', 'txt', 'md', 'html']) expect(r.err).toMatch(new RegExp(`could not write '[^']+\\.${ext}': .*ENOSPC`));
    expect(r.err).toMatch(/4 report files not written; the counterexample is not lost/);
    expect(readdirSync(d)).toEqual([]); // nothing half-written, no temp files
    // and the printed command replays it
    const again = await cli(replay!.split(' ').slice(1));
    expect(again.code, again.err).toBe(1);
  });

  test('stdout carries the counterexample before any file is written, and the JSON is the first file', async () => {
    const d = tmp();
    const r = await cli([...RACE, '--out', d]);
    expect(r.code).toBe(1);
    const firstWrite = r.events.findIndex((e) => e.kind === 'write');
    const schedule = r.events.findIndex((e) => e.kind === 'out' && /schedule: rw1:/.test(e.text));
    expect(schedule).toBeGreaterThanOrEqual(0);
    expect(schedule).toBeLessThan(firstWrite);
    expect(r.events.filter((e) => e.kind === 'write').map((e) => (e as { path: string }).path.replace(/.*\./, ''))).toEqual(['json', 'txt', 'md', 'html']);
  });

  test('--json: the JSON report first, then the summary naming it; a failed JSON report is null in the summary', async () => {
    const d = tmp();
    const ok = await cli([...RACE, '--out', d, '--json'], (p) => !p.endsWith('.json'));
    expect(ok.code).toBe(1);
    const s = JSON.parse(ok.out);
    expect(s.report).toMatch(/\.json$/);
    expect(JSON.parse(readFileSync(s.report, 'utf8')).schedule).toBe(s.schedule);
    const order = ok.events.map((e) => (e.kind === 'write' ? e.path.replace(/.*\./, '') : e.kind));
    expect(order.slice(0, 2)).toEqual(['json', 'out']);
    expect(ok.err).toMatch(/3 report files not written; the counterexample is not lost/);

    const bad = await cli([...RACE, '--out', tmp(), '--json'], () => true);
    expect(bad.code).toBe(1);
    const b = JSON.parse(bad.out);
    expect(b.report).toBeNull();
    expect(b.schedule).toMatch(/^rw1:/);
    expect(b.replay).toMatch(/^racewalk replay .*--schedule rw1:/);
  });

  test('--quiet still prints the replay command of a violation', async () => {
    const r = await cli([...RACE, '--out', tmp(), '--quiet'], () => true);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^VIOLATION of .*\n {2}replay: racewalk replay .*--schedule rw1:/);
  });

  test('a run that found nothing but could not save its reports is exit 2, with the verdict printed', async () => {
    const r = await cli(['explore', '--out', tmp(), '--max-executions', '20'], () => true);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/no violation found within the bounds/);
    expect(r.err).toMatch(/report files not written \(the verdict above stands\)/);
  });

  test('merge and check-patch-like paths go through the same writer: merge on a full disk is exit 1 with the schedule', async () => {
    const d = tmp();
    const shards = [];
    for (const i of [1, 2]) {
      const s = await cli([...RACE, '--shard', `${i}/2`, '--out', d, '--json']);
      shards.push(JSON.parse(s.out).report as string);
    }
    const m = await cli(['merge', ...shards, '--out', join(d, 'm')], () => true);
    expect(m.code, m.err).toBe(1);
    expect(m.out).toMatch(/schedule: rw1:gup-fast-vs-zap:/);
    expect(m.err).toMatch(/could not write '.*--merged\.json': .*ENOSPC/);
  });
});

/** `mount -t tmpfs` needs CAP_SYS_ADMIN: try once, say why not when it fails */
function mountTinyTmpfs(): { dir: string; unmount(): void } | string {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs to fill';
  const dir = mkdtempSync(join(tmpdir(), 'racewalk-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8k', 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
  return { dir, unmount: () => void spawnSync('umount', [dir]) };
}

const tiny = mountTinyTmpfs();

describe('a real full disk (8 KiB tmpfs)', () => {
  test.skipIf(typeof tiny === 'string')(`explore on a full disk: exit 1, counterexample on stdout, ENOSPC named${typeof tiny === 'string' ? ` (skipped: ${tiny})` : ''}`, async () => {
    const t = tiny as Exclude<typeof tiny, string>;
    try {
      const out = join(t.dir, 'out');
      const r = await child([...RACE, '--out', out]);
      expect(r.code, r.err).toBe(1);
      expect(r.out).toMatch(/schedule: rw1:gup-fast-vs-zap:/);
      expect(r.out).toMatch(/replay: +(npx )?racewalk replay /);
      expect(r.err).toMatch(/could not write '.*\.(json|html)': .*(ENOSPC|no space)/);
      expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      // what was written is whole (atomic): any JSON there parses
      for (const f of readdirSync(out).filter((x) => x.endsWith('.json'))) expect(() => JSON.parse(readFileSync(join(out, f), 'utf8'))).not.toThrow();
    } finally {
      t.unmount();
    }
  });
});

/** `signalsAt`: ms after `startedWhen` exists (explore creates --out once its handlers are in place) */
function child(argv: readonly string[], opts: { signalsAt?: readonly number[]; signal?: NodeJS.Signals; startedWhen?: string } = {}): Promise<{ code: number | null; sig: NodeJS.Signals | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/racewalk.mjs', ...argv], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (b: Buffer) => void out.push(b));
    p.stderr.on('data', (b) => void (err += b));
    const timers: NodeJS.Timeout[] = [];
    const arm = () => timers.push(...(opts.signalsAt ?? []).map((ms) => setTimeout(() => p.kill(opts.signal ?? 'SIGTERM'), ms)));
    if (opts.startedWhen === undefined) arm();
    else {
      const poll = setInterval(() => {
        if (existsSync(opts.startedWhen!)) {
          clearInterval(poll);
          arm();
        }
      }, 10);
      timers.push(poll);
    }
    const killer = setTimeout(() => p.kill('SIGKILL'), 120_000);
    p.on('close', (code, sig) => {
      for (const t of timers) clearTimeout(t);
      clearTimeout(killer);
      resolve({ code, sig, out: Buffer.concat(out).toString('utf8'), err });
    });
  });
}

describe('signals while a run ends and writes its reports', () => {
  // an 80-step counterexample whose HTML report (~90 KB) is larger than a pipe's 64 KiB buffer
  const BIG = ['explore', '--scenario', 'gup-fast-vs-split-and-zap', '--variant', 'gup_huge_pmd=x86-get_page'];

  test('stdout of a report larger than 64 KiB arrives whole through a pipe', async () => {
    const d = tmp();
    // a race found in 2 executions whose minimized HTML report is ~90 KB (BIG's race now takes
    // more executions to find, since DPOR orders every invariant read)
    const r = await child(['explore', '--scenario', 'gup-fast-vs-split-pmd-mapped-thp', '--variant', 'split_huge_page_to_list=no-refcount-check', '--format', 'html', '--out', d]);
    expect(r.code, r.err).toBe(1);
    const file = readdirSync(d).find((f) => f.endsWith('.html'))!;
    expect(r.out).toBe(readFileSync(join(d, file), 'utf8'));
  });

  // two signals each (the third would be the user's "exit now"), at times spread over start-up,
  // search, minimization and writing: whatever moment they hit, the process ends by its own exit
  // code, never by the signal, and leaves either no report or the whole set with its JSON
  for (const [signal, at] of [['SIGTERM', [0, 100]], ['SIGINT', [500, 550]], ['SIGTERM', [1500, 1520]], ['SIGINT', [3000, 3005]], ['SIGTERM', [4500, 4501]]] as const) {
    test(`${signal} at ${at.join(' and ')} ms into the run: a complete report set or none, never a partial one`, async () => {
      const d = tmp();
      const out = join(d, 'out');
      const r = await child([...BIG, '--out', out, '--json'], { signalsAt: at, signal, startedWhen: out });
      expect(r.sig, `killed by a signal: ${r.err}`).toBeNull();
      expect([0, 1], r.err).toContain(r.code);
      const files = readdirSync(out);
      expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      if (files.length > 0) {
        expect(files.map((f) => f.replace(/.*\./, '')).sort()).toEqual(['html', 'json', 'md', 'txt']);
        const s = JSON.parse(r.out); // stdout whole
        expect(JSON.parse(readFileSync(s.report, 'utf8')).verdict).toBe(s.verdict);
      }
    });
  }
});

describe('the report files are where the run says', () => {
  test('no file is written outside --out (nothing in the working folder)', async () => {
    const before = existsSync(join(ROOT, 'reports')) ? readdirSync(join(ROOT, 'reports')).sort() : [];
    const d = tmp();
    const r = await cli([...RACE, '--out', d, '--json']);
    expect(r.code).toBe(1);
    expect(readdirSync(d).length).toBe(4);
    const after = existsSync(join(ROOT, 'reports')) ? readdirSync(join(ROOT, 'reports')).sort() : [];
    expect(after).toEqual(before);
  });
});
