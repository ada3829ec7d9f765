/**
 * Chaos invariant 4 (docs/decisions/0015-chaos-invariants.md), "the run logged its report", where the chaos suite found it broken: when the
 * project id cannot be resolved (IAM down, no TASK_JANITOR_PROJECT_ID), the run used to end with only an
 * error line: no report, no metrics, so a ListingFailed alarm never fired.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { lambdaPlatform } from '../../handlers/aws/purge';
import { nodeFetchLike, sleep } from '../../lib/default-deps';
import { invokePurge } from '../../lib/invocation';
import { createLogger } from '../../lib/logger';
import type { Report } from '../../lib/report';

describe('a run whose project id cannot be resolved', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ tasks: 20 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('still logs its report (every service failed, nothing deleted) and its metrics, then fails', async () => {
    const env: Record<string, string | undefined> = {
      ...emulator.endpointEnv(),
      TASK_JANITOR_PROJECT_ID: undefined,
      TASK_JANITOR_MAX_ATTEMPTS: '2',
      TASK_JANITOR_POLICY: JSON.stringify({
        version: 1,
        dryRun: false,
        services: { 'oms-migration-tasks': { olderThan: '1d' }, 'dis-dump-tasks': { olderThan: '1d' } },
      }),
    };
    emulator.setFaults({ service: 'iam' }, { outage: true });
    const lines: string[] = [];

    const run = invokePurge({
      env: (key) => env[key],
      remainingTimeMs: () => 60_000,
      platform: lambdaPlatform({ functionName: 'task-janitor-test' }),
      buildDeps: ({ logLevel }) => ({
        fetch: nodeFetchLike,
        now: () => new Date(),
        sleep: (_ms, signal) => sleep(1, signal),
        random: () => 0,
        log: createLogger({
          level: logLevel,
          destination: { write: (line: string) => void lines.push(line) },
        }),
      }),
    });

    await expect(run).rejects.toMatchObject({ status: 503 });
    const logs = lines.map((line) => JSON.parse(line) as { msg?: string; report?: Report; Service?: string });
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
