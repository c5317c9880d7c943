import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { ScheduleError } from '../core/execution.js';
import { buildProgram } from '../scenarios/scenario.js';
import { ablateProgram, resolveScenario, replayRecorded } from '../run.js';
import { parseSchedule } from '../sched/schedule.js';
import { buildReport, REPORT_FORMAT, REPORT_VERSION, toReportSteps, type Report } from '../report/trace.js';
import { renderText, replayCommand } from '../report/text.js';
import { FORMATS, findReporter } from '../report/index.js';
import { schemaError } from '../report/schema.js';
import type { Env } from '../kernel/mm.js';
import { ABLATE, COLOR, ENV, JSON_FLAG, MAX_STEPS, NO_COLOR, SCENARIO, SCENARIO_FILE, VARIANT, command, defineCommand, parseAssignments, type Values } from './options.js';
import { asTyped, sanitizeLine, useColor } from './terminal.js';
import { notARegularFile } from '../core/files.js';
import type { Io } from './main.js';
import { loadPatch } from '../patch/load.js';
import type { VariantDef } from '../kernel/paths/registry.js';
import { loadScenarioFile } from '../scenarios/load.js';
import { isDefinedScenario } from '../scenarios/define.js';
import type { Scenario } from '../scenarios/scenario.js';

export const REPLAY_DECL = defineCommand({
  name: 'replay',
  usage: ['replay REPORT.json [--variant-file FILE.ts] [--scenario-file FILE.ts] [--format F | --json]', 'replay --schedule STRING [--scenario NAME] [--scenario-file FILE.ts] [--variant PATH=VARIANT]... [--env NAME=VALUE]... [--variant-file FILE.ts] [--format F | --json]'],
  description: `Re-runs one schedule and prints the trace step by step with the state each step changed.
From a report, the scenario, variants and environment are the report's (and the trace is
checked against it step by step). Add --variant-file FILE when the schedule was found with a
user's patch (FILE is code: it runs with your rights, like a test file), and --scenario-file FILE
when the scenario is one of yours (a report of one names its file and loads it by itself).`,
  positionals: { name: 'REPORT.json', min: 0, max: 1, what: 'report file' },
  options: {
    schedule: { kind: 'string', value: 'STRING', help: 'the schedule to run (rw1:<scenario>:<cpu>x<count>,...), as explore prints it', },
    scenario: { ...SCENARIO, help: "the scenario (default: the one the schedule names)", default: undefined },
    variant: VARIANT,
    env: ENV,
    'variant-file': { kind: 'string', value: 'FILE.ts', help: "the patch file the schedule was found with (explore --variant-file)" },
    'scenario-file': { ...SCENARIO_FILE, help: 'the scenario file that declares the scenario (explore --scenario-file; default: the one a report names)' },
    ablate: { ...ABLATE, help: "the synchronization point the schedule was found without (racewalk ablate, explore --ablate; default: the one a report names)" },
    'max-steps': MAX_STEPS,
    format: { kind: 'string', value: 'F', help: 'print the trace in this format', default: 'text', choices: () => FORMATS, refusedWith: { json: '--json is --format json; give one of them' } },
    json: { ...JSON_FLAG, help: 'print the trace as a JSON report (as --format json)' },
    color: COLOR,
    'no-color': NO_COLOR,
  },
  exit: `1 when the violation reproduces, 0 when the schedule runs clean, 2 bad input (including a
      schedule that no longer fits the model: the step where it diverged is named), 3 internal error.`,
});

type ReplayValues = Values<typeof REPLAY_DECL.options>;

export const REPLAY = command({
  decl: REPLAY_DECL,
  summary: 're-run one schedule (or a report) and print its trace step by step',
  run: async ({ values, positionals }, io) => {
    if (positionals.length > 0) refuseReportOverrides(values);
    // a schedule found with a user's patch replays only with the patch's functions loaded
    const patch = values['variant-file'] === undefined ? undefined : await loadPatch(values['variant-file']);
    // a scenario of the user's replays only with the file that declares it loaded
    const fromReport = positionals.length === 1 && values['scenario-file'] === undefined ? loadReport(positionals[0]!).scenarioFile : undefined;
    const file = values['scenario-file'] ?? fromReport;
    const own = [...(file === undefined ? [] : (await loadScenarioFile(file)).scenarios), ...(patch?.scenarios.filter(isDefinedScenario) ?? [])];
    return replay(values, positionals, io, patch?.extraVariants, own);
  },
});

/** From a report, everything but the patch file is the report's: say so (before reading any file) rather than ignore it. */
function refuseReportOverrides(values: ReplayValues): void {
  for (const o of ['schedule', 'scenario', 'variant', 'env', 'ablate'] as const) {
    const v = values[o];
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) throw new UsageError(`give either a report file or --scenario/--schedule/--variant/--env/--ablate, not both (got --${o}): a report names its own ${o === 'variant' ? 'variants' : o === 'ablate' ? 'ablated point' : o}`);
  }
}

function replay(values: ReplayValues, positionals: readonly string[], io: Required<Io>, extraVariants?: Readonly<Record<string, readonly VariantDef[]>>, own: readonly Scenario[] = []): number {
  let scenarioName: string;
  let variants: Record<string, string>;
  let env: Partial<Env>;
  let schedule: string;
  let ablated: string | undefined = values.ablate;
  let recorded: Report | null = null;
  if (positionals.length > 0) {
    const file = positionals[0]!;
    recorded = loadReport(file);
    if (recorded.schedule === null) throw new UsageError(`report '${file}' has no counterexample to replay (verdict: ${recorded.verdict})`);
    scenarioName = recorded.scenario;
    variants = { ...recorded.variants };
    env = { ...recorded.env } as Partial<Env>;
    schedule = recorded.schedule;
    ablated ??= recorded.ablated;
  } else {
    if (values.schedule === undefined) throw new UsageError("replay needs a report file or --schedule STRING (with --scenario NAME); see 'racewalk replay --help'");
    schedule = values.schedule;
    variants = parseAssignments(values.variant, '--variant', 'PATH=VARIANT');
    env = parseAssignments(values.env, '--env', 'NAME=VALUE') as Partial<Env>;
    scenarioName = values.scenario ?? parseSchedule(schedule).scenario;
  }
  const parsed = parseSchedule(schedule);
  if (parsed.scenario !== scenarioName) {
    throw new UsageError(`the schedule was recorded for scenario '${parsed.scenario}', not '${scenarioName}'`);
  }
  const built = buildProgram(own.find((s) => s.name === scenarioName) ?? resolveScenario(scenarioName), { variants, env, extraVariants, maxSteps: values['max-steps'] });
  const program = ablated === undefined ? built : ablateProgram(built, ablated);
  // no Math.max(...choices): a schedule may have millions of steps, more than a call's arguments
  const highest = parsed.choices.reduce((m, c) => (c > m ? c : m), -1);
  if (highest >= program.threads.length) {
    throw new UsageError(`the schedule names cpu${highest}, but scenario '${scenarioName}' has ${program.threads.length} CPUs`);
  }
  let exec;
  try {
    exec = replayRecorded(program, parsed.choices);
  } catch (e) {
    if (e instanceof ScheduleError) throw new UsageError(e.message);
    throw e;
  }
  if (recorded !== null && recorded.trace.length > 0 && exec.trace !== null) {
    const now = toReportSteps(exec.trace, program.k.L);
    const n = Math.min(now.length, recorded.trace.length);
    for (let i = 0; i < n; i++) {
      const a = recorded.trace[i]!;
      const b = now[i]!;
      if (a.cpu !== b.cpu || a.fn !== b.fn || a.stmt !== b.stmt || a.op !== b.op || a.result !== b.result) {
        throw new UsageError(`replay diverged from the report at step ${i}: the report has cpu${a.cpu} ${a.fn}: ${a.stmt} = ${a.result}, the model now does cpu${b.cpu} ${b.fn}: ${b.stmt} = ${b.result}. The model changed since the report was written.`);
      }
    }
    // a step bound of the user's (--max-steps) may end the replay early: that is the bound, not a changed model
    if (now.length !== recorded.trace.length && !(values['max-steps'] !== undefined && exec.violation?.invariant === 'max-steps' && now.length < recorded.trace.length)) {
      throw new UsageError(`replay diverged from the report: the report has ${recorded.trace.length} steps, the model now runs ${now.length}. The model changed since the report was written.`);
    }
  }
  const verdict = exec.violation !== null ? 'violation' : exec.modelError !== null ? 'model-error' : 'no-violation-found';
  const report = buildReport(program, { verdict, strategy: 'replay', executions: 1, steps: exec.steps, exhaustive: false, bounds: ['a single replayed schedule'] }, exec, null);
  const reporter = findReporter(values.json ? 'json' : (values.format ?? 'text'));
  // the replay command a report prints needs the patch file too when the schedule came from one
  const again = report.schedule === null ? undefined : asTyped(replayCommand(report), io.command).replace(' replay --scenario', values['variant-file'] === undefined ? ' replay --scenario' : ` replay --variant-file ${values['variant-file']} --scenario`);
  const text = reporter.name === 'text' ? renderText(report, { color: useColor(io.isTTY, values, io.env), width: io.isTTY ? io.columns : undefined, replay: again }) : reporter.render(report);
  io.out(text);
  if (program.ablation !== undefined && program.ablation.matched === 0) io.err(`  note: this schedule never ran the ablated point ${sanitizeLine(ablated!)}: it ran as the code is written\n`);
  if (recorded !== null && recorded.invariant !== null && report.invariant !== recorded.invariant) {
    io.err(`  note: the report recorded a violation of ${sanitizeLine(recorded.invariant)}; the replay ${report.invariant === null ? 'found none' : `violates ${report.invariant}`}\n`);
  }
  // with a user's patch loaded, a model error is the patch's (exit 2), else racewalk's (exit 3)
  return exec.violation !== null ? 1 : exec.modelError !== null ? (extraVariants !== undefined ? 2 : 3) : 0;
}

export function loadReport(path: string): Report {
  const problem = notARegularFile(path);
  if (problem !== null) throw new UsageError(`cannot read report '${path}': ${problem}. Expected a .json report written by 'racewalk explore'.`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read report '${path}': ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`report '${path}' is not valid JSON (${(e as Error).message}); it may be truncated. Expected a racewalk report written by 'racewalk explore'.`);
  }
  return validateReport(data, path);
}

export function validateReport(data: unknown, path: string): Report {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new UsageError(`report '${path}' is not a JSON object: expected a racewalk report`);
  const r = data as Record<string, unknown>;
  if (r.format !== REPORT_FORMAT) throw new UsageError(`'${path}' is not a racewalk report (format is ${JSON.stringify(r.format)}, expected "${REPORT_FORMAT}")`);
  if (r.version !== REPORT_VERSION) throw new UsageError(`report '${path}' has format version ${JSON.stringify(r.version)}; this racewalk reads version ${REPORT_VERSION}`);
  // everything else: the published schema (src/report/report.schema.json), validated by ajv
  const bad = schemaError(data);
  if (bad !== null) throw new UsageError(`report '${path}' does not match the racewalk report schema (version ${REPORT_VERSION}): ${bad}. Regenerate it with 'racewalk explore'.`);
  return data as Report;
}
