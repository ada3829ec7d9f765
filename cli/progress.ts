/**
 * Progress on stderr while a purge lists and deletes. On a terminal: one status line (the bar, with counters
 * for retries, 429s and re-checks) kept at the bottom, and every other line printed above it (clear the line,
 * print, redraw), so nothing is ever glued to the bar. Otherwise: plain lines at most every `intervalMs` (plus
 * one per phase change), so CI logs stay readable.
 */
import type { ProgressEvent } from '../lib/run-purge';

export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

/** An output with a status line: on a terminal, text written goes above the status line. */
export interface LiveOutput extends ProgressOutput {
  write(text: string): void;
  /** Shows `text` as the status line (on a terminal only); undefined removes it. */
  setStatus(text: string | undefined): void;
}

const CLEAR_LINE = '\r\u001b[2K';
/** A terminal that reports no size (a pseudo-terminal nobody sized) is taken as this wide. */
const DEFAULT_COLUMNS = 100;

export function isLiveOutput(output: ProgressOutput): output is LiveOutput {
  return typeof Reflect.get(output, 'setStatus') === 'function';
}

/** Wraps `output` (stderr) so that a status line can stay at the bottom while other text is written. */
export function createLiveOutput(output: ProgressOutput): LiveOutput {
  const live = output.isTTY === true;
  let status: string | undefined;
  let statusShown = false;
  /** The last text written did not end its line: a status drawn now would be glued to it. */
  let lineOpen = false;

  const width = (): number => {
    const columns = output.columns !== undefined && output.columns > 0 ? output.columns : DEFAULT_COLUMNS;
    return Math.max(20, columns - 1);
  };
  const draw = (): void => {
    if (status === undefined) return;
    if (lineOpen) output.write('\n');
    lineOpen = false;
    output.write(`${CLEAR_LINE}${status.slice(0, width())}`);
    statusShown = true;
  };
  const clear = (): void => {
    if (!statusShown) return;
    output.write(CLEAR_LINE);
    statusShown = false;
  };

  return {
    get isTTY() {
      return output.isTTY;
    },
    get columns() {
      return output.columns;
    },
    write(text: string): void {
      if (text === '') return;
      if (!live) {
        output.write(text);
        return;
      }
      clear();
      output.write(text);
      lineOpen = !text.endsWith('\n');
      if (!lineOpen) draw();
    },
    setStatus(text: string | undefined): void {
      status = text;
      if (!live) return;
      if (text === undefined) clear();
      else draw();
    },
  };
}

/** What the log lines count on the bar instead of printing a line each. */
export type ProgressCounter = 'retries' | 'throttled' | 'rechecks';

const COUNTER_LABELS: Readonly<Record<ProgressCounter, string>> = {
  retries: 'retries',
  throttled: '429s',
  rechecks: 're-checks',
};

export interface ProgressReporterOptions {
  readonly output: LiveOutput;
  readonly nowMs: () => number;
  /** Minimum gap between plain lines for the same phase (not a terminal). @default 2000 */
  readonly intervalMs?: number;
  /** Minimum gap between two redraws of the bar on a terminal. @default 50 */
  readonly redrawMs?: number;
}

export interface ProgressReporter {
  readonly onProgress: (event: ProgressEvent) => void;
  /** Adds to a counter shown on the bar. */
  count(counter: ProgressCounter, n?: number): void;
  /** Ends the bar, leaving its last state as a line (call before printing the result). */
  finish(): void;
}

const BAR_WIDTH = 24;

export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const { output } = options;
  const live = output.isTTY === true;
  const intervalMs = options.intervalMs ?? 2000;
  const redrawMs = options.redrawMs ?? 50;
  let lastPlainAtMs = Number.NEGATIVE_INFINITY;
  let lastDrawAtMs = Number.NEGATIVE_INFINITY;
  let activity: string | undefined;
  let deleteTotal = 0;
  const deletedByService = new Map<string, number>();
  const counters: Record<ProgressCounter, number> = { retries: 0, throttled: 0, rechecks: 0 };

  const countersText = (): string =>
    (Object.keys(counters) as ProgressCounter[])
      .filter((key) => counters[key] > 0)
      .map((key) => ` · ${COUNTER_LABELS[key]} ${counters[key]}`)
      .join('');

  const redraw = (force: boolean): void => {
    if (!live || activity === undefined) return;
    const now = options.nowMs();
    if (!force && now - lastDrawAtMs < redrawMs) return;
    lastDrawAtMs = now;
    output.setStatus(`${activity}${countersText()}`);
  };

  /** A passing state: the bar on a terminal, a plain line now and then otherwise. */
  const show = (text: string, force: boolean): void => {
    activity = text;
    if (live) {
      redraw(force);
      return;
    }
    const now = options.nowMs();
    if (!force && now - lastPlainAtMs < intervalMs) return;
    lastPlainAtMs = now;
    output.write(`${text}\n`);
  };

  /** A line that stays (a phase's result): above the bar on a terminal. */
  const note = (text: string): void => {
    output.write(`${text}${live ? countersText() : ''}\n`);
  };

  const onProgress = (event: ProgressEvent): void => {
    switch (event.phase) {
      case 'list':
        show(`listing ${event.service}: ${event.listed} tasks`, false);
        break;
      case 'listed':
        note(
          event.error === undefined
            ? `listed ${event.service}: ${event.listed} tasks, ${event.stale} stale`
            : `listing ${event.service} failed: ${event.error}`,
        );
        break;
      case 'plan':
        deleteTotal = event.deletes;
        note(
          `plan: ${event.deletes} to ${event.dryRun ? 'delete (dry run: nothing will be deleted)' : 'delete'}` +
            (event.capped > 0 ? `, ${event.capped} over the cap` : ''),
        );
        activity = undefined;
        output.setStatus(undefined);
        break;
      case 'delete': {
        deletedByService.set(event.service, event.done);
        const done = [...deletedByService.values()].reduce((sum, n) => sum + n, 0);
        const total = Math.max(deleteTotal, done);
        show(
          `deleting ${renderBar(done, total)} ${done}/${total} (${event.service} ${event.done}/${event.total})`,
          done === total,
        );
        break;
      }
      case 'done':
        finish();
        break;
    }
  };

  const finish = (): void => {
    const last = activity;
    activity = undefined;
    output.setStatus(undefined);
    if (live && last !== undefined) output.write(`${last}${countersText()}\n`);
  };

  return {
    onProgress,
    count(counter, n = 1) {
      counters[counter] += n;
      redraw(false);
    },
    finish,
  };
}

/** `[#####-------]` for `done` of `total`. */
export function renderBar(done: number, total: number, width = BAR_WIDTH): string {
  const filled = total <= 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}
