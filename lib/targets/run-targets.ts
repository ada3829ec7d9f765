/**
 * A run over its targets: each target purged with its own client (its region's hosts, pools, pacing and retry
 * budget, its project), at most `concurrency` at once, all under the run's one set of stops. The run's cap is
 * split evenly between the targets (`capShareOf`), so no target waits for another and what a dry run would
 * delete is what the same run applied deletes. A target not started before the run stops is reported skipped.
 */
import type { CloudClient } from '../cloud/types';
import type { Deps } from '../deps';
import { stopReasonOf } from '../errors';
import { enabledServices } from '../policy/overrides';
import type { Policy } from '../policy/types';
import { ReportRecorder } from '../recorder';
import { createReport, finishReport, type Report } from '../report';
import { describeListingError, type ProgressEvent, type RunSignals, runPurge } from '../run-purge';
import type { SavedPlan, SavedPlanTask } from '../saved-plan';
import { descriptorOf } from '../sources/catalog';
import type { ServiceId, TaskSource } from '../types';
import { combineReports, runTargetOf, type TargetOutcome } from './combine';
import { capShareOf, type ResolvedTarget, targetLabel } from './select';

/** What a target's purge needs from its client. */
export interface TargetClient {
  readonly client: CloudClient;
  /** The time ages are measured from (the earlier of this clock and the cloud's). */
  readonly planningNowMs: () => number;
  /** The endpoint host of a service, named in failures. */
  readonly hostOf: (service: ServiceId) => string | undefined;
}

export interface RunTargetsOptions {
  readonly policy: Policy;
  readonly policySource: string;
  /** In the order they start. */
  readonly targets: readonly ResolvedTarget[];
  readonly clientFor: (target: ResolvedTarget) => TargetClient;
  readonly sources: readonly TaskSource[];
  readonly signals: RunSignals;
  readonly deadlineAtMs: number;
  readonly startedAt: Date;
  /** Targets purged at once. */
  readonly concurrency: number;
  readonly deleteConcurrency: number;
  /** Plan/apply: the planned tasks of each target (by project id). */
  readonly savedPlan?: SavedPlan;
  readonly planTasksOf?: (target: ResolvedTarget) => readonly SavedPlanTask[];
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Several targets: log lines and failures name theirs. */
  readonly labelled: boolean;
}

export interface TargetsResult {
  readonly report: Report;
  /** What the run deleted or (dry run) would delete, per target, oldest first within each. */
  readonly plannedDeletes: readonly (SavedPlanTask & { readonly target?: string })[];
  /** The typed errors of every target (for `FullRunFailureError`). */
  readonly errors: readonly Error[];
}

export async function runTargets(deps: Deps, options: RunTargetsOptions): Promise<TargetsResult> {
  const { policy, targets, signals } = options;
  const outcomes: TargetOutcome[] = new Array(targets.length);
  const planned: (SavedPlanTask & { target?: string })[][] = targets.map(() => []);
  const errors: Error[] = [];
  const purgeTarget = createTargetPurge(deps, options);
  await forEachIndex(targets.length, options.concurrency, async (index) => {
    // A target whose purge throws (a bug) is that target's failure: the others go on, and the run's report is
    // logged only once every target has ended.
    const done = await purgeTarget(index).catch((error: unknown) =>
      failedTarget(deps, options, index, error),
    );
    outcomes[index] = done.outcome;
    planned[index] = done.planned;
    errors.push(...done.errors);
  });
  const report = combineReports(outcomes, {
    dryRun: policy.dryRun,
    startedAt: options.startedAt,
    finishedAt: deps.now(),
    policy: {
      digest: policy.digest,
      maxDeletesPerRun: policy.maxDeletesPerRun,
      source: options.policySource,
    },
    services: enabledServices(policy),
    stoppedBy: signals.stop.aborted ? stopReasonOf(signals.stop.reason) : undefined,
  });
  return { report, plannedDeletes: planned.flat(), errors };
}

/** What one target's purge produced. */
interface TargetDone {
  readonly outcome: TargetOutcome;
  readonly planned: (SavedPlanTask & { target?: string })[];
  readonly errors: readonly Error[];
}

/** The purge of target `index`: its own recorder and client, the run's stops, its share of the run's cap. */
function createTargetPurge(deps: Deps, options: RunTargetsOptions): (index: number) => Promise<TargetDone> {
  const { policy, targets, signals } = options;
  return async (index) => {
    const target = targets[index] as ResolvedTarget;
    if (signals.stop.aborted) {
      return { outcome: { target, skipped: stopReasonOf(signals.stop.reason) }, planned: [], errors: [] };
    }
    const { client, planningNowMs, hostOf } = options.clientFor(target);
    const targetPolicy = policyOfTarget(policy, target);
    const label = options.labelled ? targetLabel(target) : undefined;
    const targetDeps = label ? { ...deps, log: deps.log.child({ target: label }) } : deps;
    const recorder = new ReportRecorder(targetDeps, {
      dryRun: policy.dryRun,
      startedAt: deps.now(),
      policy: reportedPolicy(options),
      services: enabledServices(targetPolicy),
      target: runTargetOf(target),
      hostOf,
    });
    const savedPlan = options.savedPlan && {
      ...options.savedPlan,
      tasks: options.planTasksOf?.(target) ?? options.savedPlan.tasks,
    };
    const result = await runPurge(targetDeps, {
      policy: targetPolicy,
      client,
      projectId: target.projectId,
      sources: options.sources,
      deadlineAtMs: options.deadlineAtMs,
      signals,
      recorder,
      deleteConcurrency: options.deleteConcurrency,
      planningNowMs,
      // A plan's tasks are within its cap (parseSavedPlan): each target may delete exactly its planned ones,
      // whatever today's order of the targets (the split's remainder follows the day).
      maxDeletes: savedPlan
        ? savedPlan.tasks.length
        : (target.capShare ?? capShareOf(policy.maxDeletesPerRun, targets.length, index)),
      ...(savedPlan ? { savedPlan } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const planned = result.plannedDeletes.map((task) =>
      label ? { ...task, target: target.projectId } : task,
    );
    return { outcome: { target, report: result.report }, planned, errors: recorder.errors() };
  };
}

/** The policy as each target's report names it. */
function reportedPolicy(options: Pick<RunTargetsOptions, 'policy' | 'policySource'>) {
  const { policy } = options;
  return { digest: policy.digest, maxDeletesPerRun: policy.maxDeletesPerRun, source: options.policySource };
}

/** The outcome of a target whose purge threw: every service it would list failed, with the error. */
function failedTarget(deps: Deps, options: RunTargetsOptions, index: number, error: unknown): TargetDone {
  const target = options.targets[index] as ResolvedTarget;
  deps.log.error({ err: error, target: targetLabel(target) }, 'the purge of this target failed');
  const { policy } = options;
  const report = createReport({
    dryRun: policy.dryRun,
    startedAt: deps.now(),
    policy: reportedPolicy(options),
    services: enabledServices(policyOfTarget(policy, target)),
  });
  report.target = runTargetOf(target);
  const cause = describeListingError(error);
  for (const entry of Object.values(report.services)) {
    if (entry) entry.error = { ...cause, message: `the purge of this target failed: ${cause.message}` };
  }
  const errors = error instanceof Error ? [error] : [new Error(String(error))];
  return { outcome: { target, report: finishReport(report, deps.now()) }, planned: [], errors };
}

/** The policy one target runs: without the account-wide APIs unless it is the one that lists them. */
function policyOfTarget(policy: Policy, target: ResolvedTarget): Policy {
  return target.listsAccountWide ? policy : withoutAccountWideApis(policy);
}

/**
 * An API whose listing is the whole account's (SMS: every target region's tasks in one list) is listed by one
 * target only (the first by region and project name): listed by every target, each task would be planned once
 * per target.
 */
function withoutAccountWideApis(policy: Policy): Policy {
  const services = { ...policy.services };
  for (const service of Object.keys(services) as ServiceId[]) {
    if (descriptorOf(service).scope === 'account') delete services[service];
  }
  return { ...policy, services };
}

/**
 * `fn(0)`, `fn(1)`, … with at most `concurrency` running, started in index order. `fn` must not reject (the
 * caller catches per index): a rejection would end the wait while the other workers go on starting.
 */
async function forEachIndex(
  count: number,
  concurrency: number,
  fn: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}
