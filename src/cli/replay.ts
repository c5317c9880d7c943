import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.js';
import { ScheduleError } from '../core/execution.js';
import { buildProgram } from '../scenarios/scenario.js';
import { resolveScenario, replayRecorded } from '../run.js';
import { parseSchedule } from '../sched/schedule.js';
import { buildReport, REPORT_FORMAT, REPORT_VERSION, toReportSteps, type Report } from '../report/trace.js';
import { renderText } from '../report/text.js';
import { FORMATS, findReporter } from '../report/index.js';
import { schemaError } from '../report/schema.js';
import type { Env } from '../kernel/mm.js';
import { parse, parseAssignments } from './args.js';
import type { Io } from './main.js';
import { loadPatch } from '../patch/load.js';
import type { VariantDef } from '../kernel/paths/registry.js';
import { loadScenarioFile } from '../scenarios/load.js';
import { isDefinedScenario } from '../scenarios/define.js';
import type { Scenario } from '../scenarios/scenario.js';

export const REPLAY_HELP = `racewalk replay --scenario NAME [--variant PATH=VARIANT]... [--env NAME=VALUE]... --schedule STRING [--json] [--format F]
racewalk replay REPORT.json [--json] [--format text|md|html|json]
  (add --variant-file FILE.ts when the schedule was found with a user's patch, and
   --scenario-file FILE.ts when the scenario is one of yours; a report names its scenario file)
  Re-runs one schedule and prints the trace step by step with the state each step changed
  (--format: text (default), md, html, json; --json is --format json).
  Exit: 1 when the violation reproduces, 0 when the schedule runs clean, 2 bad input
  (including a schedule that no longer fits the model: the step where it diverged is named).`;

export function replayCommand(argv: string[], io: Io, extraVariants?: Readonly<Record<string, readonly VariantDef[]>>, fileScenarios?: readonly Scenario[]): number | Promise<number> {
  const { values, positionals } = parse({
    args: argv,
    options: {
      scenario: { type: 'string' },
      variant: { type: 'string', multiple: true },
      env: { type: 'string', multiple: true },
      schedule: { type: 'string' },
      json: { type: 'boolean' },
      format: { type: 'string' },
      'variant-file': { type: 'string' },
      'scenario-file': { type: 'string' },
    },
    allowPositionals: true,
  });
  // a scenario of the user's replays only with the file that declares it loaded
  if (fileScenarios === undefined) {
    const fromReport = positionals.length === 1 && values['scenario-file'] === undefined ? loadReport(positionals[0]!).scenarioFile : undefined;
    const f = values['scenario-file'] ?? fromReport;
    if (f !== undefined) return loadScenarioFile(f).then((l) => replayCommand(argv, io, extraVariants, l.scenarios));
  }
  // a schedule found with a user's patch replays only with the patch's functions loaded
  if (values['variant-file'] !== undefined && extraVariants === undefined) {
    return loadPatch(values['variant-file']).then((p) => replayCommand(argv, io, p.extraVariants, [...(fileScenarios ?? []), ...p.scenarios.filter(isDefinedScenario)]));
  }
  let scenarioName: string;
  let variants: Record<string, string>;
  let env: Partial<Env>;
  let schedule: string;
  let recorded: Report | null = null;
  if (positionals.length > 0) {
    if (positionals.length > 1) throw new UsageError(`replay takes one report file, got ${positionals.length}: ${positionals.join(' ')}`);
    if (values.schedule !== undefined || values.scenario !== undefined) throw new UsageError('give either a report file or --scenario/--schedule, not both');
    recorded = loadReport(positionals[0]!);
    if (recorded.schedule === null) throw new UsageError(`report '${positionals[0]}' has no counterexample to replay (verdict: ${recorded.verdict})`);
    scenarioName = recorded.scenario;
    variants = { ...recorded.variants };
    env = { ...recorded.env } as Partial<Env>;
    schedule = recorded.schedule;
  } else {
    if (values.schedule === undefined) throw new UsageError("replay needs a report file or --schedule STRING (with --scenario NAME); see 'racewalk help replay'");
    schedule = values.schedule;
    variants = parseAssignments(values.variant, '--variant', 'PATH=VARIANT');
    env = parseAssignments(values.env, '--env', 'NAME=VALUE') as Partial<Env>;
    scenarioName = values.scenario ?? parseSchedule(schedule).scenario;
  }
  const parsed = parseSchedule(schedule);
  if (parsed.scenario !== scenarioName) {
    throw new UsageError(`the schedule was recorded for scenario '${parsed.scenario}', not '${scenarioName}'`);
  }
  const program = buildProgram(fileScenarios?.find((s) => s.name === scenarioName) ?? resolveScenario(scenarioName), { variants, env, extraVariants });
  if (parsed.choices.some((c) => c >= program.threads.length)) {
    throw new UsageError(`the schedule names cpu${Math.max(...parsed.choices)}, but scenario '${scenarioName}' has ${program.threads.length} CPUs`);
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
    if (now.length !== recorded.trace.length) {
      throw new UsageError(`replay diverged from the report: the report has ${recorded.trace.length} steps, the model now runs ${now.length}. The model changed since the report was written.`);
    }
  }
  const verdict = exec.violation !== null ? 'violation' : exec.modelError !== null ? 'model-error' : 'no-violation-found';
  const report = buildReport(program, { verdict, strategy: 'replay', executions: 1, steps: exec.steps, exhaustive: false, bounds: ['a single replayed schedule'] }, exec, null);
  if (values.json && values.format !== undefined && values.format !== 'json') throw new UsageError(`--json and --format ${values.format} contradict each other; give one (formats: ${FORMATS.join(', ')})`);
  const reporter = findReporter(values.json ? 'json' : (values.format ?? 'text'));
  const text = reporter.name === 'text' ? renderText(report, { color: io.isTTY, width: io.isTTY ? process.stdout.columns : undefined }) : reporter.render(report);
  // the replay command a report prints needs the patch file too when the schedule came from one
  io.out(reporter.name === 'text' && values['variant-file'] !== undefined ? text.replace('racewalk replay --scenario', `racewalk replay --variant-file ${values['variant-file']} --scenario`) : text);
  if (recorded !== null && recorded.invariant !== null && report.invariant !== recorded.invariant) {
    io.err(`  note: the report recorded a violation of ${recorded.invariant}; the replay ${report.invariant === null ? 'found none' : `violates ${report.invariant}`}\n`);
  }
  // with a user's patch loaded, a model error is the patch's (exit 2), else racewalk's (exit 3)
  return exec.violation !== null ? 1 : exec.modelError !== null ? (extraVariants !== undefined ? 2 : 3) : 0;
}

export function loadReport(path: string): Report {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read report '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
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
  const str = (k: string) => {
    if (typeof r[k] !== 'string') throw new UsageError(`report '${path}': field '${k}' must be a string`);
  };
  str('scenario');
  str('verdict');
  if (r.schedule !== null) str('schedule');
  for (const k of ['variants', 'env']) {
    const v = r[k];
    if (typeof v !== 'object' || v === null || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
      throw new UsageError(`report '${path}': field '${k}' must be an object of strings`);
    }
  }
  if (!Array.isArray(r.trace)) throw new UsageError(`report '${path}': field 'trace' must be an array`);
  for (const [i, s] of (r.trace as unknown[]).entries()) {
    const st = s as Record<string, unknown>;
    if (typeof st !== 'object' || st === null || typeof st.cpu !== 'number' || typeof st.fn !== 'string' || typeof st.stmt !== 'string' || typeof st.op !== 'string' || typeof st.result !== 'string') {
      throw new UsageError(`report '${path}': trace step ${i} is malformed (needs cpu, fn, stmt, op, result)`);
    }
  }
  if (r.invariant !== null && typeof r.invariant !== 'string') throw new UsageError(`report '${path}': field 'invariant' must be a string or null`);
  // the published schema (src/report/report.schema.json) catches everything else
  const bad = schemaError(data);
  if (bad !== null) throw new UsageError(`report '${path}' does not match the racewalk report schema (version ${REPORT_VERSION}): ${bad}. Regenerate it with 'racewalk explore'.`);
  return data as Report;
}
