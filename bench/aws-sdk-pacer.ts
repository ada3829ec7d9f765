/**
 * The AWS SDK's adaptive client-side rate limiter (`@smithy/util-retry` `DefaultRateLimiter`, the reference
 * our pacer was modelled on) behind the client's pacer hooks, for the benchmark's side-by-side rows. Bench only.
 *
 * `getSendToken()` decides synchronously: it either takes a token, or computes how long to wait and hands
 * that to `DefaultRateLimiter.setTimeoutFn` before its first `await`. `acquire` catches that delay instead of
 * sleeping (the abandoned promise never settles) and returns it: the client waits and asks again, exactly as
 * the SDK's loop refills and checks again after its sleep. Every answer goes to `updateClientSendingRate`, as
 * the SDK's adaptive retry strategy does (a throttle as `errorType: 'THROTTLING'`). It has no concurrency
 * window, no host-wide pause and no lockout: a throttled request waits its own `Retry-After`, if any.
 */
import { DefaultRateLimiter } from '@smithy/util-retry';
import type { HostPacer, PacerAnswer, PacerSnapshot } from '../lib/cloud/pacing';

function numberField(target: object, key: string): number {
  const value: unknown = Reflect.get(target, key);
  return typeof value === 'number' ? value : Number.NaN;
}

export class AwsSdkPacer implements HostPacer {
  readonly #limiter = new DefaultRateLimiter();

  acquire(_nowMs: number): number {
    let waitMs = 0;
    const original: unknown = Reflect.get(DefaultRateLimiter, 'setTimeoutFn');
    Reflect.set(DefaultRateLimiter, 'setTimeoutFn', (_resolve: () => void, delayMs: number) => {
      waitMs = delayMs;
    });
    try {
      void this.#limiter.getSendToken();
    } finally {
      Reflect.set(DefaultRateLimiter, 'setTimeoutFn', original);
    }
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs)) : 0;
  }

  onAnswer(_nowMs: number, answer: PacerAnswer): void {
    this.#limiter.updateClientSendingRate(answer.throttled ? { errorType: 'THROTTLING' } : {});
  }

  /** The SDK limiter has no notion of a sequence: the follow-up request is not counted. */
  follow(_nowMs: number): void {}

  onAbandon(_nowMs: number): void {}

  pausedForMs(_nowMs: number): number {
    return 0;
  }

  snapshot(): PacerSnapshot {
    const enabled = Reflect.get(this.#limiter, 'enabled') === true;
    return {
      enabled,
      mode: enabled ? 'rate' : 'open',
      ratePerSecond: enabled ? numberField(this.#limiter, 'fillRate') : Number.POSITIVE_INFINITY,
      measuredRatePerSecond: numberField(this.#limiter, 'measuredTxRate'),
      pausedUntilMs: 0,
      concurrencyWindow: Number.POSITIVE_INFINITY,
      lockouts: 0,
      probes: 0,
    };
  }
}
