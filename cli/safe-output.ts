/**
 * stdout and stderr that a closed pipe cannot stop. `task-janitor purge … | head -1` closes stdout early; a
 * write then fails with EPIPE (Node ignores SIGPIPE: the failure arrives as an `error` event on the stream or
 * a throw from `write`), and an unhandled `error` event would kill the run between two deletes. The run goes
 * on instead, still writes its `--report` file and exits with the code of the run; what cannot be written
 * to a closed stream is dropped.
 */
import type { ProgressOutput } from './progress';

/** The part of a `process.stdout`-like stream this module uses. */
export interface WritableOutput {
  write(text: string): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  readonly isTTY?: boolean | undefined;
  readonly columns?: number | undefined;
}

export interface SafeOutput extends ProgressOutput {
  write(text: string): void;
  /** The first write error, after which nothing more is written. */
  readonly failure: Error | undefined;
}

export function createSafeOutput(stream: WritableOutput): SafeOutput {
  let failure: Error | undefined;
  const fail = (error: unknown): void => {
    failure ??= error instanceof Error ? error : new Error(String(error));
  };
  // Also catches the errors of writes made before the first one failed: they arrive later, as events.
  stream.on('error', fail);
  return {
    get isTTY() {
      return stream.isTTY;
    },
    get columns() {
      return stream.columns;
    },
    get failure() {
      return failure;
    },
    write(text: string): void {
      if (failure !== undefined) return;
      try {
        stream.write(text);
      } catch (error) {
        fail(error);
      }
    },
  };
}
