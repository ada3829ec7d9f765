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
 * `AdaptivePacer` holds the mode and the host-wide pause and puts its parts together: `SlowStart`
 * (`pacer-slow-start.ts`), the token bucket and the admitted-rate measure (`pacer-bucket.ts`), `CubicRate`
 * (`pacer-rate-mode.ts`) and `WindowMode` (`pacer-window-mode.ts`).
 */
import { RateMeter, TokenBucket } from './pacer-bucket';
import { CubicRate } from './pacer-rate-mode';
import { SlowStart } from './pacer-slow-start';
import { WindowMode } from './pacer-window-mode';
import { type DocumentedLimit, parseDocumentedLimit } from './retry-policy';

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

export class AdaptivePacer implements HostPacer {
  readonly #minRate: number;
  readonly #namedLimitShare: number;
  readonly #slowStart: SlowStart;
  readonly #bucket = new TokenBucket();
  readonly #meter: RateMeter;
  readonly #cubic: CubicRate;
  readonly #windowMode: WindowMode;

  #mode: 'open' | 'rate' | 'window' = 'open';
  /** False until the first throttle: an unthrottled host is not rate-paced at all. */
  #enabled = false;
  /** Until when every request to the host waits: a `Retry-After`, epoch ms. */
  #pausedUntilMs = 0;
  /** The limit the gateway named. */
  #documented: DocumentedLimit | undefined;
  /** The limit was named by the answer being handled: pace at it at once, whatever was measured. */
  #newlyDocumented = false;

  constructor(options: AdaptivePacerOptions = {}) {
    this.#minRate = options.minRatePerSecond ?? 0.5;
    this.#namedLimitShare = options.namedLimitShare ?? 1;
    this.#slowStart = new SlowStart(options.maxConcurrency ?? 16, options.initialWindow ?? 1);
    this.#meter = new RateMeter(options.bucketSeconds ?? 0.5, options.smoothing ?? 0.3);
    const minProbeRequests = options.minProbeRequests ?? 100;
    this.#cubic = new CubicRate({
      minRate: this.#minRate,
      beta: options.beta ?? 0.7,
      scaleConstant: options.scaleConstant ?? 0.4,
      holdSeconds: options.holdSeconds ?? 1,
      minProbeRequests,
    });
    this.#windowMode = new WindowMode({
      minProbeGapMs: options.minProbeGapMs ?? 100,
      firstProbeAfterMs: options.firstProbeAfterMs ?? 1_000,
      probeGrowth: options.probeGrowth ?? 1.4,
      maxProbeGapMs: options.maxProbeGapMs ?? 4_000,
      windowSpreadShare: options.windowSpreadShare ?? 0.5,
      limitShare: options.limitShare ?? 0.98,
      minProbeRequests,
    });
  }

  acquire(nowMs: number): number {
    const pauseMs = this.pausedForMs(nowMs);
    if (pauseMs > 0) return pauseMs;
    if (this.#windowMode.lockedOut) {
      const waitMs = this.#windowMode.takeProbe(nowMs);
      if (waitMs === 0) this.#slowStart.takeProbe();
      return waitMs;
    }
    if (!this.#slowStart.hasRoom()) return WINDOW_FULL_WAIT_MS;
    if (this.#enabled) {
      const waitMs = this.#bucket.take(nowMs / 1000);
      if (waitMs > 0) return waitMs;
    }
    this.#slowStart.take();
    this.#windowMode.noteSend(nowMs);
    return 0;
  }

  follow(nowMs: number): void {
    // In a lockout it is no probe (the sequence's first request was), and may be throttled: its call then retries.
    if (this.#enabled) this.#bucket.spend(nowMs / 1000);
    this.#slowStart.takeFollow(!this.#windowMode.lockedOut);
  }

  pausedForMs(nowMs: number): number {
    const pauseMs = Math.max(0, this.#pausedUntilMs - nowMs);
    return pauseMs > 0 ? pauseMs : this.#windowMode.pausedForMs(nowMs);
  }

  onAbandon(_nowMs: number): void {
    this.#slowStart.abandon();
    this.#windowMode.abandonProbe();
  }

  onAnswer(nowMs: number, answer: PacerAnswer): void {
    this.#slowStart.answered();
    if (!answer.throttled) {
      this.#onSuccess(nowMs);
      return;
    }
    this.#learnNamedLimit(answer.errorMessage);
    if (answer.retryAfterMs !== undefined && answer.retryAfterMs > 0) {
      this.#onRateThrottle(nowMs, answer.retryAfterMs);
      return;
    }
    this.#newlyDocumented = false;
    if (this.#windowMode.onThrottle(nowMs, this.#documented)) {
      this.#mode = 'window';
      this.#slowStart.shrink();
    }
  }

  snapshot(): PacerSnapshot {
    const window = this.#windowMode.windowLimit(this.#documented);
    return {
      enabled: this.#enabled,
      mode: this.#mode,
      ratePerSecond: this.#enabled ? this.#bucket.fillRate : Number.POSITIVE_INFINITY,
      measuredRatePerSecond: this.#meter.rate,
      pausedUntilMs: Math.max(this.#pausedUntilMs, this.#windowMode.nextProbeAtMs()),
      concurrencyWindow: this.#slowStart.width,
      ...(window ? { windowLimit: window } : {}),
      lockouts: this.#windowMode.lockouts,
      probes: this.#windowMode.probes,
    };
  }

  #onSuccess(nowMs: number): void {
    const nowS = nowMs / 1000;
    this.#slowStart.grow();
    this.#meter.measure(nowS, this.#pausedUntilMs);
    const windowRate = this.#windowMode.onSuccess(nowMs, this.#documented);
    if (windowRate !== undefined) {
      this.#enabled = true;
      this.#setRate(nowS, Math.max(this.#minRate, windowRate));
    }
    if (!this.#enabled) return;
    const rate =
      this.#mode === 'rate'
        ? this.#cubic.grow(nowS, this.#rateState())
        : this.#mode === 'window'
          ? this.#windowMode.raiseRate(nowMs, this.#documented, this.#bucket.fillRate)
          : undefined;
    if (rate !== undefined) this.#setRate(nowS, rate);
  }

  /**
   * A limit the gateway names in a throttle's message. One far below what the host was seen to admit is not
   * the one that binds us (another policy, or a message that names none): learning it is safer than believing it.
   */
  #learnNamedLimit(errorMessage: string | undefined): void {
    const named = parseDocumentedLimit(errorMessage);
    if (named === undefined) return;
    if (!((named.limit * 1000) / named.periodMs >= this.#meter.rate / NAMED_LIMIT_DOUBT_FACTOR)) return;
    const known = this.#documented;
    if (named.periodMs !== known?.periodMs) this.#windowMode.setPeriod(named.periodMs);
    if (named.limit !== known?.limit || named.periodMs !== known.periodMs) {
      this.#documented = named;
      this.#newlyDocumented = true;
    }
  }

  /** A throttle with `Retry-After`: the whole host pauses, and the rate drops (once per congestion event). */
  #onRateThrottle(nowMs: number, retryAfterMs: number): void {
    const nowS = nowMs / 1000;
    this.#pausedUntilMs = Math.max(this.#pausedUntilMs, nowMs + retryAfterMs);
    this.#bucket.holdUntil(nowS, this.#pausedUntilMs / 1000);
    this.#windowMode.clearLockout();
    if (this.#enabled && this.#mode === 'rate' && this.#cubic.isSameEvent(nowS)) return;
    this.#slowStart.shrink();
    this.#meter.estimateEarly(nowS);
    const rate = this.#cubic.decrease(nowS, this.#rateState(), this.#newlyDocumented);
    if (rate === undefined) return;
    this.#mode = 'rate';
    this.#enabled = true;
    this.#newlyDocumented = false;
    this.#setRate(nowS, rate);
  }

  #rateState() {
    const documented = this.#documented;
    return {
      enabled: this.#enabled,
      fillRate: this.#bucket.fillRate,
      measuredRate: this.#meter.rate,
      cap:
        documented === undefined
          ? undefined
          : ((documented.limit * 1000) / documented.periodMs) * this.#namedLimitShare,
    };
  }

  #setRate(nowS: number, rate: number): void {
    // One second of burst, as the AWS bucket: concurrent senders are not serialized more than needed. At a
    // named limit, and for a window's quota, requests are spread evenly instead: a burst on top of the limit
    // crosses it whenever answers arrive bunched (at 2/s, one jittered pair is a 429 and a second's pause).
    const capacity =
      this.#mode === 'window'
        ? Math.max(2, rate / 10)
        : this.#documented !== undefined
          ? Math.max(1, rate / 10)
          : Math.max(1, rate);
    this.#bucket.setRate(nowS, rate, capacity);
  }
}
