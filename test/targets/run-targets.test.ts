/**
 * The pieces of a run over several targets that need no cloud: the cap shared in target order, and the report
 * assembled from the targets' reports.
 */
import { describe, expect, it } from 'vitest';
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
  it('shares the cap in target order, whichever listing finishes first', async () => {
    const ledger = createCapLedger(5, 3);
    // Target 2 and 1 finish listing before target 0.
    const third = ledger.take(2, candidates(4, 'c'));
    const second = ledger.take(1, candidates(2, 'b'));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const first = ledger.take(0, candidates(3, 'a'));
    const [a, b, c] = await Promise.all([first, second, third]);
    expect([a.deletes.length, b.deletes.length, c.deletes.length]).toEqual([3, 2, 0]);
    expect([a.capped.length, b.capped.length, c.capped.length]).toEqual([0, 0, 4]);
  });

  it('a target that passes (nothing listed, or not started) never holds up the ones after it', async () => {
    const ledger = createCapLedger(2, 3);
    ledger.pass(0);
    ledger.pass(1);
    const last = await ledger.take(2, candidates(3, 'c'));
    expect(last.deletes.map((d) => d.task.id)).toEqual(['c0', 'c1']);
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
