/**
 * Runs a purge the way the cloud functions do (`invokePurge`: real config, client, sources) against the
 * emulator, with a pino logger kept in memory and backoff waits shortened.
 */
import type { Emulator } from '../../emulator/types';
import { nodeFetchLike, sleep } from '../../lib/default-deps';
import { type InvokePurgeOptions, invokePurge } from '../../lib/invocation';
import { createLogger } from '../../lib/logger';
import type { Platform } from '../../lib/platform';
import type { Report } from '../../lib/report';

export interface InvocationResult {
  /** The raw log text, one JSON object per line. */
  readonly lines: string[];
  readonly logs: ReadonlyArray<Record<string, unknown>>;
  /** The report as returned (or, when the run threw, as logged). */
  readonly report: Report | undefined;
  readonly thrown: unknown;
}

export interface InvocationOptions {
  /** Added to (or, with `undefined`, removed from) the emulator's endpoint/password environment. */
  readonly env?: Record<string, string | undefined>;
  readonly policy: object;
  readonly nowMs?: () => number;
  /** Where the run happens (`lambdaPlatform` adds the EMF lines). */
  readonly platform?: Platform;
  readonly remainingTimeMs?: number;
  /** The operator's interrupt (the CLI's Ctrl-C). */
  readonly signal?: AbortSignal;
  readonly onProgress?: InvokePurgeOptions['onProgress'];
}

export async function runInvocation(
  emulator: Emulator,
  options: InvocationOptions,
): Promise<InvocationResult> {
  const env: Record<string, string | undefined> = {
    ...emulator.endpointEnv(),
    TASK_JANITOR_POLICY: JSON.stringify(options.policy),
    TASK_JANITOR_MAX_ATTEMPTS: '4',
    ...options.env,
  };
  const lines: string[] = [];
  const now = options.nowMs ?? (() => Date.now());
  let report: Report | undefined;
  let thrown: unknown;
  try {
    const result = await invokePurge({
      env: (key) => env[key],
      remainingTimeMs: () => options.remainingTimeMs ?? 120_000,
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      buildDeps: ({ logLevel, logBase }) => ({
        fetch: nodeFetchLike,
        now: () => new Date(now()),
        sleep: (ms, signal) => sleep(Math.min(ms, 5), signal),
        random: Math.random,
        log: createLogger({
          level: logLevel,
          destination: { write: (line: string) => void lines.push(line) },
          ...(logBase ? { base: logBase } : {}),
        }),
      }),
    });
    if (result.kind === 'purge') report = result.report;
  } catch (error) {
    thrown = error;
  }
  const logs = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  report ??= logs.find((l) => l.msg === 'purge report')?.report as Report | undefined;
  return { lines, logs, report, thrown };
}
