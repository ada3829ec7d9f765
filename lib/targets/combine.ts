/**
 * The report of a run of several targets: each target's report becomes a section (its counts per service), and
 * `services` / `totals` are the sums, the failures tagged with their target. Pure.
 */
import {
  addCounts,
  computeTotals,
  createReport,
  createServiceReport,
  MAX_LISTED_FAILURES,
  type Report,
  type RunTarget,
  type ServiceReport,
  serviceReportOf,
  type TargetReport,
  type TaskFailure,
} from '../report';
import type { ServiceId } from '../types';
import { type ResolvedTarget, targetLabel } from './select';

/** How one target's purge ended, as the run saw it. */
export type TargetOutcome =
  | { readonly target: ResolvedTarget; readonly report: Report }
  | { readonly target: ResolvedTarget; readonly skipped: 'deadline' | 'interrupted' };

export interface CombineOptions {
  readonly dryRun: boolean;
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly policy: { readonly digest: string; readonly maxDeletesPerRun: number; readonly source?: string };
  readonly services: readonly ServiceId[];
  readonly stoppedBy: 'deadline' | 'interrupted' | undefined;
}

export function runTargetOf(target: ResolvedTarget): RunTarget {
  return {
    cloud: target.cloud,
    region: target.region,
    projectId: target.projectId,
    ...(target.projectName !== undefined ? { projectName: target.projectName } : {}),
  };
}

/** The run's report from its targets' outcomes, in the order they started. */
export function combineReports(outcomes: readonly TargetOutcome[], options: CombineOptions): Report {
  const report = createReport(options);
  const sections: TargetReport[] = [];
  for (const outcome of outcomes) {
    if ('skipped' in outcome) {
      sections.push(skippedSection(outcome.target, outcome.skipped, options.services));
      continue;
    }
    sections.push(sectionOf(outcome.target, outcome.report));
    for (const [service, entry] of Object.entries(outcome.report.services) as [ServiceId, ServiceReport][]) {
      // One target's failures need no label: the report's `target` names it.
      const label = outcomes.length > 1 ? targetLabel(outcome.target) : undefined;
      if (entry) mergeInto(serviceReportOf(report, service), entry, label);
    }
  }
  settleErrors(report, outcomes);
  if (outcomes.length === 1 && outcomes[0] !== undefined) {
    const only = outcomes[0];
    report.target = 'report' in only && only.report.target ? only.report.target : runTargetOf(only.target);
  }
  report.targets = sections;
  if (options.stoppedBy !== undefined) report.stoppedBy = options.stoppedBy;
  Object.assign(report.totals, computeTotals(report));
  report.finishedAt = options.finishedAt.toISOString();
  return report;
}

function sectionOf(target: ResolvedTarget, report: Report): TargetReport {
  const services: TargetReport['services'] = {};
  for (const [service, entry] of Object.entries(report.services) as [ServiceId, ServiceReport][]) {
    if (!entry) continue;
    const { failures: _failures, failuresNotListed: _more, unknownTasks: _unknown, ...counts } = entry;
    services[service] = counts;
  }
  const totals = computeTotals(report);
  const listedServices = Object.values(report.services).filter((entry) => entry !== undefined).length;
  const status =
    totals.failedServices === 0 ? 'done' : totals.failedServices === listedServices ? 'failed' : 'partial';
  return {
    ...runTargetOf(target),
    ...(report.target?.projectId !== undefined ? { projectId: report.target.projectId } : {}),
    status,
    ...(report.stoppedBy !== undefined ? { stoppedBy: report.stoppedBy } : {}),
    services,
    totals,
  };
}

function skippedSection(
  target: ResolvedTarget,
  reason: 'deadline' | 'interrupted',
  serviceIds: readonly ServiceId[],
): TargetReport {
  const services: TargetReport['services'] = {};
  for (const service of serviceIds) {
    const { failures: _failures, ...counts } = createServiceReport();
    services[service] = counts;
  }
  return {
    ...runTargetOf(target),
    status: 'skipped',
    stoppedBy: reason,
    services,
    totals: computeTotals({ services: {} }),
  };
}

/** Adds one target's entry of a service to the run's: counts summed, failures listed up to the report's cap. */
function mergeInto(into: ServiceReport, from: ServiceReport, label: string | undefined): void {
  addCounts(into, from);
  const tag = (failure: TaskFailure): TaskFailure =>
    label === undefined ? failure : { ...failure, target: label };
  const room = MAX_LISTED_FAILURES - into.failures.length;
  into.failures.push(...from.failures.slice(0, Math.max(0, room)).map(tag));
  const dropped = Math.max(0, from.failures.length - Math.max(0, room)) + (from.failuresNotListed ?? 0);
  if (dropped > 0) into.failuresNotListed = (into.failuresNotListed ?? 0) + dropped;
  if (from.unknownTasks !== undefined) {
    const listed = into.unknownTasks ?? [];
    listed.push(...from.unknownTasks.slice(0, Math.max(0, MAX_LISTED_FAILURES - listed.length)).map(tag));
    into.unknownTasks = listed;
  }
  if (from.planNotListed !== undefined) into.planNotListed = (into.planNotListed ?? 0) + from.planNotListed;
}

/**
 * A service's `error` in the sums means what it means for one target: nothing was listed or deleted for it
 * anywhere. Set only when it failed in every target that ran and lists it (an account-wide API is listed by one
 * target only: the others have no entry for it). A failure in some targets only is in their sections, and
 * counted in `failedServices` and the `ListingFailed` metrics (`servicesNotListed`).
 */
function settleErrors(report: Report, outcomes: readonly TargetOutcome[]): void {
  const ran = outcomes.filter((o): o is Extract<TargetOutcome, { report: Report }> => 'report' in o);
  for (const [service, entry] of Object.entries(report.services) as [ServiceId, ServiceReport][]) {
    if (!entry) continue;
    const errors = ran.flatMap((o) => {
      const own = o.report.services[service];
      return own === undefined ? [] : [own.error];
    });
    const first = errors[0];
    if (first === undefined || errors.some((error) => error === undefined)) continue;
    entry.error =
      errors.length === 1
        ? first
        : {
            ...first,
            message: `not listed in any of the ${errors.length} targets (first: ${first.message})`,
          };
  }
}
