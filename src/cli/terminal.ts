/**
 * What the CLI prints to a terminal: whether to colour (NO_COLOR, FORCE_COLOR, --color,
 * --no-color), whether to draw the progress line (a TTY: colour has nothing to do with it), the
 * command that runs racewalk as the user can paste it, and escaping what came from a file.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Colour on stdout. --no-color and --color win; then the conventions of no-color.org and
 * FORCE_COLOR (as chalk and node:util styleText read it: '0' or 'false' turn colour off);
 * otherwise colour exactly when stdout is a TTY.
 */
export function useColor(isTTY: boolean, flags: { readonly color?: boolean; readonly 'no-color'?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (flags['no-color'] === true) return false;
  if (flags.color === true) return true;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !(force === '0' || force.toLowerCase() === 'false');
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY;
}

let cachedCommand: string | undefined;

/**
 * How the user runs racewalk: `racewalk` when a `racewalk` executable is on their PATH, else
 * `npx racewalk` (a local install). PATH entries npm/npx add for the duration of the command
 * (.../node_modules/.bin) are not the user's shell, so they do not count.
 */
export function racewalkCommand(env: NodeJS.ProcessEnv = process.env): string {
  if (env === process.env && cachedCommand !== undefined) return cachedCommand;
  let found = false;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '' || /node_modules[\\/]\.bin[\\/]?$/.test(dir)) continue;
    try {
      accessSync(join(dir, 'racewalk'), constants.X_OK);
      found = true;
      break;
    } catch {
      /* not here */
    }
  }
  const cmd = found ? 'racewalk' : 'npx racewalk';
  if (env === process.env) cachedCommand = cmd;
  return cmd;
}

/** Replace the leading `racewalk ` of a command racewalk printed with how this user runs it. */
export function asTyped(command: string, prefix: string): string {
  return command.startsWith('racewalk ') ? `${prefix} ${command.slice('racewalk '.length)}` : command;
}

// C0 controls but newline, DEL, C1 controls; bidi embeddings, overrides, isolates and marks;
// line/paragraph separators: anything that could move the cursor, recolour the terminal or
// reorder what the reader sees
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeChar = (ch: string): string => `\\u{${ch.codePointAt(0)!.toString(16)}}`;

/** Text read from a file, made safe to print: every control and bidi character as \u{..}. */
export function sanitize(text: string): string {
  return text.replace(UNSAFE, escapeChar);
}

/** The same for a value that is one line (a field of a report): newlines escaped too. */
export function sanitizeLine(text: string): string {
  return text.replace(UNSAFE_LINE, escapeChar);
}

/** Every string in a value read from a file (a report), escaped as by sanitizeLine. */
export function sanitizeDeep<T>(v: T): T {
  if (typeof v === 'string') return sanitizeLine(v) as T;
  if (Array.isArray(v)) return v.map((x) => sanitizeDeep(x)) as T;
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) Object.defineProperty(out, sanitizeLine(k), { value: sanitizeDeep(x), enumerable: true, writable: true, configurable: true });
    return out as T;
  }
  return v;
}
