import { describe, expect, it } from 'vitest';
import { KeySet } from '../../lib/sources/key-set';

describe('KeySet', () => {
  it('tells a new key from one already added', () => {
    const keys = new KeySet();

    expect([keys.add('a'), keys.add('b'), keys.add('a'), keys.add('')]).toEqual([true, true, false, true]);
    expect(keys.size).toBe(3);
  });

  it('keeps every key distinct through many resizes (200,000 ids that differ in one digit)', () => {
    const keys = new KeySet(4);
    const base = 191297407830872n;
    const added = Array.from({ length: 200_000 }, (_, i) => keys.add(String(base + BigInt(i))));

    expect(added.every(Boolean)).toBe(true);
    expect(keys.size).toBe(200_000);
    expect(keys.add(String(base + 123_456n))).toBe(false);
    expect(keys.add(String(base + 200_000n))).toBe(true);
  });

  it('distinguishes keys a single hash would confuse (same characters, other order; non-ASCII)', () => {
    const keys = new KeySet();

    expect(['ab', 'ba', 'Übung', 'Ubung', '名前', '前名', 'a/..', 'a/.'].map((k) => keys.add(k))).toEqual(
      Array(8).fill(true),
    );
  });
});
