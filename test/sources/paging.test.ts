import { describe, expect, it } from 'vitest';
import { ListingError } from '../../lib/errors';
import { listOffsetPaged, type Page, runPool } from '../../lib/sources/paging';

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** A record-offset API over `items`, with an optional per-call tweak of the answer. */
function makeApi(
  items: readonly string[],
  options: { total?: number | 'none'; tweak?: (offset: number, page: string[]) => string[] } = {},
) {
  const offsets: number[] = [];
  const fetchPage = async (offset: number): Promise<Page<string>> => {
    offsets.push(offset);
    const page = items.slice(offset, offset + 10);
    return {
      items: options.tweak ? options.tweak(offset, page) : page,
      total: options.total === 'none' ? undefined : (options.total ?? items.length),
    };
  };
  return { fetchPage, offsets };
}

const ids = (n: number, prefix = 't'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

function list(
  api: { fetchPage: (offset: number) => Promise<Page<string>> },
  mode: 'records' | 'page-index' = 'records',
) {
  return listOffsetPaged({
    what: 'test tasks',
    limit: 10,
    offsetMode: mode,
    fetchPage: api.fetchPage,
    keyOf: (s) => s,
  });
}

describe('listOffsetPaged', () => {
  it.each([0, 1, 9, 10, 11, 35, 40])('lists all of %i items exactly once', async (n) => {
    const api = makeApi(ids(n));
    const got = await collect(list(api));
    expect([...got].sort()).toEqual([...ids(n)].sort());
  });

  it('asks page indexes in page-index mode', async () => {
    const items = ids(25);
    const offsets: number[] = [];
    const got = await collect(
      listOffsetPaged<string>({
        what: 'pages',
        limit: 10,
        offsetMode: 'page-index',
        keyOf: (s) => s,
        fetchPage: async (index) => {
          offsets.push(index);
          return { items: items.slice(index * 10, index * 10 + 10), total: 25 };
        },
      }),
    );
    expect(got).toHaveLength(25);
    expect([...offsets].sort()).toEqual([0, 1, 2]);
  });

  it('reads on without a total until a short page', async () => {
    const api = makeApi(ids(23), { total: 'none' });
    expect(await collect(list(api))).toHaveLength(23);
    expect(api.offsets).toEqual([0, 10, 20]);
  });

  it('probes past a full last page and accepts an empty answer', async () => {
    const api = makeApi(ids(30));
    expect(await collect(list(api))).toHaveLength(30);
    expect(api.offsets).toContain(30);
  });

  it.each([
    [
      'an item listed twice',
      { tweak: (offset: number, page: string[]) => (offset === 10 ? ['t0', ...page.slice(1)] : page) },
    ],
    [
      'a page over the limit',
      { tweak: (offset: number, page: string[]) => (offset === 0 ? [...page, 'extra'] : page) },
    ],
    [
      'a page losing an item',
      { tweak: (offset: number, page: string[]) => (offset === 10 ? page.slice(1) : page) },
    ],
    ['a total above the items', { total: 31 }],
    ['a total below the items (not a page multiple)', { total: 25 }],
    ['a total a whole page below the items', { total: 20 }],
  ] as const)('throws ListingError for %s', async (_label, options) => {
    const api = makeApi(ids(35), options);
    await expect(collect(list(api))).rejects.toBeInstanceOf(ListingError);
  });

  it('throws ListingError for a total that changes between pages', async () => {
    let calls = 0;
    const fetchPage = async (offset: number): Promise<Page<string>> => ({
      items: ids(30).slice(offset, offset + 10),
      total: calls++ === 0 ? 30 : 31,
    });
    await expect(collect(list({ fetchPage }))).rejects.toThrow(/total changed/);
  });

  it('bounds a list without total that never ends', async () => {
    let n = 0;
    const fetchPage = async (): Promise<Page<string>> => ({ items: ids(10, `p${n++}-`), total: undefined });
    await expect(
      collect(
        listOffsetPaged({
          what: 'endless',
          limit: 10,
          offsetMode: 'records',
          keyOf: (s) => s,
          fetchPage,
          maxPages: 50,
        }),
      ),
    ).rejects.toThrow(/never ends/);
    expect(n).toBe(50);
  });

  it('refuses a total that needs more pages than the cap', async () => {
    const fetchPage = async (): Promise<Page<string>> => ({ items: ids(10), total: 1_000_000 });
    await expect(
      collect(
        listOffsetPaged({
          what: 'huge',
          limit: 10,
          offsetMode: 'records',
          keyOf: (s) => s,
          fetchPage,
          maxPages: 50,
        }),
      ),
    ).rejects.toBeInstanceOf(ListingError);
  });

  it('propagates a page failure', async () => {
    const boom = new Error('page 2 failed');
    const api = makeApi(ids(50));
    const fetchPage = async (offset: number): Promise<Page<string>> => {
      if (offset === 20) throw boom;
      return api.fetchPage(offset);
    };
    await expect(collect(list({ fetchPage }))).rejects.toBe(boom);
  });
});

describe('runPool', () => {
  it('never runs more than `concurrency` calls at once and yields every result', async () => {
    let running = 0;
    let peak = 0;
    const results = await collect(
      runPool(
        ids(20),
        async (s) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          running--;
          return s.toUpperCase();
        },
        3,
      ),
    );
    expect(peak).toBeLessThanOrEqual(3);
    expect([...results].sort()).toEqual(ids(20, 'T').sort());
  });

  it('starts nothing new after a failure, waits for the calls in flight, then throws', async () => {
    const started: string[] = [];
    let settled = 0;
    const boom = new Error('boom');
    const pool = runPool(
      ids(10),
      async (s) => {
        started.push(s);
        await new Promise((resolve) => setTimeout(resolve, s === 't0' ? 1 : 10));
        settled++;
        if (s === 't0') throw boom;
        return s;
      },
      3,
    );
    await expect(collect(pool)).rejects.toBe(boom);
    expect(started).toEqual(['t0', 't1', 't2']);
    expect(settled).toBe(3);
  });
});
