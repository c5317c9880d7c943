/**
 * The HTML reports in a real headless browser (Debian's chromium driven by playwright-core):
 * each page loads offline with no console errors and no network request, shows one lane per
 * CPU, and the trace it embeds equals its JSON report. Chromium is installed by .ci/run (a test
 * never installs system packages); without it this suite skips and says why.
 */
import { describe, expect, test, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CORPUS_DIR, raceStem } from '../src/report/generate.js';
import { SCENARIOS } from '../src/scenarios/index.js';
import { pathToFileURL } from 'node:url';
import type { BrowserContext } from 'playwright-core';
import type { Report } from '../src/report/trace.js';

const CHROMIUM = '/usr/bin/chromium';
/** where the width screenshots go (a person looks at them; the test measures them) */
const SHOTS = process.env.RACEWALK_SHOTS ?? join(tmpdir(), 'racewalk-shots');
mkdirSync(SHOTS, { recursive: true });
const cpusOf = (f: string): number => (JSON.parse(readFileSync(join(resolve(CORPUS_DIR), f.replace(/\.html$/, '.json')), 'utf8')) as Report).threads.length;

/**
 * null when chromium is there, else why the suite skips. A test never installs system packages:
 * .ci/run installs chromium (apt-get) before `npm test`.
 */
function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  return `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it in CI)`;
}
const why = chromiumMissing();
if (why !== null) console.warn(`SKIPPING the headless-browser tests of the HTML reports: ${why}`);

// the committed reports of the known races (properties/reports.test.ts keeps them equal to what
// the code generates, so this suite does not explore again)
const dir = resolve(CORPUS_DIR);
const pages = SCENARIOS.flatMap((s) => s.knownRaces.map((r) => `${raceStem(s.name, r)}.html`)).filter((f) => existsSync(join(dir, f)));


/** Run in the page (a string: the test is not compiled with the DOM library). */
const MEASURE = String.raw`(() => {
        const boxes = (sel) => [...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect());
        const heads = boxes('.heads .lh');
        const overlap = heads.some((a, i) => heads.some((b, j) => j > i && a.right > b.left + 0.5 && b.right > a.left + 0.5));
        // a lane's text stays in its cell (no text wider than the cell it sits in)
        const spill = [...document.querySelectorAll('.cell.on .fn, .cell.on .stmt, .lh')].filter((e) => e.scrollWidth > e.clientWidth + 1).length;
        return { scroll: document.documentElement.scrollWidth, inner: window.innerWidth, overlap, spill, ghosts: document.querySelectorAll('.cell .ghost').length, rawGhosts: [...document.querySelectorAll('.cell')].filter((c) => /\[[a-z_]+( |\])/.test(c.textContent ?? '')).length };
})()`;

describe.skipIf(why !== null)('HTML reports in headless chromium', () => {
  let ctx: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'racewalk-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1400, height: 1000 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  test('every known race has an HTML report, and the index links them', async () => {
    expect(pages.length).toBe(SCENARIOS.reduce((n, s) => n + s.knownRaces.length, 0));
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(pathToFileURL(join(dir, 'index.html')).href);
    const links = await page.locator('a').evaluateAll((as) => as.map((a) => decodeURI(a.getAttribute('href')!)));
    for (const f of pages) expect(links).toContain(f);
    expect(errors).toEqual([]);
    await page.close();
  });

  // readable from 800 px up: screenshots at three widths of the report with the most CPUs, kept
  // in SHOTS for a person to look at; measured here: nothing overflows sideways, lane headers
  // and function names stay inside their lanes, flag sets wrap only at '|', ghost events are
  // drawn as racewalk's annotations apart from kernel state
  test('the report with the most CPUs at 800, 1280 and 1920 px: no overlap, no sideways overflow, annotations apart', async () => {
    const widest = [...pages].sort((a, b) => cpusOf(b) - cpusOf(a) || a.localeCompare(b))[0]!;
    for (const width of [800, 1280, 1920]) {
      const page = await ctx.newPage();
      await page.setViewportSize({ width, height: 900 });
      await page.goto(pathToFileURL(join(dir, widest)).href, { waitUntil: 'load' });
      const m = (await page.evaluate(MEASURE)) as { scroll: number; inner: number; overlap: boolean; spill: number; ghosts: number; rawGhosts: number };
      await page.screenshot({ path: join(SHOTS, `report-${width}-top.png`) });
      // and the lanes, where the steps are
      await page.evaluate('window.scrollTo(0, document.getElementById("lanes").offsetTop)');
      await page.screenshot({ path: join(SHOTS, `report-${width}.png`) });
      expect(m.scroll, `${widest} at ${width} px scrolls sideways`).toBeLessThanOrEqual(m.inner);
      expect(m.overlap, `${widest} at ${width} px: lane headers overlap`).toBe(false);
      expect(m.spill, `${widest} at ${width} px: text spills out of its lane`).toBe(0);
      expect(m.rawGhosts, 'ghost events shown raw, as if kernel state').toBe(0);
      await page.close();
    }
    console.log(`screenshots of ${widest}: ${SHOTS}/report-{800,1280,1920}.png`);
  });

  for (const [i, f] of pages.entries()) {
    test(`${f}: offline, no console errors, one lane per CPU, embedded trace = JSON report`, async () => {
      const json = JSON.parse(readFileSync(join(dir, f.replace(/\.html$/, '.json')), 'utf8')) as Report;
      const page = await ctx.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.route(/^(?!file:)/, (route) => route.abort());
      await page.goto(pathToFileURL(join(dir, f)).href, { waitUntil: 'load' });
      expect(errors, `schedule: ${json.schedule}`).toEqual([]);
      expect(requests).toEqual([]);
      expect(await page.locator('.heads .lh').count()).toBe(json.threads.length);
      expect(await page.locator('.row').count()).toBe(json.trace.length);
      const embedded = JSON.parse((await page.locator('#racewalk-report').textContent())!) as Report;
      expect(embedded).toEqual(json);
      // each step sits in its own CPU's lane
      const cpus = await page.locator('.row').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('.cell')].findIndex((c) => c.classList.contains('on'))));
      expect(cpus).toEqual(json.trace.map((s) => s.cpu));
      // conflicting steps are highlighted exactly where the trace says so
      const conflict = await page.locator('.row').evaluateAll((rows) => rows.map((r) => r.classList.contains('conflict')));
      expect(conflict).toEqual(json.trace.map((s) => (s.conflicts?.length ?? 0) > 0));
      // clicking a conflicting step shows its state and marks the steps it conflicts with
      const c = json.trace.find((s) => (s.conflicts?.length ?? 0) > 0);
      if (c !== undefined) {
        await page.locator(`.row[data-step="${c.step}"]`).click();
        await expect.poll(() => page.locator('#state h2').textContent()).toContain(`step ${c.step}`);
        expect(await page.locator('.row.partner').count()).toBe(c.conflicts!.length);
        expect(await page.locator('#state').textContent()).toContain('CPUs after this step');
      }
      if (i === pages.length - 1) await page.screenshot({ path: '/tmp/report.png' });
      expect(errors).toEqual([]);
      await page.close();
    });
  }
});
