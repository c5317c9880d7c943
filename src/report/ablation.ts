/**
 * The ablation table (`racewalk ablate`): one row per synchronization point, what the scenario
 * does without it, and for a load-bearing point the minimized counterexample and its replay
 * command. Text for the terminal and mail, Markdown for docs and commit messages, JSON for tools.
 */
import type { AblationResult, AblationRow } from '../ablate.js';
import { SYNC_KINDS } from '../sched/ablation.js';
import { replayCommand, verdictLine } from './text.js';
import type { Report } from './trace.js';

export const ABLATION_FORMAT = 'racewalk-ablation';
export const ABLATION_VERSION = 1;

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** The counterexample's preemptions as minimization counted them (null: not minimized). */
function preemptions(r: Report): number | null {
  return r.minimization?.minimized.preemptions ?? null;
}

/** What the scenario does without the point, one line. */
export function rowOutcome(row: AblationRow): string {
  const r = row.report;
  if (!SYNC_KINDS[row.point.kind].underSc) return 'not explored: a barrier cannot change a verdict under sequential consistency (the mm explorer has no weak memory model yet)';
  if (r === null) return 'not explored: the ablated program never met the point within the bounds';
  const cover = `${plural(r.executions, 'execution')}${r.exhaustive ? ', exhaustive' : `, not exhaustive (${r.bounds.join('; ')})`}`;
  switch (r.verdict) {
    case 'violation':
      return `VIOLATION of ${r.invariant}: ${plural(r.trace.length, 'step')}${preemptions(r) !== null ? `, ${plural(preemptions(r)!, 'preemption')}` : ''} (found in execution ${r.executions})`;
    case 'model-error':
      return `MODEL ERROR: ${r.message} (${cover})`;
    case 'clean':
      return `clean without it (${cover})`;
    default:
      return `no violation found without it (${cover})`;
  }
}

/** The replay command of a row's counterexample, or null. */
export function rowReplay(row: AblationRow): string | null {
  return row.report?.schedule != null ? replayCommand(row.report) : null;
}

function cpus(row: AblationRow): string {
  return row.cpus.map((c) => `cpu${c}`).join(',');
}

export function ablationSummary(r: AblationResult): string {
  const bearing = r.rows.filter((x) => x.report?.verdict === 'violation');
  return `load-bearing: ${bearing.length} of ${plural(r.rows.length, 'point')}${bearing.length > 0 ? ` (${bearing.map((x) => x.key).join('; ')})` : ''}`;
}

function orderedLine(r: AblationResult): string | null {
  const n = r.orderedAccesses.size;
  return n === 0 ? null : `${plural(n, 'statement')} carry an acquire/release/fully-ordered annotation: inert under sequential consistency, not weakened (weakening them needs a weak memory model for the mm explorer)`;
}

export function renderAblationText(r: AblationResult, replayOf: (row: AblationRow) => string | null = rowReplay): string {
  const b = r.baseline;
  const out: string[] = [];
  out.push(`racewalk ablate — ${r.scenario} (Linux ${b.kernel})`);
  const vs = Object.entries(b.variants);
  out.push(`  variants: ${vs.length === 0 ? 'all faithful' : vs.map(([p, v]) => `${p}=${v}`).join(', ')}; env: ${Object.entries(b.env).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  out.push(`  as written: ${verdictLine(b)}`);
  if (b.verdict === 'violation' || b.verdict === 'model-error') {
    out.push('  the code as written already fails: nothing to ablate (explore it first: racewalk explore)');
    return out.join('\n') + '\n';
  }
  out.push(`  ${plural(r.rows.length, 'synchronization point')}${r.path !== null ? ` in ${r.path}` : ''}, each removed alone on every CPU, under the same bounds:`);
  out.push('');
  const w = r.rows.reduce((m, x) => Math.max(m, x.point.kind.length), 0);
  for (const row of r.rows) {
    out.push(`  ${row.point.kind.padEnd(w)}  ${row.point.label.fn}: ${row.point.label.stmt}   [${cpus(row)}]`);
    out.push(`  ${' '.repeat(w)}    -> ${rowOutcome(row)}`);
    const replay = replayOf(row);
    if (replay !== null) out.push(`  ${' '.repeat(w)}       replay: ${replay}`);
  }
  out.push('');
  if (r.interrupted) out.push(`  INTERRUPTED: ${r.rows.length} of ${plural(r.points, 'point')} explored; the table is incomplete`);
  out.push(`  ${ablationSummary(r)}`);
  const o = orderedLine(r);
  if (o !== null) out.push(`  ${o}`);
  return out.join('\n') + '\n';
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

export function renderAblationMarkdown(r: AblationResult): string {
  const b = r.baseline;
  const out: string[] = [];
  out.push(`### racewalk ablate: ${r.scenario}`);
  out.push('');
  const vs = Object.entries(b.variants);
  out.push(`- Linux ${b.kernel} model, racewalk ${b.racewalk}; variants: ${vs.length === 0 ? 'all faithful' : vs.map(([p, v]) => `\`${p}=${v}\``).join(', ')}; env: ${Object.entries(b.env).map(([k, v]) => `\`${k}=${v}\``).join(', ')}.`);
  out.push(`- As written: ${verdictLine(b)}.`);
  if (b.verdict === 'violation' || b.verdict === 'model-error') {
    out.push('- The code as written already fails: nothing to ablate.');
    return out.join('\n') + '\n';
  }
  out.push(`- Each point removed alone on every CPU, under the same bounds. ${ablationSummary(r)}.`);
  if (r.interrupted) out.push(`- **Interrupted**: ${r.rows.length} of ${plural(r.points, 'point')} explored; the table is incomplete.`);
  const o = orderedLine(r);
  if (o !== null) out.push(`- ${o[0]!.toUpperCase()}${o.slice(1)}.`);
  out.push('');
  out.push('| kind | point | CPUs | without it |');
  out.push('|---|---|---|---|');
  for (const row of r.rows) out.push(`| ${row.point.kind} | \`${mdCell(`${row.point.label.fn}: ${row.point.label.stmt}`)}\` | ${cpus(row)} | ${mdCell(rowOutcome(row))} |`);
  const bearing = r.rows.filter((x) => rowReplay(x) !== null);
  if (bearing.length > 0) {
    out.push('');
    out.push('Replay a counterexample:');
    out.push('');
    out.push('```sh');
    for (const row of bearing) out.push(rowReplay(row)!);
    out.push('```');
  }
  return out.join('\n') + '\n';
}

/** The JSON of `racewalk ablate --json` and of `<stem>.ablate.json`. */
export function ablationJson(r: AblationResult, reportOf: (row: AblationRow) => string | null = () => null) {
  const b = r.baseline;
  return {
    format: ABLATION_FORMAT,
    version: ABLATION_VERSION,
    racewalk: b.racewalk,
    scenario: r.scenario,
    kernel: b.kernel,
    variants: b.variants,
    env: b.env,
    path: r.path,
    complete: !r.interrupted,
    pointsToAblate: r.points,
    baseline: { verdict: b.verdict, invariant: b.invariant, executions: b.executions, exhaustive: b.exhaustive, bounds: b.bounds, strategy: b.strategy, seed: b.seed, schedule: b.schedule },
    points: r.rows.map((row) => ({
      key: row.key,
      kind: row.point.kind,
      fn: row.point.label.fn,
      stmt: row.point.label.stmt,
      removes: SYNC_KINDS[row.point.kind].removes,
      cpus: row.cpus,
      explored: row.explored,
      verdict: row.report?.verdict ?? null,
      invariant: row.report?.invariant ?? null,
      executions: row.report?.executions ?? null,
      exhaustive: row.report?.exhaustive ?? null,
      counterexampleSteps: row.report !== null && row.report.schedule !== null ? row.report.trace.length : null,
      preemptions: row.report !== null && row.report.schedule !== null ? preemptions(row.report) : null,
      schedule: row.report?.schedule ?? null,
      replay: rowReplay(row),
      report: reportOf(row),
      seconds: Math.round(row.seconds * 1000) / 1000,
    })),
    loadBearing: r.rows.filter((x) => x.report?.verdict === 'violation').map((x) => x.key),
    orderedAccesses: Object.fromEntries(r.orderedAccesses),
    functions: r.functions,
  };
}
