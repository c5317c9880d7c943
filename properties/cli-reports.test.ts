/**
 * `npm run reports` never deletes or overwrites what the user made (issue 16): the corpus of
 * known races lives in reports/known-races/, apart from the user's runs in reports/, and the
 * generator touches only the files its manifest says it wrote.
 */
import { describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORPUS_DIR, MANIFEST, manifestText, readManifest, writeGenerated } from '../src/report/generate.js';
import { OUT } from '../src/cli/options.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('npm run reports and the user\'s files', () => {
  test('the corpus is not where user runs go by default', () => {
    expect(CORPUS_DIR).not.toBe(OUT.default);
    expect(CORPUS_DIR.startsWith(`${OUT.default}/`)).toBe(true);
  });

  test('the real `npm run reports`: an untracked user file in reports/ (and in the corpus folder) untouched, tracked files unchanged, only its own stale files removed', () => {
    // a copy of the committed corpus, as a user's checkout has it, plus the user's own files
    const top = mkdtempSync(join(tmpdir(), 'racewalk-reports-'));
    const corpus = join(top, 'reports', 'known-races');
    mkdirSync(corpus, { recursive: true });
    const tracked = execFileSync('git', ['ls-files', CORPUS_DIR], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => f !== '');
    const committed = new Map(tracked.map((f) => [f.slice(CORPUS_DIR.length + 1), execFileSync('git', ['show', `HEAD:${f}`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 })]));
    for (const [f, c] of committed) writeFileSync(join(corpus, f), c);
    const user = { [join(top, 'reports', 'gup-fast-vs-zap.json')]: '{"mine":1}\n', [join(top, 'reports', 'notes.md')]: 'my notes\n', [join(corpus, 'my-annotations.txt')]: 'keep me\n' };
    for (const [p, c] of Object.entries(user)) writeFileSync(p, c);
    // a file an older generator wrote and the code no longer produces: listed, so it goes
    const manifest = JSON.parse(committed.get(MANIFEST)!) as { files: string[] };
    writeFileSync(join(corpus, 'gup-fast-vs-zap--gup_pte_range=retired.json'), '{}\n');
    writeFileSync(join(corpus, MANIFEST), manifestText([...manifest.files, 'gup-fast-vs-zap--gup_pte_range=retired.json'].sort()));

    const r = spawnSync('npm', ['run', 'reports', '--', corpus], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    expect(r.status, r.stderr).toBe(0);
    for (const [p, c] of Object.entries(user)) expect(readFileSync(p, 'utf8'), p).toBe(c);
    expect(existsSync(join(corpus, 'gup-fast-vs-zap--gup_pte_range=retired.json'))).toBe(false);
    // every tracked file as committed (if this fails together with reports.test.ts, the corpus is stale: run npm run reports)
    for (const [f, c] of committed) expect(readFileSync(join(corpus, f), 'utf8'), `${f} changed`).toBe(c);
    expect(readdirSync(corpus).sort()).toEqual([...committed.keys(), 'my-annotations.txt'].sort());
  }, 300_000);

  test('a file the generator would write but did not write before (a user\'s) stops it, and nothing is written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'racewalk-corpus-'));
    cpSync(join(ROOT, CORPUS_DIR, MANIFEST), join(dir, 'unrelated.json')); // any user file
    writeFileSync(join(dir, 'README.md'), 'the user wrote this\n');
    const index = new Map([['README.md', 'generated\n'], ['index.html', '<p>generated</p>\n'], [MANIFEST, manifestText(['README.md', 'index.html'])]]);
    expect(() => writeGenerated(dir, { reports: [], index })).toThrow(/holds README.md, which npm run reports did not write/);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('the user wrote this\n');
    expect(readdirSync(dir).sort()).toEqual(['README.md', 'unrelated.json']);
    // once the user moves it away, the generator writes its files and its manifest
    writeFileSync(join(dir, 'README.md'), '');
    execFileSync('rm', [join(dir, 'README.md')]);
    writeGenerated(dir, { reports: [], index });
    expect(readManifest(dir)).toEqual(new Set(['README.md', 'index.html']));
    expect(readFileSync(join(dir, 'unrelated.json'), 'utf8')).toBe(readFileSync(join(ROOT, CORPUS_DIR, MANIFEST), 'utf8'));
  });
});
