/**
 * A set of listing keys that costs 8–16 bytes per key instead of the ~60 a `Set<string>` of ids costs
 * (bench B4: a million OMS ids were half of the purge's heap). It stores a 64-bit fingerprint of each key
 * (two FNV-style 32-bit hashes with different offsets and mixing) in an open-addressed table.
 *
 * The two halves are not fully independent, so collisions are somewhat likelier than an ideal 64-bit hash's
 * n² / 2^65; none was seen over a million numeric ids. A collision reads as "listed twice", which makes the
 * listing ambiguous: the service deletes nothing that run. It can never cause a deletion, only a refused one.
 */
export class KeySet {
  #slots: Uint32Array;
  #mask: number;
  #size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity * 2) capacity *= 2;
    this.#slots = new Uint32Array(capacity * 2);
    this.#mask = capacity - 1;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds `key`; false when it (or a key with the same fingerprint) was already there. */
  add(key: string): boolean {
    const [high, low] = fingerprint(key);
    if (!this.#insert(high, low)) return false;
    this.#size += 1;
    if (this.#size * 2 > this.#mask + 1) this.#grow();
    return true;
  }

  #insert(high: number, low: number): boolean {
    const slots = this.#slots;
    let index = low & this.#mask;
    for (;;) {
      const at = index * 2;
      const storedHigh = slots[at] ?? 0;
      const storedLow = slots[at + 1] ?? 0;
      if (storedHigh === 0 && storedLow === 0) {
        slots[at] = high;
        slots[at + 1] = low;
        return true;
      }
      if (storedHigh === high && storedLow === low) return false;
      index = (index + 1) & this.#mask;
    }
  }

  #grow(): void {
    const old = this.#slots;
    this.#slots = new Uint32Array(old.length * 2);
    this.#mask = this.#slots.length / 2 - 1;
    for (let at = 0; at < old.length; at += 2) {
      const high = old[at] ?? 0;
      const low = old[at + 1] ?? 0;
      if (high !== 0 || low !== 0) this.#insert(high, low);
    }
  }
}

/** Two 32-bit FNV-style hashes over the UTF-16 code units (different offsets, extra mixing in the second); never both zero. */
function fingerprint(key: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x01000193) ^ (b >>> 15);
  }
  a >>>= 0;
  b >>>= 0;
  // (0, 0) marks an empty slot.
  return a === 0 && b === 0 ? [0, 1] : [a, b];
}
