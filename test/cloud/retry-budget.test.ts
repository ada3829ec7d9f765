import { describe, expect, it } from 'vitest';
import { createRng } from '../../emulator/rng';
import { RetryBudget } from '../../lib/cloud/retry-budget';

/** Runs `calls` calls with up to `maxAttempts` attempts each; each attempt fails with `failureShare`. */
function runCalls(
  budget: RetryBudget,
  {
    calls,
    failureShare,
    maxAttempts = 5,
    seed = 7,
  }: {
    calls: number;
    failureShare: number;
    maxAttempts?: number;
    seed?: number;
  },
) {
  const random = createRng(seed).next;
  let attempts = 0;
  let retriesRefused = 0;
  let failedCalls = 0;
  for (let call = 0; call < calls; call++) {
    for (let attempt = 1; ; attempt++) {
      attempts++;
      if (random() >= failureShare) {
        budget.recordSuccess();
        break;
      }
      budget.recordFailure();
      if (attempt >= maxAttempts) {
        failedCalls++;
        break;
      }
      if (!budget.allowsRetry()) {
        retriesRefused++;
        failedCalls++;
        break;
      }
    }
  }
  return { attempts, retriesRefused, failedCalls };
}

describe('RetryBudget', () => {
  it('keeps retrying through scattered failures (a fifth of attempts failing)', () => {
    const budget = new RetryBudget();

    const result = runCalls(budget, { calls: 10_000, failureShare: 0.2 });

    expect(result.retriesRefused).toBe(0);
    expect(result.failedCalls).toBeLessThanOrEqual(10); // 0.2^5 ≈ 0.03 % of calls exhaust their attempts
    expect(result.attempts / 10_000).toBeLessThan(1.3);
  });

  it('stops hammering a host that is down: about one attempt per call', () => {
    const budget = new RetryBudget();

    const result = runCalls(budget, { calls: 1_000, failureShare: 1 });

    expect(result.failedCalls).toBe(1_000);
    // Ten failures drain it; after that every call makes its single attempt and no retry.
    expect(result.attempts).toBeLessThanOrEqual(1_000 + 10);
    expect(budget.allowsRetry()).toBe(false);
  });

  it('stops retrying when most calls fail (80 %)', () => {
    const result = runCalls(new RetryBudget(), { calls: 2_000, failureShare: 0.8 });
    expect(result.attempts / 2_000).toBeLessThan(1.2);
  });

  it('resumes retrying as calls succeed again', () => {
    const budget = new RetryBudget();
    runCalls(budget, { calls: 100, failureShare: 1 });
    expect(budget.allowsRetry()).toBe(false);

    for (let i = 0; i < 11; i++) budget.recordSuccess(); // back above half of 20

    expect(budget.allowsRetry()).toBe(true);
    // Just above the threshold a few early failures may still be refused; the drift then refills the bucket.
    expect(runCalls(budget, { calls: 1_000, failureShare: 0.2, seed: 9 }).retriesRefused).toBeLessThanOrEqual(
      5,
    );
    expect(budget.tokens).toBe(20);
  });

  it.each([
    [0.1, 0],
    [0.2, 0],
    [0.3, 0],
  ])(
    'with %f of attempts failing refuses no more than %i retries over 5 000 calls',
    (failureShare, maxRefused) => {
      const result = runCalls(new RetryBudget(), { calls: 5_000, failureShare });
      expect(result.retriesRefused).toBeLessThanOrEqual(maxRefused);
    },
  );
});

describe('RetryBudget as a breaker for first attempts', () => {
  it('admits every first attempt while the bucket holds tokens, even with retries refused', () => {
    const budget = new RetryBudget({ probeIntervalMs: 1_000 });
    for (let i = 0; i < 15; i++) budget.recordFailure();

    expect(budget.allowsRetry()).toBe(false);
    expect([0, 1, 2].map((t) => budget.admitsAttempt(t))).toEqual([true, true, true]);
  });

  it('admits one probe per interval once the bucket is empty (the host is down)', () => {
    const budget = new RetryBudget({ probeIntervalMs: 1_000 });
    for (let i = 0; i < 20; i++) budget.recordFailure();

    expect(budget.admitsAttempt(10_000)).toBe(true);
    expect(budget.admitsAttempt(10_001)).toBe(false);
    expect(budget.admitsAttempt(10_999)).toBe(false);
    expect(budget.admitsAttempt(11_000)).toBe(true);
  });

  it('opens again for every first attempt after one probe is answered', () => {
    const budget = new RetryBudget({ probeIntervalMs: 1_000 });
    for (let i = 0; i < 20; i++) budget.recordFailure();
    expect(budget.admitsAttempt(0)).toBe(true);

    budget.recordSuccess();

    expect([1, 2, 3].map((t) => budget.admitsAttempt(t))).toEqual([true, true, true]);
  });
});
