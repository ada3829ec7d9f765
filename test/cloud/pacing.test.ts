import { describe, expect, it } from 'vitest';
import { AdaptivePacer, type AdaptivePacerOptions } from '../../lib/cloud/pacing';

const T0 = Date.parse('2025-01-01T00:00:00Z');

/**
 * A discrete-event simulation: `workers` senders loop (acquire, or wait and ask again → send → answer after `latencyMs`) against
 * a server token bucket of `limitPerSecond` (burst = rate) that answers 429 + Retry-After above it.
 */
function simulate({
  limitPerSecond,
  workers = 32,
  latencyMs = 20,
  durationMs = 60_000,
  honourRetryAfter = true,
  options = {},
}: {
  limitPerSecond: number;
  workers?: number;
  latencyMs?: number;
  durationMs?: number;
  honourRetryAfter?: boolean;
  options?: AdaptivePacerOptions;
}) {
  const pacer = new AdaptivePacer(options);
  let serverTokens = limitPerSecond;
  let serverLastMs = T0;
  let ok = 0;
  let throttled = 0;
  const senders = Array.from({ length: workers }, () => ({ atMs: T0 }));
  for (;;) {
    let sender = senders[0];
    for (const s of senders) if (sender === undefined || s.atMs < sender.atMs) sender = s;
    if (sender === undefined || sender.atMs >= T0 + durationMs) break;
    const now = sender.atMs;
    const waitMs = pacer.acquire(now);
    if (waitMs > 0) {
      sender.atMs = now + waitMs; // ask again then
      continue;
    }
    serverTokens = Math.min(limitPerSecond, serverTokens + ((now - serverLastMs) / 1000) * limitPerSecond);
    serverLastMs = now;
    const answerAt = now + latencyMs;
    if (serverTokens >= 1) {
      serverTokens -= 1;
      ok++;
      pacer.onAnswer(answerAt, { throttled: false });
    } else {
      throttled++;
      const retryAfterMs = Math.max(1, Math.ceil((1 - serverTokens) / limitPerSecond)) * 1000;
      pacer.onAnswer(answerAt, { throttled: true, ...(honourRetryAfter ? { retryAfterMs } : {}) });
    }
    sender.atMs = answerAt;
  }
  const seconds = durationMs / 1000;
  return { okPerSecond: ok / seconds, throttleShare: throttled / (ok + throttled), pacer };
}

describe('AdaptivePacer', () => {
  it('does not pace a host that never throttled', () => {
    const pacer = new AdaptivePacer();
    for (let i = 0; i < 1000; i++) {
      expect(pacer.acquire(T0 + i)).toBe(0);
      pacer.onAnswer(T0 + i, { throttled: false });
    }
    expect(pacer.snapshot()).toMatchObject({ enabled: false, ratePerSecond: Number.POSITIVE_INFINITY });
  });

  it('applies a Retry-After to every request to the host, not only the throttled one', () => {
    const pacer = new AdaptivePacer();
    pacer.onAnswer(T0, { throttled: false });
    pacer.onAnswer(T0, { throttled: true, retryAfterMs: 2000 });

    expect(pacer.acquire(T0 + 500)).toBe(1500);
    expect(pacer.acquire(T0 + 1999)).toBe(1);
    expect(pacer.acquire(T0 + 2000)).toBe(0);
    expect(pacer.snapshot().pausedUntilMs).toBe(T0 + 2000);
  });

  it('drops the rate to beta × the measured rate on a throttle, then grows back past it along the cubic curve', () => {
    const pacer = new AdaptivePacer({ minRatePerSecond: 0.5 });
    // 50 answers per second for 10 s.
    for (let ms = 0; ms < 10_000; ms += 20) pacer.onAnswer(T0 + ms, { throttled: false });
    const measured = pacer.snapshot().measuredRatePerSecond;
    expect(measured).toBeGreaterThan(45);
    expect(measured).toBeLessThan(55);

    pacer.onAnswer(T0 + 10_000, { throttled: true });
    const dropped = pacer.snapshot().ratePerSecond;
    expect(dropped).toBeCloseTo(measured * 0.7, 0);

    const rates: number[] = [];
    for (let ms = 10_020; ms < 20_000; ms += 20) {
      pacer.onAnswer(T0 + ms, { throttled: false });
      if (ms % 1000 === 0) rates.push(pacer.snapshot().ratePerSecond);
    }
    // Monotone recovery, back to the old rate within the cubic window (cbrt(50·0.3/0.4) ≈ 3.3 s), then above.
    for (let i = 1; i < rates.length; i++)
      expect(rates[i] ?? 0).toBeGreaterThanOrEqual((rates[i - 1] ?? 0) - 1e-9);
    expect(rates[4] ?? 0).toBeGreaterThanOrEqual(measured * 0.95);
    expect(rates.at(-1) ?? 0).toBeGreaterThan(measured);
  });

  it('never falls below the minimum rate', () => {
    const pacer = new AdaptivePacer({ minRatePerSecond: 2 });
    pacer.onAnswer(T0, { throttled: false });
    for (let i = 1; i < 50; i++) pacer.onAnswer(T0 + i * 1000, { throttled: true });
    expect(pacer.snapshot().ratePerSecond).toBe(2);
  });

  it('hands out slots at the paced rate, and a waiter asks again', () => {
    const pacer = new AdaptivePacer({ minRatePerSecond: 10 });
    pacer.onAnswer(T0, { throttled: false });
    pacer.onAnswer(T0, { throttled: true }); // 1 answer in a half-second bucket: 2/s × 0.7, below the floor

    expect(pacer.snapshot()).toMatchObject({ enabled: true, ratePerSecond: 10 });
    expect(pacer.acquire(T0)).toBe(0);
    expect(pacer.acquire(T0)).toBe(100);
    expect(pacer.acquire(T0 + 50)).toBeGreaterThanOrEqual(50);
    expect(pacer.acquire(T0 + 101)).toBe(0);
    expect(pacer.acquire(T0 + 101)).toBeGreaterThanOrEqual(99);
  });

  it('answers a throttle with nothing admitted yet by the pause alone', () => {
    const pacer = new AdaptivePacer();
    pacer.onAnswer(T0, { throttled: true, retryAfterMs: 1000 });
    expect(pacer.snapshot().enabled).toBe(false);
    expect(pacer.acquire(T0 + 1000)).toBe(0);
    expect(pacer.acquire(T0 + 1000)).toBe(0);
  });

  // Figures of this simulation (60 s, 20 ms latency, server burst = rate, Retry-After in whole seconds):
  // 100/s·32 senders 99.5 % of the limit, 0.2 % throttled; 20/s·16: 99.7 %, 1.2 %; 300/s·64: 100 %, 0.06 %.
  // Below ~10/s the half-second measurement buckets are noisy (5/s·16: 90 %, 6 % throttled).
  it.each([
    [100, 32],
    [20, 16],
    [300, 64],
  ])(
    'against a %i/s limit with %i senders: ≥ 90%% of the limit, ≤ 2%% throttled',
    (limitPerSecond, workers) => {
      const result = simulate({ limitPerSecond, workers });
      expect(result.okPerSecond).toBeGreaterThanOrEqual(0.9 * limitPerSecond);
      expect(result.throttleShare).toBeLessThanOrEqual(0.02);
    },
  );

  it('throttles far less than an unpaced sender against the same limit', () => {
    const paced = simulate({ limitPerSecond: 100, honourRetryAfter: false });
    const unpaced = { throttleShare: 1 - 100 / (32 / 0.02) }; // 1600/s offered, 100/s admitted
    expect(paced.throttleShare).toBeLessThan(unpaced.throttleShare / 10);
  });
});
