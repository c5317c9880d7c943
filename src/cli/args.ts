/** Shared option parsing: every bad value is a UsageError naming what is wrong and what is expected. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, closest } from '../core/errors.js';

export function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const options = Object.keys(config.options ?? {});
  try {
    return parseArgs<T>({ ...config, args: joinNegativeValues(config, options), strict: true });
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /^Unknown option '(-{1,2}[^']*)'/.exec(msg);
    if (unknown !== null) {
      const c = closest(unknown[1]!.replace(/^-+/, ''), options);
      throw new UsageError(`Unknown option '${unknown[1]}'.${c ? ` Did you mean '--${c}'?` : ''} Options: ${options.map((o) => `--${o}`).join(', ')} (see 'racewalk help').`);
    }
    const oneLine = msg.replace(/\. To specify a positional argument.*$/s, '.').replace(/\s*\n\s*/g, ' ').replace(/([^.])$/, '$1.');
    throw new UsageError(`${oneLine} Run 'racewalk help' for the options.`);
  }
}

/**
 * `--seed -1` would otherwise be refused by parseArgs as "ambiguous" (a value that looks like an
 * option); joined as `--seed=-1` it reaches the option's own check, which says what is expected.
 */
function joinNegativeValues(config: ParseArgsConfig, options: readonly string[]): string[] {
  const args = [...(config.args ?? [])];
  const takesValue = new Set(options.filter((o) => config.options?.[o]?.type === 'string').map((o) => `--${o}`));
  for (let i = 0; i + 1 < args.length; i++) {
    if (takesValue.has(args[i]!) && /^-[\d.]/.test(args[i + 1]!)) args.splice(i, 2, `${args[i]}=${args[i + 1]}`);
  }
  return args;
}

/** `--variant PATH=VARIANT` (repeatable) */
export function parseAssignments(values: string[] | undefined, flag: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new UsageError(`${flag} '${v}' is malformed: expected ${flag} ${what}`);
    const key = v.slice(0, i);
    if (key in out) throw new UsageError(`${flag} gives '${key}' twice`);
    out[key] = v.slice(i + 1);
  }
  return out;
}

/** A non-negative integer option within [min, max]. */
export function intOption(value: string | undefined, flag: string, def: number, min: number, max: number): number {
  if (value === undefined) return def;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} '${value}' is not a whole number: expected ${flag} N with ${min} <= N <= ${max}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} ${value} is out of range: expected ${min} <= N <= ${max}`);
  return n;
}
