import { describe, expect, it } from 'vitest';
import { WindowClock } from '../../lib/cloud/window-clock';

describe('WindowClock', () => {
  it('narrows the period as brackets of boundaries whole periods apart come in', () => {
    // Boundaries every 10 s from t = 3 s; each seen inside a bracket up to 2 s wide.
    const clock = new WindowClock();
    expect(clock.observe(1_500, 3_400)).toBe(0);
    expect(clock.nextBoundary(5_000)).toBeUndefined(); // no period known yet
    clock.raiseLowerBound(6_000);
    expect(clock.nextBoundary(5_000)).toEqual({ fromMs: 7_500, toMs: Number.POSITIVE_INFINITY });
    expect(clock.observe(12_000, 13_500)).toBe(1);
    expect(clock.period).toEqual({ loMs: 8_600, hiMs: 12_000 });
    // Three periods later: the interval shrinks by the periods counted.
    expect(clock.observe(42_500, 43_100, 3)).toBe(3);
    const { loMs, hiMs } = clock.period;
    expect(loMs).toBeGreaterThan(9_700);
    expect(hiMs).toBeLessThanOrEqual(10_400);
    const next = clock.nextBoundary(50_000);
    expect(next?.fromMs).toBeLessThanOrEqual(53_000);
    expect(next?.toMs).toBeGreaterThanOrEqual(53_000);
  });

  it('with a documented period, predicts every boundary from one bracket', () => {
    const clock = new WindowClock();
    clock.setPeriod(60_000);
    clock.observe(10_000, 12_000);
    expect(clock.nextBoundary(30_000)).toEqual({ fromMs: 70_000, toMs: 72_000 });
    expect(clock.nextBoundary(100_000)).toEqual({ fromMs: 130_000, toMs: 132_000 });
    // A tighter bracket later narrows the phase.
    clock.observe(130_500, 131_000);
    expect(clock.nextBoundary(140_000)).toEqual({ fromMs: 190_500, toMs: 191_000 });
  });

  it('starts over when a bracket contradicts the period (the limit changed)', () => {
    const clock = new WindowClock();
    clock.observe(0, 100);
    clock.observe(10_000, 10_100);
    expect(clock.period).toEqual({ loMs: 9_900, hiMs: 10_100 });
    clock.observe(25_000, 25_100, 1);
    expect(clock.period).toEqual({ loMs: 14_900, hiMs: 15_100 });
  });
});
