/**
 * Running a purge against the emulator and collecting what it did, at the two layers tests drive:
 * - `runInvocation`: one run as the cloud functions make it (`invokePurge`: env and policy validated, a client
 *   built from the config, the report logged), against an emulator the test started; returns the report, the
 *   log lines and what was thrown. Backoff and `Retry-After` waits are shortened to 5 ms unless `sleep` says
 *   otherwise.
 * - `startHarness`: an emulator on a fixed clock (`NOW_MS`) with one real client (password auth) kept over
 *   several `runPurge` calls, as the end-to-end tests need: they compare a dry run with the applied run that
 *   follows on the same account, and list through the client themselves.
 * Both log through a `LogCapture` and build their deps with `makeDeps`.
 */
import { startEmulator } from '../../emulator/index';
import type { EmulatedTask, Emulator, EmulatorOptions } from '../../emulator/types';
import type { JanitorCloudClient } from '../../lib/cloud/client';
import { createCloudClientFromConfig } from '../../lib/cloud/from-config';
import { loadConfig } from '../../lib/config';
import type { Deps } from '../../lib/deps';
import { type InvokePurgeOptions, invokePurge } from '../../lib/invocation';
import type { Platform } from '../../lib/platform';
import { parsePolicyText } from '../../lib/policy/load';
import type { Report } from '../../lib/report';
import { type ProgressEvent, type PurgeResult, runPurge } from '../../lib/run-purge';
import { SOURCES } from '../../lib/sources/index';
import type { ServiceId } from '../../lib/types';
import { buildDepsInto, makeDeps, shortSleep } from './deps';
import { captureLog, type LogCapture, type LogRecord } from './log-capture';
import { isWireStale as isStaleAt } from './task-apis';

/** The fixed "now" of every `startHarness` run (emulator ages and the engine's clock). */
export const NOW_MS = Date.UTC(2025, 0, 1);
export const DAY_MS = 86_400_000;

export interface InvocationResult {
  /** The raw log text, one JSON object per line. */
  readonly lines: string[];
  readonly logs: ReadonlyArray<LogRecord>;
  /** The report as returned (or, when the run threw, as logged). */
  readonly report: Report | undefined;
  readonly thrown: unknown;
  /** Wall-clock ms when `invokePurge` returned or threw, before the log was parsed. */
  readonly endedAtMs: number;
}

export interface InvocationOptions {
  /** Added to (or, with `undefined`, removed from) the emulator's endpoint/password environment. */
  readonly env?: Record<string, string | undefined>;
  readonly policy: object;
  readonly nowMs?: () => number;
  /** Where the run happens (`lambdaPlatform` adds the EMF lines). */
  readonly platform?: Platform;
  /**
   * The run's time budget as of `startedAtMs`; what the run is told decreases with the time spent since, as a
   * platform's remaining time does. @default 120_000
   */
  readonly remainingTimeMs?: number;
  /** When the budget started (a Lambda's invocation). @default when `runInvocation` is called */
  readonly startedAtMs?: number;
  /** The operator's interrupt (the CLI's Ctrl-C). */
  readonly signal?: AbortSignal;
  readonly onProgress?: InvokePurgeOptions['onProgress'];
  readonly throwOnFullFailure?: boolean;
  /** The client's side of the wire (a recording fetch). @default node-fetch */
  readonly fetch?: Deps['fetch'];
  /** @default real waits of at most 5 ms */
  readonly sleep?: Deps['sleep'];
  /** @default Math.random */
  readonly random?: () => number;
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
  const startedAtMs = options.startedAtMs ?? Date.now();
  const log = captureLog();
  const now = options.nowMs ?? (() => Date.now());
  let report: Report | undefined;
  let thrown: unknown;
  try {
    const result = await invokePurge({
      env: (key) => env[key],
      remainingTimeMs: () => (options.remainingTimeMs ?? 120_000) - (Date.now() - startedAtMs),
      ...(options.platform ? { platform: options.platform } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.throwOnFullFailure !== undefined ? { throwOnFullFailure: options.throwOnFullFailure } : {}),
      buildDeps: buildDepsInto(log, {
        now: () => new Date(now()),
        sleep: options.sleep ?? shortSleep(5),
        random: options.random ?? Math.random,
        ...(options.fetch ? { fetch: options.fetch } : {}),
      }),
    });
    if (result.kind === 'purge') report = result.report;
  } catch (error) {
    thrown = error;
  }
  const endedAtMs = Date.now();
  const logs = log.records();
  report ??= logs.find((l) => l.msg === 'purge report')?.report as Report | undefined;
  return { lines: log.lines, logs, report, thrown, endedAtMs };
}

export interface Harness {
  readonly emulator: Emulator;
  readonly deps: Deps;
  /** Every run's log, in order. */
  readonly log: LogCapture;
  readonly client: JanitorCloudClient;
  run(policy: object, options?: { onProgress?: (event: ProgressEvent) => void }): Promise<PurgeResult>;
  close(): Promise<void>;
}

export async function startHarness(options: EmulatorOptions): Promise<Harness> {
  const emulator = await startEmulator({ nowMs: () => NOW_MS, ...options });
  const { deps, log } = makeDeps({ now: () => new Date(NOW_MS), random: Math.random });
  const config = loadConfig({ ...emulator.endpointEnv(), TASK_JANITOR_MAX_ATTEMPTS: '2' });
  const client = createCloudClientFromConfig(deps, config, { backoffBaseMs: 1, backoffCapMs: 5 });
  return {
    emulator,
    deps,
    log,
    client,
    async run(policy, runOptions = {}) {
      const projectId = await client.resolveProjectId();
      return runPurge(deps, {
        policy: parsePolicyText(JSON.stringify(policy), { format: 'json' }),
        client,
        projectId,
        sources: SOURCES,
        deadlineAtMs: NOW_MS + 3_600_000,
        signals: {
          stop: new AbortController().signal,
          abort: new AbortController().signal,
          resolve: new AbortController().signal,
        },
        ...(runOptions.onProgress ? { onProgress: runOptions.onProgress } : {}),
      });
    },
    async close() {
      await client.close();
      await emulator.close();
    },
  };
}

/** Deletable (the test's own reading of the emulator's states) and ended more than `olderThanMs` before NOW. */
export function isWireStale(task: EmulatedTask, olderThanMs: number): boolean {
  return isStaleAt(task, olderThanMs, NOW_MS);
}

/** Identity of a task within its API: ids are unique per parent only (DIS names per stream). */
export function keyOf(task: { service: ServiceId; id: string; parentId?: string | undefined }): string {
  return `${task.parentId ?? ''}\u0000${task.id}`;
}
