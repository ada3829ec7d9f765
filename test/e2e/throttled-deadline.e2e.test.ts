/**
 * A purge against a host whose quota is spent for the rest of the run (a fixed window without Retry-After):
 * throttled deletes wait for capacity until the run's deadline, and what is left is reported
 * `skipped: deadline`, never `failed` (the cloud functions' code path: `invokePurge`).
 */
import { afterEach, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../emulator/index';
import { sleep } from '../../lib/default-deps';
import { runInvocation } from '../support/emulator-run';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

it('a delete still throttled at the deadline is skipped for the deadline, not failed; no error logged', async () => {
  emulator = await startEmulator({
    seed: 5,
    tasks: 0,
    tasksPerService: { 'oms-migration-tasks': 40 },
    // One hour's quota of 6 requests: the listing and a few deletes, then 429s without Retry-After.
    faults: [{ service: 'oms', fixedWindowLimit: 6, fixedWindowSeconds: 3600 }],
  });
  // Real waits and jitter: the throttled deletes wait for capacity until the deadline, as in production.
  const { report, logs, thrown } = await runInvocation(emulator, {
    env: { TASK_JANITOR_MAX_ATTEMPTS: '2', TASK_JANITOR_MAX_RETRY_TIME_MS: '1000' },
    policy: { version: 1, dryRun: false, services: { 'oms-migration-tasks': { olderThan: '1d' } } },
    // The run's deadline is the budget less its 10 s margin: 3 s.
    remainingTimeMs: 13_000,
    throwOnFullFailure: false,
    sleep,
  });

  expect(thrown).toBeUndefined();
  const oms = report?.services['oms-migration-tasks'];
  expect(oms?.stale).toBeGreaterThan(10);
  expect(oms?.failed).toBe(0);
  expect(oms?.deleted).toBeGreaterThan(0);
  expect(oms?.skipped.deadline).toBeGreaterThan(0);
  expect((oms?.deleted ?? 0) + (oms?.skipped.deadline ?? 0)).toBe(oms?.stale);
  const throttled = emulator.requestLog().filter((e) => e.status === 429);
  expect(throttled.length).toBeGreaterThan(0);
  expect(logs.filter((line) => line.level === 'error')).toEqual([]);
}, 20_000);
