/**
 * Client-side pacing per service host: finds the host's rate limit and holds it, whatever its shape.
 *
 * - Slow start: a host's first requests probe it. The pacer owns a window of concurrent requests that starts
 *   at one and doubles with each round answered without a throttle (as TCP slow start does per round trip) up
 *   to the client's per-host concurrency, so a host that never throttles is at full width after four rounds.
 * - Rate mode (a throttle that carries `Retry-After`): an adaptive token bucket after the AWS SDK "adaptive"
 *   retry mode (drop to `beta` × the admitted rate, grow back along a cubic curve and probe above it), with the
 *   curve stretched at low rates so that a probe above the limit comes at most once per `minProbeRequests`
 *   requests; the `Retry-After` pauses every request to the host.
 * - Window mode (a throttle without `Retry-After`): the quota is taken to be per window. The host is locked
 *   out and probed by one request at a time, at growing gaps or at the predicted window boundary; the probe's
 *   success ends the lockout and brackets a boundary (`WindowClock`). The requests admitted between two
 *   boundaries are the window's quota, the brackets give its period; the host is then paced at the window's
 *   average rate.
 * - A limit the gateway documents in its message (`limit:600,time:1 minute`) caps the rate and gives the
 *   window's period without learning it.
 *
 * Pure state machine: every method takes the current time; the client sleeps for what `acquire` returns.
 */
import { type DocumentedLimit, parseDocumentedLimit } from './retry-policy';
import { WindowClock } from './window-clock';

/** What one answer tells the pacer. */
export interface PacerAnswer {
  /** A 429 or a throttling code. */
  readonly throttled: boolean;
  /** The answer's `Retry-After`, in ms, when it carried one. */
  readonly retryAfterMs?: number | undefined;
  /** The answer's error message, where a gateway may name its limit (`limit:N,time:1 minute`). */
  readonly errorMessage?: string | undefined;
}

/**
 * What the client calls, per host. Every `acquire` that returned 0 is given back by exactly one `onAnswer`
 * (any answer, a network error included) or `onAbandon` (no answer: the run's deadline, the client closed).
 */
export interface HostPacer {
  /**
   * 0: the request may go now (a slot is taken). Otherwise how long (ms) to wait before asking again; the
   * client may ask earlier, when the host answers another request (a slot of the window may be free then).
   */
  acquire(nowMs: number): number;
  /**
   * The next request of a sequence whose previous request was just answered (a re-read, then its DELETE): it
   * goes at once, in a slot of its own taken without waiting (its rate is owed: the next `acquire`s pay for it).
   * Given back like any other slot.
   */
  follow(nowMs: number): void;
  onAnswer(nowMs: number, answer: PacerAnswer): void;
  onAbandon(nowMs: number): void;
  /** How long (ms) the whole host waits: a `Retry-After` pause or a window lockout; 0 when it does not. */
  pausedForMs(nowMs: number): number;
  snapshot(): PacerSnapshot;
}

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
  /** Largest concurrency window: the client's per-host concurrency. @default 16 */
  readonly maxConcurrency?: number;
  /** Concurrency window of a host's first request. @default 1 */
  readonly initialWindow?: number;
  /**
   * Requests the rate curve spans from a throttle back to the rate that was throttled: at a low limit the
   * probe above it comes at most this often (a probe costs a 429). @default 100
   */
  readonly minProbeRequests?: number;
  /** Share of a window's quota (learned or named) the host is paced at: jitter must not cross it. @default 0.98 */
  readonly limitShare?: number;
  /**
   * Share of a named rate limit (`limit:N, time:1 second` with `Retry-After`) the host is paced at. Sent evenly
   * (a burst of at most a tenth of a second), the full rate stays within a token bucket's burst. @default 1
   */
  readonly namedLimitShare?: number;
  /** Shortest gap between two lockout probes of a host that throttles without `Retry-After`. @default 100 */
  readonly minProbeGapMs?: number;
  /** A window is searched for from this long after the cycle's start on (most gateways count per second or more). @default 1000 */
  readonly firstProbeAfterMs?: number;
  /**
   * Growth of a lockout probe's distance from the cycle's start: the boundary is missed by at most this share
   * (less one) of the window, and a window 100 times the first lockout's start costs about
   * log(100)/log(growth) probes. @default 1.4
   */
  readonly probeGrowth?: number;
  /** Longest gap between two search probes: a long window's boundary is found this late at most. @default 4000 */
  readonly maxProbeGapMs?: number;
  /**
   * Share of a window of 5 s or more its quota is spread over, from the window's start. 1 spreads it evenly
   * over the whole window; 0.5 spends it evenly over the first half, then waits for the boundary (a lockout of half a window
   * and a probe at the predicted boundary). Evenly over the whole window, a run's last, partial window ends a
   * whole share of it later: against a client that bursts each window's quota (the AWS SDK limiter) a run of a
   * few windows finished 15 % later (bench B2c). @default 0.5
   */
  readonly windowSpreadShare?: number;
}

export interface PacerSnapshot {
  /** False until the first throttle: an unthrottled host is not rate-paced at all. */
  readonly enabled: boolean;
  /** 'rate' after throttles with `Retry-After`; 'window' after throttles without it. */
  readonly mode: 'open' | 'rate' | 'window';
  /** Current sending rate (requests/s); Infinity while disabled. */
  readonly ratePerSecond: number;
  /** Smoothed rate of answers (requests/s). */
  readonly measuredRatePerSecond: number;
  /** Until when every request to the host waits (a `Retry-After`, or the next lockout probe), epoch ms. */
  readonly pausedUntilMs: number;
  /** Requests the host may have in flight now (slow start). */
  readonly concurrencyWindow: number;
  /** The host's window quota, when documented or learned. */
  readonly windowLimit?: {
    readonly requests: number;
    readonly periodMs: number;
    readonly documented: boolean;
  };
  /** Lockouts (throttles without `Retry-After`) and the probes sent during them. */
  readonly lockouts: number;
  readonly probes: number;
}

/** A named limit this many times below the host's measured admitted rate is not believed. */
const NAMED_LIMIT_DOUBT_FACTOR = 10;

/** A request waiting for a slot of a full window asks again after this, if no answer wakes it first. */
const WINDOW_FULL_WAIT_MS = 1_000;

interface Lockout {
  readonly startMs: number;
  /** When the next probe may go. */
  nextProbeMs: number;
  gapMs: number;
  /** Send time of the probe in flight. */
  probeSentMs: number | undefined;
  /** Send time of the last probe answered with a throttle (the boundary is after it). */
  lastThrottledProbeMs: number | undefined;
}

export class AdaptivePacer implements HostPacer {
  readonly #minRate: number;
  readonly #beta: number;
  readonly #scale: number;
  readonly #smoothing: number;
  readonly #bucketSeconds: number;
  readonly #holdSeconds: number;
  readonly #maxWindow: number;
  readonly #minProbeRequests: number;
  readonly #limitShare: number;
  readonly #namedLimitShare: number;
  readonly #minProbeGapMs: number;
  readonly #firstProbeAfterMs: number;
  readonly #probeGrowth: number;
  readonly #maxProbeGapMs: number;
  readonly #windowSpreadShare: number;

  // Slow start.
  #window: number;
  #slowStartThreshold = Number.POSITIVE_INFINITY;
  /** Requests sent in the current slow-start round, and how many of them were answered well. */
  #roundSent = 0;
  #roundAnswered = 0;
  #inFlight = 0;

  // The token bucket.
  #mode: 'open' | 'rate' | 'window' = 'open';
  #enabled = false;
  #fillRate = Number.POSITIVE_INFINITY;
  #capacity = 1;
  #tokens = 1;
  #lastRefillS: number | undefined;

  // Admitted-rate measurement.
  #measuredRate = 0;
  #answeredInBucket = 0;
  #bucketStartS: number | undefined;
  #lastAnswerS: number | undefined;

  // Rate mode (CUBIC).
  #lastMaxRate = 0;
  #lastThrottleS = 0;
  #pausedUntilMs = 0;

  // Window mode.
  #documented: DocumentedLimit | undefined;
  /** The limit was named by the answer being handled: pace at it at once, whatever was measured. */
  #newlyDocumented = false;
  readonly #clock = new WindowClock();
  #lockout: Lockout | undefined;
  /** Start of the current cycle: the first request, then each lockout's end (a window boundary). */
  #cycleStartMs: number | undefined;
  #cycleFromBoundary = false;
  #cycleAdmitted = 0;
  /** Requests per window, learned. */
  #quota: number | undefined;
  /** The last rise of the window pace, and the requests admitted since it (or since the last lockout). */
  #raisedAtMs: number | undefined;
  #admittedSinceRaise = 0;
  #lockouts = 0;
  #probes = 0;

  constructor(options: AdaptivePacerOptions = {}) {
    this.#minRate = options.minRatePerSecond ?? 0.5;
    this.#beta = options.beta ?? 0.7;
    this.#scale = options.scaleConstant ?? 0.4;
    this.#smoothing = options.smoothing ?? 0.3;
    this.#bucketSeconds = options.bucketSeconds ?? 0.5;
    this.#holdSeconds = options.holdSeconds ?? 1;
    this.#maxWindow = Math.max(1, options.maxConcurrency ?? 16);
    this.#window = Math.min(this.#maxWindow, Math.max(1, options.initialWindow ?? 1));
    this.#minProbeRequests = options.minProbeRequests ?? 100;
    this.#limitShare = options.limitShare ?? 0.98;
    this.#namedLimitShare = options.namedLimitShare ?? 1;
    this.#minProbeGapMs = options.minProbeGapMs ?? 100;
    this.#firstProbeAfterMs = options.firstProbeAfterMs ?? 1_000;
    this.#probeGrowth = options.probeGrowth ?? 1.4;
    this.#maxProbeGapMs = options.maxProbeGapMs ?? 4_000;
    this.#windowSpreadShare = options.windowSpreadShare ?? 0.5;
  }

  acquire(nowMs: number): number {
    const pauseMs = this.pausedForMs(nowMs);
    if (pauseMs > 0) return pauseMs;
    const lockout = this.#lockout;
    if (lockout !== undefined) {
      // One probe at a time: its answer ends the lockout or sets the next probe.
      if (lockout.probeSentMs !== undefined) return Math.max(1, Math.ceil(lockout.gapMs));
      lockout.probeSentMs = nowMs;
      this.#probes += 1;
      this.#inFlight += 1;
      return 0;
    }
    // Slow start ends at the full width: from then on each answer frees its slot at once.
    const slowStart = this.#window < this.#slowStartThreshold && this.#window < this.#maxWindow;
    // In slow start a round is sent whole, and the next waits for its answers.
    const open = slowStart
      ? this.#roundSent < Math.floor(this.#window)
      : this.#inFlight < Math.floor(this.#window);
    if (!open) return WINDOW_FULL_WAIT_MS;
    if (this.#enabled) {
      this.#refill(nowMs / 1000);
      if (this.#tokens < 1) return Math.max(1, Math.ceil(((1 - this.#tokens) / this.#fillRate) * 1000));
      this.#tokens -= 1;
    }
    if (slowStart) this.#roundSent += 1;
    this.#inFlight += 1;
    this.#cycleStartMs ??= nowMs;
    return 0;
  }

  follow(nowMs: number): void {
    // In a lockout it is no probe (the sequence's first request was), and may be throttled: its call then retries.
    const slowStart = this.#window < this.#slowStartThreshold && this.#window < this.#maxWindow;
    if (this.#enabled) {
      this.#refill(nowMs / 1000);
      this.#tokens -= 1;
    }
    if (slowStart && this.#lockout === undefined) this.#roundSent += 1;
    this.#inFlight += 1;
  }

  pausedForMs(nowMs: number): number {
    const pauseMs = Math.max(0, this.#pausedUntilMs - nowMs);
    if (pauseMs > 0 || this.#lockout === undefined || this.#lockout.probeSentMs !== undefined) return pauseMs;
    return Math.max(0, Math.ceil(this.#lockout.nextProbeMs - nowMs));
  }

  onAbandon(_nowMs: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    // No longer part of its slow-start round.
    if (this.#roundSent > this.#roundAnswered) this.#roundSent -= 1;
    // A probe that got no answer: the next request probes again.
    if (this.#lockout !== undefined) this.#lockout.probeSentMs = undefined;
  }

  onAnswer(nowMs: number, answer: PacerAnswer): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (answer.throttled) {
      const named = parseDocumentedLimit(answer.errorMessage);
      // A limit far below what the host was seen to admit is not the one that binds us (another policy,
      // or a message that names none): learning it is safer than believing it.
      const documented =
        named !== undefined &&
        (named.limit * 1000) / named.periodMs >= this.#measuredRate / NAMED_LIMIT_DOUBT_FACTOR
          ? named
          : undefined;
      if (documented !== undefined && documented.periodMs !== this.#documented?.periodMs) {
        this.#clock.setPeriod(documented.periodMs);
      }
      if (
        documented !== undefined &&
        (documented.limit !== this.#documented?.limit || documented.periodMs !== this.#documented.periodMs)
      ) {
        this.#documented = documented;
        this.#newlyDocumented = true;
      }
    }
    if (!answer.throttled) {
      this.#growWindow();
      this.#measure(nowMs / 1000);
      // Only the probe's success ends a lockout: a request sent before it began was admitted before the quota ran out.
      if (this.#lockout?.probeSentMs !== undefined) this.#endLockout(nowMs);
      this.#cycleAdmitted += 1;
      if (this.#mode === 'rate') this.#growRate(nowMs / 1000);
      else if (this.#mode === 'window') this.#probeWindowRate(nowMs);
      return;
    }
    if (answer.retryAfterMs !== undefined && answer.retryAfterMs > 0) {
      this.#onRateThrottle(nowMs, answer.retryAfterMs);
      return;
    }
    this.#newlyDocumented = false;
    this.#onWindowThrottle(nowMs);
  }

  snapshot(): PacerSnapshot {
    const window = this.#windowLimit();
    return {
      enabled: this.#enabled,
      mode: this.#mode,
      ratePerSecond: this.#enabled ? this.#fillRate : Number.POSITIVE_INFINITY,
      measuredRatePerSecond: this.#measuredRate,
      pausedUntilMs: Math.max(
        this.#pausedUntilMs,
        this.#lockout?.probeSentMs === undefined ? (this.#lockout?.nextProbeMs ?? 0) : 0,
      ),
      concurrencyWindow: Math.floor(this.#window),
      ...(window ? { windowLimit: window } : {}),
      lockouts: this.#lockouts,
      probes: this.#probes,
    };
  }

  // ---- slow start -----------------------------------------------------------------------------------------

  #growWindow(): void {
    if (this.#window < this.#slowStartThreshold && this.#window < this.#maxWindow) {
      // Slow start doubles the window once a whole round is answered, not per answer: the successes of a round
      // must not send the next round before its throttles arrive (at 5/s, 1 + 2 + 4 requests cost two 429s;
      // growing per answer sent four more after them).
      this.#roundAnswered += 1;
      if (this.#roundAnswered < this.#roundSent) return;
      this.#window = Math.min(this.#maxWindow, this.#window * 2);
      this.#roundSent = 0;
      this.#roundAnswered = 0;
      return;
    }
    // Above the threshold: one more slot per window's worth of answers.
    this.#window = Math.min(this.#maxWindow, this.#window + 1 / this.#window);
  }

  #shrinkWindow(): void {
    this.#slowStartThreshold = Math.max(2, this.#window / 2);
    this.#window = this.#slowStartThreshold;
    this.#roundSent = 0;
    this.#roundAnswered = 0;
  }

  // ---- rate mode ------------------------------------------------------------------------------------------

  #onRateThrottle(nowMs: number, retryAfterMs: number): void {
    const nowS = nowMs / 1000;
    this.#pausedUntilMs = Math.max(this.#pausedUntilMs, nowMs + retryAfterMs);
    // The bucket does not fill while the host is paused: its tokens start when the pause ends.
    this.#refill(nowS);
    this.#lastRefillS = Math.max(this.#lastRefillS ?? nowS, this.#pausedUntilMs / 1000);
    // The server says when to come back: no lockout to probe.
    this.#lockout = undefined;
    // Answers to requests already in flight when the rate dropped: one congestion event, one decrease.
    if (this.#enabled && this.#mode === 'rate' && nowS - this.#lastThrottleS < this.#holdSeconds) return;
    this.#shrinkWindow();
    // Before the first full measurement bucket, the answers seen so far are the only estimate.
    if (this.#measuredRate === 0 && this.#bucketStartS !== undefined) {
      // Never over less than a bucket: a server's burst allowance admits far above its sustained rate at first.
      const elapsedS = Math.max(nowS - this.#bucketStartS, this.#bucketSeconds);
      this.#measuredRate = this.#answeredInBucket / elapsedS;
    }
    const cap = this.#documentedRate();
    const measured = this.#measuredRate;
    // Nothing admitted yet, nothing to learn from: the pause alone answers this throttle (or the documented limit).
    if (!this.#enabled && measured === 0 && cap === undefined) return;
    let rateToUse = this.#enabled ? Math.min(measured, this.#fillRate) : measured;
    if (rateToUse === 0 && cap !== undefined) rateToUse = cap;
    this.#mode = 'rate';
    this.#enabled = true;
    this.#lastMaxRate = cap === undefined ? rateToUse : Math.min(rateToUse, cap);
    this.#lastThrottleS = nowS;
    // A limit just named, or one the host admitted a burst above: resume at the limit, not below it.
    const newRate =
      cap !== undefined && (rateToUse >= cap || this.#newlyDocumented)
        ? cap
        : Math.min(rateToUse * this.#beta, cap ?? Infinity);
    if (cap !== undefined && this.#newlyDocumented) this.#lastMaxRate = cap;
    this.#newlyDocumented = false;
    this.#setRate(nowS, Math.max(this.#minRate, newRate));
  }

  #growRate(nowS: number): void {
    if (!this.#enabled) return;
    const lastMax = this.#lastMaxRate;
    const cap = this.#documentedRate();
    // Paced at a named limit: nothing to probe for.
    if (cap !== undefined && lastMax >= cap) {
      if (this.#fillRate !== cap) this.#setRate(nowS, cap);
      return;
    }
    // The curve is stretched at low rates so it spans `minProbeRequests` requests before it reaches `lastMax`.
    const minWindowS = this.#minProbeRequests / Math.max(lastMax, this.#minRate);
    const windowS = Math.max(Math.cbrt((lastMax * (1 - this.#beta)) / this.#scale), minWindowS);
    const scale = (lastMax * (1 - this.#beta)) / windowS ** 3;
    let newRate = scale * (nowS - this.#lastThrottleS - windowS) ** 3 + lastMax;
    // Never more than twice what the host was seen to answer: probe, do not flood.
    newRate = Math.min(newRate, 2 * Math.max(this.#measuredRate, this.#minRate));
    if (cap !== undefined) newRate = Math.min(newRate, cap);
    this.#setRate(nowS, Math.max(this.#minRate, newRate));
  }

  // ---- window mode ----------------------------------------------------------------------------------------

  #onWindowThrottle(nowMs: number): void {
    const lockout = this.#lockout;
    if (lockout !== undefined) {
      // A request sent before the lockout began: no news about the boundary.
      if (lockout.probeSentMs === undefined) return;
      lockout.lastThrottledProbeMs = lockout.probeSentMs;
      lockout.probeSentMs = undefined;
      lockout.nextProbeMs = this.#nextProbeAtMs(nowMs, lockout);
      return;
    }
    this.#mode = 'window';
    this.#lockouts += 1;
    this.#shrinkWindow();
    const created: Lockout = {
      startMs: nowMs,
      nextProbeMs: nowMs,
      gapMs: this.#minProbeGapMs,
      probeSentMs: undefined,
      lastThrottledProbeMs: undefined,
    };
    created.nextProbeMs = this.#nextProbeAtMs(nowMs, created);
    this.#lockout = created;
  }

  /**
   * When the next lockout probe goes. Once the clock can tell where the next boundary lies: at the start of
   * that range, then a quarter of the range apart. A documented period but no boundary seen yet: a twelfth
   * of the period apart, and no later than a period after the first request. Otherwise the boundary is
   * searched at distances growing geometrically from the last boundary (or the first request): few probes
   * for any window length, and the boundary is missed by at most `probeGrowth - 1` of the time searched.
   */
  #nextProbeAtMs(nowMs: number, lockout: Lockout): number {
    const lastMs = lockout.lastThrottledProbeMs ?? lockout.startMs;
    const period = this.#clock.period;
    const guardMs = Math.max(20, period.loMs / 100);
    const range = this.#clock.nextBoundary(lockout.startMs);
    if (range !== undefined) {
      if (lastMs < range.fromMs) return Math.max(nowMs, range.fromMs + guardMs);
      if (lastMs < range.toMs && Number.isFinite(range.toMs)) {
        lockout.gapMs = Math.max(this.#minProbeGapMs, (range.toMs - range.fromMs) / 4);
        return Math.max(nowMs, Math.min(lastMs + lockout.gapMs, range.toMs + guardMs));
      }
    } else if (this.#documented !== undefined) {
      const latestMs = (this.#cycleStartMs ?? lockout.startMs) + period.loMs + guardMs;
      lockout.gapMs = Math.max(this.#minProbeGapMs, period.loMs / 12);
      return latestMs > lastMs
        ? Math.max(nowMs, Math.min(latestMs, lastMs + lockout.gapMs))
        : nowMs + lockout.gapMs;
    }
    // The first search runs from the first request (the window began before it); later ones from the
    // lockout's start. Neither leaves more than `maxProbeGapMs` between two probes: a long window's boundary
    // is found that late at most.
    const seen = this.#clock.lastBoundary !== undefined;
    const anchorMs = seen ? lockout.startMs : (this.#cycleStartMs ?? lockout.startMs);
    const firstDistanceMs = seen
      ? Math.max(this.#firstProbeAfterMs, period.loMs / 50)
      : this.#firstProbeAfterMs;
    const sinceMs = Math.max(0, lastMs - anchorMs);
    const grownMs = Math.max(sinceMs * this.#probeGrowth, sinceMs + this.#minProbeGapMs, firstDistanceMs);
    const nextMs = Math.min(anchorMs + grownMs, lastMs + this.#maxProbeGapMs);
    lockout.gapMs = Math.max(this.#minProbeGapMs, nextMs - lastMs);
    return Math.max(nowMs, nextMs);
  }

  /** The probe's success: a new window began between the last throttled probe (or the lockout's start) and it. */
  #endLockout(nowMs: number): void {
    const lockout = this.#lockout;
    if (lockout === undefined) return;
    this.#lockout = undefined;
    const hiMs = lockout.probeSentMs ?? nowMs;
    const loMs = Math.min(hiMs, lockout.lastThrottledProbeMs ?? lockout.startMs);
    const cycleStartMs = this.#cycleStartMs ?? lockout.startMs;
    const periods = this.#clock.observe(
      loMs,
      hiMs,
      this.#quota === undefined ? 1 : this.#cycleAdmitted / Math.max(1, this.#quota),
    );
    if (this.#cycleFromBoundary) {
      // Boundary to boundary: the quota of each window in between. It falls by 30 % a cycle at most: a host
      // that is no fixed window (a token bucket without Retry-After) can end a cycle early, and one short cycle
      // would pace it at a crawl.
      const measured = this.#cycleAdmitted / Math.max(1, periods);
      this.#quota = Math.max(measured, 0.7 * (this.#quota ?? measured));
    } else {
      // The first cycle began inside a window, which ended at least this much later: a lower bound of the period.
      // No window is taken to be shorter than the first probe's distance: a boundary found at once says little.
      this.#clock.raiseLowerBound(Math.max(loMs - cycleStartMs, this.#firstProbeAfterMs));
      this.#quota = Math.max(this.#quota ?? 0, this.#cycleAdmitted);
    }
    this.#cycleStartMs = hiMs;
    this.#cycleFromBoundary = true;
    this.#cycleAdmitted = 0;
    this.#raisedAtMs = undefined;
    this.#admittedSinceRaise = 0;
    const rate = this.#windowRate();
    if (rate !== undefined) {
      this.#enabled = true;
      this.#setRate(nowMs / 1000, Math.max(this.#minRate, rate));
    }
  }

  /**
   * The quota may be underestimated (a window the host did not use up): each time it has admitted
   * `minProbeRequests` over at least a whole period without a lockout, the pace rises by 5 %. Too high, and the next lockout measures the
   * window again. A documented window is not probed.
   */
  #probeWindowRate(nowMs: number): void {
    const window = this.#windowLimit();
    if (window === undefined || window.documented || this.#lockout !== undefined || !this.#enabled) return;
    this.#admittedSinceRaise += 1;
    const sinceMs = nowMs - (this.#raisedAtMs ?? this.#cycleStartMs ?? nowMs);
    if (this.#admittedSinceRaise < this.#minProbeRequests || sinceMs < window.periodMs) return;
    this.#raisedAtMs = nowMs;
    this.#admittedSinceRaise = 0;
    this.#setRate(nowMs / 1000, this.#fillRate * 1.05);
  }

  #windowLimit(): PacerSnapshot['windowLimit'] {
    if (this.#documented !== undefined) {
      return { requests: this.#documented.limit, periodMs: this.#documented.periodMs, documented: true };
    }
    const periodMs = this.#clock.period.loMs;
    if (this.#quota === undefined || !(periodMs > 0)) return undefined;
    return { requests: this.#quota, periodMs, documented: false };
  }

  /**
   * The pace for a window: its quota spread over the shortest period consistent with the boundaries seen.
   * Too short a period runs the quota out a little early; the lockout until the boundary is short, and its
   * bracket narrows the period.
   */
  #windowRate(): number | undefined {
    const window = this.#windowLimit();
    if (window === undefined || window.periodMs <= 0) return undefined;
    // Short windows (and token buckets read as windows) are spread evenly: a lockout per window would cost a
    // probe every second or so.
    const share = window.periodMs >= 5_000 ? this.#windowSpreadShare : 1;
    return ((window.requests * 1000) / (window.periodMs * share)) * this.#limitShare;
  }

  #documentedRate(): number | undefined {
    const documented = this.#documented;
    if (documented === undefined) return undefined;
    return ((documented.limit * 1000) / documented.periodMs) * this.#namedLimitShare;
  }

  // ---- the token bucket and the admitted rate ---------------------------------------------------------------

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
    // One second of burst, as the AWS bucket: concurrent senders are not serialized more than needed. At a
    // named limit, and for a window's quota, requests are spread evenly instead: a burst on top of the limit
    // crosses it whenever answers arrive bunched (at 2/s, one jittered pair is a 429 and a second's pause).
    this.#capacity =
      this.#mode === 'window'
        ? Math.max(2, rate / 10)
        : this.#documented !== undefined
          ? Math.max(1, rate / 10)
          : Math.max(1, rate);
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
