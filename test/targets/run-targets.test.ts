/**
 * The pieces of a run over several targets that need no cloud: the cap split between the targets, the report
 * assembled from the targets' reports, and a run over fake sources where one target's purge throws.
 */
import { describe, expect, it } from 'vitest';
import { hasFailures } from '../../cli/main';
import { toEmbeddedMetricFormat } from '../../handlers/aws/metrics';
import { parsePolicyText } from '../../lib/policy/load';
import { createReport, type Report, serviceReportOf, shouldFail } from '../../lib/report';
import { createSavedPlan, toSavedPlanTask } from '../../lib/saved-plan';
import { combineReports } from '../../lib/targets/combine';
import { runTargets } from '../../lib/targets/run-targets';
import { capShareOf, type ResolvedTarget } from '../../lib/targets/select';
import { createFakeSource, fakeCloudFor, makeTask, NOW, NOW_MS, offlineDeps } from '../engine/fakes';

describe('capShareOf', () => {
  it('splits the cap evenly, the remainder one each to the first targets', () => {
    expect([0, 1, 2].map((index) => capShareOf(5, 3, index))).toEqual([2, 2, 1]);
    expect([0, 1, 2].map((index) => capShareOf(2, 3, index))).toEqual([1, 1, 0]);
    expect([0, 1].map((index) => capShareOf(0, 2, index))).toEqual([0, 0]);
    expect(capShareOf(7, 1, 0)).toBe(7);
  });

  it('the shares of all the targets add up to the cap, never more', () => {
    for (const cap of [0, 1, 5, 17, 100]) {
      for (const count of [1, 2, 3, 6, 7, 150]) {
        const shares = Array.from({ length: count }, (_, index) => capShareOf(cap, count, index));
        expect(shares.reduce((sum, share) => sum + share, 0)).toBe(cap);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('without a cap, every target takes all it has', () => {
    expect(capShareOf(Number.MAX_SAFE_INTEGER, 3, 2)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

const TARGETS: readonly ResolvedTarget[] = [
  {
    cloud: 'huaweicloud',
    region: 'cn-north-4',
    projectId: 'p1',
    projectName: 'cn-north-4',
    listsAccountWide: false,
  },
  {
    cloud: 'huaweicloud',
    region: 'ap-southeast-3',
    projectId: 'p2',
    projectName: 'ap-southeast-3',
    listsAccountWide: true,
  },
  {
    cloud: 'huaweicloud',
    region: 'eu-west-101',
    projectId: 'p3',
    projectName: 'eu-west-101',
    listsAccountWide: false,
  },
];

function targetReport(counts: {
  listed: number;
  deleted: number;
  failedIds?: string[];
  error?: string;
}): Report {
  const report = createReport({
    dryRun: false,
    startedAt: NOW,
    policy: { digest: 'abc', maxDeletesPerRun: 100 },
    services: ['oms-migration-tasks'],
  });
  const entry = serviceReportOf(report, 'oms-migration-tasks');
  entry.listed = counts.listed;
  entry.stale = counts.deleted + (counts.failedIds?.length ?? 0);
  entry.deleted = counts.deleted;
  entry.failed = counts.failedIds?.length ?? 0;
  for (const id of counts.failedIds ?? []) {
    entry.failures.push({ taskId: id, name: id, status: 500, errorCode: 'X', errorMsg: 'boom' });
  }
  if (counts.error !== undefined) entry.error = { message: counts.error };
  return report;
}

const OPTIONS = {
  dryRun: false,
  startedAt: NOW,
  finishedAt: new Date(NOW.getTime() + 1000),
  policy: { digest: 'abc', maxDeletesPerRun: 100 },
  services: ['oms-migration-tasks'] as const,
  stoppedBy: undefined,
};

describe('combineReports', () => {
  it('sums the targets, one section each, failures tagged with their target; a skipped target is reported skipped', () => {
    const report = combineReports(
      [
        {
          target: TARGETS[0] as ResolvedTarget,
          report: targetReport({ listed: 10, deleted: 4, failedIds: ['f1'] }),
        },
        {
          target: TARGETS[1] as ResolvedTarget,
          report: targetReport({ listed: 0, deleted: 0, error: 'refused' }),
        },
        { target: TARGETS[2] as ResolvedTarget, skipped: 'deadline' },
      ],
      { ...OPTIONS, stoppedBy: 'deadline' },
    );
    expect(report.totals).toMatchObject({ listed: 10, deleted: 4, failed: 1 });
    expect(report.services['oms-migration-tasks']?.failures).toEqual([
      expect.objectContaining({ taskId: 'f1', target: 'cn-north-4/cn-north-4' }),
    ]);
    // Listed in one target: the sums carry no error (the section of the other says it failed).
    expect(report.services['oms-migration-tasks']?.error).toBeUndefined();
    expect(report.targets?.map((t) => [t.region, t.status])).toEqual([
      ['cn-north-4', 'done'],
      ['ap-southeast-3', 'failed'],
      ['eu-west-101', 'skipped'],
    ]);
    expect(report.targets?.[1]?.services['oms-migration-tasks']?.error?.message).toBe('refused');
    expect(report.target).toBeUndefined();
    expect(report.stoppedBy).toBe('deadline');
  });

  it('a target where some services listed and others could not is partial, not done', () => {
    const mixed = createReport({
      dryRun: false,
      startedAt: NOW,
      policy: { digest: 'abc', maxDeletesPerRun: 100 },
      services: ['oms-migration-tasks', 'dis-dump-tasks'],
    });
    serviceReportOf(mixed, 'oms-migration-tasks').listed = 3;
    serviceReportOf(mixed, 'dis-dump-tasks').error = { message: 'DIS unreachable' };

    const report = combineReports([{ target: TARGETS[0] as ResolvedTarget, report: mixed }], {
      ...OPTIONS,
      services: ['oms-migration-tasks', 'dis-dump-tasks'],
    });

    expect(report.targets?.[0]?.status).toBe('partial');
    expect(report.targets?.[0]?.services['dis-dump-tasks']?.error?.message).toBe('DIS unreachable');
  });

  it("a service that failed in every target that ran carries the error in the sums (the run's failure rule)", () => {
    const report = combineReports(
      [
        { target: TARGETS[0] as ResolvedTarget, report: targetReport({ listed: 0, deleted: 0, error: 'a' }) },
        { target: TARGETS[1] as ResolvedTarget, report: targetReport({ listed: 0, deleted: 0, error: 'b' }) },
      ],
      OPTIONS,
    );
    expect(report.services['oms-migration-tasks']?.error?.message).toMatch(
      /not listed in any of the 2 targets \(first: a\)/,
    );
    expect(report.totals.failedServices).toBe(1);
  });

  it("one target that could not be listed counts in failedServices and the CLI's exit code, though the sums carry no error", () => {
    const oneFailed = combineReports(
      [
        { target: TARGETS[0] as ResolvedTarget, report: targetReport({ listed: 5, deleted: 2 }) },
        {
          target: TARGETS[1] as ResolvedTarget,
          report: targetReport({ listed: 0, deleted: 0, error: 'refused' }),
        },
      ],
      OPTIONS,
    );
    expect(oneFailed.services['oms-migration-tasks']?.error).toBeUndefined();
    expect(oneFailed.totals.failedServices).toBe(1);
    expect(shouldFail(oneFailed)).toBe(false);
    expect(hasFailures(oneFailed)).toBe(true);
    const allDone = combineReports(
      [
        { target: TARGETS[0] as ResolvedTarget, report: targetReport({ listed: 5, deleted: 2 }) },
        { target: TARGETS[1] as ResolvedTarget, report: targetReport({ listed: 1, deleted: 1 }) },
      ],
      OPTIONS,
    );
    expect(hasFailures(allDone)).toBe(false);
  });

  it('an account-wide API that failed in the one target that lists it carries the error in the sums', () => {
    const lister = withSms({ omsListed: 4, smsError: 'SMS unreachable' });
    const other = withSms({ omsListed: 3 });
    const report = combineReports(
      [
        { target: TARGETS[0] as ResolvedTarget, report: other },
        { target: TARGETS[1] as ResolvedTarget, report: lister },
      ],
      { ...OPTIONS, services: ['oms-migration-tasks', 'sms-migration-tasks'] },
    );

    // The target without SMS does not count as one where SMS listed.
    expect(report.services['sms-migration-tasks']?.error?.message).toBe('SMS unreachable');
    expect(report.services['oms-migration-tasks']?.error).toBeUndefined();
    expect(report.totals.failedServices).toBe(1);
    expect(shouldFail(report)).toBe(false);
  });

  it('every target down, the SMS lister too: every attempted operation failed (shouldFail)', () => {
    const report = combineReports(
      [
        { target: TARGETS[0] as ResolvedTarget, report: withSms({ omsError: 'down' }) },
        { target: TARGETS[1] as ResolvedTarget, report: withSms({ omsError: 'down', smsError: 'down' }) },
      ],
      { ...OPTIONS, services: ['oms-migration-tasks', 'sms-migration-tasks'] },
    );

    expect(report.totals.failedServices).toBe(2);
    expect(shouldFail(report)).toBe(true);
  });

  it('ListingFailed counts a service that failed in one target of several: in Service=ALL and in its own', () => {
    const report = combineReports(
      [
        { target: TARGETS[0] as ResolvedTarget, report: withSms({ omsListed: 5, smsError: 'SMS down' }) },
        { target: TARGETS[1] as ResolvedTarget, report: withSms({ omsError: 'unreachable' }) },
        { target: TARGETS[2] as ResolvedTarget, report: withSms({ omsListed: 2 }) },
      ],
      { ...OPTIONS, services: ['oms-migration-tasks', 'sms-migration-tasks'] },
    );

    const emf = toEmbeddedMetricFormat(report);
    const runWide = (service: string) => emf.find((o) => o.Service === service && o.Target === undefined);
    expect(runWide('ALL')).toMatchObject({ ListingFailed: 2 });
    expect(runWide('oms-migration-tasks')).toMatchObject({ ListingFailed: 1, Listed: 7 });
    expect(runWide('sms-migration-tasks')).toMatchObject({ ListingFailed: 1 });
    const ofTarget = (target: string, service: string) =>
      emf.find((o) => o.Target === target && o.Service === service);
    expect(ofTarget('ap-southeast-3/ap-southeast-3', 'ALL')).toMatchObject({ ListingFailed: 1 });
    expect(ofTarget('eu-west-101/eu-west-101', 'ALL')).toMatchObject({ ListingFailed: 0 });
  });

  it('one target: the report reads as before (target set, failures not tagged), plus its one section', () => {
    const report = combineReports(
      [
        {
          target: TARGETS[0] as ResolvedTarget,
          report: targetReport({ listed: 3, deleted: 1, failedIds: ['f'] }),
        },
      ],
      OPTIONS,
    );
    expect(report.target).toMatchObject({ region: 'cn-north-4', projectId: 'p1' });
    expect(report.services['oms-migration-tasks']?.failures[0]?.target).toBeUndefined();
    expect(report.targets).toHaveLength(1);
  });
});

/** A target's report of OMS and, where `smsError` is given (the lister, SMS failed), the account-wide SMS. */
function withSms(counts: { omsListed?: number; omsError?: string; smsError?: string }): Report {
  const sms = counts.smsError !== undefined;
  const report = createReport({
    dryRun: false,
    startedAt: NOW,
    policy: { digest: 'abc', maxDeletesPerRun: 100 },
    services: sms ? ['oms-migration-tasks', 'sms-migration-tasks'] : ['oms-migration-tasks'],
  });
  const oms = serviceReportOf(report, 'oms-migration-tasks');
  oms.listed = counts.omsListed ?? 0;
  if (counts.omsError !== undefined) oms.error = { message: counts.omsError };
  if (counts.smsError !== undefined)
    serviceReportOf(report, 'sms-migration-tasks').error = { message: counts.smsError };
  return report;
}

/** `runTargets` over one fake source, one target at a time; `failFor` makes a target's client throw. */
function runOverFakes(
  deps: Parameters<typeof runTargets>[0],
  source: Parameters<typeof fakeCloudFor>[0][number],
  options: Pick<Parameters<typeof runTargets>[1], 'policy' | 'targets' | 'savedPlan' | 'planTasksOf'> & {
    readonly failFor?: (target: ResolvedTarget) => Error | undefined;
  },
) {
  const never = new AbortController().signal;
  const { failFor, ...rest } = options;
  return runTargets(deps, {
    ...rest,
    policySource: 'inline',
    clientFor: (target) => {
      const failure = failFor?.(target);
      if (failure) throw failure;
      return { client: fakeCloudFor([source]), planningNowMs: () => NOW_MS, hostOf: () => 'oms.example' };
    },
    sources: [source],
    signals: { stop: never, abort: never, resolve: never },
    deadlineAtMs: NOW_MS + 600_000,
    startedAt: NOW,
    concurrency: 1,
    deleteConcurrency: 2,
    labelled: true,
  });
}

describe('runTargets', () => {
  it("a target whose purge throws is that target's failure, with the error; the others go on and delete", async () => {
    const oms = createFakeSource('oms-migration-tasks', {
      tasks: [makeTask({ id: 'old-1', ageDays: 200 }), makeTask({ id: 'old-2', ageDays: 100 })],
    });
    const { deps, log } = offlineDeps();
    const bug = new TypeError('a bug in this target');

    // One target at a time: the targets after the one that throws must still run, and end before the report.
    const result = await runOverFakes(deps, oms.source, {
      policy: parsePolicyText(
        'version: 1\ndryRun: false\nservices:\n  oms-migration-tasks: { olderThan: 30d }\n',
      ),
      targets: TARGETS,
      failFor: (target) => (target.projectId === 'p2' ? bug : undefined),
    });

    expect(result.report.targets?.map((t) => [t.projectId, t.status, t.totals.deleted])).toEqual([
      ['p1', 'done', 2],
      ['p2', 'failed', 0],
      ['p3', 'done', 2],
    ]);
    expect(result.report.targets?.[1]?.services['oms-migration-tasks']?.error?.message).toBe(
      'the purge of this target failed: TypeError: a bug in this target',
    );
    expect(result.errors).toContain(bug);
    expect(oms.state.deleteCalls).toHaveLength(4);
    expect(log.records().some((l) => l.msg === 'the purge of this target failed')).toBe(true);
  });

  it("an applied plan deletes each target's planned tasks, whatever the split of the cap in today's order", async () => {
    const tasks = ['old-1', 'old-2', 'old-3'].map((id) => makeTask({ id, ageDays: 200 }));
    const oms = createFakeSource('oms-migration-tasks', { tasks });
    const policy = parsePolicyText(
      'version: 1\ndryRun: false\nmaxDeletesPerRun: 4\nservices:\n  oms-migration-tasks: { olderThan: 30d }\n',
    );
    // Planned when p2 came first: 3 for p2 and 1 for p1, 4 in all. Applied with p1 first, the even split
    // would give p2 only 2.
    const planned = { p1: tasks.slice(0, 1), p2: tasks } as Record<string, typeof tasks>;
    const plan = createSavedPlan({
      createdAt: NOW,
      toolVersion: '0.0.0-test',
      account: { cloud: 'huaweicloud', targets: [] },
      policy,
      overrides: {},
      tasks: [],
    });

    const result = await runOverFakes(offlineDeps().deps, oms.source, {
      policy,
      targets: TARGETS.slice(0, 2),
      savedPlan: plan,
      planTasksOf: (target) => (planned[target.projectId] ?? []).map(toSavedPlanTask),
    });

    expect(result.report.targets?.map((t) => [t.projectId, t.totals.deleted, t.totals.skipped.cap])).toEqual([
      ['p1', 1, 0],
      ['p2', 3, 0],
    ]);
  });
});
