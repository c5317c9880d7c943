/** `racewalk explore --variant-file FILE`: the user's patched code against every scenario it meets. */
import { join } from 'node:path';
import type { Env } from '../kernel/mm.js';
import { loadPatch } from '../patch/load.js';
import { explorePatch, replayCommand } from '../patch/run.js';
import { fmtVariants, verdictCell } from '../patch/render.js';
import { findReporter } from '../report/index.js';
import { renderText, verdictLine } from '../report/text.js';
import { ensureWritableDir, reportStem, writeAll } from '../report/write.js';
import type { Scenario } from '../scenarios/scenario.js';
import type { Io } from './main.js';
import { filesOf, reportFailures } from './emit.js';
import { asTyped } from './terminal.js';
import { interrupted } from './signals.js';

export interface ExplorePatchOptions {
  readonly scenario?: string;
  /** scenarios from --scenario-file, run like the patch's own */
  readonly extraScenarios?: readonly Scenario[];
  readonly variants: Record<string, string>;
  readonly env: Partial<Env>;
  readonly strategy?: string;
  readonly seed: number;
  readonly preemptions: number;
  readonly maxExecutions: number;
  readonly maxSteps?: number;
  readonly pctDepth?: number;
  /** false: DPOR without the commuting-adds reduction (--no-commuting-adds) */
  readonly commute?: boolean;
  readonly outDir: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  /** print each scenario's report in this format (default: text) */
  readonly format?: string;
  readonly color?: boolean;
  /** worker threads per scenario's run (each loads the patch and scenario files again) */
  readonly jobs?: number;
  /** the --scenario-file the extra scenarios come from (for the workers) */
  readonly scenarioFile?: string;
}

export async function explorePatchCommand(file: string, o: ExplorePatchOptions, io: Required<Io>): Promise<number> {
  const patch = await loadPatch(file, { scenarios: o.scenario === undefined ? undefined : [o.scenario], extraScenarios: o.extraScenarios });
  ensureWritableDir(o.outDir); // fail now, not after a long search whose reports cannot be saved
  const reporter = findReporter(o.format ?? 'text');
  const { runs, notApplicable } = await explorePatch(patch, {
    variants: o.variants,
    env: o.env,
    strategy: o.strategy,
    seed: o.seed,
    preemptions: o.preemptions,
    maxExecutions: o.maxExecutions,
    maxSteps: o.maxSteps,
    pctDepth: o.pctDepth,
    commute: o.commute,
    shouldStop: interrupted,
    jobs: o.jobs,
    scenarioFile: o.scenarioFile,
  });
  const summary = [];
  let failed = 0;
  for (const { scenario, result } of runs) {
    const report = result.report;
    const stem = join(o.outDir, reportStem(report.scenario, report.variants));
    const replay = report.schedule === null ? null : asTyped(replayCommand(patch, result), io.command);
    // the counterexample reaches stdout before its files are written (JSON first)
    if (!o.json && !o.quiet) {
      io.out(reporter.name === 'text' ? renderText(report, { color: o.color, replay: replay ?? undefined }) : reporter.render(report));
    } else if (o.quiet && replay !== null) {
      io.out(`${scenario.name}: ${verdictLine(report)}\n  replay: ${replay}\n`);
    }
    const outcome = writeAll(filesOf(stem, report), io.writeFile);
    reportFailures(io, outcome, report.schedule !== null);
    failed += outcome.failed.length;
    summary.push({ scenario: scenario.name, result, stem, replay, saved: outcome.written.includes(`${stem}.json`) });
    if (!o.json && !o.quiet && reporter.name === 'text' && outcome.written.length > 0) io.out(`\n  report: ${stem}.json\n\n`);
  }
  if (o.json) {
    io.out(
      JSON.stringify({
        patch: patch.spec.name,
        file: patch.display,
        scenarios: summary.map(({ scenario, result, stem, replay, saved }) => ({
          scenario,
          verdict: result.report.verdict,
          invariant: result.report.invariant,
          sequential: result.report.sequential ?? null,
          message: result.report.message,
          schedule: result.report.schedule,
          executions: result.report.executions,
          steps: result.report.steps,
          exhaustive: result.report.exhaustive,
          bounds: result.report.bounds,
          strategy: result.report.strategy,
          variants: result.report.variants,
          env: result.report.env,
          counterexampleSteps: result.report.trace.length,
          replay,
          report: saved ? `${stem}.json` : null,
        })),
        notApplicable: notApplicable.map((n) => ({ scenario: n.scenario.name, reason: n.reason })),
      }) + '\n',
    );
  } else if (reporter.name === 'text' || o.quiet) {
    io.out(`${patch.display}: patch ${patch.spec.name} (${fmtVariants(summary[0]?.result.report.variants ?? {})}) in ${summary.length} scenario${summary.length === 1 ? '' : 's'}:\n`);
    const w = summary.reduce((m, s) => Math.max(m, s.scenario.length), 0);
    for (const s of summary) io.out(`  ${s.scenario.padEnd(w)}  ${o.quiet ? verdictLine(s.result.report) : verdictCell(s.result)}\n`);
    for (const n of notApplicable) io.out(`  ${n.scenario.name}: not applicable: ${n.reason}\n`);
  }
  if (summary.some((s) => s.result.report.verdict === 'violation')) return 1;
  if (summary.some((s) => s.result.report.verdict === 'model-error')) return 3;
  return failed > 0 ? 2 : 0;
}
