/**
 * Pagination shared by the five sources: offset listings (records or page index) checked for ambiguity,
 * and a bounded pool that yields results as they arrive.
 */

import { isRetryable } from '../cloud/retry-policy';
import { ListingError } from '../errors';
import { KeySet } from './key-set';
import { readArray, readCount, requireItemRecord, requireRecord } from './wire';

/**
 * Pages (or parents' listings) fetched at once after the first page told the total. As high as the client's
 * default per-host pool: that pool (`TASK_JANITOR_CONCURRENCY`) is the real bound on what is sent, so a lower
 * number here only leaves sockets idle (bench B1: 4 made listing 400 DCS instances take 2.5 s at 25 ms).
 */
export const DEFAULT_PAGE_CONCURRENCY = 16;
/** Hard cap on the pages of one listing, so that a list that never ends is bounded. */
export const MAX_PAGES = 10_000;

/** One page as a source read it: its items (narrowed) and the total it announced, if any. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly total: number | undefined;
}

/**
 * Narrows one list body: the array in `itemsField` (missing: empty), each item an object handed to `toItem`,
 * and the total announced in `countField` (a count as number or decimal string; anything else: no total).
 */
export function readListPage<T>(
  body: unknown,
  operation: string,
  fields: { readonly items: string; readonly count: string },
  toItem: (item: Readonly<Record<string, unknown>>) => T,
): Page<T> {
  const page = requireRecord(body, operation);
  const items = readArray(page, fields.items, operation).map((raw) =>
    toItem(requireItemRecord(raw, operation)),
  );
  return { items, total: readCount(page[fields.count]) };
}

export interface OffsetListingOptions<T> {
  /** What is listed, for error messages (`DCS task-center tasks`). */
  readonly what: string;
  readonly limit: number;
  /** `records`: offset counts items (0, limit, 2·limit…); `page-index`: offset is the page number (0, 1, 2…). */
  readonly offsetMode: 'records' | 'page-index';
  readonly fetchPage: (offset: number) => Promise<Page<T>>;
  /** Identity of an item; an identity seen twice makes the listing ambiguous. */
  readonly keyOf: (item: T) => string;
  /** @default DEFAULT_PAGE_CONCURRENCY */
  readonly concurrency?: number;
  /** @default MAX_PAGES */
  readonly maxPages?: number;
}

/**
 * Lists every item of an offset-paged API and throws `ListingError` when the listing cannot be trusted: an
 * item seen twice, a page over the requested limit, a page shorter or longer than the announced total implies,
 * a total that changes between pages, or more pages than the total (or the hard cap) allows.
 * When the first page announces the total, the remaining pages are fetched concurrently and yielded as they
 * arrive. The caller must consume the whole listing before acting on it (a `ListingError` may come last).
 */
export async function* listOffsetPaged<T>(options: OffsetListingOptions<T>): AsyncGenerator<T> {
  const { what, limit, keyOf } = options;
  const maxPages = options.maxPages ?? MAX_PAGES;
  const offsetOf = (index: number): number => (options.offsetMode === 'records' ? index * limit : index);
  const seen = new KeySet();
  const accept = (page: Page<T>, index: number): void => {
    if (page.items.length > limit) {
      throw new ListingError(
        `${what}: page ${index} has ${page.items.length} items, more than the requested limit ${limit}`,
      );
    }
    for (const item of page.items) {
      const key = keyOf(item);
      if (!seen.add(key)) throw new ListingError(`${what}: item ${JSON.stringify(key)} was listed twice`);
    }
  };

  const first = await options.fetchPage(offsetOf(0));
  accept(first, 0);
  const total = first.total;

  if (total === undefined) {
    // No total: read on until a short page, bounded by the hard cap.
    yield* first.items;
    let page = first;
    for (let index = 1; page.items.length === limit; index++) {
      if (index >= maxPages)
        throw new ListingError(`${what}: more than ${maxPages} pages; the list never ends`);
      page = await options.fetchPage(offsetOf(index));
      accept(page, index);
      yield* page.items;
    }
    return;
  }

  const pageCount = Math.max(1, Math.ceil(total / limit));
  if (pageCount > maxPages) {
    throw new ListingError(`${what}: announced ${total} items, more than ${maxPages} pages of ${limit}`);
  }
  const expectedSize = (index: number): number =>
    index < pageCount - 1 ? limit : total - (pageCount - 1) * limit;
  const check = (page: Page<T>, index: number): void => {
    if (page.total !== undefined && page.total !== total) {
      throw new ListingError(`${what}: the total changed from ${total} to ${page.total} between pages`);
    }
    if (page.items.length !== expectedSize(index)) {
      throw new ListingError(
        `${what}: page ${index} has ${page.items.length} items where a total of ${total} implies ${expectedSize(index)}`,
      );
    }
  };
  check(first, 0);
  yield* first.items;

  const rest = Array.from({ length: pageCount - 1 }, (_, i) => i + 1);
  for await (const [index, page] of runPool(
    rest,
    async (index) => [index, await options.fetchPage(offsetOf(index))] as const,
    options.concurrency ?? DEFAULT_PAGE_CONCURRENCY,
  )) {
    accept(page, index);
    check(page, index);
    yield* page.items;
  }

  // A full last page may hide more items than the total admits (a list that never ends, a low count).
  if (expectedSize(pageCount - 1) === limit && total > 0) {
    const probe = await options.fetchPage(offsetOf(pageCount));
    if (probe.items.length > 0) {
      throw new ListingError(`${what}: items beyond the announced total of ${total}`);
    }
  }
  if (seen.size !== total) {
    throw new ListingError(`${what}: collected ${seen.size} items where the total says ${total}`);
  }
}

type Settled<R> = { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown };

/** Calls that failed retryably (after the client's own retries) and wait for the later pass: at most this many. */
export const MAX_DEFERRED_CALLS = 3;

/**
 * Runs `fn` over `inputs` with at most `concurrency` calls at once and yields each result as it arrives.
 * A call that fails with a retryable error (the client's allow-list, its retries already spent) is tried once
 * more after the others, as the executor does for deletes: one unlucky page among thousands under scattered
 * 5xx must not void a whole service's listing (bench B3: 20 % 5xx + 2 % resets, 5 attempts per call, fails
 * about one listing call in 2,000). More than `MAX_DEFERRED_CALLS` such failures, a failure in the later pass,
 * or any other failure: no new call starts; the calls in flight are awaited, then the failure is thrown.
 * An early `return` by the consumer also waits for the calls in flight (no dangling requests).
 */
export async function* runPool<I, R>(
  inputs: readonly I[],
  fn: (input: I) => Promise<R>,
  concurrency: number,
): AsyncGenerator<R> {
  const inflight = new Map<number, Promise<readonly [number, Settled<R>]>>();
  const deferred: { readonly input: I; readonly error: unknown }[] = [];
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  try {
    for (;;) {
      while (failure === undefined && next < inputs.length && inflight.size < Math.max(1, concurrency)) {
        const slot = next++;
        const input = inputs[slot] as I;
        inflight.set(
          slot,
          fn(input).then(
            (value) => [slot, { ok: true, value }] as const,
            (error: unknown) => [slot, { ok: false, error }] as const,
          ),
        );
      }
      if (inflight.size === 0) break;
      const [slot, settled] = await Promise.race(inflight.values());
      inflight.delete(slot);
      if (!settled.ok) {
        if (failure === undefined && isRetryable(settled.error) && deferred.length < MAX_DEFERRED_CALLS) {
          deferred.push({ input: inputs[slot] as I, error: settled.error });
        } else failure ??= { error: settled.error };
      } else if (failure === undefined) yield settled.value;
    }
  } finally {
    await Promise.allSettled(inflight.values());
  }
  if (failure !== undefined) throw failure.error;
  for (const { input } of deferred) yield await fn(input);
}
