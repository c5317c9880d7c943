/**
 * Pointing at the user's file: errors in a patch are the user's to fix, so they are reported
 * like a compiler does (`my-patch.ts:12:5: ...`, exit 2), never as a racewalk stack trace.
 */
import { fileURLToPath } from 'node:url';
import { UsageError } from '../core/errors.js';

/** A mistake in a user's patch file (load, validation or run): exit 2, with file and line. */
export class PatchError extends UsageError {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly column: number | null,
    readonly detail: string,
  ) {
    super(`${where(file, line, column)}: ${detail}`);
  }
}

export function where(file: string, line: number | null, column: number | null): string {
  return line === null ? file : column === null ? `${file}:${line}` : `${file}:${line}:${column}`;
}

export interface Location {
  readonly line: number;
  readonly column: number;
}

/** The innermost stack frame of `error` that lies in `absFile` (source-mapped by tsx). */
export function frameIn(error: unknown, absFile: string): Location | null {
  const stack = (error as { stack?: unknown } | null)?.stack;
  if (typeof stack !== 'string') return null;
  for (const raw of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?[^()\s]+?):(\d+):(\d+)\)?\s*$/.exec(raw.trim());
    if (m === null) continue;
    let f = m[1]!;
    if (f.startsWith('file://')) {
      try {
        f = fileURLToPath(f);
      } catch {
        continue;
      }
    }
    if (f === absFile) return { line: Number(m[2]), column: Number(m[3]) };
  }
  return null;
}

/** First line (1-based) of `source` containing `text` verbatim, or null. */
export function lineOf(source: string, text: string): number | null {
  if (text === '') return null;
  const lines = source.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i]!.includes(text)) return i + 1;
  return null;
}

/** Line of a property key `name` (as in `variants: { gup_pte_rang: ... }`), or null. */
export function lineOfKey(source: string, name: string): number | null {
  const lines = source.split('\n');
  const re = new RegExp(`(^|[\\s{,'"])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}['"]?\\s*:`);
  for (let i = 0; i < lines.length; i++) if (re.test(lines[i]!)) return i + 1;
  return lineOf(source, name);
}

/** `error.message`, or a string form of whatever was thrown. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`;
  return `a non-Error value was thrown: ${String(error)}`;
}
