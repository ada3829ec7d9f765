/** Paging helpers shared by the list operations: query parsing and the window of a page, after any quirk. */
import type { FaultSettings } from './types';

/** Which items (by index among the matching items) a page holds, after any paging quirk. */
export interface PageWindow {
  indices: number[];
  reportedTotal: number;
  hasMore: boolean;
}

export function pageWindow(
  total: number,
  start: number,
  limit: number,
  quirk: FaultSettings['pagingQuirk'],
): PageWindow {
  let from = start;
  let size = limit;
  let reportedTotal = total;
  if (quirk === 'repeat' && start > 0) from = Math.max(0, start - Math.ceil(limit / 2));
  if (quirk === 'lose' && start > 0) from = start + 1;
  if (quirk === 'over-limit') size = limit + 3;
  if (quirk === 'count-mismatch') reportedTotal = total + 3;
  const indices: number[] = [];
  if (quirk === 'endless' && total > 0) {
    for (let i = 0; i < limit; i++) indices.push((start + i) % total);
    return { indices, reportedTotal, hasMore: true };
  }
  const end = Math.min(total, from + size);
  for (let i = from; i < end; i++) indices.push(i);
  return { indices, reportedTotal, hasMore: end < total };
}

/** Strict non-negative integer parsing of a query parameter; undefined = absent, NaN = invalid. */
export function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null) return undefined;
  return /^\d{1,10}$/.test(raw) ? Number(raw) : Number.NaN;
}
