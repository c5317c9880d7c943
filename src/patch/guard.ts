/**
 * Guarding a user's variant at run time: every op its generator (and whatever it calls)
 * yields is checked before the machine sees it, so a slip such as a NaN location or a missing
 * label is reported against the user's statement instead of corrupting the run silently.
 */
import type { Op, Path } from '../core/op.js';
import type { VariantFn } from './define.js';
import { ghostProblem } from '../kernel/ghosts.js';

/** Thrown inside a run when a user variant misbehaves; carries the statement to locate. */
export class VariantFault extends Error {
  override readonly name = 'VariantFault';
  constructor(
    readonly path: string,
    readonly stmt: string | null,
    message: string,
  ) {
    super(message);
  }
}

export function checkOp(op: unknown, path: string, memSize: number): void {
  const o = op as Partial<Op> & Record<string, unknown>;
  if (o === null || typeof o !== 'object' || typeof o.kind !== 'string') {
    throw new VariantFault(path, null, `your variant of ${path} yielded ${JSON.stringify(op) ?? String(op)}, which is not an operation: yield only through the primitives (\`yield* READ_ONCE(...)\`, note the star)`);
  }
  const label = o.label as { fn?: unknown; stmt?: unknown } | undefined;
  const stmt = typeof label?.stmt === 'string' ? label.stmt : null;
  // (the machine itself rejects a kind it does not know; new kinds need no change here)
  if (label === undefined || typeof label.fn !== 'string' || typeof label.stmt !== 'string') {
    throw new VariantFault(path, stmt, `your variant of ${path} yielded a ${o.kind} without a label: pass at('<function>', '<C statement>') to every primitive`);
  }
  if ('loc' in o) {
    const loc = o.loc as unknown;
    if (typeof loc !== 'number' || !Number.isInteger(loc) || loc < 0 || loc >= memSize) {
      throw new VariantFault(path, stmt, `${label.fn}: '${label.stmt}' accesses location ${String(loc)}, which is not a memory cell of this world (0..${memSize - 1}): compute it with k.L (k.L.refcount(folio), pte_offset(k, pt, addr), ...) from a valid pfn`);
    }
  }
  if (o.kind === 'ghost') {
    // the same check every thread's events get (src/kernel/ghosts.ts), here against the user's line
    const problem = ghostProblem(o.event);
    if (problem !== null) throw new VariantFault(path, stmt, `${label.fn}: '${label.stmt}' emits a ghost event racewalk cannot read: ${problem}`);
  }
  for (const f of ['value', 'a', 'b'] as const) {
    if (o.kind === 'ghost' || o.kind === 'check') continue;
    if (f in o && (typeof o[f] !== 'number' || !Number.isFinite(o[f] as number))) {
      throw new VariantFault(path, stmt, `${label.fn}: '${label.stmt}' ${o.kind === 'store' ? 'stores' : 'uses'} ${String(o[f])}, which is not a finite number`);
    }
  }
}

/**
 * Wrap a user's variant: same signature, same ops, but each op is checked and a function that
 * does not return a generator is reported.
 */
export function guardVariant(path: string, fn: VariantFn): VariantFn {
  return function* guarded(this: unknown, ...args: Parameters<VariantFn>): Path<unknown> {
    const gen = fn.apply(this, args) as unknown;
    if (gen === null || typeof gen !== 'object' || typeof (gen as { next?: unknown }).next !== 'function') {
      throw new VariantFault(path, null, `your variant of ${path} returned ${String(gen)} instead of a generator: write it as \`function* (k, ...)\` and yield every shared access`);
    }
    const it = gen as Iterator<Op, unknown, number>;
    const memSize = args[0].L.size;
    let input = 0;
    for (;;) {
      const r = it.next(input);
      if (r.done === true) return r.value;
      checkOp(r.value, path, memSize);
      input = yield r.value;
    }
  };
}
