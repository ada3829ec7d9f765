/**
 * An insertion-ordered collection with O(log n) delete and O(log n) "k-th live item" lookup, so that a page
 * of a million-task listing costs O(limit · log n) and deleting 100,000 tasks never shifts an array.
 *
 * Deletes leave tombstones; Fenwick trees count live items (overall and per filter key, e.g. a status) so
 * that an offset is always the position among the *live* items in insertion order: deleting a task moves
 * every later task one offset down, exactly like a real offset-paginated API. Tombstones are compacted
 * once they outnumber live items (amortised O(1) per delete).
 */
class Fenwick {
  readonly tree: Int32Array;
  constructor(readonly size: number) {
    this.tree = new Int32Array(size + 1);
  }
  static build(size: number, isSet: (i: number) => boolean): Fenwick {
    const f = new Fenwick(size);
    const t = f.tree;
    for (let i = 1; i <= size; i++) {
      if (isSet(i - 1)) t[i] = (t[i] ?? 0) + 1;
      const j = i + (i & -i);
      if (j <= size) t[j] = (t[j] ?? 0) + (t[i] ?? 0);
    }
    return f;
  }
  add(index: number, delta: number): void {
    for (let i = index + 1; i <= this.size; i += i & -i) this.tree[i] = (this.tree[i] ?? 0) + delta;
  }
  /** Slot index of the k-th (0-based) set position; -1 if there are not that many. */
  select(k: number): number {
    let pos = 0;
    let rest = k + 1;
    let step = 1;
    while (step * 2 <= this.size) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = pos + step;
      const value = this.tree[next] ?? 0;
      if (next <= this.size && value < rest) {
        pos = next;
        rest -= value;
      }
    }
    return pos < this.size ? pos : -1;
  }
}

export class OrderedStore<T extends { readonly id: string }> {
  #slots: Array<T | undefined> = [];
  #pos = new Map<string, number>();
  #all = new Fenwick(1024);
  #byKey = new Map<string, { tree: Fenwick; count: number }>();
  readonly #keyOf: (item: T) => string;

  constructor(keyOf: (item: T) => string) {
    this.#keyOf = keyOf;
  }

  get size(): number {
    return this.#pos.size;
  }

  get(id: string): T | undefined {
    const at = this.#pos.get(id);
    return at === undefined ? undefined : this.#slots[at];
  }

  push(item: T): void {
    if (this.#pos.has(item.id)) throw new Error(`duplicate id ${item.id}`);
    if (this.#slots.length >= this.#all.size) this.#rebuild(Math.max(1024, this.#slots.length * 2));
    const at = this.#slots.length;
    this.#slots.push(item);
    this.#pos.set(item.id, at);
    this.#all.add(at, 1);
    const keyed = this.#byKey.get(this.#keyOf(item));
    if (keyed) {
      keyed.tree.add(at, 1);
      keyed.count++;
    }
  }

  delete(id: string): T | undefined {
    const at = this.#pos.get(id);
    if (at === undefined) return undefined;
    const item = this.#slots[at];
    if (item === undefined) return undefined;
    this.#slots[at] = undefined;
    this.#pos.delete(id);
    this.#all.add(at, -1);
    const keyed = this.#byKey.get(this.#keyOf(item));
    if (keyed) {
      keyed.tree.add(at, -1);
      keyed.count--;
    }
    const tombstones = this.#slots.length - this.#pos.size;
    if (tombstones > 4096 && tombstones > this.#pos.size) this.#compact();
    return item;
  }

  /** Changes an item in place; call it for every change that can alter the filter key. */
  update(id: string, change: (item: T) => void): T | undefined {
    const at = this.#pos.get(id);
    const item = at === undefined ? undefined : this.#slots[at];
    if (at === undefined || item === undefined) return undefined;
    const before = this.#keyOf(item);
    change(item);
    const after = this.#keyOf(item);
    if (before !== after) {
      const old = this.#byKey.get(before);
      if (old) {
        old.tree.add(at, -1);
        old.count--;
      }
      const fresh = this.#byKey.get(after);
      if (fresh) {
        fresh.tree.add(at, 1);
        fresh.count++;
      }
    }
    return item;
  }

  /** Number of live items, or of live items with this filter key. */
  count(key?: string): number {
    return key === undefined ? this.#pos.size : this.#keyed(key).count;
  }

  /** The k-th live item (0-based) in insertion order, optionally among those with this filter key. */
  at(k: number, key?: string): T | undefined {
    if (k < 0) return undefined;
    const tree = key === undefined ? this.#all : this.#keyed(key).tree;
    const slot = tree.select(k);
    return slot < 0 ? undefined : this.#slots[slot];
  }

  *values(): IterableIterator<T> {
    for (const item of this.#slots) if (item !== undefined) yield item;
  }

  #keyed(key: string): { tree: Fenwick; count: number } {
    let keyed = this.#byKey.get(key);
    if (!keyed) {
      const slots = this.#slots;
      let count = 0;
      const tree = Fenwick.build(this.#all.size, (i) => {
        const item = slots[i];
        const hit = item !== undefined && this.#keyOf(item) === key;
        if (hit) count++;
        return hit;
      });
      keyed = { tree, count };
      this.#byKey.set(key, keyed);
    }
    return keyed;
  }

  #compact(): void {
    this.#slots = this.#slots.filter((item) => item !== undefined);
    this.#pos = new Map(this.#slots.map((item, i) => [(item as T).id, i]));
    this.#rebuild(Math.max(1024, this.#slots.length * 2));
  }

  #rebuild(size: number): void {
    const slots = this.#slots;
    this.#all = Fenwick.build(size, (i) => slots[i] !== undefined);
    for (const [key, keyed] of this.#byKey) {
      keyed.tree = Fenwick.build(size, (i) => {
        const item = slots[i];
        return item !== undefined && this.#keyOf(item) === key;
      });
    }
  }
}
