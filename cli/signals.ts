/**
 * Ctrl-C, SIGTERM and SIGHUP (the terminal closed: a dropped ssh session must not leave a run half-reported, nor
 * kill it without its report). One press is one interrupt: under `npm run purge` the terminal's SIGINT reaches this
 * process directly and again through npm and tsx, which forward it, so one press arrives two or three times
 * within milliseconds. A signal within `REPEAT_SIGNAL_WINDOW_MS` of the first is that same press; one that
 * comes later is a second press and quits at once.
 */
import { InterruptError, type InterruptSignal } from '../lib/errors';

/** 128 + the signal number, as shells report a process stopped by that signal. */
export const EXIT_CODE_OF_SIGNAL: Readonly<Record<InterruptSignal, number>> = {
  SIGHUP: 129,
  SIGINT: 130,
  SIGTERM: 143,
};

/** Repeats of the first signal closer than this are forwarded copies of it, not a second press. */
export const REPEAT_SIGNAL_WINDOW_MS = 1000;

export interface InterruptHandlerOptions {
  /** A monotonic clock. */
  readonly nowMs: () => number;
  /** Stops the run gracefully: aborts its signal with this error. */
  readonly interrupt: (error: InterruptError) => void;
  /** Ends the process at once with this exit code. */
  readonly quit: (exitCode: number) => void;
  /** Tells the operator (stderr). */
  readonly notify: (text: string) => void;
}

export type SignalAction = 'interrupt' | 'repeat' | 'quit';

/** The process's signal listener: the first signal interrupts, its repeats are ignored, a later one quits. */
export function createInterruptHandler(
  options: InterruptHandlerOptions,
): (signal: InterruptSignal) => SignalAction {
  let firstAtMs: number | undefined;
  return (signal) => {
    const nowMs = options.nowMs();
    if (firstAtMs === undefined) {
      firstAtMs = nowMs;
      options.notify(
        `\n${signal}: stopping: no new work starts; the report of what was done follows (Ctrl-C again after a second quits at once)\n`,
      );
      options.interrupt(new InterruptError(signal));
      return 'interrupt';
    }
    if (nowMs - firstAtMs < REPEAT_SIGNAL_WINDOW_MS) return 'repeat';
    options.notify(`\n${signal} again: quitting now, without the report\n`);
    options.quit(EXIT_CODE_OF_SIGNAL[signal]);
    return 'quit';
  };
}

/** The interrupt that stopped a run, if its signal was aborted by one. */
export function interruptOf(signal: AbortSignal | undefined): InterruptError | undefined {
  const reason: unknown = signal?.aborted ? signal.reason : undefined;
  return reason instanceof InterruptError ? reason : undefined;
}
