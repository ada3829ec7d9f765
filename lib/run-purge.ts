/**
 * The one entry every shell calls (Lambda, FunctionGraph, CLI, demo): list every enabled service, plan,
 * log the plan, then delete (or stop, on a dry run), and log one report line at the end, always.
 */
import type { CloudClient } from './cloud/types';
import type { Deps } from './deps';
import { CloudApiError, ListingError } from './errors';
import { type ExecutePlanOptions, executePlan, logDecision, type ProgressEvent } from './execute';
import {
  applyCap,
  createServicePlanner,
  type DeleteCandidate,
  isParentSelected,
  type ServicePlan,
  SKIP_REASON_OF,
} from './plan';
import { enabledServices } from './policy/overrides';
import type { Policy } from './policy/types';
import { createReport, finishReport, type Report, type ServiceReport, serviceReportOf } from './report';
import { type SavedPlan, type SavedPlanTask, taskKey, toSavedPlanTask } from './saved-plan';
import type { ServiceId, SourceContext, TaskSource } from './types';

export type { ProgressEvent } from './execute';

export interface RunPurgeOptions {
  /** The effective policy (overrides already applied). */
  readonly policy: Policy;
  readonly client: CloudClient;
  readonly projectId: string;
  /** The source registry (`SOURCES` from `lib/sources`); injected so tests can pass fakes. */
  readonly sources: readonly TaskSource[];
  /** Absolute epoch ms on the `deps.now()` clock; no delete starts after it. */
  readonly deadlineAtMs: number;
  /** Aborted at the deadline by the shell; passed to every request. */
  readonly signal: AbortSignal;
  /** Plan/apply: delete exactly these, after re-checking each is still listed, deletable and stale. */
  readonly savedPlan?: SavedPlan;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Deletes in flight per service. @default 8 */
  readonly deleteConcurrency?: number;
}

export interface PurgeResult {
  readonly report: Report;
  /** What the run deleted or (dry run) would delete, oldest first: what `--plan-out` writes. */
  readonly plannedDeletes: readonly SavedPlanTask[];
}

const PROGRESS_EVERY = 500;

function describeListingError(error: unknown): ServiceReport['error'] & object {
  if (error instanceof CloudApiError) {
    return {
      message: error.message,
      status: error.status,
      ...(error.errorCode !== undefined ? { errorCode: error.errorCode } : {}),
    };
  }
  if (error instanceof Error) return { message: `${error.name}: ${error.message}` };
  return { message: String(error) };
}

function findDuplicate(candidates: readonly DeleteCandidate[]): DeleteCandidate['task'] | undefined {
  const seen = new Set<string>();
  for (const { task } of candidates) {
    const key = taskKey(task);
    if (seen.has(key)) return task;
    seen.add(key);
  }
  return undefined;
}

/** A saved plan's task that this run did not find: counted as `changed` and logged with why. */
function skipPlannedTask(
  deps: Pick<Deps, 'log'>,
  report: Report,
  task: SavedPlanTask,
  reason: 'service-not-selected' | 'not-listed',
): void {
  serviceReportOf(report, task.service).skipped.changed += 1;
  deps.log.info(
    { service: task.service, taskId: task.id, name: task.name, action: 'skipped', reason },
    'task decision',
  );
}

/**
 * Runs one purge. Never throws for cloud failures (they are in the report); throws only for bugs.
 * Call `shouldFail(result.report)` to decide whether the run as a whole failed.
 */
export async function runPurge(deps: Deps, options: RunPurgeOptions): Promise<PurgeResult> {
  const { policy, savedPlan, signal } = options;
  const startedAt = deps.now();
  const nowMs = startedAt.getTime();
  const services = enabledServices(policy);
  const report = createReport({ dryRun: policy.dryRun, startedAt, policy, services });
  const sourcesById = new Map(options.sources.map((source) => [source.id, source] as const));
  // One context (and one child logger) per service, not one per delete.
  const contexts = new Map<ServiceId, SourceContext>();
  const contextFor = (service: ServiceId): SourceContext => {
    const known = contexts.get(service);
    if (known) return known;
    const servicePolicy = policy.services[service];
    const context: SourceContext = {
      client: options.client,
      projectId: options.projectId,
      signal,
      log: deps.log.child({ service }),
      ...(servicePolicy?.parents !== undefined
        ? { includeParent: (parentName: string) => isParentSelected(servicePolicy, parentName) }
        : {}),
    };
    contexts.set(service, context);
    return context;
  };

  const plannedTasks = savedPlan ? new Map(savedPlan.tasks.map((t) => [taskKey(t), t] as const)) : undefined;
  const foundPlanned = new Set<string>();
  let plannedDeletes: SavedPlanTask[] = [];

  try {
    deps.log.info(
      {
        dryRun: policy.dryRun,
        policyDigest: policy.digest,
        services,
        maxDeletesPerRun: policy.maxDeletesPerRun,
        savedPlan: savedPlan
          ? { tasks: savedPlan.tasks.length, policyDigest: savedPlan.policyDigest }
          : undefined,
      },
      'purge started',
    );
    if (savedPlan && savedPlan.policyDigest !== policy.digest) {
      deps.log.warn(
        { planPolicyDigest: savedPlan.policyDigest, policyDigest: policy.digest },
        'the plan was made with another policy; each task is re-checked against the current one',
      );
    }

    // 1. List every service (concurrently), planning each task as it streams in. Nothing is deleted yet.
    const listService = async (service: ServiceId): Promise<ServicePlan | undefined> => {
      const entry = serviceReportOf(report, service);
      const source = sourcesById.get(service);
      const servicePolicy = policy.services[service];
      if (!source || !servicePolicy) {
        entry.error = { message: `no task source is registered for ${service}` };
        return undefined;
      }
      const accept = plannedTasks
        ? (task: { service: ServiceId; id: string; parentId?: string }) => {
            const key = taskKey(task);
            if (!plannedTasks.has(key)) return false;
            foundPlanned.add(key);
            return true;
          }
        : undefined;
      const planner = createServicePlanner(service, servicePolicy, nowMs, accept);
      try {
        for await (const task of source.list(contextFor(service))) {
          if (task.service !== service) {
            throw new ListingError(`${service} listing yielded a task of ${task.service} (id ${task.id})`);
          }
          const decision = planner.add(task);
          if (decision.action === 'keep' && (accept === undefined || foundPlanned.has(taskKey(task)))) {
            const skip = SKIP_REASON_OF[decision.reason];
            if (
              skip === 'inProgress' ||
              skip === 'unknownState' ||
              skip === 'unknownAge' ||
              skip === 'unaddressable'
            ) {
              logDecision(deps, task, decision.ageMs, 'keep', decision.reason);
            }
          }
          if (planner.plan.listed % PROGRESS_EVERY === 0) {
            options.onProgress?.({ phase: 'list', service, listed: planner.plan.listed });
          }
        }
      } catch (error) {
        entry.listed = planner.plan.listed;
        entry.error = describeListingError(error);
        deps.log.error(
          { service, listed: planner.plan.listed, err: error, ...entry.error },
          'listing failed: nothing is deleted for this service',
        );
        options.onProgress?.({
          phase: 'listed',
          service,
          listed: planner.plan.listed,
          stale: 0,
          error: entry.error.message,
        });
        return undefined;
      }
      options.onProgress?.({
        phase: 'listed',
        service,
        listed: planner.plan.listed,
        stale: planner.plan.candidates.length,
      });
      return planner.plan;
    };
    const plans = (await Promise.all(services.map(listService))).filter(
      (p): p is ServicePlan => p !== undefined,
    );

    // 2. Count the listing and collect the candidates. Sources refuse ambiguous listings themselves; a task
    // that still arrives twice means the source's checks missed it: no deletion from that listing either.
    const candidates: DeleteCandidate[] = [];
    for (const plan of plans) {
      const entry = serviceReportOf(report, plan.service);
      entry.listed = plan.listed;
      const duplicate = findDuplicate(plan.candidates);
      if (duplicate !== undefined) {
        entry.error = {
          message: `ListingError: ${plan.service} listed task ${JSON.stringify(duplicate.id)} twice: the listing is ambiguous`,
        };
        deps.log.error(
          { service: plan.service, ...entry.error },
          'listing failed: nothing is deleted for this service',
        );
        continue;
      }
      candidates.push(...plan.candidates);
      entry.stale += plan.candidates.length;
      for (const [reason, count] of Object.entries(plan.kept)) {
        const skip = SKIP_REASON_OF[reason as keyof typeof plan.kept];
        // With a saved plan, a planned task that is no longer deletable or stale is `changed`.
        if (plannedTasks) entry.skipped.changed += count;
        else if (skip !== undefined) entry.skipped[skip] += count;
      }
    }
    if (plannedTasks) {
      const listedServices = new Set(plans.map((p) => p.service));
      for (const [key, task] of plannedTasks) {
        if (foundPlanned.has(key)) continue;
        if (policy.services[task.service]?.enabled !== true) {
          skipPlannedTask(deps, report, task, 'service-not-selected');
        } else if (listedServices.has(task.service)) {
          skipPlannedTask(deps, report, task, 'not-listed');
        }
      }
    }

    // 3. The cap, oldest first; then log the plan before carrying out any of it.
    const { deletes, capped } = applyCap(candidates, policy.maxDeletesPerRun);
    for (const candidate of capped) {
      serviceReportOf(report, candidate.task.service).skipped.cap += 1;
      logDecision(deps, candidate.task, candidate.ageMs, 'skipped', 'cap');
    }
    for (const candidate of deletes) {
      logDecision(
        deps,
        candidate.task,
        candidate.ageMs,
        policy.dryRun ? 'would-delete' : 'delete',
        candidate.reason,
      );
    }
    plannedDeletes = deletes.map((c) => toSavedPlanTask(c.task));
    options.onProgress?.({
      phase: 'plan',
      deletes: deletes.length,
      capped: capped.length,
      dryRun: policy.dryRun,
    });

    // 4. Dry run: plan, log, stop. Otherwise execute.
    if (policy.dryRun) {
      for (const candidate of deletes) serviceReportOf(report, candidate.task.service).wouldDelete += 1;
    } else {
      const executeOptions: ExecutePlanOptions = {
        policy,
        deletes,
        sources: sourcesById,
        contextFor,
        deadlineAtMs: options.deadlineAtMs,
        signal,
        report,
        ...(options.deleteConcurrency !== undefined ? { concurrency: options.deleteConcurrency } : {}),
        ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
      };
      await executePlan(deps, executeOptions);
    }
  } finally {
    // The report is logged however the run ends (deadline, a bug), so no run goes unaccounted for.
    finishReport(report, deps.now());
    deps.log.info({ report }, 'purge report');
    options.onProgress?.({ phase: 'done' });
  }
  return { report, plannedDeletes };
}
