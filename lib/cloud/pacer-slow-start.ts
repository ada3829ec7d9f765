/**
 * Slow start of a host's pacer: a window of concurrent requests that starts small and doubles with each round
 * answered without a throttle (as TCP slow start does per round trip), up to the client's per-host concurrency.
 * A throttle halves it; above that threshold it grows by one slot per window's worth of answers.
 */
export class SlowStart {
  readonly #maxWindow: number;
  #window: number;
  #threshold = Number.POSITIVE_INFINITY;
  /** Requests sent in the current round, and how many of them were answered well. */
  #roundSent = 0;
  #roundAnswered = 0;
  #inFlight = 0;

  constructor(maxWindow: number, initialWindow: number) {
    this.#maxWindow = Math.max(1, maxWindow);
    this.#window = Math.min(this.#maxWindow, Math.max(1, initialWindow));
  }

  /** Requests the host may have in flight now. */
  get width(): number {
    return Math.floor(this.#window);
  }

  /** Slow start ends at the full width: from then on each answer frees its slot at once. */
  get active(): boolean {
    return this.#window < this.#threshold && this.#window < this.#maxWindow;
  }

  /** Whether a request may go: in slow start a round is sent whole, and the next waits for its answers. */
  hasRoom(): boolean {
    return this.active ? this.#roundSent < this.width : this.#inFlight < this.width;
  }

  take(): void {
    if (this.active) this.#roundSent += 1;
    this.#inFlight += 1;
  }

  /** A lockout probe: in flight, but part of no round. */
  takeProbe(): void {
    this.#inFlight += 1;
  }

  /** The next request of a sequence, sent at once; part of the round unless the host is locked out. */
  takeFollow(inRound: boolean): void {
    if (this.active && inRound) this.#roundSent += 1;
    this.#inFlight += 1;
  }

  /** Any answer gives its slot back. */
  answered(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
  }

  /** A request that got no answer: its slot back, and no longer part of its round. */
  abandon(): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    if (this.#roundSent > this.#roundAnswered) this.#roundSent -= 1;
  }

  /** An answer without a throttle. */
  grow(): void {
    if (this.active) {
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

  /** A throttle: half the window, and slow start ends there. */
  shrink(): void {
    this.#threshold = Math.max(2, this.#window / 2);
    this.#window = this.#threshold;
    this.#roundSent = 0;
    this.#roundAnswered = 0;
  }
}
