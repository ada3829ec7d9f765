import { describe, expect, it } from 'vitest';
import { toEmbeddedMetricFormat } from '../../handlers/aws/metrics';
import {
  computeTotals,
  createReport,
  finishReport,
  type Report,
  SKIP_REASONS,
  serviceReportOf,
  shouldFail,
} from '../../lib/report';
import { combineReports } from '../../lib/targets/combine';
import { NOW } from './fakes';

function makeReport(dryRun = false): Report {
  const report = createReport({
    dryRun,
    startedAt: NOW,
    policy: { digest: 'abcdef123456', maxDeletesPerRun: 1000 },
    services: ['oms-migration-tasks', 'dis-dump-tasks'],
  });
  const oms = serviceReportOf(report, 'oms-migration-tasks');
  Object.assign(oms, { listed: 10, stale: 6, deleted: 3, alreadyGone: 1, failed: 1 });
  oms.skipped.inProgress = 2;
  oms.skipped.cap = 1;
  oms.failures.push({
    taskId: '191297407830872',
    name: 'mig',
    status: 500,
    errorCode: 'OMS.0500',
    errorMsg: 'internal',
  });
  const dis = serviceReportOf(report, 'dis-dump-tasks');
  dis.error = {
    message: 'GET /v2/p/streams failed: 401 APIG.1002 bad token',
    status: 401,
    errorCode: 'APIG.1002',
  };
  return finishReport(report, new Date(NOW.getTime() + 5000));
}

describe('report', () => {
  it('totals every service', () => {
    const report = makeReport();
    expect(report.totals).toEqual({
      listed: 10,
      stale: 6,
      deleted: 3,
      wouldDelete: 0,
      alreadyGone: 1,
      failed: 1,
      unknown: 0,
      skipped: {
        inProgress: 2,
        unknownState: 0,
        unknownAge: 0,
        excluded: 0,
        cap: 1,
        deadline: 0,
        interrupted: 0,
        changed: 0,
        unaddressable: 0,
      },
      kept: { tooYoung: 0, notInPlan: 0 },
      failedServices: 1,
    });
    expect(report.finishedAt).toBe('2025-01-01T00:00:05.000Z');
    expect(Object.keys(report.totals.skipped)).toEqual([...SKIP_REASONS]);
  });

  it('emits one EMF object per service and one for the whole run', () => {
    const emf = toEmbeddedMetricFormat(makeReport(), { functionName: 'task-janitor-purge' });

    expect(emf.map((o) => o.Service)).toEqual(['oms-migration-tasks', 'dis-dump-tasks', 'ALL']);
    const [oms, dis, all] = emf;
    expect(oms).toMatchObject({
      _aws: {
        Timestamp: NOW.getTime() + 5000,
        CloudWatchMetrics: [{ Namespace: 'TaskJanitor', Dimensions: [['Service']] }],
      },
      Service: 'oms-migration-tasks',
      FunctionName: 'task-janitor-purge',
      Deleted: 3,
      Failed: 1,
      SkippedInProgress: 2,
      SkippedCap: 1,
      ListingFailed: 0,
    });
    expect(dis).toMatchObject({ ListingFailed: 1, Deleted: 0 });
    expect(all).toMatchObject({ Deleted: 3, ListingFailed: 1 });
  });

  it.each(toEmbeddedMetricFormat(makeReport()).map((o) => [o.Service, o]))(
    'EMF object for %s follows the spec: every metric and dimension is a top-level member',
    (_service, object) => {
      const aws = (
        object as {
          _aws: {
            CloudWatchMetrics: { Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
          };
        }
      )._aws;
      const directive = aws.CloudWatchMetrics[0];
      expect(directive?.Metrics.length).toBeLessThanOrEqual(100);
      for (const metric of directive?.Metrics ?? []) {
        expect(typeof (object as Record<string, unknown>)[metric.Name]).toBe('number');
        expect(metric.Unit).toBe('Count');
      }
      for (const dimension of directive?.Dimensions.flat() ?? []) {
        expect(typeof (object as Record<string, unknown>)[dimension]).toBe('string');
      }
    },
  );
});

describe('EMF of a run of several targets', () => {
  const target = (region: string, projectName: string) => ({
    cloud: 'huaweicloud',
    region,
    projectId: `id-${projectName}`,
    projectName,
    listsAccountWide: false,
  });
  const targetReport = (deleted: number, disError?: string): Report => {
    const report = createReport({
      dryRun: false,
      startedAt: NOW,
      policy: { digest: 'abcdef123456', maxDeletesPerRun: 1000 },
      services: ['oms-migration-tasks', 'dis-dump-tasks'],
    });
    Object.assign(serviceReportOf(report, 'oms-migration-tasks'), {
      listed: deleted + 1,
      stale: deleted,
      deleted,
    });
    if (disError !== undefined) serviceReportOf(report, 'dis-dump-tasks').error = { message: disError };
    return finishReport(report, NOW);
  };
  const report = combineReports(
    [
      { target: target('cn-north-4', 'cn-north-4_dev'), report: targetReport(3) },
      { target: target('eu-west-101', 'eu-west-101'), report: targetReport(2, 'DIS down') },
    ],
    {
      dryRun: false,
      startedAt: NOW,
      finishedAt: new Date(NOW.getTime() + 5000),
      policy: { digest: 'abcdef123456', maxDeletesPerRun: 1000 },
      services: ['oms-migration-tasks', 'dis-dump-tasks'],
      stoppedBy: undefined,
    },
  );

  it('adds one object per target and service, and one per target for all its services, under Target and Service', () => {
    const emf = toEmbeddedMetricFormat(report, { functionName: 'task-janitor-purge' });
    const perTarget = emf.filter((o) => o.Target !== undefined);

    expect(emf.filter((o) => o.Target === undefined).map((o) => o.Service)).toEqual([
      'oms-migration-tasks',
      'dis-dump-tasks',
      'ALL',
    ]);
    expect(perTarget.map((o) => [o.Target, o.Service])).toEqual([
      ['cn-north-4/cn-north-4_dev', 'oms-migration-tasks'],
      ['cn-north-4/cn-north-4_dev', 'dis-dump-tasks'],
      ['cn-north-4/cn-north-4_dev', 'ALL'],
      ['eu-west-101/eu-west-101', 'oms-migration-tasks'],
      ['eu-west-101/eu-west-101', 'dis-dump-tasks'],
      ['eu-west-101/eu-west-101', 'ALL'],
    ]);
    for (const object of perTarget) {
      expect(object).toMatchObject({
        _aws: { CloudWatchMetrics: [{ Namespace: 'TaskJanitor', Dimensions: [['Target', 'Service']] }] },
        FunctionName: 'task-janitor-purge',
      });
    }
    const of = (label: string, service: string) =>
      perTarget.find((o) => o.Target === label && o.Service === service);
    expect(of('cn-north-4/cn-north-4_dev', 'oms-migration-tasks')).toMatchObject({
      Deleted: 3,
      ListingFailed: 0,
    });
    expect(of('eu-west-101/eu-west-101', 'dis-dump-tasks')).toMatchObject({ Deleted: 0, ListingFailed: 1 });
    expect(of('eu-west-101/eu-west-101', 'ALL')).toMatchObject({ Deleted: 2, ListingFailed: 1 });
    expect(emf.find((o) => o.Target === undefined && o.Service === 'ALL')).toMatchObject({
      Deleted: 5,
      ListingFailed: 1,
    });
  });

  it('a run of one target has no Target dimension', () => {
    const one = combineReports([{ target: target('cn-north-4', 'cn-north-4'), report: targetReport(1) }], {
      dryRun: false,
      startedAt: NOW,
      finishedAt: NOW,
      policy: { digest: 'abcdef123456', maxDeletesPerRun: 1000 },
      services: ['oms-migration-tasks', 'dis-dump-tasks'],
      stoppedBy: undefined,
    });
    expect(toEmbeddedMetricFormat(one).every((o) => o.Target === undefined)).toBe(true);
  });
});

describe('shouldFail', () => {
  function reportWith(
    entries: Record<
      string,
      Partial<{ deleted: number; alreadyGone: number; failed: number; refused: number; error: boolean }>
    >,
  ): Report {
    const report = createReport({
      dryRun: false,
      startedAt: NOW,
      policy: { digest: 'x', maxDeletesPerRun: 10 },
      services: ['oms-migration-tasks', 'dis-dump-tasks'],
    });
    for (const [service, e] of Object.entries(entries)) {
      const entry = serviceReportOf(report, service as 'oms-migration-tasks');
      entry.deleted = e.deleted ?? 0;
      entry.alreadyGone = e.alreadyGone ?? 0;
      entry.failed = e.failed ?? 0;
      if (e.refused !== undefined) entry.refused = e.refused;
      if (e.error) entry.error = { message: 'down' };
    }
    return report;
  }

  it.each([
    ['nothing to do', {}, false],
    ['some deleted, some failed', { 'oms-migration-tasks': { deleted: 1, failed: 3 } }, false],
    ['every delete failed', { 'oms-migration-tasks': { failed: 3 }, 'dis-dump-tasks': { failed: 1 } }, true],
    ['failures and only already-gone', { 'oms-migration-tasks': { alreadyGone: 1, failed: 3 } }, false],
    ['failures and only refusals', { 'oms-migration-tasks': { refused: 1, failed: 3 } }, false],
    [
      'every listing failed',
      { 'oms-migration-tasks': { error: true }, 'dis-dump-tasks': { error: true } },
      true,
    ],
    [
      'one listing failed, the other listed with nothing to do',
      { 'oms-migration-tasks': { error: true } },
      false,
    ],
    [
      'one listing failed, every delete of the other failed',
      { 'oms-migration-tasks': { error: true }, 'dis-dump-tasks': { failed: 2 } },
      true,
    ],
  ])('%s → %s', (_label, entries, expected) => {
    expect(shouldFail(reportWith(entries))).toBe(expected);
  });

  it('computeTotals carries the refused count', () => {
    expect(
      computeTotals(reportWith({ 'oms-migration-tasks': { refused: 2 }, 'dis-dump-tasks': { refused: 1 } }))
        .refused,
    ).toBe(3);
  });
});
