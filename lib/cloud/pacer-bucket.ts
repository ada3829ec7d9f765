/** The pacer's token bucket, and its measure of the rate a host admits (answers per second). */

export class TokenBucket {
  #fillRate = Number.POSITIVE_INFINITY;
  #capacity = 1;
  #tokens = 1;
  #lastRefillS: number | undefined;

  /** Tokens per second. */
  get fillRate(): number {
    return this.#fillRate;
  }

  /** 0 when a token was taken; otherwise how long (ms) until one is there. */
  take(nowS: number): number {
    this.#refill(nowS);
    if (this.#tokens < 1) return Math.max(1, Math.ceil(((1 - this.#tokens) / this.#fillRate) * 1000));
    this.#tokens -= 1;
    return 0;
  }

  /** Takes a token without waiting: the bucket may go below zero (the next `take`s pay for it). */
  spend(nowS: number): void {
    this.#refill(nowS);
    this.#tokens -= 1;
  }

  /** The bucket does not fill before `untilS` (a host-wide pause): its tokens start when the pause ends. */
  holdUntil(nowS: number, untilS: number): void {
    this.#refill(nowS);
    this.#lastRefillS = Math.max(this.#lastRefillS ?? nowS, untilS);
  }

  setRate(nowS: number, rate: number, capacity: number): void {
    this.#refill(nowS);
    this.#fillRate = rate;
    this.#capacity = capacity;
    this.#tokens = Math.min(this.#tokens, this.#capacity);
  }

  #refill(nowS: number): void {
    if (this.#lastRefillS !== undefined && nowS <= this.#lastRefillS) return; // paused: no refill yet
    if (this.#lastRefillS !== undefined && Number.isFinite(this.#fillRate)) {
      const elapsedS = nowS - this.#lastRefillS;
      this.#tokens = Math.min(this.#capacity, this.#tokens + elapsedS * this.#fillRate);
    }
    this.#lastRefillS = nowS;
  }
}

/** A smoothed average of answers per second, measured over buckets of time. */
export class RateMeter {
  readonly #bucketSeconds: number;
  /** Weight of the newest measurement in the average. */
  readonly #smoothing: number;
  #rate = 0;
  #answeredInBucket = 0;
  #bucketStartS: number | undefined;
  #lastAnswerS: number | undefined;

  constructor(bucketSeconds: number, smoothing: number) {
    this.#bucketSeconds = bucketSeconds;
    this.#smoothing = smoothing;
  }

  /** Answers per second; 0 before the first measurement. */
  get rate(): number {
    return this.#rate;
  }

  /** One answer at `nowS`; `pausedUntilMs` is the host-wide pause the pacer set, if any. */
  measure(nowS: number, pausedUntilMs: number): void {
    // Buckets start at the first answer, not on a clock grid: a partial first bucket would misjudge the rate.
    // After a silence longer than a bucket (a host idle between listing and deleting) the bucket starts over:
    // spanning the silence would read it as a low server limit, and the first throttle would cut the rate
    // to beta × that (bench B2: OMS at 68 % of a 100/s limit after a quiet listing). A silence of our own
    // making (a Retry-After pause) is part of what the server admitted, and stays in the bucket.
    if (
      this.#bucketStartS === undefined ||
      (this.#lastAnswerS !== undefined &&
        nowS - this.#lastAnswerS > this.#bucketSeconds &&
        pausedUntilMs / 1000 < this.#lastAnswerS)
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
      this.#rate =
        this.#rate === 0 ? current : current * this.#smoothing + this.#rate * (1 - this.#smoothing);
      this.#answeredInBucket = 0;
      this.#bucketStartS = nowS;
    }
  }

  /** Before the first full bucket, the answers seen so far are the only estimate. */
  estimateEarly(nowS: number): void {
    if (this.#rate !== 0 || this.#bucketStartS === undefined) return;
    // Never over less than a bucket: a server's burst allowance admits far above its sustained rate at first.
    const elapsedS = Math.max(nowS - this.#bucketStartS, this.#bucketSeconds);
    this.#rate = this.#answeredInBucket / elapsedS;
  }
}
