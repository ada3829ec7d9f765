import { describe, expect, it } from 'vitest';
import { AuthError, CloudApiError, InterruptError, ListingError } from '../../lib/errors';
import { parsePolicyText } from '../../lib/policy/load';
import { applyOverrides } from '../../lib/policy/overrides';
import type { Policy } from '../../lib/policy/types';
import { type Report, sumOfColumns } from '../../lib/report';
import { type ProgressEvent, type RunPurgeOptions, type RunSignals, runPurge } from '../../lib/run-purge';
import { createSavedPlan, type SavedPlan } from '../../lib/saved-plan';
import type { Task, TaskSource } from '../../lib/types';
import { createFakeSource, fakeCloudFor, makeTask, NOW, NOW_MS, offlineDeps, PLAN_ACCOUNT } from './fakes';

const POLICY_TEXT = `
version: 1
dryRun: false
maxDeletesPerRun: 1000
services:
  oms-migration-tasks: { olderThan: 30d, exclude: [keep-*] }
  dis-dump-tasks: { olderThan: 90d, states: [ERROR, ABNORMAL], streams: [prod-*] }
  dcs-center-tasks: { olderThan: 30d }
`;

function omsTasks(): Task[] {
  return [
    makeTask({ id: 'oms-old', ageDays: 200 }),
    makeTask({ id: 'oms-stale', ageDays: 40 }),
    makeTask({ id: 'oms-young', ageDays: 5 }),
    makeTask({ id: 'oms-busy', state: 'executing', ageDays: 200 }),
    makeTask({ id: 'oms-kept', name: 'keep-me', ageDays: 200 }),
    makeTask({ id: 'oms-odd', state: 'status-9', stateClass: 'unknown', ageDays: 200 }),
    makeTask({ id: 'oms-ageless', endedAtMs: undefined }),
  ];
}

function disTasks(): Task[] {
  const dis = (id: string, state: string, parentName: string, ageDays: number) =>
    makeTask({ service: 'dis-dump-tasks', id, state, parentId: parentName, parentName, ageDays });
  return [
    dis('dis-error', 'ERROR', 'prod-a', 120),
    dis('dis-paused', 'PAUSED', 'prod-a', 120),
    dis('dis-dev', 'ERROR', 'dev-a', 120),
    dis('dis-running', 'RUNNING', 'prod-b', 120),
  ];
}

function setup(policyText = POLICY_TEXT, extra: { dcs?: Parameters<typeof createFakeSource>[1] } = {}) {
  const oms = createFakeSource('oms-migration-tasks', { tasks: omsTasks() });
  const dis = createFakeSource('dis-dump-tasks', { tasks: disTasks() });
  const dcs = createFakeSource(
    'dcs-center-tasks',
    extra.dcs ?? { tasks: [makeTask({ service: 'dcs-center-tasks', id: 'dcs-1', state: 'SUCCESS' })] },
  );
  // A source for a service the policy does not name: it must never be listed.
  const modelarts = createFakeSource('modelarts-processor-tasks', {
    tasks: [makeTask({ service: 'modelarts-processor-tasks' })],
  });
  return {
    policy: parsePolicyText(policyText),
    oms,
    dis,
    dcs,
    modelarts,
    sources: [oms.source, dis.source, dcs.source, modelarts.source],
  };
}

function signalsOf(stop: AbortSignal = new AbortController().signal): RunSignals {
  return { stop, abort: new AbortController().signal, resolve: new AbortController().signal };
}

function options(
  policy: Policy,
  sources: readonly TaskSource[],
  more: Partial<RunPurgeOptions> = {},
): RunPurgeOptions {
  return {
    policy,
    client: more.client ?? fakeCloudFor(sources),
    projectId: 'project-1',
    sources,
    deadlineAtMs: NOW_MS + 600_000,
    signals: signalsOf(),
    ...more,
  };
}

describe('runPurge', () => {
  it('deletes exactly the stale tasks and counts everything else by reason', async () => {
    const { policy, oms, dis, dcs, modelarts, sources } = setup();
    const { deps } = offlineDeps();

    const { report } = await runPurge(deps, options(policy, sources));

    expect(oms.state.deleted.sort()).toEqual(['oms-old', 'oms-stale']);
    expect(dis.state.deleted).toEqual(['dis-error']);
    expect(dcs.state.deleted).toEqual(['dcs-1']);
    expect(modelarts.state.listCalls).toBe(0);
    expect(report.services['oms-migration-tasks']).toMatchObject({
      listed: 7,
      stale: 2,
      deleted: 2,
      skipped: { inProgress: 1, unknownState: 1, unknownAge: 1, excluded: 1, cap: 0, deadline: 0 },
    });
    // dev-a is filtered by the parent globs in the source itself (ctx.includeParent), PAUSED is not selected.
    expect(report.services['dis-dump-tasks']).toMatchObject({
      listed: 3,
      stale: 1,
      deleted: 1,
      skipped: { inProgress: 1, excluded: 1 },
    });
    expect(report.totals).toMatchObject({ listed: 11, stale: 4, deleted: 4, failed: 0, failedServices: 0 });
    expect(report).toMatchObject({
      dryRun: false,
      startedAt: NOW.toISOString(),
      policy: { digest: policy.digest },
    });
  });

  it('never deletes while a listing is still running', async () => {
    const { policy, oms, sources } = setup();
    await runPurge(offlineDeps().deps, options(policy, sources));
    expect(oms.state.deletesWhileListing).toBe(0);
  });

  it('passes the parent globs to the source as includeParent', async () => {
    const { policy, dis, oms, sources } = setup();
    await runPurge(offlineDeps().deps, options(policy, sources));
    const include = dis.state.contexts[0]?.includeParent;
    expect(include?.('prod-x')).toBe(true);
    expect(include?.('dev-x')).toBe(false);
    expect(oms.state.contexts[0]?.includeParent).toBeUndefined();
    expect(oms.state.contexts[0]?.projectId).toBe('project-1');
  });

  it('plans in a dry run exactly what the applied run then deletes, and deletes nothing', async () => {
    const base = parsePolicyText(POLICY_TEXT.replace('maxDeletesPerRun: 1000', 'maxDeletesPerRun: 3'));
    const dry = setup();
    const dryResult = await runPurge(
      offlineDeps().deps,
      options(applyOverrides(base, { dryRun: true }), dry.sources),
    );
    const applied = setup();
    const appliedResult = await runPurge(offlineDeps().deps, options(base, applied.sources));

    const deletedByApplied = [
      ...applied.oms.state.deleted,
      ...applied.dis.state.deleted,
      ...applied.dcs.state.deleted,
    ];
    expect(
      dry.oms.state.deleteCalls.length + dry.dis.state.deleteCalls.length + dry.dcs.state.deleteCalls.length,
    ).toBe(0);
    expect(dryResult.plannedDeletes.map((t) => t.id).sort()).toEqual(deletedByApplied.sort());
    expect(dryResult.plannedDeletes.map((t) => t.id)).toEqual(appliedResult.plannedDeletes.map((t) => t.id));
    expect(dryResult.report.totals).toMatchObject({ wouldDelete: 3, deleted: 0, skipped: { cap: 1 } });
    expect(appliedResult.report.totals).toMatchObject({ wouldDelete: 0, deleted: 3, skipped: { cap: 1 } });
    // The cap keeps the oldest: the 40-day-old OMS task is the one left over.
    expect(applied.oms.state.deleted).not.toContain('oms-stale');
  });

  it.each([
    [
      'a 5xx after retries',
      new CloudApiError({
        service: 'dcs',
        operation: 'ListCenterTask',
        method: 'GET',
        path: '/v2/p/tasks',
        status: 503,
        errorCode: 'DCS.5000',
        errorMsg: 'down',
        requestId: 'r',
        attempts: 4,
      }),
      { status: 503, errorCode: 'DCS.5000' },
    ],
    [
      'a 401',
      new AuthError({
        service: 'dcs',
        operation: 'ListCenterTask',
        method: 'GET',
        path: '/v2/p/tasks',
        status: 401,
        errorCode: 'APIG.1002',
        errorMsg: 'bad token',
        requestId: 'r',
        attempts: 1,
      }),
      { status: 401 },
    ],
    [
      'an ambiguous listing',
      new ListingError('page 3 repeated page 2'),
      { message: 'ListingError: page 3 repeated page 2' },
    ],
  ])(
    'reports a service whose listing fails with %s, deletes nothing there, and goes on with the others',
    async (_label, error, fields) => {
      const stale = [makeTask({ service: 'dcs-center-tasks', id: 'dcs-1', state: 'SUCCESS' })];
      const { policy, oms, dcs, sources } = setup(POLICY_TEXT, {
        dcs: { tasks: stale, listError: error, failAfter: 1 },
      });
      const { deps, log } = offlineDeps();

      const { report } = await runPurge(deps, options(policy, sources));

      expect(dcs.state.deleteCalls).toEqual([]);
      expect(report.services['dcs-center-tasks']?.error).toMatchObject(fields);
      expect(report.services['dcs-center-tasks']).toMatchObject({ listed: 1, stale: 0, deleted: 0 });
      expect(oms.state.deleted).toHaveLength(2);
      expect(report.totals.failedServices).toBe(1);
      expect(log.records()).toContainEqual(
        expect.objectContaining({ level: 'error', service: 'dcs-center-tasks' }),
      );
    },
  );

  it('logs each planned delete before any delete is sent', async () => {
    const { policy, sources } = setup();
    const { deps, log } = offlineDeps();

    await runPurge(deps, options(policy, sources));

    const actions = log
      .records()
      .map((line) => line.action)
      .filter((a) => a === 'delete' || a === 'deleted');
    expect(actions).toEqual([
      'delete',
      'delete',
      'delete',
      'delete',
      'deleted',
      'deleted',
      'deleted',
      'deleted',
    ]);
    const planned = log.records().find((line) => line.action === 'delete');
    expect(planned).toMatchObject({
      service: expect.any(String),
      taskId: expect.any(String),
      name: expect.any(String),
      state: expect.any(String),
      ageMs: expect.any(Number),
      ageDays: expect.any(Number),
      reason: expect.stringMatching(/^older-than-/),
    });
  });

  it('stops starting deletes at the deadline: every planned delete is skipped for it', async () => {
    const { policy, sources, oms } = setup();
    const { deps } = offlineDeps();

    const { report } = await runPurge(deps, options(policy, sources, { deadlineAtMs: NOW_MS }));

    expect(report.totals).toMatchObject({ deleted: 0, skipped: { deadline: 4 } });
    expect(oms.state.deleteCalls).toEqual([]);
  });

  it('stops starting deletes on an interrupt: every planned delete is skipped as interrupted', async () => {
    const { policy, sources, oms } = setup();
    const interrupt = new AbortController();
    interrupt.abort(new InterruptError('SIGINT'));

    const { report } = await runPurge(
      offlineDeps().deps,
      options(policy, sources, { signals: signalsOf(interrupt.signal) }),
    );

    expect(report.totals).toMatchObject({ deleted: 0, skipped: { interrupted: 4, deadline: 0 } });
    expect(report.stoppedBy).toBe('interrupted');
    expect(oms.state.deleteCalls).toEqual([]);
  });

  it('reports progress through listing, planning, deleting and the end', async () => {
    const { policy, sources } = setup();
    const events: ProgressEvent[] = [];

    await runPurge(offlineDeps().deps, options(policy, sources, { onProgress: (e) => events.push(e) }));

    expect(
      events
        .filter((e) => e.phase === 'listed')
        .map((e) => e.phase === 'listed' && e.service)
        .sort(),
    ).toEqual(['dcs-center-tasks', 'dis-dump-tasks', 'oms-migration-tasks']);
    expect(events).toContainEqual({ phase: 'plan', deletes: 4, capped: 0, dryRun: false });
    expect(events.at(-1)).toEqual({ phase: 'done' });
  });

  it('treats a task listed twice as an ambiguous listing: nothing of that service is deleted', async () => {
    const task = makeTask({ id: 'dup' });
    const oms = createFakeSource('oms-migration-tasks', { tasks: [makeTask({ id: 'other' }), task, task] });
    const policy = parsePolicyText(
      'version: 1\ndryRun: false\nservices: { oms-migration-tasks: { olderThan: 30d } }',
    );

    const { report } = await runPurge(offlineDeps().deps, options(policy, [oms.source]));

    expect(oms.state.deleteCalls).toEqual([]);
    expect(report.services['oms-migration-tasks']).toMatchObject({
      listed: 3,
      stale: 0,
      deleted: 0,
      error: { message: expect.stringContaining('"dup" twice') },
    });
  });

  it('deletes nothing with maxDeletesPerRun 0 and reports every stale task as skipped for the cap', async () => {
    const { oms, dis, dcs, sources } = setup();
    const policy = parsePolicyText(POLICY_TEXT.replace('maxDeletesPerRun: 1000', 'maxDeletesPerRun: 0'));

    const { report, plannedDeletes } = await runPurge(offlineDeps().deps, options(policy, sources));

    expect([...oms.state.deleteCalls, ...dis.state.deleteCalls, ...dcs.state.deleteCalls]).toEqual([]);
    expect(plannedDeletes).toEqual([]);
    expect(report.totals).toMatchObject({ stale: 4, deleted: 0, skipped: { cap: 4 } });
  });

  it('reports a service with no registered source as an error', async () => {
    const policy = parsePolicyText('version: 1\nservices: { oms-migration-tasks: { olderThan: 30d } }');
    const { report } = await runPurge(offlineDeps().deps, options(policy, []));
    expect(report.services['oms-migration-tasks']?.error?.message).toMatch(/no task source/);
  });
});

describe('runPurge with ids that cannot be sent as a path segment', () => {
  // '.' and '..' survive no encoding (URL parsers resolve %2E%2E): such a task can never be deleted, but a
  // stale one must still be counted and reported, the same in a dry run and an applied run.
  const policyText = `
version: 1
dryRun: false
services:
  oms-migration-tasks: { olderThan: 30d }
  dis-dump-tasks: { olderThan: 30d }
`;
  const tasks = () => ({
    oms: [makeTask({ id: '..', ageDays: 200 }), makeTask({ id: 'ok', ageDays: 200 })],
    dis: [
      makeTask({ service: 'dis-dump-tasks', id: '.', state: 'ERROR', parentId: 's', parentName: 's' }),
      makeTask({ service: 'dis-dump-tasks', id: 'd', state: 'ERROR', parentId: '..', parentName: '..' }),
      makeTask({ service: 'dis-dump-tasks', id: 'young', state: 'ERROR', parentId: '..', ageDays: 1 }),
    ],
  });

  it.each([false, true])(
    'counts stale ones as skipped for unaddressable and never deletes them (dryRun %s)',
    async (dryRun) => {
      const { oms: omsTasks, dis: disTasks } = tasks();
      const oms = createFakeSource('oms-migration-tasks', { tasks: omsTasks });
      const dis = createFakeSource('dis-dump-tasks', { tasks: disTasks });
      const policy = applyOverrides(parsePolicyText(policyText), { dryRun });
      const { deps, log } = offlineDeps();

      const { report, plannedDeletes } = await runPurge(deps, options(policy, [oms.source, dis.source]));

      expect([...oms.state.deleteCalls, ...dis.state.deleteCalls]).toEqual(dryRun ? [] : ['ok']);
      expect(plannedDeletes.map((t) => t.id)).toEqual(['ok']);
      expect(report.services['oms-migration-tasks']).toMatchObject({
        listed: 2,
        stale: 1,
        skipped: { unaddressable: 1 },
      });
      expect(report.services['dis-dump-tasks']).toMatchObject({
        listed: 3,
        stale: 0,
        skipped: { unaddressable: 2 },
      });
      const logged = log
        .records()
        .filter((line) => line.reason === 'unaddressable')
        .map((line) => `${String(line.service)}:${String(line.taskId)}`)
        .sort();
      expect(logged).toEqual(['dis-dump-tasks:.', 'dis-dump-tasks:d', 'oms-migration-tasks:..']);
    },
  );
});

describe('runPurge with a saved plan', () => {
  async function planOut(): Promise<SavedPlan> {
    const { policy, sources } = setup();
    const dryPolicy = applyOverrides(policy, { dryRun: true });
    const dry = await runPurge(offlineDeps().deps, options(dryPolicy, sources));
    return createSavedPlan({
      createdAt: NOW,
      toolVersion: '0.0.0-test',
      account: PLAN_ACCOUNT,
      policy: dryPolicy,
      overrides: {},
      tasks: dry.plannedDeletes,
    });
  }

  it('deletes exactly the planned tasks that are still listed, deletable and stale', async () => {
    const saved = await planOut();
    expect(saved.tasks.map((t) => t.id).sort()).toEqual(['dcs-1', 'dis-error', 'oms-old', 'oms-stale']);
    // Since the plan: oms-old turned in progress, dcs-1 is gone, and a new stale task appeared (not in the plan).
    const oms = createFakeSource('oms-migration-tasks', {
      tasks: [
        makeTask({ id: 'oms-old', state: 'executing', ageDays: 200 }),
        makeTask({ id: 'oms-stale', ageDays: 40 }),
        makeTask({ id: 'oms-new-stale', ageDays: 300 }),
      ],
    });
    const dis = createFakeSource('dis-dump-tasks', { tasks: disTasks() });
    const dcs = createFakeSource('dcs-center-tasks', { tasks: [] });
    const { deps, log } = offlineDeps();

    const { report } = await runPurge(
      deps,
      options(parsePolicyText(POLICY_TEXT), [oms.source, dis.source, dcs.source], { savedPlan: saved }),
    );

    expect(oms.state.deleted).toEqual(['oms-stale']);
    expect(dis.state.deleted).toEqual(['dis-error']);
    expect(report.services['oms-migration-tasks']).toMatchObject({
      listed: 3,
      stale: 1,
      deleted: 1,
      skipped: { changed: 1, inProgress: 0 },
    });
    expect(report.services['dcs-center-tasks']).toMatchObject({ deleted: 0, skipped: { changed: 1 } });
    expect(log.records().some((line) => line.reason === 'not-listed' && line.taskId === 'dcs-1')).toBe(true);
  });

  it('skips planned tasks of a service the current policy no longer selects', async () => {
    const saved = await planOut();
    const { sources, oms, dis } = setup();
    const narrowed = applyOverrides(parsePolicyText(POLICY_TEXT), { services: ['dis-dump-tasks'] });

    const { report } = await runPurge(offlineDeps().deps, options(narrowed, sources, { savedPlan: saved }));

    expect(oms.state.listCalls).toBe(0);
    expect(dis.state.deleted).toEqual(['dis-error']);
    expect(report.services['oms-migration-tasks']?.skipped.changed).toBe(2);
  });
});

describe('report shape', () => {
  it('keeps every documented field', async () => {
    const { policy, sources } = setup();
    const { report } = await runPurge(offlineDeps().deps, options(policy, sources));
    const keys = (r: Report) => Object.keys(r).sort();
    expect(keys(report)).toEqual([
      'dryRun',
      'finishedAt',
      'policy',
      'services',
      'startedAt',
      'tool',
      'totals',
    ]);
    expect(report.tool).toEqual({ name: 'task-janitor', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(Object.keys(report.services['oms-migration-tasks'] ?? {})).toEqual(
      expect.arrayContaining([
        'listed',
        'stale',
        'deleted',
        'wouldDelete',
        'alreadyGone',
        'failed',
        'unknown',
        'skipped',
        'kept',
        'failures',
      ]),
    );
  });

  it('puts every listed task in exactly one column: listed is their sum, for every service', async () => {
    const { policy, sources } = setup();
    for (const dryRun of [true, false]) {
      const { report } = await runPurge(offlineDeps().deps, options({ ...policy, dryRun }, sources));
      for (const [service, entry] of Object.entries(report.services)) {
        if (!entry || entry.error) continue;
        expect({ service, sum: sumOfColumns(entry) }).toEqual({ service, sum: entry.listed });
      }
      expect(report.services['oms-migration-tasks']?.kept.tooYoung).toBe(1);
    }
  });

  it('logs a debug decision for every listed task, the too-young and excluded ones too', async () => {
    const { policy, sources } = setup();
    const { deps, log } = offlineDeps();

    const { report } = await runPurge(deps, options(policy, sources));

    const decided = new Set(
      log
        .records()
        .filter((line) => line.msg === 'task decision')
        .map((line) => `${String(line.service)} ${String(line.taskId)}`),
    );
    const listed = Object.values(report.services).reduce((sum, entry) => sum + (entry?.listed ?? 0), 0);
    expect(decided.size).toBe(listed);
    expect(log.records()).toContainEqual(
      expect.objectContaining({ level: 'debug', taskId: 'oms-young', reason: 'too-young' }),
    );
  });
});
