/**
 * Window mode of a host's pacer (throttles without `Retry-After`): the quota is taken to be per window. The
 * host is locked out and probed by one request at a time, at growing gaps or at the predicted window boundary;
 * the probe's success ends the lockout and brackets a boundary (`WindowClock`). The requests admitted between
 * two boundaries are the window's quota, the brackets give its period; the host is then paced at the window's
 * average rate. A limit the gateway names gives the period without learning it.
 */
import type { DocumentedLimit } from './retry-policy';
import { WindowClock } from './window-clock';

export interface WindowModeOptions {
  /** Shortest gap between two lockout probes. */
  readonly minProbeGapMs: number;
  /** A window is searched for from this long after the cycle's start on. */
  readonly firstProbeAfterMs: number;
  /** Growth of a lockout probe's distance from the cycle's start. */
  readonly probeGrowth: number;
  /** Longest gap between two search probes. */
  readonly maxProbeGapMs: number;
  /** Share of a window of 5 s or more its quota is spread over. */
  readonly windowSpreadShare: number;
  /** Share of a window's quota the host is paced at. */
  readonly limitShare: number;
  /** Requests admitted over a whole period without a lockout before the pace rises by 5 %. */
  readonly minProbeRequests: number;
}

/** The host's window quota, when named or learned. */
export interface WindowLimit {
  readonly requests: number;
  readonly periodMs: number;
  readonly documented: boolean;
}

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

export class WindowMode {
  readonly #options: WindowModeOptions;
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

  constructor(options: WindowModeOptions) {
    this.#options = options;
  }

  /** Lockouts (throttles without `Retry-After`) and the probes sent during them. */
  get lockouts(): number {
    return this.#lockouts;
  }

  get probes(): number {
    return this.#probes;
  }

  get lockedOut(): boolean {
    return this.#lockout !== undefined;
  }

  /** During a lockout, one probe at a time: 0 when this request is the probe, else how long (ms) to wait. */
  takeProbe(nowMs: number): number {
    const lockout = this.#lockout;
    if (lockout === undefined) return 0;
    // Its answer ends the lockout or sets the next probe.
    if (lockout.probeSentMs !== undefined) return Math.max(1, Math.ceil(lockout.gapMs));
    lockout.probeSentMs = nowMs;
    this.#probes += 1;
    return 0;
  }

  /** How long (ms) the host waits for its next lockout probe; 0 without a lockout or with a probe in flight. */
  pausedForMs(nowMs: number): number {
    const lockout = this.#lockout;
    if (lockout === undefined || lockout.probeSentMs !== undefined) return 0;
    return Math.max(0, Math.ceil(lockout.nextProbeMs - nowMs));
  }

  /** When the next lockout probe may go (epoch ms), for the snapshot; 0 when none waits. */
  nextProbeAtMs(): number {
    return this.#lockout?.probeSentMs === undefined ? (this.#lockout?.nextProbeMs ?? 0) : 0;
  }

  /** A request admitted outside a lockout: the first one starts the first cycle. */
  noteSend(nowMs: number): void {
    this.#cycleStartMs ??= nowMs;
  }

  /** A probe that got no answer: the next request probes again. */
  abandonProbe(): void {
    if (this.#lockout !== undefined) this.#lockout.probeSentMs = undefined;
  }

  /** The server says when to come back (`Retry-After`): no lockout to probe. */
  clearLockout(): void {
    this.#lockout = undefined;
  }

  /** A period the gateway names. */
  setPeriod(periodMs: number): void {
    this.#clock.setPeriod(periodMs);
  }

  /** A throttle without `Retry-After`. True when it begins a lockout (false: a probe's, or one sent before). */
  onThrottle(nowMs: number, documented: DocumentedLimit | undefined): boolean {
    const lockout = this.#lockout;
    if (lockout !== undefined) {
      // A request sent before the lockout began: no news about the boundary.
      if (lockout.probeSentMs === undefined) return false;
      lockout.lastThrottledProbeMs = lockout.probeSentMs;
      lockout.probeSentMs = undefined;
      lockout.nextProbeMs = this.#nextProbeAtMs(nowMs, lockout, documented);
      return false;
    }
    this.#lockouts += 1;
    const created: Lockout = {
      startMs: nowMs,
      nextProbeMs: nowMs,
      gapMs: this.#options.minProbeGapMs,
      probeSentMs: undefined,
      lastThrottledProbeMs: undefined,
    };
    created.nextProbeMs = this.#nextProbeAtMs(nowMs, created, documented);
    this.#lockout = created;
    return true;
  }

  /**
   * An answer without a throttle. Only the probe's success ends a lockout: a request sent before it began was
   * admitted before the quota ran out. Returns the window's pace when a lockout ended and the window is known.
   */
  onSuccess(nowMs: number, documented: DocumentedLimit | undefined): number | undefined {
    const rate = this.#lockout?.probeSentMs !== undefined ? this.#endLockout(nowMs, documented) : undefined;
    this.#cycleAdmitted += 1;
    return rate;
  }

  /**
   * The quota may be underestimated (a window the host did not use up): each time it has admitted
   * `minProbeRequests` over at least a whole period without a lockout, the pace rises by 5 %. Too high, and the
   * next lockout measures the window again. A documented window is not probed. Returns the raised pace.
   */
  raiseRate(nowMs: number, documented: DocumentedLimit | undefined, fillRate: number): number | undefined {
    const window = this.windowLimit(documented);
    if (window === undefined || window.documented || this.#lockout !== undefined) return undefined;
    this.#admittedSinceRaise += 1;
    const sinceMs = nowMs - (this.#raisedAtMs ?? this.#cycleStartMs ?? nowMs);
    if (this.#admittedSinceRaise < this.#options.minProbeRequests || sinceMs < window.periodMs)
      return undefined;
    this.#raisedAtMs = nowMs;
    this.#admittedSinceRaise = 0;
    return fillRate * 1.05;
  }

  windowLimit(documented: DocumentedLimit | undefined): WindowLimit | undefined {
    if (documented !== undefined) {
      return { requests: documented.limit, periodMs: documented.periodMs, documented: true };
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
  windowRate(documented: DocumentedLimit | undefined): number | undefined {
    const window = this.windowLimit(documented);
    if (window === undefined || window.periodMs <= 0) return undefined;
    // Short windows (and token buckets read as windows) are spread evenly: a lockout per window would cost a
    // probe every second or so.
    const share = window.periodMs >= 5_000 ? this.#options.windowSpreadShare : 1;
    return ((window.requests * 1000) / (window.periodMs * share)) * this.#options.limitShare;
  }

  /** The probe's success: a new window began between the last throttled probe (or the lockout's start) and it. */
  #endLockout(nowMs: number, documented: DocumentedLimit | undefined): number | undefined {
    const lockout = this.#lockout;
    if (lockout === undefined) return undefined;
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
      this.#clock.raiseLowerBound(Math.max(loMs - cycleStartMs, this.#options.firstProbeAfterMs));
      this.#quota = Math.max(this.#quota ?? 0, this.#cycleAdmitted);
    }
    this.#cycleStartMs = hiMs;
    this.#cycleFromBoundary = true;
    this.#cycleAdmitted = 0;
    this.#raisedAtMs = undefined;
    this.#admittedSinceRaise = 0;
    return this.windowRate(documented);
  }

  /**
   * When the next lockout probe goes. Once the clock can tell where the next boundary lies: at the start of
   * that range, then a quarter of the range apart. A documented period but no boundary seen yet: a twelfth
   * of the period apart, and no later than a period after the first request. Otherwise the boundary is
   * searched at distances growing geometrically from the last boundary (or the first request): few probes
   * for any window length, and the boundary is missed by at most `probeGrowth - 1` of the time searched.
   */
  #nextProbeAtMs(nowMs: number, lockout: Lockout, documented: DocumentedLimit | undefined): number {
    const { minProbeGapMs } = this.#options;
    const lastMs = lockout.lastThrottledProbeMs ?? lockout.startMs;
    const period = this.#clock.period;
    const guardMs = Math.max(20, period.loMs / 100);
    const range = this.#clock.nextBoundary(lockout.startMs);
    if (range !== undefined) {
      if (lastMs < range.fromMs) return Math.max(nowMs, range.fromMs + guardMs);
      if (lastMs < range.toMs && Number.isFinite(range.toMs)) {
        lockout.gapMs = Math.max(minProbeGapMs, (range.toMs - range.fromMs) / 4);
        return Math.max(nowMs, Math.min(lastMs + lockout.gapMs, range.toMs + guardMs));
      }
    } else if (documented !== undefined) {
      const latestMs = (this.#cycleStartMs ?? lockout.startMs) + period.loMs + guardMs;
      lockout.gapMs = Math.max(minProbeGapMs, period.loMs / 12);
      return latestMs > lastMs
        ? Math.max(nowMs, Math.min(latestMs, lastMs + lockout.gapMs))
        : nowMs + lockout.gapMs;
    }
    return this.#searchProbeAtMs(nowMs, lockout, lastMs);
  }

  /**
   * The first search runs from the first request (the window began before it); later ones from the lockout's
   * start. Neither leaves more than `maxProbeGapMs` between two probes: a long window's boundary is found that
   * late at most.
   */
  #searchProbeAtMs(nowMs: number, lockout: Lockout, lastMs: number): number {
    const { minProbeGapMs, firstProbeAfterMs } = this.#options;
    const seen = this.#clock.lastBoundary !== undefined;
    const anchorMs = seen ? lockout.startMs : (this.#cycleStartMs ?? lockout.startMs);
    const firstDistanceMs = seen
      ? Math.max(firstProbeAfterMs, this.#clock.period.loMs / 50)
      : firstProbeAfterMs;
    const sinceMs = Math.max(0, lastMs - anchorMs);
    const grownMs = Math.max(sinceMs * this.#options.probeGrowth, sinceMs + minProbeGapMs, firstDistanceMs);
    const nextMs = Math.min(anchorMs + grownMs, lastMs + this.#options.maxProbeGapMs);
    lockout.gapMs = Math.max(minProbeGapMs, nextMs - lastMs);
    return Math.max(nowMs, nextMs);
  }
}
