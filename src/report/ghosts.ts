/**
 * Ghost events are racewalk's own annotations, not kernel state: a path records what it has just
 * done (`ghost({ type: 'gup_hold', ... })`) so that the invariants can judge it. Reports show
 * them apart from the kernel's memory, labelled as racewalk's, with what each one means here.
 * The meanings come from the one declaration of the events (src/kernel/ghosts.ts), and from
 * the ghost types a user's file declared with defineGhost.
 */
import { ghostMeaning, ghostMeanings } from '../kernel/ghosts.js';

/** Every declared ghost type and what it means (built-in and declared so far), for a report page. */
export function ghostMeaningTable(): Readonly<Record<string, string>> {
  return ghostMeanings();
}

/** `[gup_hold addr=0 pfn=4 folio=4]` as the event type, its fields, and what it means. */
export function describeGhostNote(note: string): { type: string; fields: string; meaning: string } | null {
  const m = /^\[([A-Za-z0-9_]+)(?: (.*))?\]$/.exec(note);
  if (m === null) return null;
  const type = m[1]!;
  return { type, fields: m[2] ?? '', meaning: ghostMeaning(type) ?? 'a racewalk annotation (instrumentation for the invariants)' };
}

/** The one-line text form: `racewalk: gup_hold addr=0 pfn=4 folio=4 (GUP hands ...)`. */
export function ghostLine(note: string): string | null {
  const g = describeGhostNote(note);
  return g === null ? null : `racewalk: ${g.type}${g.fields ? ` ${g.fields}` : ''} (${g.meaning})`;
}
