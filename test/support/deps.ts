/**
 * The deps factory: every `Deps` a test hands to `lib/` comes from `makeDeps` (or, for an entry point that builds
 * its own deps once it knows the log level, from `buildDepsInto`). Defaults are the real side effects over
 * loopback HTTP: node-fetch, the wall clock, real waits, and a fixed jitter draw (0.5) so retry delays repeat;
 * the logger is a real pino logger writing into a `LogCapture`. Override any part: a test clock (`now`), no
 * network and no waiting for pure engine tests (`OFFLINE`), a recording fetch, shortened waits.
 */
import type { LogLevel } from '../../lib/config';
import { nodeFetchLike, sleep } from '../../lib/default-deps';
import type { Deps, FetchLike } from '../../lib/deps';
import type { BuildDeps } from '../../lib/invocation';
import { captureLog, type LogCapture } from './log-capture';

export interface TestDepsOptions extends Partial<Omit<Deps, 'log'>> {
  /** @default 'debug' */
  readonly logLevel?: LogLevel;
  /** Fields on every log line. */
  readonly logBase?: Record<string, unknown>;
  /** Where the log goes. @default a new capture */
  readonly log?: LogCapture;
}

export interface TestDeps {
  readonly deps: Deps;
  readonly log: LogCapture;
}

const refuseNetwork: FetchLike = () => Promise.reject(new Error('no network in unit tests'));

/** For pure engine tests: every request is refused and every wait returns at once. */
export const OFFLINE: Pick<Deps, 'fetch' | 'sleep'> = Object.freeze({
  fetch: refuseNetwork,
  sleep: () => Promise.resolve(),
});

/** A real wait of at most `maxMs`: backoff and `Retry-After` waits shortened, an abort still honoured. */
export function shortSleep(maxMs: number): Deps['sleep'] {
  return (ms, signal) => sleep(Math.min(ms, maxMs), signal);
}

export function makeDeps(options: TestDepsOptions = {}): TestDeps {
  const { logLevel = 'debug', logBase, log = captureLog(), ...overrides } = options;
  return {
    deps: {
      fetch: nodeFetchLike,
      now: () => new Date(),
      sleep,
      random: () => 0.5,
      ...overrides,
      log: log.logger({ level: logLevel, ...(logBase ? { base: logBase } : {}) }),
    },
    log,
  };
}

/**
 * A `BuildDeps` for `invokePurge` and the handlers: `makeDeps` with the log level and base fields the entry point
 * asks for, every logger it builds writing into `log`.
 */
export function buildDepsInto(
  log: LogCapture,
  options: Omit<TestDepsOptions, 'log' | 'logLevel' | 'logBase'> = {},
): BuildDeps {
  return ({ logLevel, logBase }) =>
    makeDeps({ ...options, log, logLevel, ...(logBase ? { logBase } : {}) }).deps;
}
