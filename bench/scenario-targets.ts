/**
 * B7 targets: many projects and regions in one run. Twenty targets (five regions of four projects), each region
 * with its own hosts at 25 ms latency and 100 requests/s per host: one run with TASK_JANITOR_TARGET_CONCURRENCY=4
 * against the same twenty purged one at a time (each its own run of a one-target policy), side by side; the
 * purge's peak RSS over twenty targets of 50,000 listed tasks each; and whether one throttled region lowers the
 * others' request rate.
 */
import type { EmulatorOptions, EmulatorRegionOptions, FaultSettings, FaultTarget } from '../emulator/types';
import type { ServiceId } from '../lib/types';
import type { EmulatorStats, SpanStats } from './emulator-process';
import { type EmulatorHandle, median, round, runPurgeProcess, startEmulatorProcess } from './harness';
import type { PurgeOutcome } from './purge-process';
import type { Scenario, ScenarioContext, ScenarioResult } from './scenarios';

const REGIONS = ['cn-north-4', 'cn-east-3', 'cn-south-1', 'ap-southeast-1', 'ap-southeast-3'] as const;
const PROJECTS_PER_REGION = 4;
const THROTTLED_REGION = 'ap-southeast-3';
const LIMIT_PER_SECOND = 100;
const THROTTLED_LIMIT_PER_SECOND = 10;
const LATENCY_MS = 25;
const HOUR_MS = 3_600_000;
/** Lambda's 15 minutes less the run's safety margin (max(10 s, 5 %)): what one run has for its targets. */
const LAMBDA_RUN_MS = 900_000 - 45_000;
/** The V8 heap of a 256 MB function, as B4 measures it (what NODE_OPTIONS should carry). */
const HEAP_FLAGS: readonly string[] = ['--max-old-space-size=120', '--max-semi-space-size=4'];
const RSS_LIMIT_MB = 256;
/** The task APIs of a region (SMS, the account's, is listed by one target and left out here). */
const REGIONAL: readonly ServiceId[] = [
  'dcs-center-tasks',
  'dcs-background-tasks',
  'modelarts-processor-tasks',
  'oms-migration-tasks',
  'dis-dump-tasks',
];
type Faults = Array<FaultTarget & FaultSettings>;

function regions(perProject: Partial<EmulatorOptions>): EmulatorRegionOptions[] {
  return REGIONS.map((id) => ({
    id,
    projects: Array.from({ length: PROJECTS_PER_REGION }, (_, k) => ({
      name: k === 0 ? id : `${id}_p${k + 1}`,
      ...(perProject.tasks !== undefined ? { tasks: perProject.tasks } : {}),
      ...(perProject.tasksPerService !== undefined ? { tasksPerService: perProject.tasksPerService } : {}),
    })),
  }));
}

/** Every host of every region at 25 ms and its own 100/s bucket; `slow` regions at their own lower limit. */
function limits(slow: Record<string, number> = {}): Faults {
  const hosts = ['iam', 'dcs', 'modelarts', 'oms', 'dis'] as const;
  return [
    ...hosts.map((service) => ({ service, latencyMs: LATENCY_MS, rateLimitPerSecond: LIMIT_PER_SECOND })),
    ...Object.entries(slow).flatMap(([region, limit]) =>
      hosts.map((service) => ({ service, region, latencyMs: LATENCY_MS, rateLimitPerSecond: limit })),
    ),
  ];
}

/** A policy over `targets` (every project of the five regions by default), no cap. */
function policy(services: readonly ServiceId[], olderThan: string, targets?: unknown[]): string {
  return JSON.stringify({
    version: 1,
    dryRun: false,
    maxDeletesPerRun: Number.MAX_SAFE_INTEGER,
    targets: targets ?? [{ regions: [...REGIONS], projects: ['*'] }],
    services: Object.fromEntries(services.map((s) => [s, { olderThan }])),
  });
}

async function withEmulator<T>(options: EmulatorOptions, fn: (e: EmulatorHandle) => Promise<T>): Promise<T> {
  const emulator = await startEmulatorProcess(options);
  try {
    return await fn(emulator);
  } finally {
    await emulator.close();
  }
}

const wallMsOf = (outcome: PurgeOutcome): number => outcome.finishedAtMs - outcome.startedAtMs;

/** All stale tasks deleted, none failed, every target done. */
function clean(outcome: PurgeOutcome): boolean {
  const { totals, targets } = outcome.report;
  return (
    totals.deleted === totals.stale &&
    totals.failed === 0 &&
    (targets ?? []).every((t) => t.status === 'done' && t.stoppedBy === undefined)
  );
}

interface Side {
  wallMs: number;
  deleted: number;
  listed: number;
  clean: boolean;
}

/** The twenty targets in one run, and the same twenty one at a time (a fresh account of the same seed). */
async function concurrencyCase(ctx: ScenarioContext) {
  const tasks = ctx.quick ? 300 : 1_000;
  const options: EmulatorOptions = { seed: 71, tasks: 0, regions: regions({ tasks }), faults: limits() };
  const all = policy(REGIONAL, '1d');
  const together = await withEmulator(options, async (emulator) => {
    const outcome = await runPurgeProcess({
      env: { ...emulator.env, TASK_JANITOR_TARGET_CONCURRENCY: '4' },
      policy: all,
      remainingTimeMs: HOUR_MS,
    });
    const { totals } = outcome.report;
    return {
      wallMs: wallMsOf(outcome),
      deleted: totals.deleted,
      listed: totals.listed,
      clean: clean(outcome),
    };
  });
  ctx.log(`B7 20 targets at once (4 concurrent): ${JSON.stringify(together)}`);
  const alone = await withEmulator(options, async (emulator) => {
    const sides: Side[] = [];
    for (const project of emulator.projects) {
      const one = policy(REGIONAL, '1d', [{ regions: [project.region], projects: [project.name] }]);
      const outcome = await runPurgeProcess({ env: emulator.env, policy: one, remainingTimeMs: HOUR_MS });
      const { totals } = outcome.report;
      sides.push({
        wallMs: wallMsOf(outcome),
        deleted: totals.deleted,
        listed: totals.listed,
        clean: clean(outcome),
      });
    }
    return sides;
  });
  const sumMs = alone.reduce((sum, s) => sum + s.wallMs, 0);
  const sequential = {
    wallMs: sumMs,
    deleted: alone.reduce((sum, s) => sum + s.deleted, 0),
    listed: alone.reduce((sum, s) => sum + s.listed, 0),
    clean: alone.every((s) => s.clean),
    medianTargetMs: median(alone.map((s) => s.wallMs)),
  };
  ctx.log(`B7 the same 20 one at a time: ${JSON.stringify(sequential)}`);
  return { tasks, together, sequential, speedup: sumMs / Math.max(1, together.wallMs) };
}

/** Peak RSS of one run over twenty targets of `perTarget` listed OMS tasks each, with the function's heap flags. */
async function memoryCase(ctx: ScenarioContext) {
  const perTarget = ctx.quick ? 10_000 : 50_000;
  const zero = Object.fromEntries(REGIONAL.map((s) => [s, 0]));
  const options: EmulatorOptions = {
    seed: 72,
    tasks: 0,
    regions: regions({ tasksPerService: { ...zero, 'oms-migration-tasks': perTarget } }),
  };
  return withEmulator(options, async (emulator) => {
    // As B4: ~10 % of OMS tasks are stale at 155 days.
    const outcome = await runPurgeProcess(
      { env: emulator.env, policy: policy(['oms-migration-tasks'], '155d'), remainingTimeMs: HOUR_MS },
      { nodeFlags: HEAP_FLAGS },
    );
    const { totals } = outcome.report;
    const figures = {
      perTarget,
      listed: totals.listed,
      deleted: totals.deleted,
      clean: clean(outcome),
      maxRssMb: round(outcome.maxRssKb / 1024),
      wallS: round(wallMsOf(outcome) / 1000, 1),
      generateS: round(emulator.generateMs / 1000, 1),
    };
    ctx.log(`B7 memory: ${JSON.stringify(figures)}`);
    return figures;
  });
}

/** Requests per second of each region between its first and last request. */
function regionRates(stats: EmulatorStats, regionIds: readonly string[]): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const region of regionIds) {
    const s: SpanStats | undefined = stats.regions[region];
    if (!s || s.firstAtMs === undefined || s.lastAtMs === undefined) continue;
    rates[region] = round((s.requests / Math.max(1, s.lastAtMs - s.firstAtMs)) * 1000);
  }
  return rates;
}

/**
 * The same account purged without and with one region at a tenth of the others' limit, all twenty targets at
 * once (so that no target waits for a slot a throttled one holds: what is measured is the hosts, pacing and
 * retry budget of each region). That region's projects hold a quarter of the others' tasks, so that the
 * throttled run stays within a minute.
 */
async function throttleCase(ctx: ScenarioContext) {
  const tasks = ctx.quick ? 150 : 400;
  const account = regions({ tasks }).map((region) =>
    region.id === THROTTLED_REGION
      ? { ...region, projects: (region.projects ?? []).map((p) => ({ ...p, tasks: tasks / 4 })) }
      : region,
  );
  const others = REGIONS.filter((r) => r !== THROTTLED_REGION);
  const run = (faults: Faults) =>
    withEmulator({ seed: 73, tasks: 0, regions: account, faults }, async (emulator) => {
      const outcome = await runPurgeProcess({
        env: { ...emulator.env, TASK_JANITOR_TARGET_CONCURRENCY: '20' },
        policy: policy(REGIONAL, '1d'),
        remainingTimeMs: HOUR_MS,
      });
      const stats = await emulator.stats();
      return {
        wallMs: wallMsOf(outcome),
        clean: clean(outcome),
        rates: regionRates(stats, REGIONS),
        throttled: Object.fromEntries(
          Object.entries(stats.regions).map(([region, s]) => [region, s.throttled]),
        ),
      };
    });
  const plain = await run(limits());
  const slowed = await run(limits({ [THROTTLED_REGION]: THROTTLED_LIMIT_PER_SECOND }));
  const ratios = others.map((r) => (slowed.rates[r] ?? 0) / Math.max(1e-9, plain.rates[r] ?? 0));
  const figures = { tasks, plain, slowed, ratios, ratio: Math.min(...ratios) };
  ctx.log(`B7 throttled region: ${JSON.stringify(figures)}`);
  return figures;
}

export const b7: Scenario = {
  id: 'B7',
  name: 'targets',
  target:
    `20 targets (5 regions × ${PROJECTS_PER_REGION} projects), ${LATENCY_MS} ms, ${LIMIT_PER_SECOND} req/s per host: one run at TASK_JANITOR_TARGET_CONCURRENCY=4 ≥ 3.5× faster than the same 20 one at a time; ` +
    `peak RSS ≤ ${RSS_LIMIT_MB} MB for 20 targets × 50,000 listed tasks (the function's heap flags); one region at ${THROTTLED_LIMIT_PER_SECOND} req/s does not lower the other regions' request rate (each ≥ 90 % of it)`,
  async run(ctx): Promise<ScenarioResult> {
    const speed = await concurrencyCase(ctx);
    const memory = await memoryCase(ctx);
    const throttle = await throttleCase(ctx);
    const perRunTargets = Math.floor((20 * LAMBDA_RUN_MS) / Math.max(1, speed.together.wallMs));
    const listedPerTarget = Math.round(speed.together.listed / 20);
    const deletedPerTarget = Math.round(speed.together.deleted / 20);
    const pass =
      speed.speedup >= 3.5 &&
      speed.together.clean &&
      speed.sequential.clean &&
      memory.maxRssMb <= RSS_LIMIT_MB &&
      memory.clean &&
      throttle.ratio >= 0.9 &&
      throttle.plain.clean &&
      throttle.slowed.clean;
    return {
      id: 'B7',
      name: 'targets',
      target: this.target,
      measured:
        `20 targets in ${round(speed.together.wallMs / 1000, 1)} s at once vs ${round(speed.sequential.wallMs / 1000, 1)} s one at a time = ${round(speed.speedup, 2)}× ` +
        `(${speed.together.listed} listed, ${speed.together.deleted} deleted, all done: ${speed.together.clean && speed.sequential.clean}); ` +
        `peak RSS ${memory.maxRssMb} MB for 20 × ${memory.perTarget} listed (${memory.listed} listed, ${memory.deleted} deleted in ${memory.wallS} s); ` +
        `with ${THROTTLED_REGION} at ${THROTTLED_LIMIT_PER_SECOND} req/s the other regions' request rates are ${REGIONS.filter(
          (r) => r !== THROTTLED_REGION,
        )
          .map((r) => `${r} ${throttle.slowed.rates[r] ?? 0}/s vs ${throttle.plain.rates[r] ?? 0}/s`)
          .join(', ')} without (min ${round(throttle.ratio * 100)} %); ` +
        `one 15-minute run covers ≈ ${perRunTargets} such targets (${listedPerTarget} listed, ${deletedPerTarget} deleted each)`,
      pass,
      figures: { speed, memory, throttle, perRunTargets, listedPerTarget, deletedPerTarget },
      notes: [
        `Five regions (${REGIONS.join(', ')}), four projects each; every host of every region its own listener and its own ${LIMIT_PER_SECOND}/s bucket, ${LATENCY_MS} ms latency; the five regional task APIs (SMS, listed by one target, left out so that every target has the same work); no cap.`,
        `One at a time: each of the 20 targets in its own purge process with a one-target policy, on a fresh account of the same seed; the figure is the sum of the runs' own wall times (process start-up not counted).`,
        `Memory: OMS only, ${memory.perTarget} tasks per project (~10 % stale at 155 days), no latency, purge process with ${HEAP_FLAGS.join(' ')}; the emulator generated the ${20 * memory.perTarget} tasks in ${memory.generateS} s.`,
        `Throttled region: ${throttle.tasks} tasks per project (${throttle.tasks / 4} in ${THROTTLED_REGION}), all 20 targets at once (TASK_JANITOR_TARGET_CONCURRENCY=20: no target waits for a slot a throttled one holds), no cap; a region's rate is its requests (IAM's included) over its first-to-last request. Whole run ${round(throttle.plain.wallMs / 1000, 1)} s without, ${round(throttle.slowed.wallMs / 1000, 1)} s with the throttled region; 429s per region ${JSON.stringify(throttle.slowed.throttled)} (without: ${JSON.stringify(throttle.plain.throttled)}).`,
        `15-minute coverage: 20 × ${LAMBDA_RUN_MS / 1000} s (Lambda's 900 s less the safety margin) / the 20-target run's wall time, for targets like these at these limits.`,
      ],
    };
  },
};
