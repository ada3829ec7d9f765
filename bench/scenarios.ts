/**
 * The issue 7 scenarios (B1–B6). Each one starts fresh emulator processes, runs purges in child processes and
 * returns its figures; `run.ts` prints and records them.
 */
import type { FaultSettings, FaultTarget } from '../emulator/types';
import { CONFIG_DEFAULTS } from '../lib/config';
import type { CloudService, ServiceId } from '../lib/types';
import type { EmulatorStats } from './emulator-process';
import {
  ALL_SERVICES,
  type EmulatorHandle,
  median,
  policyFor,
  round,
  runPurgeProcess,
  startEmulatorProcess,
  totalRequests,
} from './harness';
import type { PurgeJob, PurgeOutcome } from './purge-process';

export interface ScenarioResult {
  id: string;
  name: string;
  target: string;
  /** One line: the figures the target is judged on. */
  measured: string;
  pass: boolean;
  figures: Record<string, unknown>;
  /** What limits the figures, side observations. */
  notes: string[];
}

export interface ScenarioContext {
  quick: boolean;
  profile: boolean;
  log: (text: string) => void;
}

export interface Scenario {
  id: string;
  name: string;
  target: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}

const TASK_HOSTS: readonly CloudService[] = ['dcs', 'modelarts', 'oms', 'dis'];
const HOUR_MS = 3_600_000;
type Faults = Array<FaultTarget & FaultSettings>;

async function withEmulator<T>(
  options: Parameters<typeof startEmulatorProcess>[0],
  fn: (emulator: EmulatorHandle) => Promise<T>,
): Promise<T> {
  const emulator = await startEmulatorProcess(options);
  try {
    return await fn(emulator);
  } finally {
    await emulator.close();
  }
}

interface RunFigures {
  stale: number;
  deleted: number;
  failed: number;
  listed: number;
  listMs: number;
  deleteMs: number;
  totalMs: number;
  /** Deletes per second of the delete phase (plan ready → run over). */
  deleteRate: number;
  /** Deletes per second of the whole run (listing included). */
  endToEndRate: number;
  requests: number;
  connections: Partial<Record<CloudService, number>>;
  requestsPerHost: Partial<Record<CloudService, number>>;
  maxRssMb: number;
  /** CPU time / wall time of the purge process and of the emulator process (1.0 = one core). */
  purgeCpu: number;
  emulatorCpu: number;
}

function figuresOf(outcome: PurgeOutcome, stats: EmulatorStats): RunFigures {
  const { report } = outcome;
  const plannedAt = outcome.plannedAtMs ?? outcome.finishedAtMs;
  const totalMs = outcome.finishedAtMs - outcome.startedAtMs;
  const deleteMs = outcome.finishedAtMs - plannedAt;
  const connections: Partial<Record<CloudService, number>> = {};
  const requestsPerHost: Partial<Record<CloudService, number>> = {};
  for (const [host, h] of Object.entries(stats.hosts) as Array<
    [CloudService, EmulatorStats['hosts']['iam']]
  >) {
    if (h.requests === 0) continue;
    connections[host] = h.connections;
    requestsPerHost[host] = h.requests;
  }
  return {
    stale: report.totals.stale,
    deleted: report.totals.deleted,
    failed: report.totals.failed,
    listed: report.totals.listed,
    listMs: plannedAt - outcome.startedAtMs,
    deleteMs,
    totalMs,
    deleteRate: round((report.totals.deleted / Math.max(1, deleteMs)) * 1000),
    endToEndRate: round((report.totals.deleted / Math.max(1, totalMs)) * 1000),
    requests: totalRequests(stats),
    connections,
    requestsPerHost,
    maxRssMb: round(outcome.maxRssKb / 1024),
    purgeCpu: round((outcome.cpuUserUs + outcome.cpuSystemUs) / 1000 / Math.max(1, totalMs), 2),
    emulatorCpu: round((stats.cpuUserUs + stats.cpuSystemUs) / 1000 / Math.max(1, stats.uptimeMs), 2),
  };
}

function describeRun(f: RunFigures): string {
  return (
    `listed ${f.listed}, stale ${f.stale}, deleted ${f.deleted}, failed ${f.failed}; list ${round(f.listMs / 1000, 2)} s, ` +
    `delete ${round(f.deleteMs / 1000, 2)} s (${f.deleteRate}/s), end-to-end ${f.endToEndRate}/s; ${f.requests} requests; ` +
    `CPU purge ${f.purgeCpu}, emulator ${f.emulatorCpu}; RSS ${f.maxRssMb} MB`
  );
}

// ---- B1 throughput ----------------------------------------------------------------------------------------

const b1: Scenario = {
  id: 'B1',
  name: 'throughput',
  target:
    'deletes/s ≥ 20× a one-request-at-a-time client (same run); TCP connections per host ≤ maxSockets (≥ 99% reuse)',
  async run(ctx) {
    // ~65 % of generated tasks are stale under a 1-day policy: 31,000 tasks ≈ 20,000 stale.
    const tasks = ctx.quick ? 8_000 : 31_000;
    const baselineTasks = ctx.quick ? 800 : 1_550;
    const repeats = ctx.quick ? 1 : 3;
    const faults: Faults = [{ service: '*', operation: '*', latencyMs: 25 }];
    const maxSockets = CONFIG_DEFAULTS.concurrencyPerHost;
    const policy = policyFor(ALL_SERVICES);

    const baseline = await withEmulator({ seed: 11, tasks: baselineTasks, faults }, async (emulator) => {
      const job: PurgeJob = {
        env: { ...emulator.env, TASK_JANITOR_CONCURRENCY: '1' },
        policy,
        remainingTimeMs: HOUR_MS,
        serialize: true,
      };
      return figuresOf(await runPurgeProcess(job), await emulator.stats());
    });
    ctx.log(`baseline (one request at a time): ${describeRun(baseline)}`);

    const runs: RunFigures[] = [];
    for (let i = 0; i < repeats; i++) {
      const figures = await withEmulator({ seed: 11, tasks, faults }, async (emulator) => {
        const outcome = await runPurgeProcess(
          { env: emulator.env, policy, remainingTimeMs: HOUR_MS },
          ctx.profile && i === 0 ? { cpuProfileName: 'b1-parallel.cpuprofile' } : {},
        );
        return figuresOf(outcome, await emulator.stats());
      });
      ctx.log(`parallel run ${i + 1}/${repeats}: ${describeRun(figures)}`);
      runs.push(figures);
    }
    const deleteRate = median(runs.map((r) => r.deleteRate));
    const endToEndRate = median(runs.map((r) => r.endToEndRate));
    const ratio = deleteRate / baseline.deleteRate;
    const endToEndRatio = endToEndRate / baseline.endToEndRate;
    const maxConnections = Math.max(...runs.flatMap((r) => TASK_HOSTS.map((h) => r.connections[h] ?? 0)));
    const reuse = Math.min(
      ...runs.flatMap((r) =>
        TASK_HOSTS.map((h) => 1 - (r.connections[h] ?? 0) / Math.max(1, r.requestsPerHost[h] ?? 0)),
      ),
    );
    const allDeleted = runs.every((r) => r.deleted === r.stale && r.failed === 0);
    const pass = ratio >= 20 && maxConnections <= maxSockets && reuse >= 0.99 && allDeleted;
    const last = runs[runs.length - 1];
    return {
      id: 'B1',
      name: 'throughput',
      target: this.target,
      measured:
        `${deleteRate} deletes/s vs ${baseline.deleteRate}/s one-at-a-time = ${round(ratio)}× ` +
        `(end-to-end incl. listing ${endToEndRate}/s vs ${baseline.endToEndRate}/s = ${round(endToEndRatio)}×; ` +
        `median of ${repeats}, ${last?.stale ?? 0} stale); max ${maxConnections} connections/host (maxSockets ${maxSockets}), ` +
        `reuse ≥ ${round(reuse * 100, 2)} %`,
      pass,
      figures: {
        baseline,
        runs,
        deleteRate,
        endToEndRate,
        ratio,
        endToEndRatio,
        maxConnections,
        reuse,
        maxSockets,
      },
      notes: [
        `25 ms latency per request; parallel: ${tasks} tasks generated, baseline: ${baselineTasks} tasks (rates compared, same code, TASK_JANITOR_CONCURRENCY=1 plus a process-wide one-request gate around fetch).`,
        `CPU (1.0 = one core): purge ${median(runs.map((r) => r.purgeCpu))}, emulator ${median(runs.map((r) => r.emulatorCpu))} (median).`,
        `Phases (median): listing ${round(median(runs.map((r) => r.listMs)) / 1000, 2)} s, deleting ${round(median(runs.map((r) => r.deleteMs)) / 1000, 2)} s.`,
      ],
    };
  },
};

export const SCENARIOS: readonly Scenario[] = [b1];

export type { ServiceId };
