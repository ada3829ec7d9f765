/**
 * What the client started and has not finished, and the signal `close()` ends it all with: nothing the client
 * started may send a request after its run has returned.
 */
import type { Deps } from '../deps';
import type { CallSignals } from './with-retries';

export class ClientLifetime {
  readonly #deps: Pick<Deps, 'sleep'>;
  readonly #controller = new AbortController();
  /** Every call under way (waits included), so that `close()` can wait for them. */
  readonly #underway = new Set<Promise<unknown>>();

  constructor(deps: Pick<Deps, 'sleep'>) {
    this.#deps = deps;
  }

  readonly track = <T>(promise: Promise<T>): Promise<T> => {
    this.#underway.add(promise);
    const done = () => this.#underway.delete(promise);
    promise.then(done, done);
    return promise;
  };

  /** The signals of one call: the hard one (in-flight requests) and the soft one (waits, new attempts). */
  readonly signalsOf = (req: { signal?: AbortSignal; stopSignal?: AbortSignal }): CallSignals => {
    const lifetime = this.#controller.signal;
    const hard = req.signal ? AbortSignal.any([req.signal, lifetime]) : lifetime;
    const stop = req.stopSignal ? AbortSignal.any([req.stopSignal, hard]) : hard;
    return { hard, stop };
  };

  /**
   * Gives what is in flight up to `graceMs` to finish on its own, then aborts everything left; resolves once
   * nothing is in flight, queued or waiting.
   */
  async close(graceMs: number): Promise<void> {
    if (graceMs > 0 && this.#underway.size > 0) {
      const timer = new AbortController();
      await Promise.race([
        Promise.allSettled([...this.#underway]),
        this.#deps.sleep(graceMs, timer.signal).catch(() => undefined),
      ]);
      timer.abort();
    }
    this.#controller.abort(new Error('the cloud client was closed'));
    await Promise.allSettled([...this.#underway]);
  }
}
