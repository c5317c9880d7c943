/**
 * Every bad input racewalk has been tried with, what it must answer, and a runner. Used by
 * properties/reliability-cli.test.ts (which checks each answer) and, as a script, to regenerate
 * the "## Bad input" table of README.md from real runs of bin/racewalk.mjs:
 *
 *   npx tsx properties/bad-inputs.ts            # prints the Markdown table
 */
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface BadInput {
  /** what is wrong, as the README table says it */
  readonly what: string;
  /** the command line; `$D` is the fixture folder made by `makeFixtures` */
  readonly argv: readonly string[];
  /** the answer must match (stderr) */
  readonly expect: RegExp;
  /** exit code (2 unless said) */
  readonly exit?: number;
  /** needs a real child process (variant files are loaded through Node's module hooks) */
  readonly child?: boolean;
}

const V = ['--max-executions', '50'];

export const BAD_INPUTS: readonly BadInput[] = [
  { what: 'unknown command (typo)', argv: ['lsit'], expect: /unknown command 'lsit'. Did you mean 'list'\? Commands: list, explore, replay/ },
  { what: 'unknown scenario (typo)', argv: ['explore', '--scenario', 'gup-fast-vs-zapp'], expect: /unknown scenario 'gup-fast-vs-zapp'. Did you mean 'gup-fast-vs-zap'\? Scenarios: gup-fast-vs-zap/ },
  { what: 'unknown scenario (nothing close)', argv: ['explore', '--scenario', 'xyzzy'], expect: /unknown scenario 'xyzzy'. Scenarios: gup-fast-vs-zap, .*\(see 'racewalk list'\)/ },
  { what: 'unknown strategy (typo)', argv: ['explore', '--strategy', 'randm'], expect: /unknown strategy 'randm'. Did you mean 'random'\? Strategies: / },
  { what: 'unknown path in --variant', argv: ['explore', '--variant', 'gup_pte_rang=faithful'], expect: /unknown path 'gup_pte_rang' .*Did you mean 'gup_pte_range'\? Paths: / },
  { what: 'unknown variant of a path', argv: ['explore', '--variant', 'gup_pte_range=no-recheck'], expect: /path 'gup_pte_range' has no variant 'no-recheck'. Did you mean 'no-pte-recheck'\? Variants of gup_pte_range: faithful, / },
  { what: '--variant without =', argv: ['explore', '--variant', 'gup_pte_range'], expect: /--variant 'gup_pte_range' is malformed: expected --variant PATH=VARIANT/ },
  { what: 'the same path given twice', argv: ['explore', '--variant', 'gup_pte_range=faithful', '--variant', 'gup_pte_range=no-pte-recheck'], expect: /--variant gives 'gup_pte_range' twice/ },
  { what: 'unknown --env name', argv: ['explore', '--env', 'tlbb=ipi'], expect: /unknown environment choice 'tlbb'. Did you mean 'tlb'\? Choices: tlb, pt_free/ },
  { what: 'bad --env value', argv: ['explore', '--env', 'tlb=ipii'], expect: /--env tlb=ipii is not a choice. Did you mean 'ipi'\? tlb is one of: broadcast, ipi/ },
  { what: 'unknown option (typo)', argv: ['explore', '--max-step', '10'], expect: /unknown option '--max-step' for 'racewalk explore'. Did you mean '--max-steps'\? Options: --scenario, .*\(see 'racewalk explore --help'\)/ },
  { what: 'unknown option of list', argv: ['list', '--bogus'], expect: /unknown option '--bogus' for 'racewalk list'. Options: --json, .*--help/ },
  { what: 'unknown short option', argv: ['explore', '-x'], expect: /unknown option '-x' for 'racewalk explore'/ },
  { what: 'unexpected positional argument', argv: ['explore', 'gup-fast-vs-zap'], expect: /unexpected argument 'gup-fast-vs-zap': 'racewalk explore' takes no positional arguments/ },
  { what: 'option without its value', argv: ['explore', '--seed'], expect: /option '--seed' needs a value: --seed N. See 'racewalk explore --help'/ },
  { what: 'option whose value is another option', argv: ['explore', '--out', '--json'], expect: /option '--out' needs a value: --out DIR \(got the option '--json' instead\)/ },
  { what: 'a flag given a value', argv: ['explore', '--json=yes'], expect: /option '--json' takes no value, got '--json=yes'/ },
  { what: 'a single-valued option given twice', argv: ['explore', '--seed', '1', '--seed', '2'], expect: /option '--seed' is given twice \('1' and '2'\); give it once/ },
  { what: 'help for an unknown command', argv: ['help', 'explor'], expect: /unknown command 'explor'. Did you mean 'explore'\?/ },
  { what: '--json with --format', argv: ['explore', '--json', '--format', 'md'], expect: /--format cannot be combined with --json/ },
  { what: '--quiet with --json', argv: ['explore', '--quiet', '--json'], expect: /--quiet cannot be combined with --json/ },
  { what: '--shard with --variant-file', argv: ['explore', '--variant-file', '$D/unknown-path.ts', '--shard', '1/2'], expect: /--shard cannot be combined with --variant-file: a patch file runs in every scenario it reaches/ },
  { what: 'a report file and --variant', argv: ['replay', '$D/truncated.json', '--variant', 'gup_pte_range=faithful'], expect: /give either a report file or --scenario\/--schedule\/--variant\/--env\/--ablate, not both \(got --variant\): a report names its own variants/ },
  { what: "--variant naming Object.prototype's key", argv: ['explore', '--variant', 'toString=x'], expect: /unknown path 'toString' in --variant toString=x/ },
  { what: "--env naming Object.prototype's key", argv: ['explore', '--env', 'constructor=x'], expect: /unknown environment choice 'constructor'/ },
  { what: "--format naming Object.prototype's key", argv: ['explore', '--format', 'constructor'], expect: /--format 'constructor' is not a format/ },
  { what: "report whose env has the key 'constructor'", argv: ['replay', '$D/env-constructor.json'], expect: /unknown environment choice 'constructor'/ },
  { what: "report whose env has the key '__proto__'", argv: ['replay', '$D/env-proto.json'], expect: /unknown environment choice '__proto__'/ },
  { what: 'negative seed', argv: ['explore', '--seed', '-1'], expect: /--seed '-1' is not a whole number: expected --seed N with 0 <= N <= 4294967295/ },
  { what: 'seed not a number', argv: ['explore', '--seed', 'abc'], expect: /--seed 'abc' is not a whole number/ },
  { what: 'seed too large', argv: ['explore', '--seed', '4294967296'], expect: /--seed 4294967296 is out of range: expected 0 <= N <= 4294967295/ },
  { what: 'zero executions', argv: ['explore', '--max-executions', '0'], expect: /--max-executions 0 is out of range: expected 1 <= N <= 1000000000/ },
  { what: 'negative executions', argv: ['explore', '--max-executions', '-5'], expect: /--max-executions '-5' is not a whole number/ },
  { what: 'absurd executions (1e99)', argv: ['explore', '--max-executions', '1e99'], expect: /--max-executions '1e99' is not a whole number/ },
  { what: 'zero step bound', argv: ['explore', '--max-steps', '0'], expect: /--max-steps 0 is out of range: expected 1 <= N <= 10000000/ },
  { what: 'absurd step bound', argv: ['explore', '--max-steps', '99999999999'], expect: /--max-steps 99999999999 is out of range/ },
  { what: 'absurd preemption bound', argv: ['explore', '--preemptions', '100000'], expect: /--preemptions 100000 is out of range: expected 0 <= N <= 1000/ },
  { what: 'fractional preemption bound', argv: ['explore', '--preemptions', '1.5'], expect: /--preemptions '1.5' is not a whole number/ },
  { what: 'zero worker threads', argv: ['explore', '--jobs', '0'], expect: /--jobs 0 is out of range: expected 1 <= N <= 64/ },
  { what: 'shard index beyond count', argv: ['explore', '--shard', '3/2'], expect: /--shard 3\/2 is out of range/ },
  { what: 'unknown report format', argv: ['explore', '--format', 'pdf'], expect: /--format 'pdf' is not a format: expected one of text, / },
  { what: 'report format typo', argv: ['explore', '--format', 'htm'], expect: /--format 'htm' is not a format: expected one of text, .*\. Did you mean 'html'\?/ },
  { what: 'output folder under /proc', argv: ['explore', '--out', '/proc/racewalk', ...V], expect: /cannot create the output folder '\/proc\/racewalk': ENOENT.*Choose a writable folder with --out DIR/ },
  { what: 'output folder that cannot be written', argv: ['explore', '--out', '/proc', ...V], expect: /cannot write to the output folder '\/proc'.*Choose a writable folder with --out DIR/ },
  { what: 'output "folder" is a file', argv: ['explore', '--out', '$D/a-file', ...V], expect: /cannot create the output folder '.*a-file': '.*a-file' exists and is not a folder/ },
  { what: 'output folder below a file', argv: ['explore', '--out', '$D/a-file/sub', ...V], expect: /cannot create the output folder '.*a-file\/sub': '.*a-file' exists and is not a folder/ },
  { what: 'replay with nothing to replay', argv: ['replay'], expect: /replay needs a report file or --schedule STRING/ },
  { what: 'report file missing', argv: ['replay', '$D/missing.json'], expect: /cannot read report '.*missing.json': no such file/ },
  { what: 'report is a folder', argv: ['replay', '$D'], expect: /cannot read report '.*': is a folder, not a file/ },
  { what: 'report is a device', argv: ['replay', '/dev/zero'], expect: /cannot read report '\/dev\/zero': is a device, not a file/ },
  { what: 'report is a fifo', argv: ['replay', '$D/fifo.json'], expect: /cannot read report '.*fifo.json': is a named pipe \(fifo\), not a file/ },
  { what: 'report is a symlink loop', argv: ['replay', '$D/loop.json'], expect: /cannot read report '.*loop.json': is a symbolic link loop/ },
  { what: 'report is a dangling symlink', argv: ['replay', '$D/dangling.json'], expect: /cannot read report '.*dangling.json': is a symbolic link to nothing/ },
  { what: 'empty report file', argv: ['replay', '$D/empty.json'], expect: /report '.*empty.json' is not valid JSON \(Unexpected end of JSON input\); it may be truncated/ },
  { what: 'truncated report', argv: ['replay', '$D/truncated.json'], expect: /report '.*truncated.json' is not valid JSON .*; it may be truncated/ },
  { what: 'report is a JSON array', argv: ['replay', '$D/array.json'], expect: /report '.*array.json' is not a JSON object: expected a racewalk report/ },
  { what: "another tool's JSON", argv: ['replay', '$D/package.json'], expect: /'.*package.json' is not a racewalk report \(format is undefined, expected "racewalk-report"\)/ },
  { what: 'report of an older format version', argv: ['replay', '$D/old-version.json'], expect: /has format version 0; this racewalk reads version 1/ },
  { what: 'report with a field of the wrong type', argv: ['replay', '$D/bad-trace.json'], expect: /report '.*bad-trace.json' does not match the racewalk report schema \(version 1\): trace: must be array\. Regenerate it/ },
  { what: 'report with a malformed trace step', argv: ['replay', '$D/bad-step.json'], expect: /does not match the racewalk report schema \(version 1\): trace\[3\]\.cpu: must be integer/ },
  { what: "report whose schedule is another scenario's", argv: ['replay', '$D/foreign-schedule.json'], expect: /the schedule was recorded for scenario 'gup-fast-vs-migration', not 'gup-fast-vs-zap'/ },
  { what: 'report naming a variant that does not exist', argv: ['replay', '$D/bad-variant.json'], expect: /path 'gup_pte_range' has no variant 'nope'/ },
  { what: 'report the model no longer reproduces', argv: ['replay', '$D/stale.json'], expect: /replay diverged from the report at step \d+: the report has cpu\d .*The model changed since the report was written/ },
  { what: 'report without a counterexample', argv: ['replay', '$D/clean.json'], expect: /has no counterexample to replay \(verdict: (clean|no-violation-found)\)/ },
  { what: 'report and --schedule together', argv: ['replay', '$D/truncated.json', '--schedule', 'rw1:gup-fast-vs-zap:0x1'], expect: /give either a report file or --scenario\/--schedule\/--variant\/--env\/--ablate, not both \(got --schedule\)/ },
  { what: 'schedule string that is not one', argv: ['replay', '--schedule', 'garbage'], expect: /'garbage' is not a schedule string: expected rw1:<scenario>:<cpu>x<count>,\.\.\./ },
  { what: 'schedule in an older format', argv: ['replay', '--scenario', 'gup-fast-vs-zap', '--schedule', 'rw0:gup-fast-vs-zap:0x3'], expect: /schedule format 'rw0' is not supported: this racewalk reads rw1 schedules/ },
  { what: "schedule for another scenario", argv: ['replay', '--scenario', 'gup-fast-vs-zap', '--schedule', 'rw1:gup-fast-vs-migration:0x3'], expect: /the schedule was recorded for scenario 'gup-fast-vs-migration', not 'gup-fast-vs-zap'/ },
  { what: 'schedule of an unknown scenario', argv: ['replay', '--schedule', 'rw1:nope:0x1'], expect: /unknown scenario 'nope'/ },
  { what: 'schedule naming a CPU the scenario lacks', argv: ['replay', '--scenario', 'gup-fast-vs-zap', '--schedule', 'rw1:gup-fast-vs-zap:7x3'], expect: /the schedule names cpu7, but scenario 'gup-fast-vs-zap' has 2 CPUs/ },
  { what: 'a 130,000-step schedule naming a CPU the scenario lacks', argv: ['replay', '--schedule', 'rw1:gup-fast-vs-zap:2x130000'], expect: /the schedule names cpu2, but scenario 'gup-fast-vs-zap' has 2 CPUs/ },
  { what: 'a 10,000,000-step schedule', argv: ['replay', '--schedule', 'rw1:gup-fast-vs-zap:0x10000000'], expect: /replay diverged at step \d+: the schedule runs cpu0, which has finished/ },
  { what: 'a schedule longer than the largest step bound', argv: ['replay', '--schedule', 'rw1:gup-fast-vs-zap:0x10000000,1x1'], expect: /schedule is longer than 10,000,000 steps, the largest step bound/ },
  { what: 'schedule that no longer fits the model', argv: ['replay', '--scenario', 'gup-fast-vs-zap', '--schedule', 'rw1:gup-fast-vs-zap:1x90'], expect: /replay diverged at step \d+: the schedule runs cpu1, which has finished/ },
  { what: 'schedule with a zero-length run', argv: ['replay', '--scenario', 'gup-fast-vs-zap', '--schedule', 'rw1:gup-fast-vs-zap:0x0'], expect: /schedule run '0x0' has a zero count/ },
  { what: 'schedule run malformed', argv: ['replay', '--scenario', 'gup-fast-vs-zap', '--schedule', 'rw1:gup-fast-vs-zap:0x3,x1'], expect: /schedule run 'x1' is malformed: each run is <cpu>x<count>/ },
  { what: 'variant file missing', argv: ['explore', '--variant-file', '$D/nope.ts'], expect: /nope.ts: no such file: give the path of a patch file, a TypeScript \(or JavaScript\) module/, child: true },
  { what: 'variant file is a folder', argv: ['explore', '--variant-file', '$D/out'], expect: /out: is a folder, not a file: give the path of a patch file/, child: true },
  { what: 'variant file is a device', argv: ['explore', '--variant-file', '/dev/zero'], expect: /\/dev\/zero: is a device, not a file/, child: true },
  { what: 'variant file is a fifo', argv: ['explore', '--variant-file', '$D/fifo.ts'], expect: /fifo.ts: is a named pipe \(fifo\), not a file/, child: true },
  { what: 'variant file is a symlink loop', argv: ['explore', '--variant-file', '$D/loop.ts'], expect: /loop.ts: is a symbolic link loop/, child: true },
  { what: 'variant file that does not compile', argv: ['explore', '--variant-file', '$D/syntax.ts'], expect: /syntax.ts:2:\d+: syntax error: Expected "\)" but found "}"/, child: true },
  { what: 'variant file that throws while loading', argv: ['explore', '--variant-file', '$D/throws-at-load.ts'], expect: /throws-at-load.ts:1:\d+: the file threw while loading: configuration missing/, child: true },
  { what: 'variant file without a default export', argv: ['explore', '--variant-file', '$D/no-default.ts'], expect: /no-default.ts:\d+: no default export/, child: true },
  { what: 'variant file naming an unknown path', argv: ['explore', '--variant-file', '$D/unknown-path.ts'], expect: /unknown-path.ts:\d+: variants names 'gup_pte_rnge', which is not a modelled path. Did you mean 'gup_pte_range'\?/, child: true },
  { what: 'variant whose code throws during exploration', argv: ['explore', '--variant-file', '$D/throws-in-path.ts', '--scenario', 'gup-fast-vs-zap', '--out', '$D/out'], expect: /throws-in-path.ts:\d+:\d+: your code threw in scenario 'gup-fast-vs-zap' .*forgot to handle pte_none/, child: true },
  { what: 'variant that depends on Math.random', argv: ['explore', '--variant-file', '$D/random.ts', '--scenario', 'gup-fast-vs-zap', '--out', '$D/out'], expect: /random.ts: your code ran differently on the same schedule in scenario 'gup-fast-vs-zap' .*first difference at step \d+: the first run had cpu0 gup_pte_range: trace_gup_fast\(pmd, cookie=0\.\d+\)/, child: true },
  { what: 'variant that loops forever', argv: ['explore', '--variant-file', '$D/loops.ts', '--scenario', 'gup-fast-vs-zap', '--out', '$D/out'], expect: /loops.ts:\d+: your gup_pte_range does not terminate in scenario 'gup-fast-vs-zap'.*ran past 2000 steps/, child: true },
  { what: 'ablate: unknown --path', argv: ['ablate', '--scenario', 'gup-fast-vs-zap', '--path', 'gup_pte_rang', '--max-executions', '50', '--out', '$D/out'], expect: /--path 'gup_pte_rang': no synchronization point of scenario 'gup-fast-vs-zap' is in a function of that name. Did you mean 'gup_pte_range'\? Functions with points: / },
  { what: '--ablate not naming a point', argv: ['explore', '--ablate', 'smp_mb()', ...V], expect: /--ablate 'smp_mb\(\)' is not a synchronization point: expected KIND@FUNCTION: STATEMENT with KIND one of lock, irq, rcu/ },
  { what: '--ablate of a point the scenario never runs', argv: ['explore', '--ablate', 'lock@gup_pte_range: spin_lock(ptl)', ...V, '--out', '$D/out'], expect: /--ablate 'lock@gup_pte_range: spin_lock\(ptl\)': no CPU of scenario 'gup-fast-vs-zap' ran that point in 50 executions, so removing it removed nothing/ },
  { what: '--ablate with --variant-file', argv: ['explore', '--variant-file', 'examples/patches/gup-compound-head.ts', '--ablate', 'rcu@__pte_offset_map: rcu_read_lock()'], expect: /--ablate cannot be combined with --variant-file: a patch file runs in every scenario it reaches/ },
];

/** Writes every file the bad inputs refer to into a fresh folder; `good` is a real report's JSON text. */
export function makeFixtures(good: string, clean: string): string {
  const d = mkdtempSync(join(tmpdir(), 'racewalk-bad-'));
  const r = JSON.parse(good) as Record<string, unknown>;
  const w = (f: string, s: string) => writeFileSync(join(d, f), s);
  w('a-file', 'not a folder\n');
  w('empty.json', '');
  w('truncated.json', good.slice(0, Math.floor(good.length / 2)));
  w('array.json', '[1, 2, 3]\n');
  w('package.json', JSON.stringify({ name: 'not-racewalk', version: '1.0.0' }));
  w('old-version.json', JSON.stringify({ ...r, version: 0 }));
  w('bad-trace.json', JSON.stringify({ ...r, trace: 'x' }));
  const steps = [...(r.trace as Record<string, unknown>[])];
  steps[3] = { ...steps[3], cpu: 'zero' };
  w('bad-step.json', JSON.stringify({ ...r, trace: steps }));
  w('foreign-schedule.json', JSON.stringify({ ...r, schedule: String(r.schedule).replace(/^rw1:[^:]+:/, 'rw1:gup-fast-vs-migration:') }));
  w('bad-variant.json', JSON.stringify({ ...r, variants: { gup_pte_range: 'nope' } }));
  w('stale.json', JSON.stringify({ ...r, variants: {} })); // recorded with no-pte-recheck, replayed on the faithful code
  w('clean.json', clean);
  w('env-constructor.json', JSON.stringify(r).replace('"env":{', '"env":{"constructor":"x",'));
  w('env-proto.json', JSON.stringify(r).replace('"env":{', '"env":{"__proto__":"x",'));
  for (const f of ['fifo.json', 'fifo.ts']) execFileSync('mkfifo', [join(d, f)]);
  for (const f of ['loop.json', 'loop.ts']) symlinkSync(f, join(d, f));
  symlinkSync('no-such-target.json', join(d, 'dangling.json'));
  w('syntax.ts', "import { definePatch } from 'racewalk/model';\nexport default definePatch({ name: 'x', variants: { gup_pte_range: function* ( { } });\n");
  w('throws-at-load.ts', "throw new Error('configuration missing');\n");
  w('no-default.ts', "import { definePatch } from 'racewalk/model';\nexport const patch = definePatch({ name: 'x', variants: {} });\n");
  w('unknown-path.ts', "import { definePatch } from 'racewalk/model';\nexport default definePatch({\n  name: 'x',\n  variants: { gup_pte_rnge: function* () {} },\n});\n");
  w('throws-in-path.ts', [
    "import { definePatch, type gup_pte_range } from 'racewalk/model';",
    'const broken: typeof gup_pte_range = function* (k, pmd, pmdp, addr, end, flags, r) {',
    "  throw new Error('forgot to handle pte_none');",
    '};',
    "export default definePatch({ name: 'throws', variants: { gup_pte_range: broken } });",
    '',
  ].join('\n'));
  w('loops.ts', [
    "import { definePatch, READ_ONCE, at, type gup_pte_range } from 'racewalk/model';",
    'const spins: typeof gup_pte_range = function* (k, pmd, pmdp, addr, end, flags, r) {',
    "  for (;;) yield* READ_ONCE(pmdp, at('gup_pte_range', 'again: pmd = READ_ONCE(*pmdp); goto again'));",
    '};',
    "export default definePatch({ name: 'spins', variants: { gup_pte_range: spins } });",
    '',
  ].join('\n'));
  w('random.ts', [
    "import { definePatch, READ_ONCE, at, faithfulOf, gup_pte_range } from 'racewalk/model';",
    'const traced: typeof gup_pte_range = function* (k, pmd, pmdp, addr, end, flags, r) {',
    "  yield* READ_ONCE(pmdp, at('gup_pte_range', `trace_gup_fast(pmd, cookie=${Math.random()})`));",
    '  return yield* faithfulOf(gup_pte_range)(k, pmd, pmdp, addr, end, flags, r);',
    '};',
    "export default definePatch({ name: 'traced', variants: { gup_pte_range: traced } });",
    '',
  ].join('\n'));
  mkdirSync(join(d, 'out'));
  return d;
}

export const resolveArgv = (argv: readonly string[], d: string): string[] => argv.map((a) => a.replaceAll('$D', d));

export interface Outcome {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs `node bin/racewalk.mjs argv` from the repo root. */
export function runChild(argv: readonly string[], timeoutMs = 120_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/racewalk.mjs', ...argv], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    p.stdout.on('data', (b) => void (out += b));
    p.stderr.on('data', (b) => void (err += b));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err });
    });
  });
}

/** The fixture reports: a counterexample and a clean run, from real explorations. */
export async function fixtureReports(): Promise<{ good: string; clean: string }> {
  const d = mkdtempSync(join(tmpdir(), 'racewalk-fix-'));
  const a = await runChild(['explore', '--variant', 'gup_pte_range=no-pte-recheck', '--out', d, '--json']);
  const b = await runChild(['explore', '--out', d, '--json']);
  if (a.code !== 1 || b.code !== 0) throw new Error(`fixture runs failed: ${a.err} ${b.err}`);
  return { good: readFileSync(JSON.parse(a.out).report, 'utf8'), clean: readFileSync(JSON.parse(b.out).report, 'utf8') };
}

/** The README table: every bad input, run for real, with its exit code and first line of answer. */
export async function markdownTable(): Promise<string> {
  const { good, clean } = await fixtureReports();
  const d = makeFixtures(good, clean);
  const rows = ['| bad input | command | exit | what racewalk says |', '| --- | --- | --- | --- |'];
  for (const b of BAD_INPUTS) {
    const r = await runChild(resolveArgv(b.argv, d));
    let said = r.err.trim().split('\n')[0]!.replaceAll(d, 'D').replace(/^racewalk: /, '').replace(/\.\d+\.probe\.tmp/, '.PID.probe.tmp');
    if (said.length > 400) said = `${said.slice(0, 397)}...`;
    said = said.replaceAll('|', '\\|');
    const cmd = `racewalk ${b.argv.join(' ').replaceAll('$D', 'D')}`.replaceAll('|', '\\|');
    rows.push(`| ${b.what} | \`${cmd}\` | ${r.code} | ${said} |`);
  }
  return rows.join('\n') + '\n';
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(await markdownTable());
}
