/**
 * The pieces of a run over several targets that need no cloud: the cap split between the targets, and the report
 * assembled from the targets' reports.
 */
import { describe, expect, it } from 'vitest';
import { hasFailures } from '../../cli/main';
import type { DeleteCandidate } from '../../lib/plan';
import { createReport, type Report, serviceReportOf } from '../../lib/report';
import { combineReports } from '../../lib/targets/combine';
import { createCapLedger } from '../../lib/targets/run-targets';
import type { ResolvedTarget } from '../../lib/targets/select';
import { makeTask, NOW } from '../engine/fakes';

const candidates = (count: number, prefix: string): DeleteCandidate[] =>
  Array.from({ length: count }, (_, i) => ({
    task: makeTask({ id: `${prefix}${i}`, ageDays: 100 - i }),
    ageMs: (100 - i) * 86_400_000,
    reason: 'older-than-30d',
  }));

describe('createCapLedger', () => {
  it('splits the cap evenly, the remainder one each to the first targets, whatever the order of the listings', async () => {
    const ledger = createCapLedger(5, 3);
    // Target 2 and 1 finish listing before target 0: no one waits, and the split is the same.
    const third = await ledger.take(2, candidates(4, 'c'));
    const second = await ledger.take(1, candidates(1, 'b'));
    const first = await ledger.take(0, candidates(3, 'a'));
    expect([first.deletes.length, second.deletes.length, third.deletes.length]).toEqual([2, 1, 1]);
    expect([first.capped.length, second.capped.length, third.capped.length]).toEqual([1, 0, 3]);
    expect([0, 1, 2].map(ledger.shareOf)).toEqual([2, 2, 1]);
  });

  it('a target that never takes leaves its share unused (the others keep theirs)', async () => {
    const ledger = createCapLedger(2, 3);
    const last = await ledger.take(2, candidates(3, 'c'));
    expect(last.deletes).toEqual([]);
    expect((await ledger.take(1, candidates(3, 'b'))).deletes.map((d) => d.task.id)).toEqual(['b0']);
  });

  it('without a cap, every target takes all it has', async () => {
    const ledger = createCapLedger(Number.MAX_SAFE_INTEGER, 3);
    expect((await ledger.take(2, candidates(4, 'c'))).deletes).toHaveLength(4);
    expect((await ledger.take(0, candidates(3, 'a'))).deletes).toHaveLength(3);
  });

  it('takes the oldest first within a target', async () => {
    const ledger = createCapLedger(1, 1);
    const { deletes } = await ledger.take(0, candidates(3, 'x'));
    expect(deletes.map((d) => d.task.id)).toEqual(['x0']);
  });
});

const TARGETS: readonly ResolvedTarget[] = [
  { cloud: 'huaweicloud', region: 'cn-north-4', projectId: 'p1', projectName: 'cn-north-4' },
  { cloud: 'huaweicloud', region: 'ap-southeast-3', projectId: 'p2', projectName: 'ap-southeast-3' },
  { cloud: 'huaweicloud', region: 'eu-west-101', projectId: 'p3', projectName: 'eu-west-101' },
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

  it("one target that could not be listed is a failure for the CLI's exit code, though the sums carry no error", () => {
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
    expect(oneFailed.totals.failedServices).toBe(0);
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
