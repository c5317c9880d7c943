/**
 * `racewalk ablate --scenario S [--path FN]`: which synchronization points of a scenario are
 * load-bearing, and against what (src/ablate.ts, src/sched/ablation.ts). Prints the table first
 * (with each counterexample's replay command, so nothing found is lost), then writes
 * `<out>/<stem>.ablate.json` and `.ablate.md`, and the full report of each load-bearing point.
 */
import { join } from 'node:path';
import { ablateScenario, type AblationResult, type AblationRow } from '../ablate.js';
import { SYNC_KINDS, SYNC_KIND_NAMES, pointSlug } from '../sched/ablation.js';
import { ablationJson, renderAblationMarkdown, renderAblationText, rowReplay } from '../report/ablation.js';
import { ensureWritableDir, reportStem, writeAll } from '../report/write.js';
import type { Env } from '../kernel/mm.js';
import { DEFAULT_SCENARIO } from '../scenarios/index.js';
import { loadScenarioFile, pickScenario } from '../scenarios/load.js';
import type { Scenario } from '../scenarios/scenario.js';
import { filesOf, reportFailures } from './emit.js';
import type { Io } from './main.js';
import {
  ENV, JSON_FLAG, MAX_EXECUTIONS, MAX_STEPS, OUT, PREEMPTIONS, QUIET, SCENARIO, SCENARIO_FILE, SEED, STRATEGY, VARIANT,
  command, defineCommand, parseAssignments, type Values,
} from './options.js';
import { asTyped } from './terminal.js';
import { SIGNAL_EXIT, interrupted } from './signals.js';

export const ABLATE_DECL = defineCommand({
  name: 'ablate',
  usage: ['ablate [--scenario NAME] [--path FUNCTION] [--variant PATH=VARIANT]... [--env NAME=VALUE]... [options]', 'ablate --scenario-file FILE.ts [--scenario NAME] [--path FUNCTION] [options]'],
  description: `Which synchronization points of a scenario are load-bearing, and against what. Explores the
scenario as written, recording every point its executions run; then, for each point, explores it
again with that one point removed on every CPU, under the same bounds, and prints a table: the point
(kind, function, C statement), the CPUs that run it, and what happens without it -- clean, or the
invariant that breaks with a minimized counterexample and its replay command.
Kinds: ${SYNC_KIND_NAMES.map((k) => `${k} (${SYNC_KINDS[k].removes})`).join('; ')}.
Writes <out>/<scenario>.ablate.json and .ablate.md, and each load-bearing point's report
(<scenario>--ablate-<point>.json, .txt, .md, .html). One point alone: explore --ablate KEY.`,
  options: {
    scenario: SCENARIO,
    'scenario-file': SCENARIO_FILE,
    path: { kind: 'string', value: 'FUNCTION', help: 'only the points in this kernel function, as traces name it (e.g. gup_pte_range)' },
    variant: VARIANT,
    env: ENV,
    kernel: { kind: 'string', value: 'vX.Y', help: 'ablate that release as shipped (as explore --kernel)' },
    strategy: STRATEGY,
    seed: SEED,
    preemptions: PREEMPTIONS,
    'max-executions': { ...MAX_EXECUTIONS, help: 'stop each run (the baseline and each point) after N executions' },
    'max-steps': MAX_STEPS,
    out: OUT,
    json: { ...JSON_FLAG, help: 'print the table as JSON on stdout (format racewalk-ablation, version 1)' },
    quiet: { ...QUIET, help: 'print only the summary line', refusedWith: { json: '--json prints the table as JSON; give one of them' } },
  },
  exit: '0 the table was computed (whatever it shows), 1 the code as written already violates an invariant (nothing to ablate), 2 bad usage or input (an unknown scenario, --path or name), 3 internal error.',
});

type AblateValues = Values<typeof ABLATE_DECL.options>;

export const ABLATE = command({
  decl: ABLATE_DECL,
  summary: 'remove each lock, irq-off or RCU section, wait and re-check in turn: which are load-bearing',
  searches: true,
  run: ({ values, given }, io) => ablateCommand(values, given, io),
});

async function ablateCommand(values: AblateValues, given: ReadonlySet<string>, io: Required<Io>): Promise<number> {
  const variants = parseAssignments(values.variant, '--variant', 'PATH=VARIANT (see racewalk list)');
  const env = parseAssignments(values.env, '--env', 'NAME=VALUE, e.g. --env tlb=ipi') as Partial<Env>;
  const outDir = values.out ?? 'reports';
  const file = values['scenario-file'] === undefined ? null : await loadScenarioFile(values['scenario-file']);
  const scenarios: (string | Scenario)[] = file === null ? [values.scenario ?? DEFAULT_SCENARIO] : pickScenario(file, given.has('scenario') ? values.scenario : undefined);
  ensureWritableDir(outDir); // fail now, not after the runs
  let rc = 0;
  for (const scenario of scenarios) {
    const progress = io.progressTTY && !values.quiet && !values.json;
    const result = ablateScenario({
      scenario,
      variants,
      env,
      kernel: values.kernel,
      strategy: values.strategy,
      seed: values.seed,
      preemptions: values.preemptions ?? Infinity,
      maxExecutions: values['max-executions'],
      maxSteps: values['max-steps'],
      path: values.path,
      ...(file !== null ? { sources: { scenarioFile: file.file } } : {}),
      shouldStop: interrupted,
      onPoint: progress ? (key, i, n, row) => io.err(row === null ? `\r  [${i + 1}/${n}] ${key.slice(0, 60)}`.padEnd(72) : '\r' + ' '.repeat(72) + '\r') : undefined,
    });
    rc = Math.max(rc, emit(result, values, outDir, io));
    if (result.interrupted) break;
  }
  return rc;
}

function emit(result: AblationResult, values: AblateValues, outDir: string, io: Required<Io>): number {
  const stem = join(outDir, reportStem(result.scenario, result.baseline.variants));
  const rowStem = (row: AblationRow) => `${stem}--ablate-${pointSlug(row.key)}`;
  const replay = (row: AblationRow) => {
    const r = rowReplay(row);
    return r === null ? null : asTyped(r, io.command);
  };
  const bearing = result.rows.filter((row) => row.report !== null && row.report.schedule !== null);
  const json = ablationJson(result, (row) => (bearing.includes(row) ? `${rowStem(row)}.json` : null));
  // what was found reaches stdout first
  if (values.json) io.out(JSON.stringify({ ...json, points: json.points.map((p, i) => ({ ...p, replay: replay(result.rows[i]!) })) }) + '\n');
  else if (values.quiet) io.out(`${result.scenario}: ${json.loadBearing.length} of ${json.points.length} points load-bearing${json.loadBearing.length > 0 ? ` (${json.loadBearing.join('; ')})` : ''}\n`);
  else io.out(renderAblationText(result, replay));
  const files: [string, string][] = [];
  for (const row of bearing) files.push(...filesOf(rowStem(row), row.report!));
  files.push([`${stem}.ablate.json`, JSON.stringify(json, null, 2) + '\n'], [`${stem}.ablate.md`, renderAblationMarkdown(result)]);
  const outcome = writeAll(files, io.writeFile);
  if (!values.quiet && !values.json && outcome.written.length > 0) io.out(`\n  written: ${stem}.ablate.json, .ablate.md${bearing.length > 0 ? `, and ${bearing.length} counterexample report${bearing.length === 1 ? '' : 's'} (${bearing.length * 4} files)` : ''}\n`);
  reportFailures(io, outcome, bearing.length > 0);
  const v = result.baseline.verdict;
  if (result.interrupted) return SIGNAL_EXIT;
  if (v === 'violation') return 1;
  if (v === 'model-error') return 3;
  return outcome.failed.length > 0 ? 2 : 0;
}
