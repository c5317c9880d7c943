/**
 * The published JSON Schemas (draft 2020-12) and their validator. Every `--json` output has one,
 * next to this file and in the package as `racewalk/schema/<name>.json`:
 *
 * | schema                 | what follows it |
 * |---|---|
 * | report                 | a report file (`<stem>.json`), `replay --json`, `explore --format json` |
 * | explore-summary        | `racewalk explore --json` |
 * | explore-patch-summary  | `racewalk explore --variant-file F --json` |
 * | check-patch            | `racewalk check-patch PATCH --json` |
 * | merge-summary          | `racewalk merge SHARD.json... --json` |
 * | list                   | `racewalk list --json` |
 * | ablation               | `racewalk ablate --json`, `<scenario>.ablate.json` |
 *
 * Validation is ajv's (the answer a third-party consumer of the schema gets), not a hand-written
 * subset. ajv is loaded and the schemas compiled on first use only, so a command that validates
 * nothing pays nothing at start-up.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv2020 as AjvClass, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';

export const SCHEMAS = ['report', 'explore-summary', 'explore-patch-summary', 'check-patch', 'merge-summary', 'list', 'ablation'] as const;
export type SchemaName = (typeof SCHEMAS)[number];

type Schema = Record<string, unknown>;

const loaded = new Map<SchemaName, Schema>();

/** The published schema `name` (parsed report.schema.json etc.). */
export function schemaFor(name: SchemaName): Schema {
  let s = loaded.get(name);
  if (s === undefined) {
    s = JSON.parse(readFileSync(new URL(`./${name}.schema.json`, import.meta.url), 'utf8')) as Schema;
    loaded.set(name, s);
  }
  return s;
}

export function reportSchema(): Schema {
  return schemaFor('report');
}

let ajv: AjvClass | null = null;
const compiled = new Map<SchemaName, ValidateFunction>();

function validator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (v !== undefined) return v;
  if (ajv === null) {
    const { Ajv2020 } = createRequire(import.meta.url)('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    // strict: the schemas use only standard keywords, so ajv refuses a typo in them
    ajv = new Ajv2020({ strict: true, allErrors: false });
    // the summaries refer to the report's definitions by $id (report-v1.json#/...)
    for (const n of SCHEMAS) ajv.addSchema(schemaFor(n));
  }
  v = ajv.getSchema(schemaFor(name).$id as string)!;
  compiled.set(name, v);
  return v;
}

/** ajv's instance path `/trace/3/cpu` as `trace[3].cpu`. */
function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

/** One ajv error as `trace[1].cpu: must be integer` (a missing or unknown field is named). */
function describe(e: ErrorObject): string {
  const at = fieldPath(e.instancePath);
  const join = (k: string) => (at === '' ? k : `${at}.${k}`);
  if (e.keyword === 'required') return `${join(String(e.params.missingProperty))}: missing`;
  if (e.keyword === 'additionalProperties') return `${join(String(e.params.additionalProperty))}: unknown field`;
  const allowed = e.keyword === 'const' ? ` ${JSON.stringify(e.params.allowedValue)}` : e.keyword === 'enum' ? ` (${(e.params.allowedValues as unknown[]).map((x) => JSON.stringify(x)).join(', ')})` : '';
  return `${at === '' ? '(top level)' : at}: ${e.message ?? e.keyword}${allowed}`;
}

/**
 * Where `data` breaks the published schema `name`, as `trace[3].cpu: must be integer`, or null
 * when it conforms. Of ajv's errors the deepest is named (under a `oneOf`, the alternative's own
 * complaint says more than "must match exactly one schema").
 */
export function schemaError(data: unknown, name: SchemaName = 'report'): string | null {
  const v = validator(name);
  if (v(data)) return null;
  const errors = v.errors ?? [];
  const specific = errors.filter((e) => e.keyword !== 'oneOf');
  // deepest first; at one depth, an alternative's complaint over the `type` of another alternative
  const rank = (e: ErrorObject) => e.instancePath.split('/').length * 2 + (e.keyword === 'type' ? 0 : 1);
  const pick = (specific.length > 0 ? specific : errors).reduce((a, b) => (rank(b) > rank(a) ? b : a));
  return describe(pick);
}
