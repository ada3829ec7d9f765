/**
 * Client-side pacing per service host (issue 7): an adaptive token bucket whose rate is learned from the
 * server's throttling answers, after the AWS SDK "adaptive" retry mode (CUBIC rate: drop to `beta` × the
 * measured rate on a throttle, then grow back along a cubic curve through the last good rate and probe above it),
 * plus a host-wide pause that applies a `Retry-After` to every request to that host, not only the throttled one.
 *
 * Pure state machine: every method takes the current time; the client sleeps for what `acquire` returns.
 */

export interface AdaptivePacerOptions {
  /** Lowest sending rate the bucket falls to. @default 0.5 */
  readonly minRatePerSecond?: number;
  /** Multiplicative decrease on a throttle. @default 0.7 */
  readonly beta?: number;
  /** CUBIC scale constant. @default 0.4 */
  readonly scaleConstant?: number;
  /**
   * Weight of the newest measurement in the admitted-rate average. Lower than the AWS SDK's 0.8: a server's
   * burst allowance makes single buckets overshoot its limit. @default 0.3
   */
  readonly smoothing?: number;
  /** Width of a rate-measurement bucket. @default 0.5 */
  readonly bucketSeconds?: number;
  /** Throttles this soon after a decrease count as the same event (no second decrease). @default 1 */
  readonly holdSeconds?: number;
}

export interface PacerSnapshot {
  /** False until the first throttle: an unthrottled host is not paced at all. */
  readonly enabled: boolean;
  /** Current sending rate (requests/s); Infinity while disabled. */
  readonly ratePerSecond: number;
  /** Smoothed rate of answers (requests/s). */
  readonly measuredRatePerSecond: number;
  /** Until when every request to the host waits (a `Retry-After`), epoch ms. */
  readonly pausedUntilMs: number;
}

export class AdaptivePacer {
  readonly #minRate: number;
  readonly #beta: number;
  readonly #scale: number;
  readonly #smoothing: number;
  readonly #bucketSeconds: number;
  readonly #holdSeconds: number;

  #enabled = false;
  #fillRate = Number.POSITIVE_INFINITY;
  #capacity = 1;
  #tokens = 1;
  #lastRefillS: number | undefined;

  #measuredRate = 0;
  #answeredInBucket = 0;
  #bucketStartS: number | undefined;
  #lastAnswerS: number | undefined;

  #lastMaxRate = 0;
  #lastThrottleS = 0;
  #pausedUntilMs = 0;

  constructor(options: AdaptivePacerOptions = {}) {
    this.#minRate = options.minRatePerSecond ?? 0.5;
    this.#beta = options.beta ?? 0.7;
    this.#scale = options.scaleConstant ?? 0.4;
    this.#smoothing = options.smoothing ?? 0.3;
    this.#bucketSeconds = options.bucketSeconds ?? 0.5;
    this.#holdSeconds = options.holdSeconds ?? 1;
  }

  /**
   * Asks for a sending slot. Returns 0 when the request may go now (the slot is taken), else how long (ms) to
   * wait before asking again: what is left of a host pause, or the time until the bucket holds a token.
   * Waiters ask again instead of holding a queued slot, so a rate that rises takes effect at once.
   */
  acquire(nowMs: number): number {
    const pauseMs = Math.max(0, this.#pausedUntilMs - nowMs);
    if (pauseMs > 0) return pauseMs;
    if (!this.#enabled) return 0;
    this.#refill(nowMs / 1000);
    if (this.#tokens >= 1) {
      this.#tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - this.#tokens) / this.#fillRate) * 1000));
  }

  /**
   * Feeds one answer back. A throttle lowers the rate (and a `Retry-After` pauses the whole host); any other
   * answer lets the rate grow back along the cubic curve.
   */
  onAnswer(nowMs: number, answer: { throttled: boolean; retryAfterMs?: number | undefined }): void {
    const nowS = nowMs / 1000;
    // The admitted rate, not the sent one: the plateau of the cubic curve then sits at the server's limit.
    if (!answer.throttled) this.#measure(nowS);
    if (answer.retryAfterMs !== undefined && answer.retryAfterMs > 0) {
      this.#pausedUntilMs = Math.max(this.#pausedUntilMs, nowMs + answer.retryAfterMs);
      // The bucket does not fill while the host is paused: its tokens start when the pause ends.
      this.#refill(nowS);
      this.#lastRefillS = Math.max(this.#lastRefillS ?? nowS, this.#pausedUntilMs / 1000);
    }
    let newRate: number;
    if (answer.throttled && this.#enabled && nowS - this.#lastThrottleS < this.#holdSeconds) {
      // Answers to requests already in flight when the rate dropped: one congestion event, one decrease.
      return;
    }
    if (answer.throttled) {
      // Before the first full measurement bucket, the answers seen so far are the only estimate.
      if (this.#measuredRate === 0 && this.#bucketStartS !== undefined) {
        // Never over less than a bucket: a server's burst allowance admits far above its sustained rate at first.
        const elapsedS = Math.max(nowS - this.#bucketStartS, this.#bucketSeconds);
        this.#measuredRate = this.#answeredInBucket / elapsedS;
      }
      const measured = this.#measuredRate;
      // Nothing admitted yet, nothing to learn from: the pause alone answers this throttle.
      if (!this.#enabled && measured === 0) return;
      const rateToUse = this.#enabled ? Math.min(measured, this.#fillRate) : measured;
      this.#lastMaxRate = rateToUse;
      this.#lastThrottleS = nowS;
      newRate = rateToUse * this.#beta;
      this.#enabled = true;
    } else {
      if (!this.#enabled) return;
      const windowS = Math.cbrt((this.#lastMaxRate * (1 - this.#beta)) / this.#scale);
      newRate = this.#scale * (nowS - this.#lastThrottleS - windowS) ** 3 + this.#lastMaxRate;
    }
    // Never more than twice what the host was seen to answer: probe, do not flood.
    newRate = Math.min(newRate, 2 * Math.max(this.#measuredRate, this.#minRate));
    this.#setRate(nowS, Math.max(this.#minRate, newRate));
  }

  snapshot(): PacerSnapshot {
    return {
      enabled: this.#enabled,
      ratePerSecond: this.#enabled ? this.#fillRate : Number.POSITIVE_INFINITY,
      measuredRatePerSecond: this.#measuredRate,
      pausedUntilMs: this.#pausedUntilMs,
    };
  }

  #refill(nowS: number): void {
    if (this.#lastRefillS !== undefined && nowS <= this.#lastRefillS) return; // paused: no refill yet
    if (this.#lastRefillS !== undefined && Number.isFinite(this.#fillRate)) {
      const elapsedS = nowS - this.#lastRefillS;
      this.#tokens = Math.min(this.#capacity, this.#tokens + elapsedS * this.#fillRate);
    }
    this.#lastRefillS = nowS;
  }

  #setRate(nowS: number, rate: number): void {
    this.#refill(nowS);
    this.#fillRate = rate;
    // One second of burst, as the AWS bucket: concurrent senders are not serialized more than needed.
    this.#capacity = Math.max(1, rate);
    this.#tokens = Math.min(this.#tokens, this.#capacity);
  }

  #measure(nowS: number): void {
    // Buckets start at the first answer, not on a clock grid: a partial first bucket would misjudge the rate.
    // After a silence longer than a bucket (a host idle between listing and deleting) the bucket starts over:
    // spanning the silence would read it as a low server limit, and the first throttle would cut the rate
    // to beta × that (bench B2: OMS at 68 % of a 100/s limit after a quiet listing). A silence of our own
    // making (a Retry-After pause) is part of what the server admitted, and stays in the bucket.
    if (
      this.#bucketStartS === undefined ||
      (this.#lastAnswerS !== undefined &&
        nowS - this.#lastAnswerS > this.#bucketSeconds &&
        this.#pausedUntilMs / 1000 < this.#lastAnswerS)
    ) {
      this.#bucketStartS = nowS;
      this.#answeredInBucket = 0;
    }
    this.#lastAnswerS = nowS;
    this.#answeredInBucket += 1;
    const elapsedS = nowS - this.#bucketStartS;
    if (elapsedS >= this.#bucketSeconds) {
      const current = this.#answeredInBucket / elapsedS;
      // The first bucket seeds the average (averaging with a made-up 0 would understate the host for seconds).
      this.#measuredRate =
        this.#measuredRate === 0
          ? current
          : current * this.#smoothing + this.#measuredRate * (1 - this.#smoothing);
      this.#answeredInBucket = 0;
      this.#bucketStartS = nowS;
    }
  }
}
