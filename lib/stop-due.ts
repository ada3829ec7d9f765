/**
 * The run's soft stop is due at its deadline, and a timer fires it. In a busy event loop that timer runs late
 * (tens of milliseconds under load), and a request admitted meanwhile would go out after the deadline. So the
 * last step before a request is sent asks the clock as well (`fireIfDue`); the stop fires then, as the timer
 * would have.
 */
const due = new WeakMap<AbortSignal, { readonly atMs: number; readonly fire: () => void }>();

/** `signal` is to be aborted at `atMs` by `fire` (which its timer also calls). */
export function stopDueAt(signal: AbortSignal, atMs: number, fire: () => void): void {
  due.set(signal, { atMs, fire });
}

/** Fires `signal`'s stop now when its time has come and its timer has not run yet. */
export function fireIfDue(signal: AbortSignal, nowMs: number): void {
  const entry = due.get(signal);
  if (entry !== undefined && !signal.aborted && nowMs >= entry.atMs) entry.fire();
}
