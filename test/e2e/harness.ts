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

/** Wire states the test itself treats as deletable (issue 5's table, written out again on purpose). */
export const WIRE_DELETABLE: Readonly<Record<ServiceId, ReadonlyArray<string | number>>> = {
  'dcs-center-tasks': ['SUCCESS', 'FAILED', 'FAIL'],
  'dcs-background-tasks': ['SUCCESS', 'FAILED', 'FAIL'],
  'modelarts-processor-tasks': [2, 3, 4],
  'oms-migration-tasks': [3, 4, 5],
  'dis-dump-tasks': ['ERROR', 'ABNORMAL', 'PAUSED'],
};

/** Wire in-progress state to flip a task into, per service. */
export const WIRE_IN_PROGRESS: Readonly<Record<ServiceId, string | number>> = {
  'dcs-center-tasks': 'EXECUTING',
  'dcs-background-tasks': 'EXECUTING',
  'modelarts-processor-tasks': 1,
  'oms-migration-tasks': 2,
  'dis-dump-tasks': 'RUNNING',
};

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** When the emulator's task ended, read from its own wire fields (independently of the sources' code). */
export function wireEndedAtMs(task: EmulatedTask): number | undefined {
  const f = task.fields;
  switch (task.service) {
    case 'dcs-center-tasks':
    case 'dcs-background-tasks': {
      const text = typeof f.updated_at === 'string' ? f.updated_at : f.created_at;
      return typeof text === 'string' ? Date.parse(text) : undefined;
    }
    case 'modelarts-processor-tasks': {
      const created = num(f.create_time);
      const seconds = num(f.duration_seconds);
      return created !== undefined && seconds !== undefined ? created + seconds * 1000 : undefined;
    }
    case 'oms-migration-tasks': {
      const start = num(f.start_time);
      const total = num(f.total_time);
      return start !== undefined && total !== undefined ? start + total : undefined;
    }
    case 'dis-dump-tasks':
      return num(f.last_transfer_timestamp) || num(f.create_time);
  }
}

export function isWireStale(task: EmulatedTask, olderThanMs: number): boolean {
  const ended = wireEndedAtMs(task);
  return (
    WIRE_DELETABLE[task.service].includes(task.state) && ended !== undefined && NOW_MS - ended > olderThanMs
  );
}

/** Identity of a task in the emulator's records (DIS names are unique per stream only). */
export function keyOf(task: { service: ServiceId; id: string; parentId?: string | undefined }): string {
  return task.service === 'dis-dump-tasks' ? `${task.parentId ?? ''}\u0000${task.id}` : task.id;
}
