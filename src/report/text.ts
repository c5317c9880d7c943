/**
 * Terminal rendering: one line per step, the CPU's lane shown by indentation, each line the C
 * statement with what it read or changed. Plain text; colour is added only on a TTY.
 */
import type { Report, ReportStep } from './trace.js';

export interface TextOptions {
  readonly color?: boolean;
}

const LANE = 6;

export function renderText(r: Report, opts: TextOptions = {}): string {
  const c = colorizer(opts.color === true);
  const out: string[] = [];
  out.push(c.bold(`racewalk ${r.racewalk} — ${r.scenario} (Linux ${r.kernel})`));
  out.push(`  ${r.description}`);
  for (const t of r.threads) out.push(`  ${t}`);
  const vs = Object.entries(r.variants);
  out.push(`  variants: ${vs.length === 0 ? 'all faithful' : vs.map(([p, v]) => `${p}=${v}`).join(', ')}`);
  out.push(`  env: ${Object.entries(r.env).map(([k, v]) => `${k}=${v}`).join(', ')}`);
  out.push('');
  out.push(verdictLine(r, c));
  if (r.trace.length > 0) {
    out.push('');
    out.push(c.bold('  step  cpu'));
    for (const s of r.trace) out.push(stepLine(s, r, c));
    if (r.message !== null) {
      out.push('');
      out.push(c.red(`  ${r.invariant}: ${r.message}`));
    }
  }
  if (r.schedule !== null) {
    out.push('');
    out.push(`  replay: racewalk replay --scenario ${r.scenario}${Object.entries(r.variants).map(([p, v]) => ` --variant ${p}=${v}`).join('')}${envFlags(r)} --schedule ${r.schedule}`);
  }
  return out.join('\n') + '\n';
}

function envFlags(r: Report): string {
  return Object.entries(r.env)
    .map(([k, v]) => ` --env ${k}=${v}`)
    .join('');
}

export function verdictLine(r: Pick<Report, 'verdict' | 'invariant' | 'executions' | 'steps' | 'exhaustive' | 'bounds' | 'strategy' | 'trace' | 'message'>, c = colorizer(false)): string {
  const cover = `${r.executions} execution${r.executions === 1 ? '' : 's'}, ${r.steps} steps, strategy ${r.strategy}`;
  switch (r.verdict) {
    case 'violation':
      return c.red(`VIOLATION of ${r.invariant} (${cover}; counterexample ${r.trace.length} steps)`);
    case 'clean':
      return c.green(`CLEAN: no violation in any interleaving (exhaustive; ${cover})`);
    case 'model-error':
      return c.red(`MODEL ERROR: ${r.message} (${cover})`);
    default:
      return c.yellow(`no violation found within the bounds (${r.bounds.join('; ')}; ${cover}) — not exhaustive`);
  }
}

function stepLine(s: ReportStep, r: Report, c: ReturnType<typeof colorizer>): string {
  const lane = ' '.repeat(s.cpu * LANE);
  const mark = r.violationStep === s.step ? c.red('!') : ' ';
  const res = s.result !== '' ? ` = ${s.result}` : '';
  const changes = s.changes.map((ch) => `${ch.what}: ${ch.before} -> ${ch.after}`).join('; ');
  const notes = s.notes.length > 0 ? ` ${c.dim(s.notes.join(' '))}` : '';
  const head = `${mark}${String(s.step).padStart(4)}  cpu${s.cpu} ${lane}${c.cyan(s.fn)}: ${s.stmt}${res}`;
  return changes === '' ? head + notes : `${head}${notes}\n${' '.repeat(12 + s.cpu * LANE)}${c.dim(`[${changes}]`)}`;
}

export function colorizer(on: boolean) {
  const wrap = (code: string) => (s: string) => (on ? `\x1b[${code}m${s}\x1b[0m` : s);
  return { bold: wrap('1'), red: wrap('31'), green: wrap('32'), yellow: wrap('33'), cyan: wrap('36'), dim: wrap('2') };
}
