/**
 * End-to-end harness: the real emulator over loopback HTTP, the real cloud client (password auth through
 * the emulator's IAM), the real sources and `runPurge`. Clocks are fixed so task ages are exact.
 */

import { startEmulator } from '../../emulator/index';
import type { EmulatedTask, Emulator, EmulatorOptions } from '../../emulator/types';
import type { JanitorCloudClient } from '../../lib/cloud/client';
import { createCloudClientFromConfig } from '../../lib/cloud/from-config';
import { loadConfig } from '../../lib/config';
import { createDefaultDeps } from '../../lib/default-deps';
import type { Deps, Logger } from '../../lib/deps';
import { parsePolicyText } from '../../lib/policy/load';
import { type ProgressEvent, type PurgeResult, runPurge } from '../../lib/run-purge';
import { SOURCES } from '../../lib/sources/index';
import type { ServiceId } from '../../lib/types';
import { isWireStale as isStaleAt } from '../support/task-apis';

/** The fixed "now" of every e2e run (emulator ages and the engine's clock). */
export const NOW_MS = Date.UTC(2025, 0, 1);
export const DAY_MS = 86_400_000;

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string | undefined;
}

/** A logger that keeps every line in memory (tests assert on it; nothing goes to stdout). */
export function memoryLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}): Logger {
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj: { ...bindings, ...obj }, msg });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => memoryLogger(lines, { ...bindings, ...more }),
  };
}

export interface Harness {
  readonly emulator: Emulator;
  readonly deps: Deps;
  readonly logs: LogLine[];
  readonly client: JanitorCloudClient;
  run(policy: object, options?: { onProgress?: (event: ProgressEvent) => void }): Promise<PurgeResult>;
  close(): Promise<void>;
}

export async function startHarness(options: EmulatorOptions): Promise<Harness> {
  const emulator = await startEmulator({ nowMs: () => NOW_MS, ...options });
  const logs: LogLine[] = [];
  const deps: Deps = { ...createDefaultDeps(), now: () => new Date(NOW_MS), log: memoryLogger(logs) };
  const config = loadConfig({ ...emulator.endpointEnv(), TASK_JANITOR_MAX_ATTEMPTS: '2' });
  const client = createCloudClientFromConfig(deps, config, { backoffBaseMs: 1, backoffCapMs: 5 });
  return {
    emulator,
    deps,
    logs,
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
