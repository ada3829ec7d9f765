/**
 * Benchmark plumbing: the emulator and each purge run in their own processes (forked with tsx), driven over
 * IPC. See `emulator-process.ts` and `purge-process.ts`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import {
  type EmulatorOptions,
  type EmulatorProject,
  type FaultSettings,
  type FaultTarget,
  TASK_APIS,
  type TaskApiId,
} from '../emulator/types';
import { getSource } from '../lib/sources/index';
import { SERVICE_IDS, type ServiceId } from '../lib/types';
import type { EmulatorStats, ReadyMessage } from './emulator-process';
import type { PurgeJob, PurgeMessage, PurgeOutcome } from './purge-process';

const HERE = fileURLToPath(new URL('.', import.meta.url));
export const PROFILE_DIR = fileURLToPath(new URL('./results/', import.meta.url));

function forkTs(file: string, arg: string, execArgv: readonly string[] = []): ChildProcess {
  return fork(`${HERE}${file}`, [arg], {
    execArgv: ['--import', 'tsx', ...execArgv],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
}

export interface EmulatorHandle {
  readonly env: Record<string, string>;
  /** The emulated account's projects, region by region. */
  readonly projects: readonly EmulatorProject[];
  readonly generateMs: number;
  stats(options?: { sinceMs?: number; perSecond?: boolean }): Promise<EmulatorStats>;
  setFaults(target: FaultTarget, settings: FaultSettings): Promise<void>;
  clearFaults(): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulatorProcess(options: EmulatorOptions): Promise<EmulatorHandle> {
  const child = forkTs('emulator-process.ts', JSON.stringify(options));
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const ready = new Promise<ReadyMessage>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`emulator process exited (${code}) before it was ready`)));
    child.on('message', (raw: unknown) => {
      const message = raw as { type?: string; id?: number; result?: unknown; error?: string };
      if (message.type === 'ready') {
        resolve(raw as ReadyMessage);
        return;
      }
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(message.error));
      else waiter.resolve(message.result);
    });
  });
  const call = (command: Record<string, unknown>): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      child.send({ id, ...command });
    });
  const info = await ready;
  return {
    env: info.env,
    projects: info.projects,
    generateMs: info.generateMs,
    stats: async (o = {}) => (await call({ cmd: 'stats', ...o })) as EmulatorStats,
    setFaults: async (target, settings) => {
      await call({ cmd: 'setFaults', target, settings });
    },
    clearFaults: async () => {
      await call({ cmd: 'clearFaults' });
    },
    close: async () => {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call({ cmd: 'close' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

let purgeBundle: string | undefined;

/**
 * The purge process runs from an esbuild bundle under plain `node`, as the function does: no tsx loader in
 * its memory or its CPU profile. Built once per bench run.
 */
function purgeBundlePath(): string {
  if (purgeBundle === undefined) {
    const out = join(mkdtempSync(join(tmpdir(), 'task-janitor-bench-')), 'purge-process.cjs');
    buildSync({
      entryPoints: [`${HERE}purge-process.ts`],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'inline',
      keepNames: true,
      logLevel: 'error',
    });
    purgeBundle = out;
  }
  return purgeBundle;
}

export interface RunPurgeOptions {
  /** Called when the plan is ready (deletes about to start). */
  onPlan?: (atMs: number, deletes: number) => void | Promise<void>;
  /** Write a V8 CPU profile of the purge process to bench/results/. */
  cpuProfileName?: string;
  /** Extra node flags for the purge process (e.g. a heap limit). */
  nodeFlags?: readonly string[];
}

export function runPurgeProcess(job: PurgeJob, options: RunPurgeOptions = {}): Promise<PurgeOutcome> {
  const execArgv: string[] = [...(options.nodeFlags ?? [])];
  if (options.cpuProfileName) {
    mkdirSync(PROFILE_DIR, { recursive: true });
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${options.cpuProfileName}`);
  }
  const child = fork(purgeBundlePath(), [JSON.stringify(job)], {
    execArgv,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  return new Promise((resolve, reject) => {
    let outcome: PurgeOutcome | undefined;
    let failure: string | undefined;
    child.on('message', (raw: unknown) => {
      const message = raw as PurgeMessage;
      if (message.type === 'plan') void options.onPlan?.(message.atMs, message.deletes);
      else if (message.type === 'done') outcome = message.outcome;
      else failure = message.message;
    });
    child.once('exit', (code) => {
      if (outcome) resolve(outcome);
      else reject(new Error(`purge process failed (exit ${code}): ${failure ?? 'no outcome'}`));
    });
  });
}

/** A policy deleting every deletable task older than `olderThan` of `services`, with no cap. */
export function policyFor(services: readonly ServiceId[], olderThan = '1d'): string {
  return JSON.stringify({
    version: 1,
    dryRun: false,
    maxDeletesPerRun: Number.MAX_SAFE_INTEGER,
    services: Object.fromEntries(services.map((s) => [s, { olderThan }])),
  });
}

export const ALL_SERVICES: readonly ServiceId[] = SERVICE_IDS;

/**
 * Deletions the emulator saw of tasks that were not in a deletable state (in progress or unknown), and of SMS
 * tasks whose source server was not idle (as the emulator models its states).
 */
export function nonDeletableDeletions(stats: EmulatorStats): number {
  let count = 0;
  for (const [service, byState] of Object.entries(stats.deletions)) {
    const source = getSource(service as ServiceId);
    for (const [state, n] of Object.entries(byState)) {
      // Stats carry states as text; a status code reads the same as a decimal string.
      if (source.classifyWireState(state).stateClass !== 'deletable') count += n;
    }
  }
  for (const [service, byServer] of Object.entries(stats.deletionsBySourceServer)) {
    const idle: readonly string[] = TASK_APIS[service as TaskApiId]?.sourceServerStates?.idle ?? [];
    for (const [state, n] of Object.entries(byServer)) if (!idle.includes(state)) count += n;
  }
  return count;
}

export function totalRequests(stats: EmulatorStats): number {
  return Object.values(stats.hosts).reduce((sum, h) => sum + h.requests, 0);
}

export function statusCount(stats: EmulatorStats, predicate: (status: number) => boolean): number {
  let count = 0;
  for (const host of Object.values(stats.hosts)) {
    for (const [status, n] of Object.entries(host.byStatus)) if (predicate(Number(status))) count += n;
  }
  return count;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export const round = (value: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};
