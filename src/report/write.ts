/**
 * Writing reports: atomically (temp file in the same folder, then rename), so a report is either
 * complete or absent, never half-written.
 */
import { mkdirSync, renameSync, writeFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { UsageError } from '../core/errors.js';

let tmpCounter = 0;

export function writeFileAtomic(path: string, data: string): void {
  const dir = dirname(path);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new UsageError(`cannot create the output folder '${dir}': ${(e as Error).message}. Choose a writable folder with --out DIR.`);
  }
  const tmp = join(dir, `.${process.pid}.${++tmpCounter}.tmp`);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      /* the temp file may not exist */
    }
    throw new UsageError(`cannot write the report '${path}': ${(e as Error).message}. Choose a writable folder with --out DIR.`);
  }
}

/** File name stem for a report: scenario plus the variants in force. */
export function reportStem(scenario: string, variants: Readonly<Record<string, string>>): string {
  const vs = Object.entries(variants)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([p, v]) => `${p}=${v}`);
  return [scenario, ...vs].join('--').replace(/[^A-Za-z0-9._=-]/g, '_');
}
