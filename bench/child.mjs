// One measured run of the built racewalk (dist/, no TypeScript loader), in a process of its own so
// that its peak RSS is its own. bench/run.ts spawns it and reads one JSON line from stdout.
//
//   node bench/child.mjs run   SPEC_JSON   explore a scenario built through the library
//   node bench/child.mjs depth SPEC_JSON   the same, counting generator resumptions per step
//
// SPEC: { scenario, extraGups = 0, strategy = 'dpor', capSecs, variants = {}, env = {}, commute = true }
// (commute: false turns DPOR's commuting of blind adds off, to measure the reduction).
// extraGups adds that many more copies of the scenario's first thread (its GUP-fast CPU): the
// scaling benchmark's "N GUP-fast threads" are built here, not in src/scenarios.
import { check, findScenario } from '../dist/index.js';

const [mode, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const base = findScenario(spec.scenario);
if (base === undefined) throw new Error(`no scenario ${spec.scenario}`);
const extra = spec.extraGups ?? 0;
const scenario = extra === 0 ? base : {
  ...base,
  name: `${base.name}+${extra}gup`,
  threads: (k) => {
    const ts = base.threads(k);
    const copies = Array.from({ length: extra }, (_, i) => ({ ...ts[0], name: `${ts[0].name} #${i + 2}` }));
    return [ts[0], ...copies, ...ts.slice(1)];
  },
  // the known races and clean configurations are the base scenario's; this is a measurement
  knownRaces: [],
};

let resumes = 0;
if (mode === 'depth') {
  // every level of yield* calls the inner generator's next(): the resumptions per step are the
  // average depth at which racewalk's paths reach their primitives
  const proto = Object.getPrototypeOf(Object.getPrototypeOf((function* () {})()));
  const next = proto.next;
  proto.next = function (v) {
    resumes++;
    return next.call(this, v);
  };
}

const until = performance.now() + spec.capSecs * 1000;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const r = check({
  scenario, strategy: spec.strategy ?? 'dpor', variants: spec.variants ?? {}, env: spec.env ?? {},
  maxExecutions: 1e9, minimize: false, shouldStop: () => performance.now() > until, commute: spec.commute ?? true,
});
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const e = r.explored;
process.stdout.write(JSON.stringify({
  scenario: scenario.name, cpus: r.program.threads.length, strategy: e.strategy, verdict: e.verdict, exhaustive: e.exhaustive,
  bounds: e.bounds, executions: e.executions, steps: e.steps, wallSecs: wall, cpuSecs: (cpu.user + cpu.system) / 1e6,
  maxRssMB: process.resourceUsage().maxRSS / 1024, stopped: performance.now() > until,
  ...(mode === 'depth' ? { resumesPerStep: resumes / Math.max(1, e.steps) } : {}),
}) + '\n');
