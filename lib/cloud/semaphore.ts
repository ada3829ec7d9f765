/**
 * A counting semaphore whose waiters can give up: a call queued for a host slot when the run stops leaves the
 * queue at once instead of being sent later (p-limit's queue cannot be left).
 */
export class Semaphore {
  #available: number;
  readonly #queue: Array<{ readonly grant: () => void }> = [];

  constructor(permits: number) {
    this.#available = Math.max(1, Math.floor(permits));
  }

  /**
   * Resolves with a release function once a permit is free; rejects with `signal.reason` when `signal` aborts
   * first (the waiter leaves the queue). The release function is idempotent.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.#available > 0 && this.#queue.length === 0) {
      this.#available -= 1;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.#releaser());
        },
      };
      const onAbort = () => {
        const index = this.#queue.indexOf(waiter);
        if (index >= 0) this.#queue.splice(index, 1);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /** Permits free right now (for statistics). */
  get available(): number {
    return this.#available;
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#queue.shift();
      if (next) next.grant();
      else this.#available += 1;
    };
  }
}
