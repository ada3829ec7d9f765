import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import type { Report } from '../../lib/report';
import { runServerless, type SlsResult } from './sls';

const MANUAL_EVENT = {
  dryRun: false,
  services: ['oms-migration-tasks'],
  olderThan: '7d',
  maxDeletesPerRun: 50,
};

// One `serverless invoke local` run (slow), against the emulator, with AK/SK credentials given directly (`--env`):
// they win over the SSM parameters serverless.yml names, which are then not read (no AWS access needed).
let emulator: Emulator;
let result: SlsResult;

beforeAll(async () => {
  emulator = await startEmulator({ seed: 5, tasksPerService: { 'oms-migration-tasks': 300 } });
  const { account } = emulator;
  const endpoints = Object.fromEntries(
    Object.entries(emulator.endpointEnv()).filter(([key]) => key.startsWith('TASK_JANITOR_ENDPOINT_')),
  );
  result = await runServerless(
    [
      'invoke',
      'local',
      '--function',
      'purge',
      '--data',
      JSON.stringify(MANUAL_EVENT),
      '--param',
      `cloudRegion=${account.region}`,
      '--param',
      `projectId=${account.projectId}`,
      '--env',
      `HUAWEICLOUD_SDK_AK=${account.accessKey}`,
      '--env',
      `HUAWEICLOUD_SDK_SK=${account.secretKey}`,
    ],
    { ...endpoints, TASK_JANITOR_SLS_WORK_FOLDER: '.esbuild/test-invoke-local' },
  );
}, 120_000);

afterAll(async () => {
  await emulator.close();
});

/**
 * `invoke local` prints the handler's result pretty-printed (a `{` alone on its line ... a `}` alone on its
 * line), among the handler's own one-line JSON log lines.
 */
function printedResult(stdout: string): unknown {
  const match = /^\{\n[\s\S]*?^\}$/m.exec(stdout);
  if (!match) throw new Error(`no result printed in:\n${stdout}`);
  return JSON.parse(match[0]);
}

describe('serverless invoke local -f purge (manual event, against the emulator)', () => {
  it('runs the bundled handler and returns the report of the narrowed, capped, applied run', () => {
    expect(result.code, result.stderr).toBe(0);
    const report = printedResult(result.stdout) as Report;

    expect(report.dryRun).toBe(false);
    expect(report.policy.services).toEqual(['oms-migration-tasks']);
    expect(report.policy.maxDeletesPerRun).toBe(50);
    expect(report.totals.deleted).toBe(50);
    expect(report.totals.skipped.cap).toBeGreaterThan(0);
  });

  it('deleted exactly 50 OMS tasks, signed with AK/SK, none of them in progress', () => {
    const deletions = emulator.deletions();
    expect(deletions).toHaveLength(50);
    expect(deletions.every((d) => d.service === 'oms-migration-tasks')).toBe(true);
    expect(deletions.every((d) => ['3', '4', '5'].includes(String(d.state)))).toBe(true);
    const taskRequests = emulator.requestLog().filter((r) => r.service === 'oms');
    expect(taskRequests.length).toBeGreaterThan(50);
    expect(taskRequests.every((r) => r.auth === 'aksk')).toBe(true);
  });

  it('used the credentials given directly (the warn line says the SSM parameters were not read), logged no secret', () => {
    expect(result.stdout).toContain(
      'credentials set directly win over their SSM parameters, which are not read',
    );
    expect(result.stdout + result.stderr).not.toContain(emulator.account.secretKey);
  });
});
