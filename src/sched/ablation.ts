/**
 * Sync ablation (issue 14, `racewalk ablate`): take one synchronization point out of a program
 * and see what breaks. The reviewer's question is "which of these locks, irq-off sections, RCU
 * read sections, waits and re-checks is load-bearing, and against what?"; the answer is one
 * exploration per point, each with exactly that point removed.
 *
 * A point is named by what it is and by the C statement that opens it, as a trace shows it:
 * `recheck@gup_pte_range: unlikely(pte_val(pte) != pte_val(ptep_get(ptep))))`. Removing it
 * removes it on every CPU and at every occurrence (a statement, not one dynamic instance: the
 * kernel's code is what a patch changes). The removal is an op-level wrapper around each thread's
 * generator, as the cross-check's mutants are (cross-check.ts): the model files are not touched.
 *
 * What removing each kind means (one declaration per kind, SYNC_KINDS; everything else derives):
 * - lock: the spin_lock() with that label is not taken, and the same CPU's matching spin_unlock()
 *   of that lock (by nesting, per lock word) is dropped too; other acquisitions of the same lock
 *   stay.
 * - irq / rcu: the local_irq_disable()/rcu_read_lock() with that label and its matching enable/
 *   unlock (by nesting) are dropped: the CPU takes IPIs at once / counts as quiescent.
 * - ipi-wait / gp-wait / await: the wait returns at once (an await hands back the value it finds,
 *   as a loop that stopped re-reading would).
 * - recheck: a load of a location the same CPU already read at another statement (and has not
 *   written since) returns the value that earlier read returned: the re-check passes whatever the
 *   other CPUs did in between. The read half of a non-atomic read-modify-write is not listed.
 * - fence: a barrier. Under sequential consistency (the only memory model of the mm explorer
 *   today) a barrier cannot change a verdict, so it is listed and not explored (`underSc: false`);
 *   the same holds for acquire/release/fully-ordered annotations, which are counted.
 *
 * The engine knows nothing about the kernel: op kinds and labels only.
 */
import type { Program, ThreadSpec } from '../core/execution.js';
import type { Label, Op, Ordering, Path, SharedOp } from '../core/op.js';
import { UsageError } from '../core/errors.js';

interface SyncKindDecl {
  /** the op kind that opens (names) a point of this kind */
  readonly opens: SharedOp['kind'];
  /** what removing it does, one phrase (help text, reports) */
  readonly removes: string;
  /** false: removing it cannot change a sequentially consistent verdict (listed, not explored) */
  readonly underSc: boolean;
}

export const SYNC_KINDS = {
  lock: { opens: 'lock', removes: "spin_lock() not taken, and the same CPU's matching spin_unlock() dropped", underSc: true },
  irq: { opens: 'irq_disable', removes: 'local_irq_disable()/save() and its matching enable/restore dropped: the CPU takes IPIs and is quiescent for RCU', underSc: true },
  rcu: { opens: 'rcu_read_lock', removes: 'rcu_read_lock() and its matching rcu_read_unlock() dropped', underSc: true },
  'ipi-wait': { opens: 'ipi_wait', removes: 'the wait for the IPI to be taken dropped (smp_call_function(..., wait=0))', underSc: true },
  'gp-wait': { opens: 'gp_wait', removes: 'the wait for the RCU grace period dropped (synchronize_rcu() returns at once)', underSc: true },
  await: { opens: 'await', removes: 'the spin-wait returns at once with the value it finds', underSc: true },
  recheck: { opens: 'load', removes: 'the re-read returns what the CPU read from that location before: the re-check passes', underSc: true },
  fence: { opens: 'fence', removes: 'the barrier dropped (no effect under sequential consistency)', underSc: false },
} as const satisfies Readonly<Record<string, SyncKindDecl>>;

export type SyncKind = keyof typeof SYNC_KINDS;
export const SYNC_KIND_NAMES = Object.keys(SYNC_KINDS) as SyncKind[];

export interface SyncPoint {
  readonly kind: SyncKind;
  readonly label: Label;
}

/** `kind@fn: stmt`, the name a point is given on the command line and in reports. */
export function pointKey(p: SyncPoint): string {
  return `${p.kind}@${p.label.fn}: ${p.label.stmt.trim()}`;
}

export function parsePointKey(key: string): SyncPoint {
  const at = key.indexOf('@');
  const colon = key.indexOf(': ', at + 1);
  const kind = key.slice(0, Math.max(at, 0));
  if (at <= 0 || colon < 0 || !Object.hasOwn(SYNC_KINDS, kind)) {
    throw new UsageError(`--ablate '${key}' is not a synchronization point: expected KIND@FUNCTION: STATEMENT with KIND one of ${SYNC_KIND_NAMES.join(', ')}, as 'racewalk ablate' lists them (e.g. --ablate 'rcu@__pte_offset_map: rcu_read_lock()')`);
  }
  return { kind: kind as SyncKind, label: { fn: key.slice(at + 1, colon), stmt: key.slice(colon + 2).trim() } };
}

/**
 * A file-name-safe short form of a point key, for report file names: its readable start and a
 * hash of the whole key (two statements of one function may share their first 48 characters).
 */
export function pointSlug(key: string): string {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return `${key.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 48)}-${h.toString(16).padStart(8, '0')}`;
}

/** The key, quoted for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

// statements are compared without the indentation a multi-line C condition keeps in its label
const sameLabel = (a: Label, b: Label) => a.fn === b.fn && a.stmt.trim() === b.stmt.trim();

/** What surveying a program's executions saw: its points, and its accesses with an ordering annotation. */
export interface Survey {
  /** points in the order first seen, with the CPUs that executed each */
  readonly points: Map<string, { readonly point: SyncPoint; readonly cpus: Set<number> }>;
  /** `fn: stmt` -> ordering, for accesses annotated acquire, release, full or success */
  readonly ordered: Map<string, Ordering>;
}

/**
 * Per thread and execution: a re-read is a load of a location the thread read at another
 * statement, with no write of its own to the location in between. After its own write the thread
 * reads what it wrote (program order): handing it an older value would be an artefact of the
 * ablation, not a re-check that passed.
 */
class ReadHistory {
  private readonly last = new Map<number, { label: Label; value: number }>();
  /** the thread wrote `op`'s location (store, RMW, lock, unlock): forget what it read there */
  after(op: SharedOp): void {
    if (op.kind === 'store' || op.kind === 'rmw' || op.kind === 'lock' || op.kind === 'unlock') this.last.delete(op.loc);
  }
  /** the earlier read of `loc` at another statement, if any */
  earlier(loc: number, label: Label): { label: Label; value: number } | undefined {
    const e = this.last.get(loc);
    return e !== undefined && !sameLabel(e.label, label) ? e : undefined;
  }
  read(loc: number, label: Label, value: number): void {
    this.last.set(loc, { label, value });
  }
}

function openingPoint(op: SharedOp, history: ReadHistory): SyncPoint | null {
  switch (op.kind) {
    case 'lock':
      return { kind: 'lock', label: op.label };
    case 'irq_disable':
      return { kind: 'irq', label: op.label };
    case 'rcu_read_lock':
      return { kind: 'rcu', label: op.label };
    case 'ipi_wait':
      return { kind: 'ipi-wait', label: op.label };
    case 'gp_wait':
      return { kind: 'gp-wait', label: op.label };
    case 'await':
      return { kind: 'await', label: op.label };
    case 'fence':
      return { kind: 'fence', label: op.label };
    case 'load':
      return history.earlier(op.loc, op.label) !== undefined ? { kind: 'recheck', label: op.label } : null;
    default:
      return null;
  }
}

const isOrdered = (o: Ordering) => o === 'acquire' || o === 'release' || o === 'full' || o === 'success';

function* surveyed(inner: Path<unknown>, tid: number, into: Survey): Path<unknown> {
  const history = new ReadHistory();
  const record = (found: SyncPoint) => {
    const p: SyncPoint = { kind: found.kind, label: { fn: found.label.fn, stmt: found.label.stmt.trim() } };
    const key = pointKey(p);
    const seen = into.points.get(key);
    if (seen === undefined) into.points.set(key, { point: p, cpus: new Set([tid]) });
    else seen.cpus.add(tid);
  };
  // a re-read is listed once the thread's next shared op is known: a load followed by a store to
  // the same location is the read half of a non-atomic read-modify-write (__SetPageFoo(),
  // `x->flags |= ...`), not a re-check; forcing its value would be a lost update, not a check passing
  let reread: { point: SyncPoint; loc: number } | null = null;
  let v = 0;
  for (;;) {
    const r = inner.next(v);
    if (r.done === true) {
      if (reread !== null) record(reread.point);
      return r.value;
    }
    const op: Op = r.value;
    if (op.kind !== 'check' && op.kind !== 'ghost') {
      if (reread !== null && !(op.kind === 'store' && op.loc === reread.loc)) record(reread.point);
      reread = null;
      const p = openingPoint(op, history);
      if (p !== null && p.kind === 'recheck' && op.kind === 'load') reread = { point: p, loc: op.loc };
      else if (p !== null) record(p);
      if ((op.kind === 'load' || op.kind === 'store' || op.kind === 'rmw') && isOrdered(op.order)) into.ordered.set(`${op.label.fn}: ${op.label.stmt}`, op.order);
    }
    v = yield op;
    if (op.kind === 'load') history.read(op.loc, op.label, v);
    else if (op.kind !== 'check' && op.kind !== 'ghost') history.after(op);
  }
}

/** The program, recording into `into` every point and ordered access its executions run. */
export function surveying<W>(program: Program<W>, into: Survey): Program<W> {
  const threads: ThreadSpec[] = program.threads.map((t, tid) => ({ name: t.name, start: () => surveyed(t.start(), tid, into) }));
  return { ...program, threads };
}

export function newSurvey(): Survey {
  return { points: new Map(), ordered: new Map() };
}

/** Counts how often the removed point was met, over the executions run so far. */
export interface AblationCounter {
  matched: number;
}

function* ablated(inner: Path<unknown>, p: SyncPoint, counter: AblationCounter): Path<unknown> {
  const history = new ReadHistory();
  // per lock word / per section kind: a stack of "this opening was dropped", popped at the close
  const locks = new Map<number, boolean[]>();
  const irq: boolean[] = [];
  const rcu: boolean[] = [];
  let v = 0;
  for (;;) {
    const r = inner.next(v);
    if (r.done === true) return r.value;
    const op: Op = r.value;
    if (op.kind === 'check' || op.kind === 'ghost') {
      v = yield op;
      continue;
    }
    const hit = SYNC_KINDS[p.kind].opens === op.kind && sameLabel(op.label, p.label);
    switch (op.kind) {
      case 'lock': {
        const stack = locks.get(op.loc) ?? [];
        locks.set(op.loc, stack);
        stack.push(hit);
        break;
      }
      case 'unlock': {
        if (locks.get(op.loc)?.pop() === true) {
          v = 0;
          continue;
        }
        break;
      }
      case 'irq_disable':
        irq.push(hit);
        break;
      case 'irq_enable':
        if (irq.pop() === true) {
          v = 0;
          continue;
        }
        break;
      case 'rcu_read_lock':
        rcu.push(hit);
        break;
      case 'rcu_read_unlock':
        if (rcu.pop() === true) {
          v = 0;
          continue;
        }
        break;
      case 'load': {
        if (p.kind !== 'recheck' || !hit) break;
        const before = history.earlier(op.loc, op.label);
        if (before === undefined) break;
        // the load still runs (its step and footprint stay), but the path sees the earlier value
        counter.matched++;
        yield op;
        v = before.value;
        history.read(op.loc, op.label, v);
        continue;
      }
      default:
        break;
    }
    if (hit && p.kind !== 'recheck') {
      counter.matched++;
      if (op.kind === 'await') {
        // the wait is not waited for: the value it would read now is what the path gets
        v = yield { kind: 'load', loc: op.loc, order: op.order, label: op.label };
      } else v = 0;
      continue;
    }
    v = yield op;
    if (op.kind === 'load') history.read(op.loc, op.label, v);
    else history.after(op);
  }
}

/** The program with point `p` removed on every CPU; `counter` counts the occurrences removed. */
export function ablate<W>(program: Program<W>, p: SyncPoint, counter: AblationCounter = { matched: 0 }): Program<W> {
  const threads: ThreadSpec[] = program.threads.map((t) => ({ name: t.name, start: () => ablated(t.start(), p, counter) }));
  return { ...program, threads };
}
