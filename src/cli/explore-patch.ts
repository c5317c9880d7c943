/** `racewalk explore --variant-file FILE`: the user's patched code against every scenario it meets. */
import { join } from 'node:path';
import type { Env } from '../kernel/mm.js';
import { loadPatch } from '../patch/load.js';
import { explorePatch, replayCommand } from '../patch/run.js';
import { fmtVariants, verdictCell } from '../patch/render.js';
import { REPORTERS } from '../report/index.js';
import { renderText, verdictLine } from '../report/text.js';
import { ensureWritableDir, reportStem, writeFileAtomic } from '../report/write.js';
import type { Io } from './main.js';
import type { Scenario } from '../scenarios/scenario.js';

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
  readonly outDir: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export async function explorePatchCommand(file: string, o: ExplorePatchOptions, io: Io): Promise<number> {
  const patch = await loadPatch(file, { scenarios: o.scenario === undefined ? undefined : [o.scenario], extraScenarios: o.extraScenarios });
  ensureWritableDir(o.outDir); // fail now, not after a long search whose reports cannot be saved
  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  let runs;
  try {
    runs = await explorePatch(patch, {
      variants: o.variants,
      env: o.env,
      strategy: o.strategy,
      seed: o.seed,
      preemptions: o.preemptions,
      maxExecutions: o.maxExecutions,
      maxSteps: o.maxSteps,
      shouldStop: () => stop,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }
  const summary = [];
  for (const { scenario, result } of runs) {
    const report = result.report;
    const stem = join(o.outDir, reportStem(report.scenario, report.variants));
    for (const r of Object.values(REPORTERS)) writeFileAtomic(`${stem}.${r.ext}`, r.render(report));
    summary.push({ scenario: scenario.name, result, stem });
    if (o.json || o.quiet) continue;
    const text = renderText(report, { color: io.isTTY }).replace(/\n {2}replay: +racewalk replay [^\n]*/, `\n  replay:   ${replayCommand(patch, result)}`);
    io.out(text);
    io.out(`\n  report: ${stem}.json\n\n`);
  }
  if (o.json) {
    io.out(
      JSON.stringify({
        patch: patch.spec.name,
        file: patch.display,
        scenarios: summary.map(({ scenario, result, stem }) => ({
          scenario,
          verdict: result.report.verdict,
          invariant: result.report.invariant,
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
          replay: result.report.schedule === null ? null : replayCommand(patch, result),
          report: `${stem}.json`,
        })),
      }) + '\n',
    );
  } else {
    io.out(`${patch.display}: patch ${patch.spec.name} (${fmtVariants(summary[0]?.result.report.variants ?? {})}) in ${summary.length} scenario${summary.length === 1 ? '' : 's'}:\n`);
    const w = Math.max(...summary.map((s) => s.scenario.length));
    for (const s of summary) io.out(`  ${s.scenario.padEnd(w)}  ${o.quiet ? verdictLine(s.result.report) : verdictCell(s.result)}\n`);
  }
  return summary.some((s) => s.result.report.verdict === 'violation') ? 1 : summary.some((s) => s.result.report.verdict === 'model-error') ? 3 : 0;
}
