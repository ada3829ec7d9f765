/**
 * Progress on stderr while a purge lists and deletes: a live one-line bar on a terminal, plain lines at most
 * every `intervalMs` (plus one per phase change) otherwise, so CI logs stay readable.
 */
import type { ProgressEvent } from '../lib/run-purge';

export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface ProgressReporterOptions {
  readonly output: ProgressOutput;
  readonly nowMs: () => number;
  /** Minimum gap between plain lines for the same phase. @default 2000 */
  readonly intervalMs?: number;
}

export interface ProgressReporter {
  readonly onProgress: (event: ProgressEvent) => void;
  /** Ends the live line (call before printing anything else). */
  finish(): void;
}

const BAR_WIDTH = 24;

export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const { output } = options;
  const live = output.isTTY === true;
  const intervalMs = options.intervalMs ?? 2000;
  let lastPlainAtMs = Number.NEGATIVE_INFINITY;
  let liveLineShown = false;
  let deleteTotal = 0;
  const deletedByService = new Map<string, number>();

  const show = (text: string, important: boolean): void => {
    if (live) {
      const width = Math.max(20, (output.columns ?? 100) - 1);
      output.write(`\r\u001b[2K${text.slice(0, width)}`);
      liveLineShown = true;
      return;
    }
    const now = options.nowMs();
    if (!important && now - lastPlainAtMs < intervalMs) return;
    lastPlainAtMs = now;
    output.write(`${text}\n`);
  };

  const onProgress = (event: ProgressEvent): void => {
    switch (event.phase) {
      case 'list':
        show(`listing ${event.service}: ${event.listed} tasks`, false);
        break;
      case 'listed':
        show(
          event.error === undefined
            ? `listed ${event.service}: ${event.listed} tasks, ${event.stale} stale`
            : `listing ${event.service} failed: ${event.error}`,
          true,
        );
        if (live) output.write('\n');
        liveLineShown = false;
        break;
      case 'plan':
        deleteTotal = event.deletes;
        show(
          `plan: ${event.deletes} to ${event.dryRun ? 'delete (dry run: nothing will be deleted)' : 'delete'}` +
            (event.capped > 0 ? `, ${event.capped} over the cap` : ''),
          true,
        );
        if (live) output.write('\n');
        liveLineShown = false;
        break;
      case 'delete': {
        deletedByService.set(event.service, event.done);
        const done = [...deletedByService.values()].reduce((sum, n) => sum + n, 0);
        const total = Math.max(deleteTotal, done);
        show(
          `deleting ${renderBar(done, total)} ${done}/${total} (${event.service} ${event.done}/${event.total})`,
          false,
        );
        break;
      }
      case 'done':
        finish();
        break;
    }
  };

  const finish = (): void => {
    if (liveLineShown) output.write('\n');
    liveLineShown = false;
  };

  return { onProgress, finish };
}

/** `[#####-------]` for `done` of `total`. */
export function renderBar(done: number, total: number, width = BAR_WIDTH): string {
  const filled = total <= 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}
