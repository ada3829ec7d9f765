/**
 * The log on a terminal: the engine writes JSON lines (pino); a person gets one short line per event worth
 * attention (a failed delete, a listing that failed, a redirect, a warning of a source), and counters on the
 * progress bar for what is routine in a throttled run (retried answers, 429s, re-checks). Repeats of one kind
 * of line stop after a few, with a note. `--log-format json` (or a stderr that is not a terminal) gets the raw
 * lines instead.
 */
import type { LogLevel } from '../lib/config';
import { printable } from './present';
import type { ProgressCounter } from './progress';

const LEVEL_RANK: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** Lines of one kind (service and message) printed before the rest are only counted. */
export const REPEATS_SHOWN = 3;

/**
 * Messages the CLI presents itself: the report, a listing that failed (the progress line says so, and a run
 * that could not resolve its project ends with the error), and the metrics, which are for machines.
 */
const NOT_PRINTED: ReadonlySet<string> = new Set([
  'purge report',
  'purge metrics',
  'listing failed: nothing is deleted for this service',
]);

export interface HumanLogOptions {
  /** Prints one line (without its newline). */
  readonly print: (line: string) => void;
  readonly count: (counter: ProgressCounter, n: number) => void;
  /** The lowest level printed as a line. @default 'warn' */
  readonly printLevel?: LogLevel;
}

type Fields = Readonly<Record<string, unknown>>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(fields: Fields, key: string): string | undefined {
  const value = fields[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

/** The counter a log line adds to instead of being printed, if it is one of the routine kinds. */
export function counterOf(fields: Fields): { counter: ProgressCounter; n: number } | undefined {
  const msg = text(fields, 'msg') ?? '';
  if (fields.willRetry === true) {
    const throttled = fields.throttled === true || fields.status === 429;
    return { counter: throttled ? 'throttled' : 'retries', n: 1 };
  }
  if (msg.startsWith('delete failed; will try once more')) return { counter: 'retries', n: 1 };
  if (msg === 'task decision' && (text(fields, 'reason') ?? '').endsWith('-on-recheck')) {
    return { counter: 'rechecks', n: 1 };
  }
  if (msg === 'deletes of unknown outcome settled by reading the tasks') {
    const tasks = fields.tasks;
    return { counter: 'rechecks', n: typeof tasks === 'number' ? tasks : 1 };
  }
  return undefined;
}

/** One short line for a log record: level, service (and host), what happened, and the cloud's answer. */
export function describeLogLine(fields: Fields): string {
  const level = (text(fields, 'level') ?? 'info').toUpperCase();
  const service = text(fields, 'service');
  const host = text(fields, 'host');
  const msg = text(fields, 'msg') ?? '';
  const where = [service, host === undefined ? undefined : `(${host})`].filter((p) => p !== undefined);
  const prefix = `${level.padEnd(5)} ${where.length > 0 ? `${where.join(' ')}: ` : ''}`;
  const answer = [text(fields, 'status'), text(fields, 'errorCode'), text(fields, 'errorMsg')]
    .filter((p) => p !== undefined && p !== '')
    .join(' ');
  if (msg === 'task decision') {
    const name = text(fields, 'name');
    const failure = [answer, text(fields, 'host') === undefined ? '' : `at ${text(fields, 'host')}`]
      .filter((p) => p !== '')
      .join(' ');
    return `${level.padEnd(5)} ${service ?? ''}: task ${text(fields, 'taskId') ?? '?'}${name ? ` (${name})` : ''} ${text(fields, 'action') ?? ''} (${text(fields, 'reason') ?? ''})${failure === '' ? '' : `: ${failure}`}`;
  }
  const details: string[] = [];
  if (msg.includes('answered') && answer !== '') {
    const code = text(fields, 'errorCode');
    const message = text(fields, 'errorMsg');
    if (code !== undefined) details.push(code);
    if (message !== undefined && message !== '') details.push(message);
  }
  const gaveUp = text(fields, 'gaveUp');
  if (gaveUp !== undefined) details.push(`gave up: ${gaveUp}`);
  const locationHost = text(fields, 'locationHost');
  if (locationHost !== undefined) details.push(`redirect to ${locationHost} not followed`);
  for (const key of ['stream', 'instance', 'message'] as const) {
    const value = text(fields, key);
    if (value !== undefined) details.push(key === 'message' ? value : `${key} ${value}`);
  }
  const err = fields.err;
  if (isFields(err)) {
    const errMessage = text(err, 'message');
    if (errMessage !== undefined) details.push(errMessage);
  }
  return `${prefix}${msg}${details.length > 0 ? `: ${details.join('; ')}` : ''}`;
}

/** Receives the logger's JSON lines; prints the ones worth attention, counts the routine ones. */
export function createHumanLogSink(options: HumanLogOptions): (line: string) => void {
  const printRank = LEVEL_RANK[options.printLevel ?? 'warn'] ?? LEVEL_RANK.warn ?? 40;
  const printedByKind = new Map<string, number>();
  return (line: string) => {
    for (const record of line.split('\n')) {
      if (record.trim() === '') continue;
      let fields: unknown;
      try {
        fields = JSON.parse(record) as unknown;
      } catch {
        options.print(printable(record));
        continue;
      }
      if (!isFields(fields)) {
        options.print(printable(record));
        continue;
      }
      const counted = counterOf(fields);
      if (counted !== undefined) {
        options.count(counted.counter, counted.n);
        continue;
      }
      const msg = text(fields, 'msg') ?? '';
      const rank = LEVEL_RANK[text(fields, 'level') ?? 'info'] ?? 0;
      if (rank < printRank || NOT_PRINTED.has(msg)) continue;
      // Ids, paths and numbers differ between repeats of one kind of line: any word with a digit is one.
      const kind = `${text(fields, 'level')}|${text(fields, 'service') ?? ''}|${msg.replace(/\S*\d\S*/g, '#')}|${text(fields, 'reason') ?? ''}|${text(fields, 'errorCode') ?? ''}`;
      const printed = printedByKind.get(kind) ?? 0;
      printedByKind.set(kind, printed + 1);
      // Names and messages come from the cloud: no control character reaches the terminal.
      if (printed < REPEATS_SHOWN) options.print(printable(describeLogLine(fields)));
      else if (printed === REPEATS_SHOWN) {
        const shape = msg.replace(/\S*\d\S*/g, '…');
        options.print(
          printable(
            `      … further "${shape}" lines${fields.service === undefined ? '' : ` of ${text(fields, 'service')}`} are not shown (the report counts them; --log-format json shows every line)`,
          ),
        );
      }
    }
  };
}
