/**
 * Chaos invariant 4 (docs/decisions/0015-chaos-invariants.md), "the run logged its report", where the chaos suite found it broken: when the
 * project id cannot be resolved (IAM down, no TASK_JANITOR_PROJECT_ID), the run used to end with only an
 * error line: no report, no metrics, so a ListingFailed alarm never fired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { lambdaPlatform } from '../../handlers/aws/purge';
import { sleep } from '../../lib/default-deps';
import type { Report } from '../../lib/report';
import { runInvocation } from '../support/emulator-run';

describe('a run whose project id cannot be resolved', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ tasks: 20 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('still logs its report (every service failed, nothing deleted) and its metrics, then fails', async () => {
    emulator.setFaults({ service: 'iam' }, { outage: true });

    const run = await runInvocation(emulator, {
      env: { TASK_JANITOR_PROJECT_ID: undefined, TASK_JANITOR_MAX_ATTEMPTS: '2' },
      policy: {
        version: 1,
        dryRun: false,
        services: { 'oms-migration-tasks': { olderThan: '1d' }, 'dis-dump-tasks': { olderThan: '1d' } },
      },
      remainingTimeMs: 60_000,
      platform: lambdaPlatform({ functionName: 'task-janitor-test' }),
      sleep: (_ms, signal) => sleep(1, signal),
      random: () => 0,
    });

    expect(run.thrown).toMatchObject({ status: 503 });
    const logs = run.logs as ReadonlyArray<{ msg?: string; report?: Report; Service?: string }>;
    const reports = logs.filter((l) => l.msg === 'purge report').map((l) => l.report);
    expect(reports).toHaveLength(1);
    const report = reports[0];
    expect(Object.keys(report?.services ?? {})).toEqual(['oms-migration-tasks', 'dis-dump-tasks']);
    for (const entry of Object.values(report?.services ?? {})) {
      expect(entry?.error?.message).toMatch(/project id/);
      expect(entry?.deleted).toBe(0);
    }
    expect(report?.totals.failedServices).toBe(2);
    const all = logs.find((l) => l.msg === 'purge metrics' && l.Service === 'ALL') as
      | { ListingFailed?: number }
      | undefined;
    expect(all?.ListingFailed).toBe(2);
    expect(emulator.requestLog().filter((r) => r.service !== 'iam')).toEqual([]);
  });
});
