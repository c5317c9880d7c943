/**
 * The published report schema (report.schema.json) and the validator `racewalk replay` checks
 * reports with. The validator covers the JSON Schema keywords the schema uses (type, const,
 * enum, required, properties, additionalProperties, items, minimum, oneOf, local $ref): no
 * dependency, and a first error that names the field.
 */
import { readFileSync } from 'node:fs';

type Schema = Record<string, unknown>;

let cached: Schema | null = null;

export function reportSchema(): Schema {
  cached ??= JSON.parse(readFileSync(new URL('./report.schema.json', import.meta.url), 'utf8')) as Schema;
  return cached;
}

/** The first place `data` breaks the schema, as `trace[3].cpu: expected integer`, or null. */
export function schemaError(data: unknown, schema: Schema = reportSchema()): string | null {
  return check(data, schema, schema, '');
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function check(v: unknown, s: Schema, root: Schema, at: string): string | null {
  const where = at === '' ? '(top level)' : at;
  if (typeof s.$ref === 'string') {
    const ref = s.$ref;
    if (!ref.startsWith('#/')) throw new Error(`schema: unsupported $ref ${ref}`);
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) target = (target as Schema)[part];
    const e = check(v, target as Schema, root, at);
    if (e !== null) return e;
  }
  if ('const' in s && v !== s.const) return `${where}: expected ${JSON.stringify(s.const)}, got ${JSON.stringify(v)}`;
  if (Array.isArray(s.enum) && !s.enum.includes(v)) return `${where}: expected one of ${s.enum.map((x) => JSON.stringify(x)).join(', ')}, got ${JSON.stringify(v)}`;
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
    const t = typeOf(v);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return `${where}: expected ${types.join(' or ')}, got ${t}`;
  }
  if (typeof s.minimum === 'number' && typeof v === 'number' && v < s.minimum) return `${where}: ${v} is below the minimum ${s.minimum}`;
  if (Array.isArray(s.oneOf)) {
    const ok = (s.oneOf as Schema[]).filter((x) => check(v, x, root, at) === null).length;
    if (ok !== 1) {
      const errs = (s.oneOf as Schema[]).map((x) => check(v, x, root, at)).filter((e) => e !== null);
      return ok === 0 ? errs[errs.length - 1]! : `${where}: matches more than one alternative`;
    }
  }
  if (typeOf(v) === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of (s.required as string[] | undefined) ?? []) if (!(k in o)) return `${at === '' ? '' : at + '.'}${k}: missing`;
    const props = (s.properties as Record<string, Schema> | undefined) ?? {};
    for (const [k, x] of Object.entries(o)) {
      const path = at === '' ? k : `${at}.${k}`;
      if (k in props) {
        const e = check(x, props[k]!, root, path);
        if (e !== null) return e;
      } else if (s.additionalProperties === false) {
        return `${path}: unknown field`;
      } else if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null) {
        const e = check(x, s.additionalProperties as Schema, root, path);
        if (e !== null) return e;
      }
    }
  }
  if (Array.isArray(v) && s.items !== undefined) {
    for (let i = 0; i < v.length; i++) {
      const e = check(v[i], s.items as Schema, root, `${at}[${i}]`);
      if (e !== null) return e;
    }
  }
  return null;
}
