/**
 * Log capture: the one way a test reads what was logged. A real pino logger (`lib/logger.ts`, so redaction and
 * serializers run as in production) writes into memory; the test reads the raw lines (secret scans) or the
 * lines parsed back into records (`level` as a label, `msg`, the fields). Hand `destination` to anything that
 * takes a pino destination (`createDefaultDeps`, the FunctionGraph handler's `logDestination`), or take a
 * logger from `logger()`. For the JSON lines a process wrote to stderr, use `parseLogText`.
 */
import type { LogLevel } from '../../lib/config';
import type { Logger } from '../../lib/deps';
import { createLogger } from '../../lib/logger';

/** One log line parsed back. */
export interface LogRecord {
  readonly level: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export interface LogCapture {
  /** A pino destination that keeps every line. */
  readonly destination: { write(line: string): void };
  /** Every line as written (each ends with a newline). */
  readonly lines: string[];
  /** The lines parsed; `T` is the caller's reading of a line's shape, not checked. */
  records<T extends object = LogRecord>(): T[];
  /** A real pino logger writing here. @default level 'debug' (every line) */
  logger(options?: { level?: LogLevel; base?: Record<string, unknown> }): Logger;
}

export function captureLog(): LogCapture {
  const lines: string[] = [];
  const destination = { write: (line: string) => void lines.push(line) };
  return {
    destination,
    lines,
    records: <T extends object>() => lines.map((line) => JSON.parse(line) as T),
    logger: ({ level = 'debug', base } = {}) =>
      createLogger({ level, destination, ...(base ? { base } : {}) }),
  };
}

/** The JSON log lines in a process's output (the CLI with `--log-format json`): the lines starting with `{`. */
export function parseLogText<T extends object = LogRecord>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T);
}
