import { join } from 'node:path';
import { check } from '../run.js';
import { DEFAULT_SCENARIO } from '../scenarios/index.js';
import { DEFAULT_STRATEGY } from '../sched/index.js';
import { renderText, verdictLine, colorizer } from '../report/text.js';
import { writeFileAtomic, reportStem } from '../report/write.js';
import type { Env } from '../kernel/mm.js';
import { intOption, parse, parseAssignments } from './args.js';
import type { Io } from './main.js';

export const EXPLORE_HELP = `racewalk explore [--scenario NAME] [--variant PATH=VARIANT]... [--env NAME=VALUE]...
                 [--strategy NAME] [--seed N] [--preemptions N] [--max-executions N]
                 [--max-steps N] [--out DIR] [--json] [--quiet]
  Explores interleavings of the scenario's CPUs. Prints a summary and writes the report
  (<out>/<scenario>[--variants].txt and .json; default out: reports/).
  Exit: 0 no violation, 1 violation found, 2 bad usage or input, 3 internal error.`;

export function exploreCommand(argv: string[], io: Io): number {
  const { values } = parse({
    args: argv,
    options: {
    scenario: { type: 'string' },
    variant: { type: 'string', multiple: true },
    env: { type: 'string', multiple: true },
    strategy: { type: 'string' },
    seed: { type: 'string' },
    preemptions: { type: 'string' },
    'max-executions': { type: 'string' },
    'max-steps': { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    },
  });
  const scenario = values.scenario ?? DEFAULT_SCENARIO;
  const variants = parseAssignments(values.variant, '--variant', 'PATH=VARIANT (see racewalk list)');
  const env = parseAssignments(values.env, '--env', 'NAME=VALUE, e.g. --env tlb=ipi') as Partial<Env>;
  const seed = intOption(values.seed, '--seed', 1, 0, 2 ** 32 - 1);
  const preemptions = values.preemptions === undefined ? Infinity : intOption(values.preemptions, '--preemptions', 0, 0, 1000);
  const maxExecutions = intOption(values['max-executions'], '--max-executions', 200_000, 1, 1_000_000_000);
  const maxSteps = values['max-steps'] === undefined ? undefined : intOption(values['max-steps'], '--max-steps', 2000, 1, 10_000_000);
  const outDir = values.out ?? 'reports';

  let stop = false;
  const onSigint = () => {
    stop = true;
  };
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const started = performance.now();
  const progress = io.isTTY && !values.quiet && !values.json;
  let result;
  try {
    result = check({
      scenario,
      variants,
      env,
      strategy: values.strategy ?? DEFAULT_STRATEGY,
      seed,
      preemptions,
      maxExecutions,
      maxSteps,
      shouldStop: () => stop,
      onProgress: progress
        ? (p) => {
            const secs = (performance.now() - started) / 1000;
            io.err(`\r  ${p.executions} executions, ${Math.round(p.executions / secs)}/s, depth ${p.maxDepth}, violations ${p.violations}   `);
          }
        : undefined,
    });
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigint);
  }
  if (progress) io.err('\r' + ' '.repeat(72) + '\r');
  const secs = (performance.now() - started) / 1000;
  const { report, explored } = result;
  const stem = join(outDir, reportStem(report.scenario, report.variants));
  writeFileAtomic(`${stem}.json`, JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(`${stem}.txt`, renderText(report));
  if (values.json) {
    io.out(
      JSON.stringify({
        verdict: report.verdict,
        invariant: report.invariant,
        message: report.message,
        schedule: report.schedule,
        executions: report.executions,
        steps: report.steps,
        exhaustive: report.exhaustive,
        bounds: report.bounds,
        strategy: report.strategy,
        scenario: report.scenario,
        variants: report.variants,
        env: report.env,
        counterexampleSteps: report.trace.length,
        report: `${stem}.json`,
      }) + '\n',
    );
  } else if (values.quiet) {
    io.out(verdictLine(report) + '\n');
  } else {
    io.out(renderText(report, { color: io.isTTY }));
    io.out(`\n  report: ${stem}.txt, ${stem}.json\n`);
    io.err(`  ${explored.executions} executions in ${secs.toFixed(2)} s (${Math.round(explored.steps / Math.max(secs, 1e-9))} steps/s)\n`);
  }
  void colorizer;
  if (report.verdict === 'violation') return 1;
  if (report.verdict === 'model-error') return 3;
  return 0;
}
