/**
 * Terminal rendering: per-CPU lanes of C-like lines (lanes.ts), the verdict, the minimization,
 * the objects the CPUs raced on and the command that replays it. Plain text; colour (ANSI) only
 * when asked for, i.e. on a TTY.
 */
import { shellQuote } from '../sched/ablation.js';
import type { Report } from './trace.js';
import { activeCpus, conflictSummary, idleCpus, layoutLanes, renderLanes, wrap, type Seg } from './lanes.js';

export interface TextOptions {
  readonly color?: boolean;
  /** total width (default 120) */
  readonly width?: number;
  /** the replay command to print (default replayCommand(r); the CLI gives the one this user can paste) */
  readonly replay?: string;
}

export function renderText(r: Report, opts: TextOptions = {}): string {
  const c = colorizer(opts.color === true);
  const width = Math.max(60, opts.width ?? 120);
  const out: string[] = [];
  out.push(c.bold(`racewalk ${r.racewalk} — ${r.scenario} (Linux ${r.kernel})`));
  for (const l of wrap(r.description, width - 2, 2)) out.push(`  ${l}`);
  for (const t of r.threads) out.push(`  ${t}`);
  const vs = Object.entries(r.variants);
  out.push(`  variants: ${vs.length === 0 ? 'all faithful' : vs.map(([p, v]) => `${p}=${v}`).join(', ')}`);
  out.push(`  env: ${Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  if (r.kernelProfile) for (const l of wrap(kernelProfileLine(r.kernelProfile), width - 2, 2)) out.push(`  ${l}`);
  if (r.ablated !== undefined) for (const l of wrap(ablatedLine(r.ablated), width - 2, 2)) out.push(c.magenta(`  ${l}`));
  out.push('');
  out.push(verdictLine(r, c));
  if (r.minimization) out.push(`  ${minimizationLine(r)}`);
  if (r.invariantDescription) for (const l of wrap(`${r.invariant}: ${r.invariantDescription}`, width - 2, 2)) out.push(c.dim(`  ${l}`));
  if (r.trace.length > 0) {
    out.push('');
    const paint = (sg: Seg): string => {
      switch (sg.style) {
        case 'fn':
          return c.cyan(sg.text);
        case 'change':
          return c.yellow(sg.text);
        case 'read':
          return c.dim(sg.text);
        case 'note':
          return c.magenta(sg.text); // racewalk's annotations, apart from kernel state
        case 'bad':
          return c.red(sg.text);
        case 'head':
          return c.bold(sg.text);
        default:
          return sg.text;
      }
    };
    const markPaint = (m: string) => (m === '!' ? c.red(m) : m === '*' ? c.magenta(m) : m);
    out.push(...renderLanes(layoutLanes(r, { width, notes: true }), width, activeCpus(r).length, paint, markPaint));
    for (const t of idleCpus(r)) out.push(c.dim(`  (${t}: takes no step)`));
    if (r.message !== null) {
      out.push('');
      for (const l of wrap(`after step ${r.violationStep}: ${r.invariant}: ${r.message}`, width - 2, 2)) out.push(c.red(`  ${l}`));
    }
    const races = conflictSummary(r);
    if (races.length > 0) {
      out.push('');
      out.push(`  * objects the CPUs race on (R read, W write @ step):`);
      for (const x of races) for (const l of wrap(x, width - 4, 4)) out.push(`    ${l}`);
    }
  }
  if (r.schedule !== null) {
    out.push('');
    out.push(`  schedule: ${r.schedule}`);
    out.push(`  replay:   ${opts.replay ?? replayCommand(r)}`);
  }
  return out.join('\n') + '\n';
}

export function replayCommand(r: Report): string {
  return `racewalk replay${r.scenarioFile !== undefined ? ` --scenario-file ${r.scenarioFile}` : ''} --scenario ${r.scenario}${Object.entries(r.variants).map(([p, v]) => ` --variant ${p}=${v}`).join('')}${envFlags(r)}${r.ablated !== undefined ? ` --ablate ${shellQuote(r.ablated)}` : ''} --schedule ${r.schedule}`;
}

/** The header line of a run with a synchronization point removed: not the kernel's code as written. */
export function ablatedLine(key: string): string {
  return `ablated: ${key} -- removed on every CPU for this run (racewalk ablate); this is not the code as written`;
}

export function minimizationLine(r: Pick<Report, 'minimization'>): string {
  const m = r.minimization;
  if (!m) return '';
  const pl = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
  const same = m.original.steps === m.minimized.steps && m.original.preemptions === m.minimized.preemptions;
  return `minimized: ${pl(m.minimized.preemptions, 'preemption')}${m.fewestPreemptions ? ' (the fewest possible)' : ''}, ${pl(m.minimized.steps, 'step')} (as found: ${pl(m.original.preemptions, 'preemption')}, ${pl(m.original.steps, 'step')}${same ? '; already minimal' : ''}; ${m.candidates} candidate runs${m.budgetExhausted ? '; budget ran out, may not be minimal' : ''})`;
}

function envFlags(r: Report): string {
  return Object.entries(r.env)
    .map(([k, v]) => ` --env ${k}=${v}`)
    .join('');
}

export function verdictLine(r: Pick<Report, 'verdict' | 'invariant' | 'executions' | 'steps' | 'exhaustive' | 'bounds' | 'strategy' | 'trace' | 'message' | 'sequential'>, c = colorizer(false)): string {
  const cover = `${r.executions} execution${r.executions === 1 ? '' : 's'}, ${r.steps} steps, strategy ${r.strategy}`;
  switch (r.verdict) {
    case 'violation':
      return c.red(`VIOLATION of ${r.invariant} (${cover}; counterexample ${r.trace.length} steps)${r.sequential === true ? SEQUENTIAL : ''}`);
    case 'clean':
      return c.green(`CLEAN: no violation in any interleaving (exhaustive; ${cover})`);
    case 'model-error':
      return c.red(`MODEL ERROR: ${r.message} (${cover})`);
    default:
      return c.yellow(`no violation found within the bounds (${r.bounds.join('; ')}; ${cover}) — not exhaustive`);
  }
}

/** The report header's line for a --kernel profile: which functions fell back to the v6.6 model. */
export function kernelProfileLine(p: NonNullable<Report['kernelProfile']>): string {
  return `kernel profile ${p.release}: ${p.fallback.length === 0 ? `every function reached runs ${p.release} code` : `these reached functions have no ${p.release} transcription and ran their v6.6 model: ${p.fallback.join(', ')}`}`;
}

/** Said of a violation whose minimal schedule has no preemption (Report.sequential). */
export const SEQUENTIAL = ' -- fails without concurrency: its minimal schedule has 0 preemptions (each CPU runs until it ends or blocks), most often an interface mismatch between code of different eras, not a race';

export function colorizer(on: boolean) {
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { bold: wrap('1'), red: wrap('31'), green: wrap('32'), yellow: wrap('33'), cyan: wrap('36'), magenta: wrap('35'), dim: wrap('2') };
}
