/** The policies shipped in examples/ (the one serverless.yml packages first), run through the CLI. */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import type { Report } from '../../lib/report';
import { REPO_ROOT, runCli } from '../cli/run-cli';

const DAY_MS = 86_400_000;
/** OMS wire status codes. */
const PAUSED = 3;
const FAILED = 4;
const SUCCEEDED = 5;
const STOPPED_ID = '1001';
const FAILED_ID = '1002';
const FINISHED_ID = '1003';

let emulator: Emulator;

beforeEach(async () => {
  emulator = await startEmulator({ seed: 21, tasks: 0 });
  const oldMs = Date.now() - 400 * DAY_MS;
  for (const [id, name, state] of [
    [STOPPED_ID, 'stopped-migration', PAUSED],
    [FAILED_ID, 'failed-migration', FAILED],
    [FINISHED_ID, 'finished-migration', SUCCEEDED],
  ] as const) {
    emulator.addTask({
      service: 'oms-migration-tasks',
      id,
      name,
      state,
      fields: { start_time: oldMs, total_time: 1000 },
    });
  }
});

afterEach(async () => {
  await emulator.close();
});

function remainingOms(): string[] {
  return emulator
    .tasks('oms-migration-tasks')
    .map((t) => t.name)
    .sort();
}

describe('examples/policy.yml', () => {
  it('deletes finished OMS migrations only: a paused (stopped, resumable) one is kept', async () => {
    const result = await runCli(
      ['purge', '--policy', join(REPO_ROOT, 'examples/policy.yml'), '--apply', '--json'],
      emulator.endpointEnv(),
    );

    expect(result.code, result.stderr).toBe(0);
    expect(
      emulator
        .deletions()
        .map((d) => d.name)
        .sort(),
    ).toEqual(['failed-migration', 'finished-migration']);
    expect(remainingOms()).toEqual(['stopped-migration']);
    const oms = (JSON.parse(result.stdout) as Report).services['oms-migration-tasks'];
    expect(oms).toMatchObject({ listed: 3, deleted: 2 });
  });
});

describe('examples/policy.yml and SMS migrations', () => {
  it('deletes finished ones only: a stopped one (ABORT) and a running one of a disconnected agent are kept', async () => {
    const old = 400 * DAY_MS;
    const server = (state: string, connected = true) => ({ state, connected });
    for (const [name, state, sourceServer] of [
      ['sms-succeeded', 'MIGRATE_SUCCESS', server('finished')],
      ['sms-sync-failed', 'SYNC_FAIL', server('error', false)],
      ['sms-stopped', 'ABORT', server('stopped')],
      ['sms-running-disconnected', 'RUNNING', server('replicate', false)],
      ['sms-outcome-server-syncing', 'MIGRATE_SUCCESS', server('syncing', false)],
    ] as const) {
      emulator.addTask({ service: 'sms-migration-tasks', name, state, sourceServer, ageMs: old });
    }

    const result = await runCli(
      ['purge', '--policy', join(REPO_ROOT, 'examples/policy.yml'), '--apply', '--json'],
      emulator.endpointEnv(),
    );

    expect(result.code, result.stderr).toBe(0);
    const sms = emulator.deletions().filter((d) => d.service === 'sms-migration-tasks');
    expect(sms.map((d) => d.name).sort()).toEqual(['sms-succeeded', 'sms-sync-failed']);
    expect((JSON.parse(result.stdout) as Report).services['sms-migration-tasks']).toMatchObject({
      listed: 5,
      deleted: 2,
      failed: 0,
      skipped: { inProgress: 2 },
    });
  });
});

describe('a paused OMS migration', () => {
  it('is deleted when a policy names the paused state', async () => {
    const result = await runCli(['purge', '--apply'], {
      ...emulator.endpointEnv(),
      TASK_JANITOR_POLICY:
        'version: 1\nservices: { oms-migration-tasks: { olderThan: 30d, states: [paused] } }',
    });

    expect(result.code, result.stderr).toBe(0);
    expect(emulator.deletions().map((d) => d.name)).toEqual(['stopped-migration']);
  });
});
