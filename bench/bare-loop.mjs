// The ceiling racewalk's throughput is compared with: a bare generator loop (generators yielding
// plain op objects, consumed by a loop that applies them to a Float64Array and re-creates the
// generators every "execution"). Plain JavaScript, run in a worker thread of its own (bench/run.ts):
// timed in the same isolate after racewalk code has run, the same loop measured up to 6x slower,
// so a ratio against it would flatter racewalk. workerData: { secs, depth } (depth: how many
// yield* levels each op is reached through, as paths call helpers that call primitives).
import { parentPort, workerData } from 'node:worker_threads';

const L = { fn: 'bare', stmt: 'op' };
function* bareThread(t, n) {
  // the shape of a path: loads, stores and RMWs over a few locations, values flowing back
  let v = 0;
  for (let i = 0; i < n; i++) {
    const loc = (t * 7 + i) & 15;
    switch (i % 3) {
      case 0:
        v = yield { kind: 'load', loc, order: 'once', label: L };
        break;
      case 1:
        yield { kind: 'store', loc, value: v + 1, order: 'once', label: L };
        break;
      default:
        v = yield { kind: 'rmw', loc, rmw: 'add', a: 1, b: 0, order: 'full', label: L };
    }
  }
}

function* nested(t, n, depth) {
  if (depth <= 1) return yield* bareThread(t, n);
  return yield* nested(t, n, depth - 1);
}

function bareLoop(secs, depth) {
  const mem = new Float64Array(16);
  let steps = 0;
  let sink = 0;
  const t0 = performance.now();
  const until = t0 + secs * 1000;
  while (performance.now() < until) {
    for (let rep = 0; rep < 100; rep++) {
      mem.fill(0);
      const gens = [nested(0, 30, depth), nested(1, 30, depth)];
      const next = gens.map((g) => g.next(0).value ?? null);
      let t = 0;
      for (;;) {
        if (next[t] === null) t = 1 - t;
        const op = next[t];
        if (op === null || op === undefined) break;
        let r = 0;
        switch (op.kind) {
          case 'load':
            r = mem[op.loc];
            break;
          case 'store':
            mem[op.loc] = op.value;
            break;
          case 'rmw':
            r = mem[op.loc];
            mem[op.loc] = r + op.a;
            break;
        }
        steps++;
        const res = gens[t].next(r);
        next[t] = res.done === true ? null : res.value;
        if ((steps & 7) === 0) t = 1 - t;
      }
      sink += mem[0];
    }
  }
  if (sink === -1) console.log(sink);
  return { steps, secs: (performance.now() - t0) / 1000 };
}

const { secs, depth } = workerData;
bareLoop(secs / 3, depth); // warm-up
parentPort.postMessage(bareLoop(secs, depth));
