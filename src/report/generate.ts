/**
 * `npm run reports`: regenerate the corpus of known races in reports/known-races/ from the code.
 * For every scenario and every known race it lists (read at run time, so new scenarios and
 * races appear without touching this file), the race is found by exploration with the default
 * strategy, minimized, and written as text, Markdown, HTML and JSON; index.html and README.md
 * index them. Nothing in the output depends on the clock, so a regeneration of unchanged code
 * is byte-identical (the reports test relies on that).
 *
 * The corpus lives apart from the user's own runs (`racewalk explore` writes to reports/ by
 * default), and the generator touches only files it wrote: MANIFEST.json lists them, a file it
 * no longer produces is removed only if the previous manifest lists it, and a file it would
 * write that it did not write before (a user's) is left alone and the run fails saying so.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
// the scenario list before run.js: scenario.ts -> reach.ts -> scenarios/index.ts -> each scenario
// -> scenario.ts is a cycle, which only evaluates when it is entered at scenarios/index.ts
import { SCENARIOS } from '../scenarios/index.js';
import { check } from '../run.js';
import type { KnownRace, Scenario } from '../scenarios/scenario.js';
import { REPORTERS } from './index.js';
import { writeFileAtomic, reportStem } from './write.js';
import { minimizationLine } from './text.js';
import type { Report } from './trace.js';
import { RACEWALK_VERSION } from './trace.js';

/** where `npm run reports` writes the corpus (user runs go to reports/, beside it) */
export const CORPUS_DIR = 'reports/known-races';
export const MANIFEST = 'MANIFEST.json';

/** the budget the known-race suite gives the default explorer */
export const REPORT_MAX_EXECUTIONS = 50_000;

export interface Generated {
  readonly scenario: Scenario;
  readonly race: KnownRace;
  readonly stem: string;
  readonly report: Report;
  /** file name -> content */
  readonly files: ReadonlyMap<string, string>;
}

export function raceStem(scenario: string, race: KnownRace): string {
  const env = Object.fromEntries(Object.entries(race.env ?? {}).map(([k, v]) => [`env.${k}`, String(v)]));
  return reportStem(scenario, { ...race.variants, ...env });
}

/** Find, minimize and render every known race; nothing is written. */
export function generateAll(): { readonly reports: Generated[]; readonly index: ReadonlyMap<string, string> } {
  const reports: Generated[] = [];
  for (const scenario of SCENARIOS) {
    for (const race of scenario.knownRaces) {
      const r = check({ scenario, variants: race.variants, env: race.env, maxExecutions: REPORT_MAX_EXECUTIONS });
      const stem = raceStem(scenario.name, race);
      const files = new Map<string, string>();
      for (const rep of Object.values(REPORTERS)) files.set(`${stem}.${rep.ext}`, rep.render(r.report));
      reports.push({ scenario, race, stem, report: r.report, files });
    }
  }
  const index = new Map([['README.md', indexMarkdown(reports)], ['index.html', indexHtml(reports)]]);
  const names = [...index.keys(), ...reports.flatMap((g) => [...g.files.keys()])].sort();
  index.set(MANIFEST, manifestText(names));
  return { reports, index };
}

export function manifestText(files: readonly string[]): string {
  return JSON.stringify({ generator: 'npm run reports (src/report/generate.ts)', note: 'the files npm run reports wrote here; it never touches any other file', files }, null, 2) + '\n';
}

/** The files the previous run wrote into `dir` (none when it has no manifest). */
export function readManifest(dir: string): Set<string> {
  const p = join(dir, MANIFEST);
  if (!existsSync(p)) return new Set();
  const m = JSON.parse(readFileSync(p, 'utf8')) as { files?: unknown };
  if (!Array.isArray(m.files) || m.files.some((f) => typeof f !== 'string' || f.includes('/') || f.includes('\\') || f.startsWith('.'))) {
    throw new Error(`${p} is not a manifest written by npm run reports; move it away`);
  }
  return new Set(m.files as string[]);
}

/**
 * Write everything to `dir`. Touches only what the generator wrote: files of the previous
 * manifest that no known race produces any more are removed; a file it would write that exists
 * but is not in the previous manifest is someone else's and stops the run (nothing written).
 */
export function writeAll(dir: string): Generated[] {
  return writeGenerated(dir, generateAll());
}

/** writeAll of an already generated corpus. */
export function writeGenerated(dir: string, { reports, index }: ReturnType<typeof generateAll>): Generated[] {
  const wanted = new Map<string, string>(index);
  for (const g of reports) for (const [f, c] of g.files) wanted.set(f, c);
  const ours = readManifest(dir);
  const theirs = [...wanted.keys()].filter((f) => f !== MANIFEST && !ours.has(f) && existsSync(join(dir, f)));
  if (theirs.length > 0) {
    throw new Error(`${dir} holds ${theirs.join(', ')}, which npm run reports did not write (not in ${join(dir, MANIFEST)}); move ${theirs.length === 1 ? 'it' : 'them'} away and run it again`);
  }
  // first a manifest of old and new together, so that a run interrupted part-way still owns
  // everything it may have written; the exact one last
  writeFileAtomic(join(dir, MANIFEST), manifestText([...new Set([...ours, ...wanted.keys()])].filter((f) => f !== MANIFEST).sort()));
  for (const f of ours) if (!wanted.has(f)) rmSync(join(dir, f), { force: true });
  for (const [f, c] of wanted) if (f !== MANIFEST) writeFileAtomic(join(dir, f), c);
  writeFileAtomic(join(dir, MANIFEST), wanted.get(MANIFEST)!);
  return reports;
}

function found(g: Generated): boolean {
  return g.report.verdict === 'violation' && g.report.invariant === g.race.invariant;
}

function sizes(r: Report): { original: string; minimized: string } {
  const m = r.minimization;
  if (!m) return { original: '-', minimized: `${r.trace.length} steps` };
  const f = (s: { steps: number; preemptions: number }) => `${s.preemptions} preempt., ${s.steps} steps`;
  return { original: f(m.original), minimized: f(m.minimized) };
}

const label = (g: Generated): string => {
  const vs = Object.entries(g.race.variants).map(([p, v]) => `${p}=${v}`);
  const env = Object.entries(g.race.env ?? {}).map(([k, v]) => `--env ${k}=${v}`);
  return [...vs, ...env].join(' ');
};

export function indexMarkdown(reports: readonly Generated[]): string {
  const out: string[] = [];
  out.push('# racewalk reports: the known races');
  out.push('');
  out.push(`Generated by \`npm run reports\` (racewalk ${RACEWALK_VERSION}); do not edit. Every race`);
  out.push('below is found from scratch by exploration with the default strategy and then');
  out.push('minimized (fewest preemptions, then fewest steps). Each report comes as text,');
  out.push('Markdown, a self-contained HTML page and JSON (the replay artifact:');
  out.push('`racewalk replay <file>.json`). The browsable index is `index.html`.');
  for (const scenario of new Set(reports.map((g) => g.scenario))) {
    out.push('');
    out.push(`## ${scenario.name}`);
    out.push('');
    out.push(scenario.description);
    out.push('');
    out.push('| race | invariant | as found | minimized | reports |');
    out.push('| --- | --- | --- | --- | --- |');
    for (const g of reports.filter((x) => x.scenario === scenario)) {
      const s = sizes(g.report);
      const links = Object.values(REPORTERS).map((r) => `[${r.name}](${encodeURI(`${g.stem}.${r.ext}`)})`).join(' ');
      const inv = found(g) ? g.race.invariant : `**NOT FOUND** (expected ${g.race.invariant}; got ${g.report.verdict}${g.report.invariant ? ` of ${g.report.invariant}` : ''})`;
      out.push(`| \`${label(g)}\` | ${inv} | ${s.original} | ${s.minimized} | ${links} |`);
    }
    out.push('');
    for (const g of reports.filter((x) => x.scenario === scenario)) out.push(`- \`${label(g)}\`: ${g.race.note}`);
  }
  return out.join('\n') + '\n';
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function indexHtml(reports: readonly Generated[]): string {
  const sections: string[] = [];
  for (const scenario of new Set(reports.map((g) => g.scenario))) {
    const rows = reports
      .filter((x) => x.scenario === scenario)
      .map((g) => {
        const s = sizes(g.report);
        const links = Object.values(REPORTERS).map((r) => `<a href="${esc(encodeURI(`${g.stem}.${r.ext}`))}">${r.name}</a>`).join(' · ');
        const inv = found(g) ? esc(g.race.invariant) : `<b class="bad">not found</b> (expected ${esc(g.race.invariant)})`;
        return `<tr><td><a href="${esc(encodeURI(`${g.stem}.html`))}"><code>${esc(label(g))}</code></a><div class="note">${esc(g.race.note)}</div></td><td>${inv}</td><td>${esc(s.original)}</td><td${s.original !== s.minimized && s.original !== '-' ? ' class="shrunk"' : ''}>${esc(s.minimized)}</td><td>${links}</td></tr>`;
      })
      .join('\n');
    sections.push(`<h2>${esc(scenario.name)}</h2><p>${esc(scenario.description)} <span class="note">(Linux ${esc(scenario.kernel)})</span></p>
<table><colgroup><col style="width:42%"><col style="width:18%"><col style="width:12%"><col style="width:12%"><col style="width:16%"></colgroup><thead><tr><th>race (variants, env)</th><th>invariant violated</th><th>as found</th><th>minimized</th><th>reports</th></tr></thead><tbody>
${rows}
</tbody></table>`);
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>racewalk reports: the known races</title>
<style>
body { margin:0 auto; max-width:1100px; padding:16px 20px; font:14px/1.45 system-ui, sans-serif; color:#1f2328; }
h1 { font-size:20px; } h2 { font-size:16px; margin-top:24px; }
table { border-collapse:collapse; width:100%; table-layout:fixed; }
.shrunk { font-weight:600; color:#1a7f37; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid #d0d7de; vertical-align:top; }
th { font-size:12px; color:#656d76; text-transform:uppercase; letter-spacing:.03em; }
code { font:12.5px ui-monospace, monospace; }
.note { color:#656d76; font-size:12.5px; }
.bad { color:#cf222e; }
a { color:#0969da; }
</style>
</head>
<body>
<h1>racewalk reports: the known races</h1>
<p>Generated by <code>npm run reports</code> (racewalk ${esc(RACEWALK_VERSION)}). Every race is found from scratch by exploration with the default strategy, then minimized: fewest preemptions first, then fewest steps. The JSON of each is its replay artifact (<code>racewalk replay FILE.json</code>).</p>
${sections.join('\n')}
</body>
</html>
`;
}

/** `tsx src/report/generate.ts [DIR]` */
if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const dir = process.argv[2] ?? CORPUS_DIR;
  let reports: Generated[];
  try {
    reports = writeAll(dir);
  } catch (e) {
    process.stderr.write(`npm run reports: ${(e as Error).message}\n`);
    process.exit(2);
  }
  let missing = 0;
  for (const g of reports) {
    const ok = found(g);
    if (!ok) missing++;
    process.stdout.write(`${ok ? 'ok     ' : 'MISSING'} ${g.scenario.name} ${label(g)}: ${ok ? minimizationLine(g.report) || `${g.report.trace.length} steps` : `expected ${g.race.invariant}, got ${g.report.verdict} ${g.report.invariant ?? ''}`}\n`);
  }
  process.stdout.write(`${reports.length} reports in ${dir}/ (${reports.length * Object.keys(REPORTERS).length} files, index.html, README.md)\n`);
  process.exitCode = missing > 0 ? 1 : 0;
}
