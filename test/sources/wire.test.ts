import { describe, expect, it } from 'vitest';
import {
  parseIsoUtcMs,
  parseJsonLossless,
  readCount,
  readDuration,
  readEpochMs,
  readInteger,
} from '../../lib/sources/wire';

describe('parseIsoUtcMs', () => {
  it.each([
    ['2020-06-17T07:38:42.503Z', Date.UTC(2020, 5, 17, 7, 38, 42, 503)],
    ['2020-06-17T07:38:42Z', Date.UTC(2020, 5, 17, 7, 38, 42)],
    ['2020-06-17T07:38:42.503123Z', Date.UTC(2020, 5, 17, 7, 38, 42, 503)],
    ['2020-06-17T07:38:42.503+00:00', Date.UTC(2020, 5, 17, 7, 38, 42, 503)],
    ['2020-06-17T09:38:42.503+02:00', Date.UTC(2020, 5, 17, 7, 38, 42, 503)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2010-01-01T00:00:00Z', Date.UTC(2010, 0, 1)],
  ])('reads %s', (text, expected) => {
    expect(parseIsoUtcMs(text)).toBe(expected);
  });

  it.each([
    ['no zone', '2020-06-17T07:38:42.503'],
    ['date only', '2020-06-17'],
    ['space separator', '2020-06-17 07:38:42Z'],
    ['month 13', '2020-13-17T07:38:42Z'],
    ['February 30', '2023-02-30T00:00:00Z'],
    ['February 29 of a common year', '2023-02-29T00:00:00Z'],
    ['hour 24', '2020-06-17T24:00:00Z'],
    ['a Date.parse-only format', 'Wed, 17 Jun 2020 07:38:42 GMT'],
    ['epoch digits', '1592379522503'],
    ['empty', ''],
    ['a number', 1592379522503],
    ['null', null],
    // An epoch in seconds rendered as a date lands in January 1970.
    ['a seconds epoch read as ms', new Date(1_735_689_600).toISOString()],
    ['the last millisecond of 2009', '2009-12-31T23:59:59.999Z'],
    ['year 1', '0001-01-01T00:00:00Z'],
  ])('refuses %s', (_label, value) => {
    expect(parseIsoUtcMs(value)).toBeUndefined();
  });
});

describe('wire number readers', () => {
  it.each([
    [1, 1],
    ['17', 17],
    [' 3 ', 3],
    [-1, undefined],
    [1.5, undefined],
    ['1e3', undefined],
    ['', undefined],
    [null, undefined],
  ])('readCount(%j) is %j', (value, expected) => {
    expect(readCount(value)).toBe(expected);
  });

  it.each([
    [2, 2],
    ['4', 4],
    ['-1', -1],
    [2.5, undefined],
    [true, undefined],
  ])('readInteger(%j) is %j', (value, expected) => {
    expect(readInteger(value)).toBe(expected);
  });

  it.each([
    [1606372570023, 1606372570023],
    ['1606372570023', 1606372570023],
    [0, undefined],
    [-5, undefined],
    [Date.UTC(2300, 0, 1), undefined],
    // Seconds, not milliseconds: January 1970 if read as ms.
    [1_735_689_600, undefined],
    ['1735689600', undefined],
    [Date.UTC(2010, 0, 1) - 1, undefined],
    [Date.UTC(2010, 0, 1), Date.UTC(2010, 0, 1)],
    ['soon', undefined],
  ])('readEpochMs(%j) is %j', (value, expected) => {
    expect(readEpochMs(value)).toBe(expected);
  });

  it.each([
    [0, 0],
    [11, 11],
    ['2.5', 2.5],
    [-1, undefined],
    [Number.NaN, undefined],
  ])('readDuration(%j) is %j', (value, expected) => {
    expect(readDuration(value)).toBe(expected);
  });
});

describe('parseJsonLossless', () => {
  it('keeps an integer beyond 2^53 as its exact decimal text', () => {
    const body = parseJsonLossless('{"id": 9007199254740993, "small": 191297407830872, "ratio": 0.5}');
    expect(body).toEqual({ id: '9007199254740993', small: 191297407830872, ratio: 0.5 });
  });

  it('reads an empty body as undefined and refuses malformed JSON', () => {
    expect(parseJsonLossless('  ')).toBeUndefined();
    expect(() => parseJsonLossless('{"id": 1')).toThrow(SyntaxError);
  });
});
