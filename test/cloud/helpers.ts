import { nodeFetchLike, sleep } from '../../lib/default-deps';
import type { Deps } from '../../lib/deps';
import { createLogger } from '../../lib/logger';

export interface CapturedLog {
  /** Every raw line pino wrote. */
  readonly raw: string[];
  /** The lines parsed as JSON objects. */
  records(): Array<Record<string, unknown>>;
}

/** A real pino logger writing into memory. */
export function makeCapturedLogger(): { log: Deps['log']; captured: CapturedLog } {
  const raw: string[] = [];
  const log = createLogger({ level: 'debug', destination: { write: (line: string) => void raw.push(line) } });
  return {
    log,
    captured: {
      raw,
      records: () => raw.map((line) => JSON.parse(line) as Record<string, unknown>),
    },
  };
}

/** Real node-fetch, real clock and sleep, a fixed jitter draw, and a captured real pino logger. */
export function makeDeps(overrides: Partial<Deps> = {}): { deps: Deps; captured: CapturedLog } {
  const { log, captured } = makeCapturedLogger();
  return {
    deps: { fetch: nodeFetchLike, now: () => new Date(), sleep, random: () => 0.5, log, ...overrides },
    captured,
  };
}
