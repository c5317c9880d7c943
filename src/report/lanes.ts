/**
 * The lane layout shared by the terminal and Markdown renderers: one column per CPU, one row per
 * step, the way races are drawn on linux-mm (CPU0 on the left, CPU1 next to it, time going
 * down). A step shows its function when the CPU enters a new one, then the C statement with the
 * value it read, then the state it changed. Cells wrap within their lane, so any width works.
 */
import type { Report, ReportStep } from './trace.js';
import { ghostLine } from './ghosts.js';

export type Style = 'plain' | 'fn' | 'stmt' | 'read' | 'change' | 'note' | 'bad' | 'head';

export interface Seg {
  readonly text: string;
  readonly style: Style;
}

/** One output line: the step column, then one padded segment per lane. */
export interface LaneLine {
  readonly step: string;
  readonly mark: ' ' | '!' | '*';
  readonly cells: readonly Seg[];
}

export interface LaneOptions {
  /** total width, including the step column */
  readonly width: number;
  /** show ghost notes (instrumentation events) as well */
  readonly notes: boolean;
  /** show changes of per-CPU state (irqs, RCU nesting, IPIs) too; the statement says as much */
  readonly cpuState?: boolean;
}

export const STEP_COL = 6; // "  49! "
const SEP = ' | ';

export function laneWidth(ncpu: number, width: number): number {
  return Math.max(16, Math.floor((width - STEP_COL - SEP.length * (ncpu - 1) - 1) / ncpu));
}

/** Wrap `text` to `w` columns, breaking after spaces or commas; continuation lines indented. */
export function wrap(text: string, w: number, indent = 2): string[] {
  const out: string[] = [];
  let rest = text;
  let first = true;
  while (rest.length > 0) {
    const lead = first ? '' : ' '.repeat(indent);
    const room = w - lead.length;
    if (rest.length <= room) {
      out.push(lead + rest);
      break;
    }
    // prefer a break after a space or comma; after '(' or '|' only inside one long token
    const at = (chars: string): number => {
      for (let i = room; i > room / 3; i--) if (chars.includes(rest[i - 1]!)) return i;
      return -1;
    };
    let cut = at(' ,');
    if (cut < 0) cut = at('(|');
    if (cut < 0) cut = room;
    out.push(lead + rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
    first = false;
  }
  return out.length === 0 ? [''] : out;
}

const FLAGS = /^[a-z_]+(\|[a-z_]+)*$/;

/**
 * A change as a lane shows it: a flags word by the bits that changed (`+locked -dirty`), since
 * the full before/after lists hide the one bit that matters; everything else as `before -> after`.
 */
export function changeText(before: string, after: string): string {
  if (FLAGS.test(before) && FLAGS.test(after) && (before.includes('|') || after.includes('|'))) {
    const b = new Set(before.split('|'));
    const a = new Set(after.split('|'));
    const diff = [...[...a].filter((f) => !b.has(f)).map((f) => `+${f}`), ...[...b].filter((f) => !a.has(f)).map((f) => `-${f}`)];
    if (diff.length > 0) return diff.join(' ');
  }
  return `${before} -> ${after}`;
}

/**
 * What the step read from memory, labelled as a raw read: `read page[4].compound_head: 0`, and for
 * an RMW the value it returned (the change it made is a change line). null when it read nothing.
 */
export function readText(s: ReportStep): string | null {
  if (s.kind === undefined) return s.result !== '' ? `result: ${s.result}` : null; // older version-1 reports
  if (s.kind === 'world' || s.read === undefined || s.read === null || s.object === undefined || s.object === null) return null;
  return `${s.kind === 'rmw' ? 'atomic read' : 'read'} ${s.object}: ${s.read}`;
}

/** The text of a step as its lane shows it, line by line with styles (not yet wrapped). */
export function stepSegments(s: ReportStep, newFn: boolean, opts: Pick<LaneOptions, 'notes' | 'cpuState'>): Seg[] {
  const segs: Seg[] = [];
  if (newFn) segs.push({ text: `${s.fn}():`, style: 'fn' });
  // `= v` only where v is the value of the C expression (alloc_pages() returns it); a value the
  // step read from memory is labelled as the read it is (`folio = page_folio(page)` reads
  // page->compound_head: the 0 it reads is not the folio)
  segs.push({ text: `  ${s.stmt}${s.kind === 'world' && s.result !== '' ? ` = ${s.result}` : ''}`, style: 'stmt' });
  const read = readText(s);
  if (read !== null) segs.push({ text: `    ${read}`, style: 'read' });
  if (s.returned !== undefined && s.returned !== null) segs.push({ text: `    the call returns ${s.returned}`, style: 'read' });
  // the lane already says which CPU: its own per-CPU state reads without the prefix
  const own = `cpu${s.cpu}.`;
  for (const ch of s.changes) if (opts.cpuState !== false || !/^cpu\d+\./.test(ch.what)) segs.push({ text: `    ${ch.what.startsWith(own) ? ch.what.slice(own.length) : ch.what}: ${changeText(ch.before, ch.after)}`, style: 'change' });
  for (const n of s.notes) {
    if (n.endsWith(' FAILED')) segs.push({ text: `    ${n}`, style: 'bad' });
    else if (opts.notes && n.startsWith('[')) segs.push({ text: `    ${ghostLine(n) ?? n}`, style: 'note' });
  }
  return segs;
}

function wrapSegs(segs: readonly Seg[], w: number): Seg[] {
  const out: Seg[] = [];
  for (const sg of segs) {
    const ind = sg.text.length - sg.text.trimStart().length;
    for (const line of wrap(sg.text.trimStart(), w - ind, 4)) out.push({ text: ' '.repeat(ind) + line, style: sg.style });
  }
  return out;
}

/** CPUs that take a step in the trace: the only ones that get a lane in text and Markdown. */
export function activeCpus(r: Report): number[] {
  const seen = new Set(r.trace.map((s) => s.cpu));
  return r.threads.map((_, c) => c).filter((c) => seen.has(c));
}

/** CPUs that take no step before the violation, for a line under the lanes. */
export function idleCpus(r: Report): string[] {
  const active = new Set(activeCpus(r));
  return r.threads.filter((_, c) => !active.has(c));
}

/** Lay out the whole trace as lane lines (header, rule, one block per step). */
export function layoutLanes(r: Report, opts: LaneOptions): LaneLine[] {
  const cpus = activeCpus(r);
  const n = cpus.length;
  const lane = new Map(cpus.map((c, i) => [c, i]));
  const w = laneWidth(n, opts.width);
  const lines: LaneLine[] = [];
  const heads = cpus.map((c) => wrap(r.threads[c]!, w, 2));
  const hrows = Math.max(...heads.map((h) => h.length));
  for (let i = 0; i < hrows; i++) {
    lines.push({ step: i === 0 ? 'step' : '', mark: ' ', cells: heads.map((h) => ({ text: h[i] ?? '', style: 'head' as Style })) });
  }
  lines.push({ step: '-'.repeat(STEP_COL - 2), mark: ' ', cells: heads.map(() => ({ text: '-'.repeat(w), style: 'plain' as Style })) });
  const lastFn: (string | null)[] = new Array<string | null>(r.threads.length).fill(null);
  for (const s of r.trace) {
    const segs = wrapSegs(stepSegments(s, lastFn[s.cpu] !== s.fn, opts), w);
    lastFn[s.cpu] = s.fn;
    const li = lane.get(s.cpu)!;
    const mark = r.violationStep === s.step ? '!' : (s.conflicts?.length ?? 0) > 0 ? '*' : ' ';
    segs.forEach((sg, i) => {
      const cells: Seg[] = [];
      for (let c = 0; c < n; c++) cells.push(c === li ? sg : { text: '', style: 'plain' });
      lines.push({ step: i === 0 ? String(s.step) : '', mark: i === 0 ? mark : ' ', cells });
    });
  }
  return lines;
}

/** Render lane lines to strings; `paint` colours a segment (identity for plain output). */
export function renderLanes(lines: readonly LaneLine[], width: number, ncpu: number, paint: (s: Seg) => string, markPaint: (m: string) => string = (m) => m): string[] {
  const w = laneWidth(ncpu, width);
  return lines.map((l) => {
    const cells = l.cells.map((c, i) => {
      const pad = i === l.cells.length - 1 ? '' : ' '.repeat(Math.max(0, w - c.text.length));
      return paint(c) + pad;
    });
    const head = `${l.step.padStart(STEP_COL - 2)}${markPaint(l.mark)} `;
    return (head + cells.join(SEP)).trimEnd();
  });
}

/** Objects that CPUs race on: for each, which CPU read (R) or wrote (W) it at which step. */
export function conflictSummary(r: Report): string[] {
  const byObj = new Map<string, { step: number; cpu: number; w: boolean }[]>();
  for (const s of r.trace) {
    if ((s.conflicts?.length ?? 0) === 0) continue;
    const touched = new Map<string, boolean>(); // object -> written
    if (s.object) touched.set(s.object, s.kind !== 'load' && s.kind !== 'await');
    for (const ch of s.changes) if (!/^cpu\d+\./.test(ch.what)) touched.set(ch.what, true);
    for (const [o, w] of touched) byObj.set(o, [...(byObj.get(o) ?? []), { step: s.step, cpu: s.cpu, w }]);
  }
  return [...byObj].map(([o, list]) => `${o}: ${list.map((x) => `cpu${x.cpu} ${x.w ? 'W' : 'R'}@${x.step}`).join(', ')}`);
}
