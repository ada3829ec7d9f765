/**
 * A per-host retry budget (docs/decisions/0002-retry-budget-and-breaker.md): retries can never multiply load
 * during an outage.
 *
 * Token bucket in the style of gRPC retry throttling, tuned for a batch job: every failed attempt takes
 * `failureCost` tokens, every answered attempt gives back `successCredit`, and retries are allowed while the
 * bucket holds more than `threshold`. With the defaults (1 / 1, half of 20) the break-even failure share is 50 %:
 * a host where a fifth of the calls fail keeps its bucket full and every failure is retried, while a host that
 * is down drains the bucket in about ten failures and then gets only first attempts. Ten more failures empty it:
 * the host is down, and from then on it gets one probe per `probeIntervalMs` while every other call fails fast
 * without being sent (a breaker), until a probe is answered and the bucket refills.
 * (gRPC's default credit of 0.1 per success breaks even near 9 % failures, too early for work that must get done.)
 *
 * Pure; throttling answers are neutral (pacing and `Retry-After` handle them).
 */

export interface RetryBudgetOptions {
  /** @default 20 */
  readonly capacity?: number;
  /** @default 1 */
  readonly failureCost?: number;
  /** @default 1 */
  readonly successCredit?: number;
  /** Retries are allowed while tokens > threshold. @default capacity / 2 */
  readonly threshold?: number;
  /** With an empty bucket, one first attempt per this interval gets through as a probe. @default 1000 */
  readonly probeIntervalMs?: number;
}

export class RetryBudget {
  readonly #capacity: number;
  readonly #failureCost: number;
  readonly #successCredit: number;
  readonly #threshold: number;
  readonly #probeIntervalMs: number;
  #tokens: number;
  #lastProbeMs = Number.NEGATIVE_INFINITY;

  constructor(options: RetryBudgetOptions = {}) {
    this.#capacity = options.capacity ?? 20;
    this.#failureCost = options.failureCost ?? 1;
    this.#successCredit = options.successCredit ?? 1;
    this.#threshold = options.threshold ?? this.#capacity / 2;
    this.#probeIntervalMs = options.probeIntervalMs ?? 1_000;
    this.#tokens = this.#capacity;
  }

  /** An attempt the host answered properly (any answer but a 5xx, a network failure or a timeout). */
  recordSuccess(): void {
    this.#tokens = Math.min(this.#capacity, this.#tokens + this.#successCredit);
  }

  /** An attempt that failed in a way that suggests the host is unhealthy. */
  recordFailure(): void {
    this.#tokens = Math.max(0, this.#tokens - this.#failureCost);
  }

  /** Whether a retry may be sent to this host now. */
  allowsRetry(): boolean {
    return this.#tokens > this.#threshold;
  }

  /**
   * Whether a first attempt may be sent to this host now: always while the bucket holds tokens; with an
   * empty bucket (the host is down) only one probe per `probeIntervalMs`.
   */
  admitsAttempt(nowMs: number): boolean {
    if (this.#tokens > 0) return true;
    if (nowMs - this.#lastProbeMs < this.#probeIntervalMs) return false;
    this.#lastProbeMs = nowMs;
    return true;
  }

  get probeIntervalMs(): number {
    return this.#probeIntervalMs;
  }

  get tokens(): number {
    return this.#tokens;
  }
}
