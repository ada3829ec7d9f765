/**
 * Rate mode of a host's pacer (throttles that carry `Retry-After`): the AWS SDK "adaptive" retry mode's curve.
 * A throttle drops the rate to `beta` × the admitted rate; it then grows back along a cubic curve and probes
 * above it. At low rates the curve is stretched so that a probe above the limit (which costs a 429) comes at
 * most once per `minProbeRequests` requests. A limit the gateway names caps the rate.
 */

export interface CubicRateOptions {
  /** Lowest sending rate. */
  readonly minRate: number;
  /** Multiplicative decrease on a throttle. */
  readonly beta: number;
  /** CUBIC scale constant. */
  readonly scaleConstant: number;
  /** Throttles this soon after a decrease count as the same event (no second decrease). */
  readonly holdSeconds: number;
  /** Requests the curve spans from a throttle back to the rate that was throttled. */
  readonly minProbeRequests: number;
}

/** What the pacer knows when it asks for a rate. */
export interface RateState {
  /** The host is rate-paced at all. */
  readonly enabled: boolean;
  readonly fillRate: number;
  /** The admitted rate, measured (0 before the first measurement). */
  readonly measuredRate: number;
  /** The rate the gateway names (`limit:N,time:1 second`), when it names one. */
  readonly cap: number | undefined;
}

export class CubicRate {
  readonly #options: CubicRateOptions;
  #lastMaxRate = 0;
  #lastThrottleS = 0;

  constructor(options: CubicRateOptions) {
    this.#options = options;
  }

  /** Answers to requests already in flight when the rate dropped: one congestion event, one decrease. */
  isSameEvent(nowS: number): boolean {
    return nowS - this.#lastThrottleS < this.#options.holdSeconds;
  }

  /**
   * The rate after a throttle; undefined when nothing was admitted yet and no limit is named (the pause alone
   * answers the throttle). `newlyNamed`: the limit was named by this throttle's answer.
   */
  decrease(nowS: number, state: RateState, newlyNamed: boolean): number | undefined {
    const { cap, measuredRate } = state;
    if (!state.enabled && measuredRate === 0 && cap === undefined) return undefined;
    let rateToUse = state.enabled ? Math.min(measuredRate, state.fillRate) : measuredRate;
    if (rateToUse === 0 && cap !== undefined) rateToUse = cap;
    this.#lastMaxRate = cap === undefined ? rateToUse : Math.min(rateToUse, cap);
    this.#lastThrottleS = nowS;
    // A limit just named, or one the host admitted a burst above: resume at the limit, not below it.
    const newRate =
      cap !== undefined && (rateToUse >= cap || newlyNamed)
        ? cap
        : Math.min(rateToUse * this.#options.beta, cap ?? Infinity);
    if (cap !== undefined && newlyNamed) this.#lastMaxRate = cap;
    return Math.max(this.#options.minRate, newRate);
  }

  /** The rate along the curve after an answer without a throttle; undefined when it stays as it is. */
  grow(nowS: number, state: RateState): number | undefined {
    const { minRate, beta } = this.#options;
    const lastMax = this.#lastMaxRate;
    const { cap } = state;
    // Paced at a named limit: nothing to probe for.
    if (cap !== undefined && lastMax >= cap) return state.fillRate !== cap ? cap : undefined;
    // The curve is stretched at low rates so it spans `minProbeRequests` requests before it reaches `lastMax`.
    const minWindowS = this.#options.minProbeRequests / Math.max(lastMax, minRate);
    const windowS = Math.max(Math.cbrt((lastMax * (1 - beta)) / this.#options.scaleConstant), minWindowS);
    const scale = (lastMax * (1 - beta)) / windowS ** 3;
    let newRate = scale * (nowS - this.#lastThrottleS - windowS) ** 3 + lastMax;
    // Never more than twice what the host was seen to answer: probe, do not flood.
    newRate = Math.min(newRate, 2 * Math.max(state.measuredRate, minRate));
    if (cap !== undefined) newRate = Math.min(newRate, cap);
    return Math.max(minRate, newRate);
  }
}
