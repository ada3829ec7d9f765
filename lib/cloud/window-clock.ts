/**
 * A host's fixed quota windows as seen from outside. Each lockout's end brackets a window boundary in
 * (lo, hi]: the last probe answered with a throttle, and the probe admitted. Boundaries are whole periods
 * apart, so every bracket, counted in periods from the first one, narrows the interval of periods they all
 * agree with (the error of one bracket is divided by the periods between). From the last bracket and that
 * interval the clock predicts where the next boundary lies. Pure.
 */

export interface BoundaryRange {
  /** The boundary is not before this (epoch ms). */
  readonly fromMs: number;
  /** Nor after this; Infinity while the period has no upper bound. */
  readonly toMs: number;
}

interface Bracket {
  readonly loMs: number;
  readonly hiMs: number;
  /** Periods since the first bracket. */
  readonly index: number;
}

export class WindowClock {
  #first: Bracket | undefined;
  #last: Bracket | undefined;
  #periodLoMs = 0;
  #periodHiMs = Number.POSITIVE_INFINITY;
  #exact = false;

  /** A period the gateway documents: exact. */
  setPeriod(periodMs: number): void {
    this.#exact = true;
    this.#periodLoMs = periodMs;
    this.#periodHiMs = periodMs;
  }

  /** The period is at least this long (the first cycle began inside a window that ended at least this later). */
  raiseLowerBound(periodMs: number): void {
    if (this.#exact || !(periodMs > this.#periodLoMs)) return;
    this.#periodLoMs = Math.min(periodMs, this.#periodHiMs);
  }

  /** The shortest and longest period consistent with what was seen. */
  get period(): { readonly loMs: number; readonly hiMs: number } {
    return { loMs: this.#periodLoMs, hiMs: this.#periodHiMs };
  }

  get lastBoundary(): { readonly loMs: number; readonly hiMs: number } | undefined {
    return this.#last;
  }

  /**
   * A boundary lies in (loMs, hiMs]. Returns how many periods passed since the last one seen (0 for the
   * first): the caller divides the requests admitted in between by it. `periodsHint` is the caller's count
   * while the period has no upper bound (the requests admitted since, over the quota).
   */
  observe(loMs: number, hiMs: number, periodsHint = 1): number {
    const last = this.#last;
    const first = this.#first;
    if (last === undefined || first === undefined) {
      this.#first = { loMs, hiMs, index: 0 };
      this.#last = this.#first;
      return 0;
    }
    const steps = this.#stepsSince(last, loMs, hiMs, periodsHint);
    let lo = loMs;
    let hi = hiMs;
    // Where the last bracket and the period interval put this boundary: the two brackets narrow each other.
    if (Number.isFinite(this.#periodHiMs)) {
      const predictedLo = last.loMs + steps * this.#periodLoMs;
      const predictedHi = last.hiMs + steps * this.#periodHiMs;
      if (Math.max(lo, predictedLo) < Math.min(hi, predictedHi)) {
        lo = Math.max(lo, predictedLo);
        hi = Math.min(hi, predictedHi);
      }
    }
    let index = last.index + steps;
    if (!this.#exact) {
      const periodLo = Math.max(this.#periodLoMs, (lo - first.hiMs) / index);
      const periodHi = Math.min(this.#periodHiMs, (hi - first.loMs) / index);
      if (periodLo <= periodHi && periodLo > 0) {
        this.#periodLoMs = periodLo;
        this.#periodHiMs = periodHi;
      } else {
        // Inconsistent with the brackets before (the period changed, or a period was miscounted): start over
        // from the last two brackets, counted as the caller counts.
        index = Math.max(1, Math.round(periodsHint));
        lo = loMs;
        hi = hiMs;
        this.#periodLoMs = Math.max(0, (lo - last.hiMs) / index);
        this.#periodHiMs = (hi - last.loMs) / index;
        this.#first = { loMs: last.loMs, hiMs: last.hiMs, index: 0 };
      }
    }
    this.#last = { loMs: lo, hiMs: hi, index };
    return index - last.index;
  }

  /** Where the first boundary after `afterMs` lies, once a boundary and a lower bound of the period are known. */
  nextBoundary(afterMs: number): BoundaryRange | undefined {
    const last = this.#last;
    if (last === undefined || !(this.#periodLoMs > 0)) return undefined;
    if (!Number.isFinite(this.#periodHiMs)) {
      return { fromMs: last.loMs + this.#periodLoMs, toMs: Number.POSITIVE_INFINITY };
    }
    const steps = Math.max(1, Math.ceil((afterMs - last.hiMs) / this.#periodHiMs));
    return { fromMs: last.loMs + steps * this.#periodLoMs, toMs: last.hiMs + steps * this.#periodHiMs };
  }

  #stepsSince(last: Bracket, loMs: number, hiMs: number, periodsHint: number): number {
    // Every count of periods the brackets and the period interval allow; the caller's count picks among them.
    const fewest = Number.isFinite(this.#periodHiMs)
      ? Math.max(1, Math.ceil((loMs - last.hiMs) / this.#periodHiMs))
      : 1;
    const most =
      this.#periodLoMs > 0 ? Math.max(fewest, Math.floor((hiMs - last.loMs) / this.#periodLoMs)) : fewest;
    return Math.min(most, Math.max(fewest, Math.round(periodsHint)));
  }
}
