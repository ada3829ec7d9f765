import { describe, expect, it } from 'vitest';
import { AuthError, CloudApiError, NetworkError } from '../../lib/errors';
import type { RunSignals } from '../../lib/execute';
import { executePlan } from '../../lib/execute';
import type { DeleteCandidate } from '../../lib/plan';
import { parsePolicyText } from '../../lib/policy/load';
import { ReportRecorder } from '../../lib/recorder';
import type { Report } from '../../lib/report';
import type { DeleteOutcome, ServiceId, Task } from '../../lib/types';
import type { LogCapture } from '../support/log-capture';
import { createFakeSource, DAY_MS, makeTask, NOW, NOW_MS, offlineDeps, unusedClient } from './fakes';

const policy = parsePolicyText(`
version: 1
dryRun: false
services:
  oms-migration-tasks: { olderThan: 30d }
  dis-dump-tasks: { olderThan: 30d }
`);

function apiError(status: number, errorCode: string, errorMsg = 'boom', Kind = CloudApiError): CloudApiError {
  return new Kind({
    service: 'oms',
    operation: 'DeleteTask',
    method: 'DELETE',
    path: '/v2/p/tasks/1',
    status,
    errorCode,
    errorMsg,
    requestId: 'req-1',
    attempts: 3,
  });
}

function candidates(tasks: readonly Task[]): DeleteCandidate[] {
  return tasks.map((task) => ({ task, ageMs: NOW_MS - (task.endedAtMs ?? 0), reason: 'older-than-30d' }));
}

type Fake = ReturnType<typeof createFakeSource>;

function signalsOf(signal: AbortSignal = new AbortController().signal): RunSignals {
  return { stop: signal, abort: new AbortController().signal, resolve: new AbortController().signal };
}

async function run(
  fakes: readonly Fake[],
  tasks: readonly Task[],
  options: {
    deadlineAtMs?: number;
    concurrency?: number;
    testDeps?: ReturnType<typeof offlineDeps>;
    signal?: AbortSignal;
  } = {},
): Promise<{ report: Report; log: LogCapture }> {
  const { deps, log } = options.testDeps ?? offlineDeps();
  const services = [...new Set(tasks.map((t) => t.service))] as ServiceId[];
  const recorder = new ReportRecorder(deps, { dryRun: false, startedAt: NOW, policy, services });
  const byService = new Map(fakes.map((fake) => [fake.source.descriptor.id, fake] as const));
  await executePlan(deps, {
    policyOf: (service) => policy.services[service],
    deletes: candidates(tasks),
    sources: new Map(fakes.map((f) => [f.source.descriptor.id, f.source])),
    contextFor: (service) => ({
      client: byService.get(service)?.client ?? unusedClient,
      projectId: 'p',
      signal: new AbortController().signal,
      stopSignal: new AbortController().signal,
      log: deps.log,
    }),
    deadlineAtMs: options.deadlineAtMs ?? NOW_MS + 60_000,
    signals: signalsOf(options.signal),
    onOutcome: (candidate, outcome) => recorder.outcome(candidate, outcome),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
  });
  return { report: recorder.finish(NOW), log };
}

describe('executePlan', () => {
  it('counts each outcome: deleted, already gone, refused in progress', async () => {
    const tasks = [makeTask({ id: 'a' }), makeTask({ id: 'b' }), makeTask({ id: 'c' })];
    const outcomes: Record<string, DeleteOutcome> = {
      a: 'deleted',
      b: 'already-gone',
      c: 'refused-in-progress',
    };
    const fake = createFakeSource('oms-migration-tasks', {
      deleteResult: (t) => outcomes[t.id] ?? 'deleted',
    });

    const { report } = await run([fake], tasks);

    expect(report.services['oms-migration-tasks']).toMatchObject({
      deleted: 1,
      alreadyGone: 1,
      failed: 0,
      refused: 1,
      skipped: { inProgress: 1 },
    });
    // A refusal is never retried or forced.
    expect(fake.state.deleteCalls).toEqual(['a', 'b', 'c']);
  });

  it('records a failure with its API fields and goes on with the other deletes', async () => {
    const tasks = [makeTask({ id: 'bad', name: 'n-bad' }), makeTask({ id: 'good' })];
    const fake = createFakeSource('oms-migration-tasks', {
      deleteResult: (t) => (t.id === 'bad' ? apiError(400, 'OMS.0001', 'bad request') : 'deleted'),
    });

    const { report, log } = await run([fake], tasks);

    expect(fake.state.deleted).toEqual(['good']);
    expect(report.services['oms-migration-tasks']).toMatchObject({ deleted: 1, failed: 1 });
    expect(report.services['oms-migration-tasks']?.failures).toEqual([
      { taskId: 'bad', name: 'n-bad', status: 400, errorCode: 'OMS.0001', errorMsg: 'bad request' },
    ]);
    expect(log.records()).toContainEqual(
      expect.objectContaining({ level: 'warn', taskId: 'bad', action: 'failed', status: 400 }),
    );
  });

  it('lists at most 100 failures per service in the report, counts the rest, and logs every one', async () => {
    const tasks = Array.from({ length: 130 }, (_, i) => makeTask({ id: `t${String(i).padStart(3, '0')}` }));
    const fake = createFakeSource('oms-migration-tasks', {
      deleteResult: () => apiError(400, 'OMS.0001', 'bad request'),
    });

    const { report, log } = await run([fake], tasks);

    const entry = report.services['oms-migration-tasks'];
    expect(entry).toMatchObject({ failed: 130, failuresNotListed: 30 });
    expect(entry?.failures).toHaveLength(100);
    const failedLines = log.records().filter((line) => line.action === 'failed');
    expect(failedLines).toHaveLength(130);
  });

  it('tries a retryable failure once more at the end of the run, then records it', async () => {
    const tasks = [makeTask({ id: 'flaky' }), makeTask({ id: 'down' }), makeTask({ id: 'authz' })];
    const fake = createFakeSource('oms-migration-tasks', {
      deleteResult: (t, call) => {
        if (t.id === 'flaky') return call === 1 ? apiError(503, 'APIG.0201') : 'deleted';
        if (t.id === 'down') return new NetworkError('socket hang up', { code: 'ECONNRESET' });
        if (t.id === 'refused') return new NetworkError('connect refused', { code: 'ECONNREFUSED' });
        return apiError(403, 'IAM.0001', 'forbidden', AuthError);
      },
    });

    const { report } = await run([fake], tasks);

    expect(fake.state.deleteCalls.filter((id) => id === 'flaky')).toHaveLength(2);
    expect(fake.state.deleteCalls.filter((id) => id === 'authz')).toHaveLength(1);
    // A reset after sending may have deleted the task: no later pass, and with no read to settle it the
    // outcome is unknown, never failed.
    expect(fake.state.deleteCalls.filter((id) => id === 'down')).toHaveLength(1);
    expect(report.services['oms-migration-tasks']).toMatchObject({ deleted: 1, failed: 1, unknown: 1 });
    expect(report.services['oms-migration-tasks']?.failures.map((f) => [f.taskId, f.errorCode])).toEqual([
      ['authz', 'IAM.0001'],
    ]);
  });

  it('checks the deadline before each delete and reports the rest as skipped for the deadline', async () => {
    const testDeps = offlineDeps();
    const tasks = [
      makeTask({ id: '1' }),
      makeTask({ id: '2' }),
      makeTask({ id: '3' }),
      makeTask({ id: '4' }),
    ];
    // Each delete moves the clock 10 s on; the deadline is 15 s away: two deletes start, two do not.
    const fake = createFakeSource('oms-migration-tasks', {
      deleteResult: () => {
        testDeps.clock.ms += 10_000;
        return 'deleted';
      },
    });

    const { report, log } = await run([fake], tasks, {
      testDeps,
      deadlineAtMs: NOW_MS + 15_000,
      concurrency: 1,
    });

    expect(fake.state.deleteCalls).toEqual(['1', '2']);
    expect(report.services['oms-migration-tasks']).toMatchObject({ deleted: 2, skipped: { deadline: 2 } });
    expect(
      log
        .records()
        .filter((line) => line.reason === 'deadline')
        .map((line) => line.taskId),
    ).toEqual(['3', '4']);
  });

  it('starts nothing once the signal is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const fake = createFakeSource('oms-migration-tasks');

    const { report } = await run([fake], [makeTask(), makeTask()], { signal: controller.signal });

    expect(fake.state.deleteCalls).toEqual([]);
    expect(report.services['oms-migration-tasks']?.skipped.deadline).toBe(2);
  });

  it('keeps at most `concurrency` deletes in flight per service', async () => {
    const tasks = Array.from({ length: 20 }, (_, i) => makeTask({ id: `t${i}` }));
    const fake = createFakeSource('oms-migration-tasks');

    await run([fake], tasks, { concurrency: 3 });

    expect(fake.state.deleted).toHaveLength(20);
    expect(fake.state.maxInFlight).toBe(3);
  });

  it('re-checks before deleting where the source can, and skips a task that turned in progress or changed', async () => {
    const tasks = [
      makeTask({ service: 'dis-dump-tasks', id: 'still-stale', state: 'ERROR' }),
      makeTask({ service: 'dis-dump-tasks', id: 'now-running', state: 'ERROR' }),
      makeTask({ service: 'dis-dump-tasks', id: 'restarted', state: 'ERROR' }),
      makeTask({ service: 'dis-dump-tasks', id: 'vanished', state: 'ERROR' }),
    ];
    const fake = createFakeSource('dis-dump-tasks', {
      recheck: (task) => {
        if (task.id === 'now-running') return { ...task, state: 'RUNNING', stateClass: 'in-progress' };
        if (task.id === 'restarted') return { ...task, endedAtMs: NOW_MS - DAY_MS };
        if (task.id === 'vanished') return undefined;
        return task;
      },
    });

    const { report } = await run([fake], tasks);

    expect(fake.state.recheckCalls).toHaveLength(4);
    expect(fake.state.deleteCalls).toEqual(['still-stale']);
    expect(report.services['dis-dump-tasks']).toMatchObject({
      deleted: 1,
      alreadyGone: 1,
      skipped: { inProgress: 1, changed: 1 },
    });
  });
});
