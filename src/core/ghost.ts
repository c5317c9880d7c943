/**
 * Ghost state of an invariant that DPOR can see: a Map whose every access is a read or write of
 * a named resource (Machine.observe / Machine.touch), one per key plus one for the key set. An
 * invariant that remembers something one CPU did and looks at it at another CPU's step (the
 * pages a GUP caller holds, the page tables a walker has mapped) keeps it here, so the step
 * that looks and the step that changed it are ordered, like two accesses of shared memory.
 *
 * Values are treated as immutable: to change one, `set` a new value (a list mutated in place
 * would be a write DPOR does not see).
 */
import { resourceId, type Machine } from './machine.js';

const idCache = new Map<string, Map<string | number, number>>();

export class GhostMap<K extends string | number, V> {
  private readonly data = new Map<K, V>();
  private readonly ids: Map<string | number, number>;
  private readonly keySet: number;

  /** `name` must be unique per invariant and map (e.g. 'gup-page-not-freed:holds') */
  constructor(private readonly m: Pick<Machine<unknown>, 'observe' | 'touch'>, private readonly name: string) {
    let ids = idCache.get(name);
    if (ids === undefined) idCache.set(name, (ids = new Map()));
    this.ids = ids;
    this.keySet = resourceId(`ghost:${name}:keys`);
  }

  private id(k: K): number {
    let id = this.ids.get(k);
    if (id === undefined) {
      id = resourceId(`ghost:${this.name}:${String(k)}`);
      this.ids.set(k, id);
    }
    return id;
  }

  get(k: K): V | undefined {
    this.m.observe(this.id(k));
    return this.data.get(k);
  }
  has(k: K): boolean {
    this.m.observe(this.id(k));
    return this.data.has(k);
  }
  set(k: K, v: V): this {
    this.m.touch(this.id(k));
    if (!this.data.has(k)) this.m.touch(this.keySet);
    this.data.set(k, v);
    return this;
  }
  delete(k: K): boolean {
    this.m.touch(this.id(k));
    if (!this.data.has(k)) return false;
    this.m.touch(this.keySet);
    return this.data.delete(k);
  }
  get size(): number {
    this.m.observe(this.keySet);
    return this.data.size;
  }
  /** every entry: a read of the key set and of every key */
  *entries(): IterableIterator<[K, V]> {
    this.m.observe(this.keySet);
    for (const e of [...this.data.entries()]) {
      this.m.observe(this.id(e[0]));
      yield e;
    }
  }
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }
}
