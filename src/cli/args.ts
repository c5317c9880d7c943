/** Shared option parsing: every bad value is a UsageError naming what is wrong and what is expected. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.js';

export function parse<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, strict: true });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '.')} Run 'racewalk help' for the options.`);
  }
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
