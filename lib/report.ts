/**
 * The run report: a public interface (operators script against its JSON). Logged as one line at the end of
 * every run and returned to the caller.
 */
import type { ServiceId } from './types';
import { TOOL_VERSION } from './version';

export const SKIP_REASONS = [
  'inProgress',
  'unknownState',
  'unknownAge',
  'excluded',
  'cap',
  'deadline',
  'interrupted',
  'changed',
  'unaddressable',
] as const;
/**
 * Why a stale-or-candidate task was not deleted. `deadline` / `interrupted`: the run stopped (its deadline, or
 * an operator's Ctrl-C / SIGTERM) before this delete was sent or could be retried. `changed`: a saved plan's task
 * is no longer listed, deletable or stale (plan/apply). `unaddressable`: a stale task whose id or parent is `.`
 * or `..`, which no request can address.
 */
export type SkipReason = (typeof SKIP_REASONS)[number];

/** How many failures a service lists in the report. */
export const MAX_LISTED_FAILURES = 100;

export interface TaskFailure {
  readonly taskId: string;
  readonly name: string;
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  readonly errorMsg: string;
  /** The endpoint host that answered (or did not), for a failure of a request. */
  readonly host?: string;
  /** The target (`region/project`) of the task, in a run of several targets. */
  readonly target?: string;
}

export interface ServiceCounts {
  listed: number;
  /** Tasks the policy selects for deletion (deletable state, old enough, not excluded). */
  stale: number;
  deleted: number;
  /** Dry run: what an applied run would delete. */
  wouldDelete: number;
  alreadyGone: number;
  failed: number;
  /**
   * Deletes whose outcome could not be known: sent, but neither answered nor settled by a later read (the read
   * itself failed). Never counted as failed or as deleted; the next run lists the task again if it is still there.
   */
  unknown: number;
  skipped: Record<SkipReason, number>;
  /**
   * Listed tasks the policy keeps that are not stale and not skipped: `tooYoung` (younger than `olderThan`),
   * `notInPlan` (plan/apply: listed, but not in the plan). With these, every listed task is in exactly one
   * column: `listed` = `stale` outcomes (deleted or would delete, gone, failed, unknown, the stale skips) plus
   * the listing's skips (in progress, unknown state/age, excluded, unaddressable) plus `kept`.
   */
  kept: { tooYoung: number; notInPlan: number };
  /**
   * Deletes attempted and answered "in progress" (refused by the API, or a re-check found it changed); also
   * counted in `skipped`. Tells `shouldFail` that the API answered. Added by the engine; optional for readers.
   */
  refused?: number;
}

export interface ServiceReport extends ServiceCounts {
  /**
   * The failed deletes, at most `MAX_LISTED_FAILURES` of them (in the order they were recorded) so that the report stays one log
   * line a log service accepts (CloudWatch Logs takes 256 KB per event); every failure has its own
   * `task decision` log line too.
   */
  readonly failures: TaskFailure[];
  /** Failures beyond `MAX_LISTED_FAILURES`, counted in `failed` but not listed in `failures`. */
  failuresNotListed?: number;
  /** The deletes of unknown outcome (`unknown`), at most `MAX_LISTED_FAILURES`, with why they are unknown. */
  unknownTasks?: TaskFailure[];
  /** Plan/apply: planned tasks this run did not list (also counted in `skipped.changed`; not in `listed`). */
  planNotListed?: number;
  /** Set when the service could not be listed (or its listing was ambiguous): nothing was deleted for it. */
  error?: { readonly message: string; readonly status?: number; readonly errorCode?: string };
}

/** Where a run works: what the operator must check before trusting a report or a plan. */
export interface RunTarget {
  readonly cloud: string;
  readonly region: string;
  /** Absent when the project id was to be resolved through IAM and could not be. */
  readonly projectId?: string;
  /** The project's name, where IAM was asked for it (a policy with `targets`). */
  readonly projectName?: string;
}

/** One target's part of a run: where, how it ended, and its counts per service (its failures are in `services`). */
export interface TargetReport extends RunTarget {
  /**
   * `done`: every service listed (and deleted) as the counts say; `partial`: some services could not be listed
   * (their `error` says why) and the others ran as their counts say; `failed`: no service could be listed
   * (credentials refused, the hosts unreachable); `skipped`: not started before the run stopped (`stoppedBy`).
   */
  readonly status: 'done' | 'partial' | 'failed' | 'skipped';
  readonly stoppedBy?: 'deadline' | 'interrupted';
  readonly services: Partial<Record<ServiceId, ServiceCounts & Pick<ServiceReport, 'error'>>>;
  readonly totals: ServiceCounts & { failedServices: number };
}

export interface Report {
  readonly dryRun: boolean;
  readonly startedAt: string;
  finishedAt: string;
  /**
   * The cloud, region and project the run listed and deleted in (set before anything is sent); in a run of
   * several targets, absent (see `targets`).
   */
  target?: RunTarget;
  /**
   * One section per target, in the order they started (a run without `targets` in its policy has one). `services`
   * and `totals` above are the sums over them.
   */
  targets?: TargetReport[];
  /** Set when the run was cut short: its deadline, or an operator's interrupt. */
  stoppedBy?: 'deadline' | 'interrupted';
  readonly policy: {
    readonly digest: string;
    /** Where the policy came from: its file path, `inline`, or `plan FILE` (plan/apply). */
    readonly source?: string;
    readonly services: readonly ServiceId[];
    readonly maxDeletesPerRun: number;
  };
  /** The tool that wrote the report. */
  readonly tool: { readonly name: 'task-janitor'; readonly version: string };
  readonly services: Partial<Record<ServiceId, ServiceReport>>;
  /**
   * The sums, and `failedServices`: the services that could not be listed, anywhere or in at least one target
   * (`servicesNotListed`).
   */
  readonly totals: ServiceCounts & { failedServices: number };
}

// ---------------------------------------------------------------------------------------------------------
// Building and totalling a report (the CLI's table is in `cli/present.ts`).

function emptySkipped(): Record<SkipReason, number> {
  return {
    inProgress: 0,
    unknownState: 0,
    unknownAge: 0,
    excluded: 0,
    cap: 0,
    deadline: 0,
    interrupted: 0,
    changed: 0,
    unaddressable: 0,
  };
}

/** Zeroed counters. */
export function createServiceCounts(): ServiceCounts {
  return {
    listed: 0,
    stale: 0,
    deleted: 0,
    wouldDelete: 0,
    alreadyGone: 0,
    failed: 0,
    unknown: 0,
    skipped: emptySkipped(),
    kept: { tooYoung: 0, notInPlan: 0 },
  };
}

/** A zeroed per-service report. */
export function createServiceReport(): ServiceReport {
  return { ...createServiceCounts(), failures: [] };
}

export interface CreateReportOptions {
  readonly dryRun: boolean;
  readonly startedAt: Date;
  readonly policy: { readonly digest: string; readonly maxDeletesPerRun: number; readonly source?: string };
  /** One zeroed entry per service, in this order. */
  readonly services: readonly ServiceId[];
}

/** A report with a zeroed entry for every service the run covers; `finishedAt` is set by `finishReport`. */
export function createReport(options: CreateReportOptions): Report {
  const services: Partial<Record<ServiceId, ServiceReport>> = {};
  for (const id of options.services) services[id] = createServiceReport();
  const startedAt = options.startedAt.toISOString();
  return {
    dryRun: options.dryRun,
    startedAt,
    finishedAt: startedAt,
    policy: {
      digest: options.policy.digest,
      ...(options.policy.source !== undefined ? { source: options.policy.source } : {}),
      services: [...options.services],
      maxDeletesPerRun: options.policy.maxDeletesPerRun,
    },
    tool: { name: 'task-janitor', version: TOOL_VERSION },
    services,
    totals: { ...createServiceCounts(), failedServices: 0 },
  };
}

/** The report entry for `service`, created on first use. */
export function serviceReportOf(report: Report, service: ServiceId): ServiceReport {
  const existing = report.services[service];
  if (existing) return existing;
  const created = createServiceReport();
  report.services[service] = created;
  return created;
}

/**
 * The columns a listed task can end in; for a service that was listed whole, their sum is `listed` (plus
 * `planNotListed`, which counts planned tasks that were not listed, in `skipped.changed`).
 */
export function sumOfColumns(counts: ServiceCounts): number {
  const skipped = SKIP_REASONS.reduce((sum, reason) => sum + counts.skipped[reason], 0);
  return (
    counts.deleted +
    counts.wouldDelete +
    counts.alreadyGone +
    counts.failed +
    counts.unknown +
    skipped +
    counts.kept.tooYoung +
    counts.kept.notInPlan
  );
}

/**
 * The services that could not be listed somewhere: nothing was listed of them anywhere (their `error`), or, in a
 * run of several targets, in at least one target (that target's section has the `error`). What `failedServices`
 * and the `ListingFailed` metrics count, so that one unreachable target is an alarm too.
 */
export function servicesNotListed(
  report: Pick<Report, 'services'> & Pick<Partial<Report>, 'targets'>,
): Set<ServiceId> {
  const failed = new Set<ServiceId>();
  for (const [service, entry] of Object.entries(report.services) as [
    ServiceId,
    ServiceReport | undefined,
  ][]) {
    if (entry?.error) failed.add(service);
  }
  for (const section of report.targets ?? []) {
    for (const [service, entry] of Object.entries(section.services) as [
      ServiceId,
      (ServiceCounts & Pick<ServiceReport, 'error'>) | undefined,
    ][]) {
      if (entry?.error) failed.add(service);
    }
  }
  return failed;
}

/** Sums every service into a fresh totals object; `failedServices` counts `servicesNotListed`. */
export function computeTotals(
  report: Pick<Report, 'services'> & Pick<Partial<Report>, 'targets'>,
): ServiceCounts & { failedServices: number } {
  const totals = { ...createServiceCounts(), failedServices: 0 };
  for (const service of Object.values(report.services)) {
    if (service) addCounts(totals, service);
  }
  totals.failedServices = servicesNotListed(report).size;
  return totals;
}

/** Adds every count of `from` to `into`. */
export function addCounts(into: ServiceCounts, from: ServiceCounts): void {
  into.listed += from.listed;
  into.stale += from.stale;
  into.deleted += from.deleted;
  into.wouldDelete += from.wouldDelete;
  into.alreadyGone += from.alreadyGone;
  into.failed += from.failed;
  into.unknown += from.unknown;
  for (const reason of SKIP_REASONS) into.skipped[reason] += from.skipped[reason];
  into.kept.tooYoung += from.kept.tooYoung;
  into.kept.notInPlan += from.kept.notInPlan;
  if (from.refused !== undefined) into.refused = (into.refused ?? 0) + from.refused;
}

/** Recomputes totals and stamps `finishedAt`; returns the same report. */
export function finishReport(report: Report, finishedAt: Date): Report {
  Object.assign(report.totals, computeTotals(report));
  report.finishedAt = finishedAt.toISOString();
  return report;
}

/**
 * True when every attempted operation failed, so the shells throw `FullRunFailureError`:
 * every service failed to list (in every target that lists it: its `error`), or deletes were attempted and
 * every one of them failed. A run where some services listed fine and nothing needed deleting is not a failure,
 * nor is one where a service failed in some targets and listed in others.
 */
export function shouldFail(report: Report): boolean {
  const totals = computeTotals(report);
  const services = Object.values(report.services).filter((s) => s !== undefined);
  const allListingsFailed = services.length > 0 && services.every((service) => service.error !== undefined);
  const succeededDeletes = totals.deleted + totals.alreadyGone + (totals.refused ?? 0) + totals.unknown;
  const allDeletesFailed = totals.failed > 0 && succeededDeletes === 0;
  return allListingsFailed || allDeletesFailed;
}
