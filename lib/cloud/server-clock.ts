/**
 * The cloud's clock, as its answers' `Date` headers tell it. Ages are measured on the earlier of the two clocks
 * (`planningNowMs`): a local clock that runs fast would make every task look older than it is and delete young
 * ones (a password or token run has no gateway that refuses a skewed signature), and a `Date` a proxy moves ahead
 * is never believed either. Pure: every method takes the local time.
 */
export class ServerClock {
  /** The cloud's clock minus the local one, from the latest answer with a readable `Date`. */
  #offsetMs: number | undefined;

  /** Notes one answer's `Date` header (an HTTP date, one-second resolution), received at `localNowMs`. */
  observe(dateHeader: string | null, localNowMs: number): void {
    if (dateHeader === null) return;
    const serverMs = Date.parse(dateHeader);
    if (Number.isNaN(serverMs)) return;
    this.#offsetMs = serverMs - localNowMs;
  }

  /** How far the local clock runs ahead of the cloud's (negative: behind); undefined before any answer. */
  localAheadMs(): number | undefined {
    return this.#offsetMs === undefined ? undefined : -this.#offsetMs;
  }

  /** The earlier of the local and the cloud's time: what ages are measured from. */
  planningNowMs(localNowMs: number): number {
    return this.#offsetMs === undefined ? localNowMs : Math.min(localNowMs, localNowMs + this.#offsetMs);
  }
}
