/**
 * The run's stops on one clock (decision record 0008): at the deadline, or on an operator's interrupt, no new
 * work starts; requests in flight may finish for a while; then the reads that settle deletes of unknown outcome;
 * the rest of the margin is left for the report.
 */
import { setMaxListeners } from 'node:events';
import { RunStoppedError } from './errors';
import type { RunSignals } from './execute';
import { stopDueAt } from './stop-due';

/** After an operator's interrupt: how long requests in flight may take to finish, then the reads that settle them. */
export const INTERRUPT_IN_FLIGHT_MS = 10_000;
export const INTERRUPT_SETTLE_MS = 5_000;
/** When the report is due, requests still under way get this long to end on their own before they are cut. */
export const CLOSE_GRACE_MS = 1_000;
/** A clock this far off the cloud's is worth a warning (ages are measured on the earlier one either way). */
export const CLOCK_SKEW_WARNING_MS = 60_000;

/**
 * The run's three stops on one clock. At the deadline (or on an interrupt) no new work starts; requests in
 * flight may finish until `abort` (a third of the safety margin later, or `INTERRUPT_IN_FLIGHT_MS` after an
 * interrupt); reads that settle deletes of unknown outcome end at `resolve` (another third, or
 * `INTERRUPT_SETTLE_MS`). The last third of the margin is left for the report.
 */
export function createRunStops(options: {
  readonly nowMs: number;
  readonly deadlineAtMs: number;
  readonly marginMs: number;
  readonly interrupt: AbortSignal | undefined;
}): { readonly signals: RunSignals; readonly dispose: () => void } {
  const stop = new AbortController();
  const abort = new AbortController();
  const resolve = new AbortController();
  // Every request listens on these: many more than Node's default of 10.
  setMaxListeners(0, stop.signal, abort.signal, resolve.signal);
  const timers: NodeJS.Timeout[] = [];
  const at = (delayMs: number, fire: () => void) => timers.push(setTimeout(fire, Math.max(0, delayMs)));
  const deadlineReason = new RunStoppedError('the run reached its deadline', {
    reason: 'deadline',
    sent: false,
  });
  const shareMs = options.marginMs / 3;
  const stopNow = (reason: unknown, inFlightMs: number, settleMs: number) => {
    if (stop.signal.aborted) return;
    stop.abort(reason);
    at(inFlightMs, () => abort.abort(reason));
    at(inFlightMs + settleMs, () => resolve.abort(reason));
  };
  const atDeadline = () => stopNow(deadlineReason, shareMs, shareMs);
  at(options.deadlineAtMs - options.nowMs, atDeadline);
  stopDueAt(stop.signal, options.deadlineAtMs, atDeadline);
  const onInterrupt = () =>
    stopNow(
      options.interrupt?.reason,
      Math.min(INTERRUPT_IN_FLIGHT_MS, shareMs),
      Math.min(INTERRUPT_SETTLE_MS, shareMs),
    );
  if (options.interrupt?.aborted) onInterrupt();
  else options.interrupt?.addEventListener('abort', onInterrupt, { once: true });
  return {
    signals: { stop: stop.signal, abort: abort.signal, resolve: resolve.signal },
    // No timer outlives the invocation (it would fire after the next thaw).
    dispose: () => {
      for (const timer of timers) clearTimeout(timer);
      options.interrupt?.removeEventListener('abort', onInterrupt);
    },
  };
}
