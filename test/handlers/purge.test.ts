import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { createHandler, type LambdaContextLike } from '../../handlers/aws/purge';
import type { BuildDeps } from '../../lib/invocation';
import { buildDepsInto } from '../support/deps';
import { reportOf } from '../support/function-result';
import { captureLog, type LogCapture } from '../support/log-capture';
import {
  EVENTBRIDGE_EC2_STATE_CHANGE,
  LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE,
  SAM_CLI_SCHEDULED_EVENT_TEMPLATE,
} from '../support/platform-events';

const POLICY = JSON.stringify({
  version: 1,
  dryRun: true,
  maxDeletesPerRun: 1000,
  services: {
    'dcs-center-tasks': { olderThan: '30d' },
    'oms-migration-tasks': { olderThan: '30d' },
    'dis-dump-tasks': { olderThan: '30d' },
  },
});

const SCHEDULED_EVENT = Object.freeze({
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-01-01T03:00:00Z',
  region: 'eu-central-1',
  resources: ['arn:aws:events:eu-central-1:123456789012:rule/task-janitor-dev-purge'],
  detail: {},
});

function makeContext(remainingMs = 900_000): LambdaContextLike {
  return Object.freeze({
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    functionName: 'task-janitor-dev-purge',
    getRemainingTimeInMillis: () => remainingMs,
  });
}

interface LogLine {
  level: string;
  msg?: string;
  requestId?: string;
  report?: { dryRun: boolean; totals: Record<string, unknown> & { skipped: Record<string, number> } };
  _aws?: unknown;
  Service?: string;
}

let emulator: Emulator;
let log: LogCapture;
/** The handler's real deps (jitter included), but for the log, which is kept. */
let captureDeps: BuildDeps;
const logged = () => log.records<LogLine>();

beforeEach(async () => {
  log = captureLog();
  captureDeps = buildDepsInto(log, { random: Math.random });
  emulator = await startEmulator({ seed: 11, tasks: 200 });
  for (const [key, value] of Object.entries(emulator.endpointEnv())) vi.stubEnv(key, value);
  vi.stubEnv('TASK_JANITOR_POLICY', POLICY);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await emulator.close();
});

describe('handlers/purge', () => {
  it('runs the configured policy on a scheduled event and logs the report and its EMF lines', async () => {
    const handler = createHandler(captureDeps);

    const report = reportOf(await handler(SCHEDULED_EVENT, makeContext()));

    expect(report.dryRun).toBe(true);
    expect(report.totals.listed).toBeGreaterThan(0);
    expect(report.totals.wouldDelete).toBeGreaterThan(0);
    expect(emulator.deletions()).toEqual([]);
    const reportLine = logged().find((l) => l.msg === 'purge report');
    expect(reportLine?.requestId).toBe('c6af9ac6-7b61-11e6-9a41-93e812345678');
    const emf = logged().filter((l) => l._aws !== undefined);
    expect(emf.map((l) => l.Service).sort()).toEqual([
      'ALL',
      'dcs-center-tasks',
      'dis-dump-tasks',
      'oms-migration-tasks',
    ]);
  });

  it('applies a manual event: narrows to one service, lowers the cap and deletes', async () => {
    const handler = createHandler(captureDeps);
    const event = { dryRun: false, services: ['oms-migration-tasks'], olderThan: '7d', maxDeletesPerRun: 5 };

    const report = reportOf(await handler(event, makeContext()));

    expect(report.dryRun).toBe(false);
    expect(Object.keys(report.services)).toEqual(['oms-migration-tasks']);
    expect(report.totals.deleted).toBe(5);
    expect(report.totals.skipped.cap).toBeGreaterThan(0);
    expect(emulator.deletions().map((d) => d.service)).toEqual(Array(5).fill('oms-migration-tasks'));
  });

  it.each([
    ['an unknown key', { dryRun: false, force: true }, /force/],
    ['a wrong type', { dryRun: 'false' }, /dryRun/],
    ['a bad duration', { olderThan: '7 days' }, /olderThan/],
    ['an unknown service', { services: ['sms-tasks'] }, /sms-tasks/],
    ['a cap above the policy', { maxDeletesPerRun: 5000 }, /maxDeletesPerRun/],
    ['a non-object', 'purge please', /expected a JSON object/],
  ])('refuses a manual event with %s before any request', async (_label, event, message) => {
    const handler = createHandler(captureDeps);

    await expect(handler(event, makeContext())).rejects.toMatchObject({
      name: 'ConfigError',
      // A bare RegExp inside toMatchObject matches any string; stringMatching really checks it.
      message: expect.stringMatching(message),
    });

    expect(emulator.requestLog()).toEqual([]);
    expect(logged().some((l) => l.level === 'error' && l.msg === 'invalid input, nothing sent')).toBe(true);
  });

  it('honours manual keys beside the console scheduled-event template: dryRun true deletes nothing', async () => {
    vi.stubEnv('TASK_JANITOR_POLICY', JSON.stringify({ ...JSON.parse(POLICY), dryRun: false }));
    const handler = createHandler(captureDeps);
    const event = { ...LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE, dryRun: true, maxDeletesPerRun: 0 };

    const report = reportOf(await handler(event, makeContext()));

    expect(report.dryRun).toBe(true);
    expect(report.policy.maxDeletesPerRun).toBe(0);
    expect(report.totals.listed).toBeGreaterThan(0);
    expect(emulator.deletions()).toEqual([]);
    expect(emulator.requestLog().filter((entry) => entry.method === 'DELETE')).toEqual([]);
  });

  it('honours services beside the SAM CLI scheduled-event template', async () => {
    const handler = createHandler(captureDeps);

    const report = reportOf(
      await handler({ ...SAM_CLI_SCHEDULED_EVENT_TEMPLATE, services: ['dis-dump-tasks'] }, makeContext()),
    );

    expect(report.policy.services).toEqual(['dis-dump-tasks']);
    expect(Object.keys(report.services)).toEqual(['dis-dump-tasks']);
  });

  it.each([
    [
      'an unknown key beside the console template',
      { ...LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE, dryRun: true, force: true },
      /force: unknown key; expected dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate next to the fields of an EventBridge scheduled event/,
    ],
    [
      'a manual key of the wrong type beside the console template',
      { ...LAMBDA_CONSOLE_SCHEDULED_EVENT_TEMPLATE, dryRun: 'true' },
      /dryRun: expected boolean, got string/,
    ],
    [
      'the markers alone with manual keys',
      { source: 'aws.events', 'detail-type': 'Scheduled Event', dryRun: true, maxDeletesPerRun: 0 },
      /id: is required[\s\S]*detail: is required/,
    ],
    [
      '"Scheduled Event" from another source',
      { ...SCHEDULED_EVENT, source: 'custom.scheduler' },
      /source: expected "aws.events", got "custom.scheduler"/,
    ],
    [
      'a scheduled event with a non-empty detail',
      { ...SCHEDULED_EVENT, detail: { dryRun: false } },
      /detail.dryRun: unknown key/,
    ],
    [
      'an EventBridge event that is not a schedule',
      EVENTBRIDGE_EC2_STATE_CHANGE,
      /detail-type: expected "Scheduled Event", got "EC2 Instance State-change Notification"/,
    ],
  ])('refuses %s before any request', async (_label, event, message) => {
    const handler = createHandler(captureDeps);

    await expect(handler(event, makeContext())).rejects.toMatchObject({
      name: 'ConfigError',
      // A bare RegExp inside toMatchObject matches any string; stringMatching really checks it.
      message: expect.stringMatching(message),
    });

    expect(emulator.requestLog()).toEqual([]);
    expect(logged().some((l) => l.level === 'error' && l.msg === 'invalid input, nothing sent')).toBe(true);
  });

  it('refuses to run with an invalid environment, reporting every problem at once', async () => {
    vi.stubEnv('TASK_JANITOR_REGION', 'Europe');
    vi.stubEnv('TASK_JANITOR_POLICY', '{"version": 1, "services": {"oms-migration-tasks": {}}}');
    const handler = createHandler(captureDeps);

    const error = handler(SCHEDULED_EVENT, makeContext());

    await expect(error).rejects.toMatchObject({ name: 'ConfigError' });
    await expect(error).rejects.toThrow(/TASK_JANITOR_REGION[\s\S]*olderThan/);
    expect(emulator.requestLog()).toEqual([]);
  });

  it('stops deleting at the deadline, reports the rest as skipped for deadline, and still logs the report', async () => {
    // 3 s of budget beyond the 10 s safety margin: listing fits, slow deletes do not.
    emulator.setFaults({ service: '*', operation: 'DeleteMigrationTask' }, { latencyMs: 2000 });
    emulator.setFaults({ service: '*', operation: 'DeleteCenterTask' }, { latencyMs: 2000 });
    emulator.setFaults({ service: '*', operation: 'DeleteTransferTask' }, { latencyMs: 2000 });
    // Far more stale deletes than the per-service concurrency can start in 3 s.
    for (let i = 0; i < 150; i += 1) emulator.addTask({ service: 'oms-migration-tasks', state: 5 });
    const handler = createHandler(captureDeps);

    const report = reportOf(await handler({ dryRun: false, olderThan: '1s' }, makeContext(13_000)));

    expect(report.totals.skipped.deadline).toBeGreaterThan(0);
    // A delete in flight at the deadline is aborted and counted failed, though the cloud may have done it.
    expect(emulator.deletions().length).toBeGreaterThanOrEqual(report.totals.deleted);
    expect(emulator.deletions().length).toBeLessThanOrEqual(report.totals.deleted + report.totals.failed);
    const reportLine = logged().find((l) => l.msg === 'purge report');
    expect(reportLine?.report?.totals.skipped.deadline).toBe(report.totals.skipped.deadline);
  });
});
