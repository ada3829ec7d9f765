import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/errors';
import { checkDuration, parseDuration } from '../../lib/policy/duration';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('parseDuration', () => {
  it.each([
    ['30d', 30 * D],
    ['12h', 12 * H],
    ['90m', 90 * M],
    ['45s', 45 * S],
    ['2w', 14 * D],
    ['1d', D],
    ['P30D', 30 * D],
    ['PT12H', 12 * H],
    ['P2W', 14 * D],
    ['P1DT12H', D + 12 * H],
    ['PT90M', 90 * M],
    ['PT30S', 30 * S],
    ['P1DT2H3M4S', D + 2 * H + 3 * M + 4 * S],
    ['P0DT1H', H],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    ['30 days', ''],
    ['-1d', ''],
    ['+1d', ''],
    ['1.5d', ''],
    ['', ''],
    [' 30d', ''],
    ['30d ', ''],
    ['30D', ''],
    ['30', ''],
    ['d', ''],
    ['p30d', ''],
    ['P', ''],
    ['PT', ''],
    ['P1DT', ''],
    ['P1.5D', ''],
    ['P1W2D', ''],
    ['P-1D', ''],
    ['0d', 'zero duration'],
    ['0s', 'zero duration'],
    ['P0D', 'zero duration'],
    ['PT0S', 'zero duration'],
    ['P1M', 'years and months have no fixed length'],
    ['P1Y', 'years and months have no fixed length'],
    ['P1Y2M3D', 'years and months have no fixed length'],
    ['99999999999999999999w', 'too long'],
  ])('rejects %j with a message naming the text', (text, why) => {
    const act = () => parseDuration(text);
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(`expected a duration like "30d" or "P30D", got ${JSON.stringify(text)}`);
    if (why) expect(act).toThrow(why);
  });

  it('reports a non-string without throwing through checkDuration', () => {
    expect(checkDuration(30)).toEqual({
      ok: false,
      message: 'expected a duration like "30d" or "P30D", got the number 30',
    });
    expect(checkDuration(undefined)).toMatchObject({
      ok: false,
      message: expect.stringContaining('required'),
    });
  });
});
