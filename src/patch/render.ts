/** Text for patch runs: the per-scenario verdict table of check-patch, and its JSON form. */
import type { CheckResult } from '../run.js';
import { renderText } from '../report/text.js';
import type { PatchDiff, PatchRow } from './run.js';
import { replayCommand } from './run.js';

const STATUS: Record<PatchRow['status'], string> = {
  unchanged: 'no change',
  fixed: 'fixed by the patch',
  'still-violating': 'violation in both',
  'new-violation': 'NEW VIOLATION',
};

/** One table cell: the verdict and what it covered. */
export function verdictCell(r: CheckResult): string {
  const e = r.explored;
  const n = `${e.executions} exec${e.executions === 1 ? '' : 's'}`;
  switch (e.verdict) {
    case 'violation':
      return `VIOLATION ${r.report.invariant} (${n})`;
    case 'clean':
      return `clean, exhaustive (${n})`;
    case 'model-error':
      return `MODEL ERROR (${n})`;
    default:
      return `no violation (${n})`;
  }
}

export function fmtVariants(v: Readonly<Record<string, string>>): string {
  const e = Object.entries(v);
  return e.length === 0 ? 'faithful (Linux v6.6 model)' : e.map(([p, n]) => `${p}=${n}`).join(', ');
}

/** The bounds both sides ran under, as one line (taken from the runs, not from the options). */
export function boundsLine(d: PatchDiff): string {
  const r = d.rows[0]?.patched;
  if (r === undefined) return '';
  const bounds = new Set<string>();
  for (const row of d.rows) for (const b of [...row.baseline.explored.bounds, ...row.patched.explored.bounds]) bounds.add(b);
  return `strategy ${r.explored.strategy}; ${bounds.size === 0 ? 'exhaustive (no bound cut the search)' : [...bounds].join('; ')}; max-steps ${r.program.maxSteps} per execution`;
}

/** The check-patch table; `command`: how the user runs racewalk, for the replay commands printed. */
export function renderDiff(d: PatchDiff, command = 'racewalk'): string {
  const p = d.patch;
  const out: string[] = [];
  out.push(`racewalk check-patch ${p.display}`);
  out.push(`  patch:    ${p.spec.name}${p.spec.description ? ` — ${p.spec.description}` : ''}${p.spec.kernel ? ` (${p.spec.kernel})` : ''}`);
  out.push(`  baseline: ${fmtVariants(d.baselineVariants)}`);
  out.push(`  patched:  ${fmtVariants(d.patchedVariants)}`);
  out.push(`  bounds:   ${boundsLine(d)} (same for both sides)`);
  out.push('');
  const header = ['scenario', 'env', 'baseline', 'patched', 'verdict'];
  const body = d.rows.map((r) => [
    r.scenario.name,
    Object.entries(r.patched.report.env).map(([k, v]) => `${k}=${v}`).join(','),
    verdictCell(r.baseline),
    verdictCell(r.patched),
    STATUS[r.status],
  ]);
  const widths = header.map((h, i) => body.reduce((m, row) => Math.max(m, row[i]!.length), h.length));
  const line = (cells: string[]) => '  ' + cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  out.push(line(header));
  out.push(line(widths.map((w) => '-'.repeat(w))));
  for (const row of body) out.push(line(row));
  for (const n of d.notApplicable) out.push(`  ${n.scenario.name}: not applicable (${n.side}): ${n.reason}`);
  out.push('');
  out.push(...ranAndSkipped(d).map((l) => `  ${l}`));
  out.push('');
  for (const r of d.rows) {
    if (r.status === 'fixed' || r.status === 'still-violating') {
      out.push(`  ${r.scenario.name}: baseline ${r.baseline.report.invariant}: ${r.baseline.report.message}`);
    }
    if (r.focused !== null) {
      out.push(`  ${r.scenario.name}: the baseline, checked for ${r.patched.report.invariant} alone: ${verdictCell(r.focused)}`);
    }
  }
  const fresh = d.rows.filter((r) => r.status === 'new-violation');
  if (fresh.length === 0) {
    out.push(`No new violation: within these bounds the patch breaks no invariant its baseline keeps (${d.rows.length} scenario${d.rows.length === 1 ? '' : 's'}).`);
  } else {
    out.push(`The patch introduces ${fresh.length === 1 ? 'a violation' : `violations in ${fresh.length} scenarios`}; minimal counterexample${fresh.length === 1 ? '' : 's'} (fewest preemptions first):`);
    for (const r of fresh) {
      out.push('');
      const replay = replayCommand(p, r.patched);
      const text = renderText(r.patched.report, { replay: command === 'racewalk' ? replay : `${command} ${replay.slice('racewalk '.length)}` });
      out.push(...text.trimEnd().split('\n').map((l) => `  ${l}`));
    }
  }
  return out.join('\n') + '\n';
}

/** Why each scenario ran (the replaced functions it reaches) and why every other one did not. */
export function ranAndSkipped(d: PatchDiff): string[] {
  const out: string[] = [];
  const replaced = new Set(d.patch.replaced);
  for (const r of d.rows) out.push(`ran ${r.scenario.name}: reaches ${reachedOf(r.patched, replaced)}`);
  for (const s of d.patch.skipped) out.push(`skipped ${s.scenario}: ${s.reason}`);
  return out;
}

function reachedOf(r: CheckResult, replaced: ReadonlySet<string>): string {
  const hit = [...r.program.reached].filter((n) => replaced.has(n));
  return hit.length > 0 ? hit.join(', ') : `none of ${[...replaced].join(', ')} in the executions run`;
}

function side(r: CheckResult) {
  const rep = r.report;
  return {
    verdict: rep.verdict,
    invariant: rep.invariant,
    message: rep.message,
    schedule: rep.schedule,
    executions: rep.executions,
    steps: rep.steps,
    exhaustive: rep.exhaustive,
    bounds: rep.bounds,
    variants: rep.variants,
    seed: rep.seed,
    counterexampleSteps: rep.trace.length,
  };
}

export function diffJson(d: PatchDiff) {
  return {
    patch: d.patch.spec.name,
    file: d.patch.display,
    baselineVariants: d.baselineVariants,
    patchedVariants: d.patchedVariants,
    bounds: boundsLine(d),
    introduced: d.introduced,
    skipped: d.patch.skipped,
    rows: d.rows.map((r) => ({
      reaches: [...r.patched.program.reached].filter((n) => d.patch.replaced.includes(n)),
      scenario: r.scenario.name,
      env: r.patched.report.env,
      status: r.status,
      baseline: side(r.baseline),
      patched: side(r.patched),
      focused: r.focused === null ? null : side(r.focused),
      replay: r.patched.report.schedule === null ? null : replayCommand(d.patch, r.patched),
    })),
    notApplicable: d.notApplicable.map((n) => ({ scenario: n.scenario.name, side: n.side, reason: n.reason })),
  };
}
