/**
 * Strict duration parser for `olderThan`. Hand-written on purpose: libraries such as `ms` accept `30 days`,
 * `1.5h` and negative values, and ISO-8601 libraries accept months and years, whose length in ms depends on
 * the calendar. A destructive job must read one duration exactly one way.
 *
 * Accepted: `<positive int><s|m|h|d|w>` (`30d`, `12h`, `90m`), and ISO-8601 `PnW`, `PnD`, `PTnHnMnS`,
 * `PnDTnHnMnS` with integer components (`P30D`, `PT12H`, `P2W`, `P1DT12H`). Rejected with a reason:
 * years and months (`P1Y`, `P1M`: ambiguous length), zero (it would select every finished task), fractions,
 * signs, spaces, lower-case ISO designators, and anything longer than `Number.MAX_SAFE_INTEGER` ms.
 */
import { ConfigError } from '../errors';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;

const UNIT_MS: Readonly<Record<string, number>> = {
  s: SECOND_MS,
  m: MINUTE_MS,
  h: HOUR_MS,
  d: DAY_MS,
  w: WEEK_MS,
};

const SHORT_FORM = /^(\d+)([smhdw])$/;
const ISO_WEEKS = /^P(\d+)W$/;
const ISO_DAY_TIME = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;
const ISO_YEARS_MONTHS = /^P(?:\d+Y)?(?:\d+M)?(?:\d+[WD])?(?:T.*)?$/;

export type DurationResult =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly message: string };

function expected(text: string, why?: string): DurationResult {
  const got = JSON.stringify(text);
  return {
    ok: false,
    message: `expected a duration like "30d" or "P30D", got ${got}${why ? ` (${why})` : ''}`,
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing (it is required)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'number' ? `the number ${String(value)}` : typeof value;
}

/** Like `parseDuration`, without throwing: for validators that collect every problem. */
export function checkDuration(text: unknown): DurationResult {
  if (typeof text !== 'string') {
    return { ok: false, message: `expected a duration like "30d" or "P30D", got ${describe(text)}` };
  }
  let ms: number | undefined;
  const short = SHORT_FORM.exec(text);
  if (short) {
    ms = Number(short[1]) * (UNIT_MS[short[2] ?? ''] ?? Number.NaN);
  } else if (ISO_WEEKS.test(text)) {
    ms = Number(ISO_WEEKS.exec(text)?.[1]) * WEEK_MS;
  } else {
    const iso = ISO_DAY_TIME.exec(text);
    // `P` alone and a dangling `T` (`P1DT`) carry no component: not a duration.
    if (iso && text !== 'P' && !text.endsWith('T')) {
      const [, days, hours, minutes, seconds] = iso;
      ms =
        Number(days ?? 0) * DAY_MS +
        Number(hours ?? 0) * HOUR_MS +
        Number(minutes ?? 0) * MINUTE_MS +
        Number(seconds ?? 0) * SECOND_MS;
    } else if (ISO_YEARS_MONTHS.test(text) && /^P[^T]*[YM]/.test(text)) {
      return expected(text, 'years and months have no fixed length; use days or weeks, e.g. "P30D"');
    }
  }
  if (ms === undefined || Number.isNaN(ms)) return expected(text);
  if (ms === 0) return expected(text, 'a zero duration would select every finished task');
  if (!Number.isSafeInteger(ms)) return expected(text, 'too long');
  return { ok: true, ms };
}

/**
 * Parses a retention age into milliseconds.
 * @throws ConfigError (subject `duration`) naming the text and what was expected.
 * @example parseDuration('30d') // 2_592_000_000
 */
export function parseDuration(text: string): number {
  const result = checkDuration(text);
  if (!result.ok) throw new ConfigError([result.message], { subject: 'duration' });
  return result.ms;
}
