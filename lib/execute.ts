/**
 * The I/O half of a purge: carries out the deletes of a plan. Bounded concurrency per service, the deadline
 * checked before each delete starts, a re-check where the source has one, and one failure never stops the
 * run. Mutates the run's report.
 */
import { isRetryable } from './cloud/retry-policy';
import type { Deps } from './deps';
import { CloudApiError, HostUnavailableError } from './errors';
import { type DeleteCandidate, evaluateTask } from './plan';
import type { Policy } from './policy/types';
import {
  MAX_LISTED_FAILURES,
  type Report,
  type ServiceReport,
  type SkipReason,
  serviceReportOf,
} from './report';
import type { ServiceId, SourceContext, Task, TaskSource } from './types';

const DAY_MS = 86_400_000;

/** Progress for the CLI's progress bar (stderr); never needed for correctness. */
export type ProgressEvent =
  | { readonly phase: 'list'; readonly service: ServiceId; readonly listed: number }
  | {
      readonly phase: 'listed';
      readonly service: ServiceId;
      readonly listed: number;
      readonly stale: number;
      readonly error?: string;
    }
  | { readonly phase: 'plan'; readonly deletes: number; readonly capped: number; readonly dryRun: boolean }
  | { readonly phase: 'delete'; readonly service: ServiceId; readonly done: number; readonly total: number }
  | { readonly phase: 'done' };

export interface ExecutePlanOptions {
  readonly policy: Policy;
  /** Oldest first (as `applyCap` returns them). */
  readonly deletes: readonly DeleteCandidate[];
  readonly sources: ReadonlyMap<ServiceId, TaskSource>;
  /** The context each source call gets (client, project, signal, logger). */
  readonly contextFor: (service: ServiceId) => SourceContext;
  /** No delete starts at or after this epoch ms (`deps.now()` clock). */
  readonly deadlineAtMs: number;
  readonly signal: AbortSignal;
  readonly report: Report;
  /** Per service. @default 8 */
  readonly concurrency?: number;
  readonly onProgress?: (event: ProgressEvent) => void;
}

/**
 * The errors worth one more try after the service's other deletes (issue 7: a later pass, not an immediate hammer):
 * the client's own allow-list, so there is one definition of "retryable".
 */
export function isRetryableDeleteError(error: unknown): boolean {
  return isRetryable(error);
}

function describeError(error: unknown): {
  status: number | undefined;
  errorCode: string | undefined;
  errorMsg: string;
} {
  if (error instanceof CloudApiError) {
    return { status: error.status, errorCode: error.errorCode, errorMsg: error.errorMsg ?? error.message };
  }
  // Not sent because the host is down: the report shows the status the host last answered.
  if (error instanceof HostUnavailableError) {
    return { status: error.lastStatus, errorCode: error.name, errorMsg: error.message };
  }
  if (error instanceof Error) return { status: undefined, errorCode: error.name, errorMsg: error.message };
  return { status: undefined, errorCode: undefined, errorMsg: String(error) };
}

type Attempt =
  | { readonly kind: 'deleted' | 'already-gone' }
  | {
      readonly kind: 'skipped';
      readonly skip: SkipReason;
      readonly reason: string;
      readonly refused: boolean;
    }
  | { readonly kind: 'failed'; readonly error: unknown };

/** Logs one decision line: service, task id, name, state, age, action, reason. */
export function logDecision(
  deps: Pick<Deps, 'log'>,
  task: Task,
  ageMs: number | undefined,
  action: string,
  reason: string,
  extra: Record<string, unknown> = {},
): void {
  const line = {
    service: task.service,
    taskId: task.id,
    name: task.name,
    ...(task.parentName !== undefined ? { parent: task.parentName } : {}),
    state: task.state,
    ageMs,
    ageDays: ageMs === undefined ? undefined : Math.floor((ageMs / DAY_MS) * 10) / 10,
    action,
    reason,
    ...extra,
  };
  if (action === 'failed') deps.log.warn(line, 'task decision');
  else deps.log.info(line, 'task decision');
}

/** Carries out the deletes; every candidate ends up deleted, already gone, skipped or failed in the report. */
export async function executePlan(deps: Deps, options: ExecutePlanOptions): Promise<void> {
  const { policy, sources, report, signal } = options;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const isPastDeadline = () => signal.aborted || deps.now().getTime() >= options.deadlineAtMs;

  const attempt = async (candidate: DeleteCandidate): Promise<Attempt> => {
    const { task } = candidate;
    const source = sources.get(task.service);
    const servicePolicy = policy.services[task.service];
    if (!source || !servicePolicy) {
      return { kind: 'skipped', skip: 'changed', reason: 'service-not-selected', refused: false };
    }
    const ctx = options.contextFor(task.service);
    try {
      if (source.recheck) {
        const fresh = await source.recheck(task, ctx);
        if (fresh === undefined) return { kind: 'already-gone' };
        const decision = evaluateTask(fresh, servicePolicy, deps.now().getTime());
        if (decision.action === 'keep') {
          if (decision.reason === 'in-progress')
            return { kind: 'skipped', skip: 'inProgress', reason: 'in-progress-on-recheck', refused: true };
          // Counted as the listing would count it: an unreadable time is unknownAge wherever it is read.
          if (decision.reason === 'unknown-age')
            return { kind: 'skipped', skip: 'unknownAge', reason: 'unknown-age-on-recheck', refused: true };
          return { kind: 'skipped', skip: 'changed', reason: `${decision.reason}-on-recheck`, refused: true };
        }
      }
      const outcome = await source.delete(task, ctx);
      if (outcome === 'refused-in-progress') {
        return { kind: 'skipped', skip: 'inProgress', reason: 'refused-in-progress', refused: true };
      }
      return { kind: outcome };
    } catch (error) {
      return { kind: 'failed', error };
    }
  };

  const record = (entry: ServiceReport, candidate: DeleteCandidate, result: Attempt): void => {
    const { task, ageMs } = candidate;
    switch (result.kind) {
      case 'deleted':
        entry.deleted += 1;
        logDecision(deps, task, ageMs, 'deleted', candidate.reason);
        return;
      case 'already-gone':
        entry.alreadyGone += 1;
        logDecision(deps, task, ageMs, 'already-gone', candidate.reason);
        return;
      case 'skipped':
        entry.skipped[result.skip] += 1;
        if (result.refused) entry.refused = (entry.refused ?? 0) + 1;
        logDecision(deps, task, ageMs, 'skipped', result.reason);
        return;
      case 'failed': {
        const fields = describeError(result.error);
        entry.failed += 1;
        if (entry.failures.length < MAX_LISTED_FAILURES) {
          entry.failures.push({ taskId: task.id, name: task.name, ...fields });
        } else entry.failuresNotListed = (entry.failuresNotListed ?? 0) + 1;
        logDecision(deps, task, ageMs, 'failed', candidate.reason, fields);
        return;
      }
    }
  };

  const skipForDeadline = (entry: ServiceReport, candidate: DeleteCandidate) => {
    entry.skipped.deadline += 1;
    logDecision(deps, candidate.task, candidate.ageMs, 'skipped', 'deadline');
  };

  const byService = new Map<ServiceId, DeleteCandidate[]>();
  for (const candidate of options.deletes) {
    const list = byService.get(candidate.task.service) ?? [];
    list.push(candidate);
    byService.set(candidate.task.service, list);
  }

  // Each service's later pass starts when its own first pass is over, not when the slowest service's is:
  // a fast host is not held open by a slow one (bench B2: OMS' last few retried deletes waited ~10 s for
  // ModelArts, which read as 68 % of the rate limit).
  const order = new Map(options.deletes.map((candidate, index) => [candidate, index]));
  await Promise.all(
    [...byService].map(async ([service, candidates]) => {
      const entry = serviceReportOf(report, service);
      const laterPass: { readonly candidate: DeleteCandidate; readonly error: unknown }[] = [];
      let done = 0;
      await forEachConcurrently(candidates, concurrency, async (candidate) => {
        // The budget is checked before each delete starts; one in flight is allowed to finish.
        if (isPastDeadline()) skipForDeadline(entry, candidate);
        else {
          const result = await attempt(candidate);
          if (result.kind === 'failed' && isRetryableDeleteError(result.error) && !signal.aborted) {
            deps.log.warn(
              { service, taskId: candidate.task.id, ...describeError(result.error) },
              'delete failed; will try once more after the service’s other deletes',
            );
            laterPass.push({ candidate, error: result.error });
          } else record(entry, candidate, result);
        }
        done += 1;
        options.onProgress?.({ phase: 'delete', service, done, total: candidates.length });
      });

      // One later pass for retryable failures, in deterministic (oldest-first) order, while time remains.
      laterPass.sort((a, b) => (order.get(a.candidate) ?? 0) - (order.get(b.candidate) ?? 0));
      await forEachConcurrently(laterPass, concurrency, async ({ candidate, error }) => {
        // No time left for the retry: it stays the failure it was, not a skip.
        if (isPastDeadline()) record(entry, candidate, { kind: 'failed', error });
        else record(entry, candidate, await attempt(candidate));
      });
    }),
  );
}

/**
 * Runs `fn` over `items` in order with at most `concurrency` calls at once: a fixed set of workers pulling the
 * next index, so memory stays constant however many items there are (one queued promise and closure per
 * item, as `items.map(limit(...))` makes, cost ~50 MB at 100,000 deletes: bench B4). `fn` must not throw.
 */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
