/**
 * One throttled region changes nothing for the others: the same account purged twice by the real CLI process,
 * all six targets at once, once as it is and once with one region's hosts at a low rate limit. The other
 * regions lose exactly the same tasks, and their request rate (from the emulator's request timestamps, region
 * by region) is not lowered.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator, EmulatorOptions, FaultSettings, FaultTarget } from '../../emulator/types';
import { startCli } from '../cli/run-cli';
import {
  accountOptions,
  keysOfDeletions,
  policyOver,
  REGIONS,
  removeBorderlineTasks,
  selectedKeys,
} from './targets-fixture';

const THROTTLED = 'cn-east-3';
const LIMIT_PER_SECOND = 4;
const RUN_TIMEOUT_MS = 40_000;

let dir: string;
const started: Emulator[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-throttle-'));
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  await rm(dir, { recursive: true, force: true });
});

/** Every region's projects; the throttled region's with fewer tasks, so that its run stays short. */
function options(faults: Array<FaultTarget & FaultSettings>): EmulatorOptions {
  const base = accountOptions({ faults: [{ service: '*', latencyMs: 5 }, ...faults] });
  const regions = (base.regions ?? []).map((region) =>
    region.id === THROTTLED
      ? { ...region, projects: (region.projects ?? []).map((p) => ({ ...p, tasks: 10 })) }
      : region,
  );
  return { ...base, regions };
}

interface Measured {
  readonly code: number | null;
  readonly stderr: string;
  readonly deleted: string[];
  readonly expected: string[];
  /** Per region: requests, and requests per second between its first and last request. */
  readonly regions: Record<string, { requests: number; perSecond: number; lastAtMs: number }>;
  readonly throttledAnswers: { region: string | undefined; status: number }[];
}

async function purgeAll(emulator: Emulator): Promise<Measured> {
  removeBorderlineTasks(emulator);
  const expected = selectedKeys(emulator);
  const policy = join(dir, `policy-${started.length}.json`);
  // No cap: with one, a target deletes only once every target before it in the order has listed (its share of
  // the cap depends on theirs), so a throttled region ahead of it in the order would hold up its deletes.
  await writeFile(policy, JSON.stringify(policyOver({ maxDeletesPerRun: Number.MAX_SAFE_INTEGER })));
  const run = startCli(['purge', '--json', '--apply', '--policy', policy], {
    ...emulator.endpointEnv(),
    TASK_JANITOR_TARGET_CONCURRENCY: '6',
  });
  const timer = setTimeout(() => run.child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const result = await run.result.finally(() => clearTimeout(timer));
  const regions: Measured['regions'] = {};
  for (const region of REGIONS) {
    const times = emulator
      .requestLog()
      .filter((e) => e.region === region && e.service !== 'iam')
      .map((e) => e.atMs);
    const first = Math.min(...times);
    const last = Math.max(...times);
    regions[region] = {
      requests: times.length,
      perSecond: (times.length / Math.max(1, last - first)) * 1000,
      lastAtMs: last,
    };
  }
  return {
    code: result.code,
    stderr: result.stderr,
    deleted: keysOfDeletions(emulator.deletions()),
    expected,
    regions,
    throttledAnswers: emulator
      .requestLog()
      .filter((e) => e.status === 429)
      .map((e) => ({ region: e.region, status: e.status })),
  };
}

describe('one throttled region', () => {
  it('changes nothing for the others: the same tasks deleted, never held to its pace', async () => {
    const plain = await startEmulator(options([]));
    started.push(plain);
    const limited = (['dcs', 'modelarts', 'oms', 'dis'] as const).map((service) => ({
      service,
      region: THROTTLED,
      rateLimitPerSecond: LIMIT_PER_SECOND,
    }));
    const throttled = await startEmulator(options(limited));
    started.push(throttled);

    const before = await purgeAll(plain);
    const after = await purgeAll(throttled);

    expect(before.code, before.stderr).toBe(0);
    expect(after.code, after.stderr).toBe(0);
    // The same account (same seed): each run deletes exactly what the policy selects, the throttled region too.
    expect(before.deleted).toEqual(before.expected);
    expect(after.deleted).toEqual(after.expected);
    expect(after.expected).toEqual(before.expected);
    expect(after.throttledAnswers.length).toBeGreaterThan(0);
    expect(new Set(after.throttledAnswers.map((a) => a.region))).toEqual(new Set([THROTTLED]));
    const slowest = after.regions[THROTTLED]?.lastAtMs ?? 0;
    const throttledRate = after.regions[THROTTLED]?.perSecond ?? 0;
    for (const region of REGIONS.filter((r) => r !== THROTTLED)) {
      const was = before.regions[region];
      const is = after.regions[region];
      expect(is?.requests).toBe(was?.requests);
      // Not held to the throttled region's pace: more than twice its rate, in the same run. (A rate compared
      // across the two runs measured the shared machine's load, not the client: bench B7 measures the rates.)
      expect(is?.perSecond ?? 0).toBeGreaterThan(2 * throttledRate);
      expect(is?.lastAtMs ?? 0).toBeLessThan(slowest);
    }
    // The throttled region's own rate stayed near its limit: it was paced, not failed.
    expect(after.regions[THROTTLED]?.perSecond ?? 0).toBeLessThan(4 * LIMIT_PER_SECOND + 1);
  }, 90_000);
});
