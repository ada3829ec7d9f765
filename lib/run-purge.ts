/**
 * One purge as a sequence of named steps: list and plan every enabled service, reconcile a saved plan, apply the
 * run's cap (and log the plan), then execute it — or stop there, on a dry run. Every step tells the recorder
 * what happened; the recorder is the only writer of the report.
 */
import type { CloudClient } from './cloud/types';
import type { Deps } from './deps';
import { CloudApiError, ListingError, RunStoppedError, stopReasonOf } from './errors';
import { executePlan, type ProgressEvent, type RunSignals } from './execute';
import {
  applyCap,
  createServicePlanner,
  type DeleteCandidate,
  isParentSelected,
  type ServicePlan,
} from './plan';
import { enabledServices } from './policy/overrides';
import type { Policy } from './policy/types';
import { ReportRecorder } from './recorder';
import type { Report, RunTarget, ServiceReport } from './report';
import { type SavedPlan, type SavedPlanTask, toSavedPlanTask } from './saved-plan';
import { type ServiceId, type SourceContext, type TaskSource, taskKey } from './types';

export type { ProgressEvent, RunSignals } from './execute';

export interface RunPurgeOptions {
  /** The effective policy (overrides already applied). */
  readonly policy: Policy;
  readonly client: CloudClient;
  readonly projectId: string;
  /** The source registry (`SOURCES` from `lib/sources`); injected so tests can pass fakes. */
  readonly sources: readonly TaskSource[];
  /** Absolute epoch ms on the `deps.now()` clock; no delete starts after it. */
  readonly deadlineAtMs: number;
  /** The run's stops: listing ends at `stop`; deletes stop starting at it and are aborted at `abort`. */
  readonly signals: RunSignals;
  /** Plan/apply: delete exactly these, after re-checking each is still listed, deletable and stale. */
  readonly savedPlan?: SavedPlan;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Deletes in flight per service. @default 8 */
  readonly deleteConcurrency?: number;
  /** Writes the report; `runPurge` makes its own when absent. */
  readonly recorder?: ReportRecorder;
  /** For the report made when no recorder is passed. */
  readonly target?: RunTarget;
  /**
   * The time ages are measured from (epoch ms), asked per task. @default `deps.now()`; a run passes the earlier of
   * its clock and the cloud's (`lib/cloud/server-clock.ts`).
   */
  readonly planningNowMs?: () => number;
  /**
   * The most this purge may delete, oldest first: its share of the run's cap where it is one target of several.
   * @default the policy's `maxDeletesPerRun`
   */
  readonly maxDeletes?: number;
}

export interface PurgeResult {
  readonly report: Report;
  /** What the run deleted or (dry run) would delete, oldest first: what `--plan-out` writes. */
  readonly plannedDeletes: readonly SavedPlanTask[];
}

const PROGRESS_EVERY = 500;

/** The report's view of a listing failure. */
export function describeListingError(error: unknown): ServiceReport['error'] & object {
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

/**
 * Runs one purge. Never throws for cloud failures (they are in the report); throws only for bugs.
 * Call `shouldFail(result.report)` to decide whether the run as a whole failed.
 */
export async function runPurge(deps: Deps, options: RunPurgeOptions): Promise<PurgeResult> {
  const { policy, savedPlan, signals } = options;
  const services = enabledServices(policy);
  const recorder =
    options.recorder ??
    new ReportRecorder(deps, {
      dryRun: policy.dryRun,
      startedAt: deps.now(),
      policy,
      services,
      ...(options.target ? { target: options.target } : {}),
    });
  deps.log.info(
    {
      dryRun: policy.dryRun,
      policyDigest: policy.digest,
      services,
      maxDeletesPerRun: policy.maxDeletesPerRun,
      // This purge's share of the cap, where it is one target of a run or a fan-out.
      ...(options.maxDeletes !== undefined ? { maxDeletes: options.maxDeletes } : {}),
      savedPlan: savedPlan
        ? { tasks: savedPlan.tasks.length, policyDigest: savedPlan.policyDigest }
        : undefined,
    },
    'purge started',
  );

  const contexts = createContexts(deps, options);
  const planned = await listAndPlan(deps, options, recorder, contexts);
  const candidates = reconcileSavedPlan(planned, options, recorder);
  const capped = applyCap(candidates, options.maxDeletes ?? policy.maxDeletesPerRun);
  const deletes = logPlan(capped, policy, recorder);
  options.onProgress?.({
    phase: 'plan',
    deletes: deletes.length,
    capped: candidates.length - deletes.length,
    dryRun: policy.dryRun,
  });

  if (!policy.dryRun) {
    await executePlan(deps, {
      policyOf: (service) => policy.services[service],
      ...(options.planningNowMs ? { planningNowMs: options.planningNowMs } : {}),
      deletes,
      sources: new Map(options.sources.map((source) => [source.descriptor.id, source] as const)),
      contextFor: contexts.forDeletes,
      signals,
      deadlineAtMs: options.deadlineAtMs,
      onOutcome: (candidate, outcome) => recorder.outcome(candidate, outcome),
      ...(options.deleteConcurrency !== undefined ? { concurrency: options.deleteConcurrency } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    });
  }
  if (signals.stop.aborted) recorder.stopped(stopReasonOf(signals.stop.reason));
  options.onProgress?.({ phase: 'done' });
  return {
    report: recorder.finish(deps.now()),
    plannedDeletes: deletes.map((candidate) => toSavedPlanTask(candidate.task)),
  };
}

interface Contexts {
  /** Listing: no new request after the run's soft stop; those on their way may finish until its hard stop. */
  readonly forListing: (service: ServiceId) => SourceContext;
  /** Deletes and the reads that settle them: each request carries its own signals. */
  readonly forDeletes: (service: ServiceId) => SourceContext;
}

/** One context (and one child logger) per service and use, not one per delete. */
function createContexts(deps: Deps, options: RunPurgeOptions): Contexts {
  const make = (signal: AbortSignal, stopSignal: AbortSignal) => {
    const cache = new Map<ServiceId, SourceContext>();
    return (service: ServiceId): SourceContext => {
      const known = cache.get(service);
      if (known) return known;
      const servicePolicy = options.policy.services[service];
      const context: SourceContext = {
        client: options.client,
        projectId: options.projectId,
        signal,
        stopSignal,
        log: deps.log.child({ service }),
        ...(servicePolicy?.parents !== undefined
          ? { includeParent: (parentName: string) => isParentSelected(servicePolicy, parentName) }
          : {}),
      };
      cache.set(service, context);
      return context;
    };
  };
  const { signals } = options;
  return {
    forListing: make(signals.abort, signals.stop),
    // Deletes carry their own signals; what they use the context for is the reads that settle them.
    forDeletes: make(signals.resolve, signals.resolve),
  };
}

interface ListedPlans {
  readonly plans: readonly ServicePlan[];
  /** With a saved plan: the keys of its tasks this run listed. */
  readonly foundPlanned: ReadonlySet<string>;
}

/** Step 1: list every enabled service concurrently, planning each task as it streams in. Nothing is deleted. */
async function listAndPlan(
  deps: Deps,
  options: RunPurgeOptions,
  recorder: ReportRecorder,
  contexts: Contexts,
): Promise<ListedPlans> {
  const { policy, savedPlan } = options;
  const nowMs = options.planningNowMs ?? (() => deps.now().getTime());
  const sourcesById = new Map(options.sources.map((source) => [source.descriptor.id, source] as const));
  const plannedKeys = savedPlan ? new Set(savedPlan.tasks.map(taskKey)) : undefined;
  const foundPlanned = new Set<string>();

  const listService = async (service: ServiceId): Promise<ServicePlan | undefined> => {
    const source = sourcesById.get(service);
    const servicePolicy = policy.services[service];
    if (!source || !servicePolicy) {
      recorder.listingFailed(service, 0, { message: `no task source is registered for ${service}` });
      return undefined;
    }
    const accept = plannedKeys
      ? (task: { service: ServiceId; id: string; parentId?: string }) => {
          const key = taskKey(task);
          if (!plannedKeys.has(key)) return false;
          foundPlanned.add(key);
          return true;
        }
      : undefined;
    const planner = createServicePlanner(service, servicePolicy, nowMs, accept);
    try {
      for await (const task of source.list(contexts.forListing(service))) {
        if (task.service !== service) {
          throw new ListingError(`${service} listing yielded a task of ${task.service} (id ${task.id})`);
        }
        const decision = planner.add(task);
        if (plannedKeys !== undefined && !foundPlanned.has(taskKey(task))) recorder.notInPlan(task);
        else if (decision.action === 'keep') recorder.kept(task, decision.reason, decision.ageMs);
        if (planner.plan.listed % PROGRESS_EVERY === 0) {
          options.onProgress?.({ phase: 'list', service, listed: planner.plan.listed });
        }
      }
    } catch (error) {
      const cause = stoppedListing(error, options.signals.stop);
      recorder.listingFailed(service, planner.plan.listed, describeListingError(cause), cause);
      const described = describeListingError(cause);
      options.onProgress?.({
        phase: 'listed',
        service,
        listed: planner.plan.listed,
        stale: 0,
        error: described.message,
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

  const listed = await Promise.all(enabledServices(policy).map(listService));
  return { plans: acceptListings(listed, recorder, savedPlan !== undefined), foundPlanned };
}

/** The services' plans that may be carried out, each told to the recorder; an ambiguous one is a failure. */
function acceptListings(
  listed: readonly (ServicePlan | undefined)[],
  recorder: ReportRecorder,
  fromSavedPlan: boolean,
): ServicePlan[] {
  const plans: ServicePlan[] = [];
  for (const plan of listed) {
    if (plan === undefined) continue;
    // Sources refuse ambiguous listings themselves; a task that still arrives twice means the source's checks
    // missed it: no deletion from that listing either.
    const duplicate = findDuplicate(plan.candidates);
    if (duplicate !== undefined) {
      recorder.listingFailed(plan.service, plan.listed, {
        message: `ListingError: ${plan.service} listed task ${JSON.stringify(duplicate.id)} twice: the listing is ambiguous`,
      });
      continue;
    }
    recorder.listed(
      plan.service,
      { listed: plan.listed, stale: plan.candidates.length, kept: plan.kept },
      { savedPlan: fromSavedPlan },
    );
    plans.push(plan);
  }
  return plans;
}

/** A listing cut by the run's stop says so, instead of the abort's technical error. */
function stoppedListing(error: unknown, stop: AbortSignal): unknown {
  if (!stop.aborted || error instanceof CloudApiError) return error;
  const reason = stopReasonOf(stop.reason);
  return new RunStoppedError(
    `the listing was cut short: the run ${reason === 'deadline' ? 'reached its deadline' : 'was interrupted'}`,
    { reason, sent: true, cause: error },
  );
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

/**
 * Step 2: with a saved plan, a planned task this run did not find is `changed` (its service not selected, or
 * not listed); only planned tasks were admitted as candidates while listing.
 */
function reconcileSavedPlan(
  listed: ListedPlans,
  options: RunPurgeOptions,
  recorder: ReportRecorder,
): DeleteCandidate[] {
  const candidates = listed.plans.flatMap((plan) => plan.candidates);
  const { savedPlan, policy } = options;
  if (!savedPlan) return candidates;
  const listedServices = new Set(listed.plans.map((p) => p.service));
  for (const task of savedPlan.tasks) {
    if (listed.foundPlanned.has(taskKey(task))) continue;
    if (policy.services[task.service]?.enabled !== true)
      recorder.plannedTaskMissing(task, 'service-not-selected');
    else if (listedServices.has(task.service)) recorder.plannedTaskMissing(task, 'not-listed');
  }
  return candidates;
}

/** Step 3: after the run's cap (oldest first), the plan is logged before any of it is carried out. */
function logPlan(
  { deletes, capped }: ReturnType<typeof applyCap>,
  policy: Policy,
  recorder: ReportRecorder,
): DeleteCandidate[] {
  for (const candidate of capped) recorder.capped(candidate);
  for (const candidate of deletes) recorder.planned(candidate, policy.dryRun);
  return deletes;
}
