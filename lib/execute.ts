/**
 * The I/O half of a purge: carries out the deletes of a plan and hands every outcome to the recorder.
 * Bounded concurrency per service; no delete starts once the run has stopped (deadline or interrupt); where the
 * API does not refuse a running task, every DELETE is sent right after a read that found the task deletable;
 * a delete answered "not found" after this run sent it counts as deleted; a delete whose outcome is unknown is
 * settled by reading the task before the report. One failure never stops the run.
 */

import { isRetryable } from './cloud/retry-policy';
import type { AttemptRecord } from './cloud/types';
import type { Deps } from './deps';
import { RunStoppedError, type StopReason, stopReasonOf } from './errors';
import { type DeleteCandidate, evaluateTask } from './plan';
import type { ServicePolicy } from './policy/types';
import type { TaskOutcome } from './recorder';
import type { SkipReason } from './report';
import { answerMeaning, answerOf, isAnswer } from './sources/wire';
import {
  type ApiAnswer,
  type ServiceId,
  type SourceContext,
  type Task,
  type TaskSource,
  taskKey,
} from './types';

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

/**
 * The run's three stops. `stop`: no new work starts (the deadline, or an operator's interrupt; its reason says
 * which). `abort`: requests still in flight are aborted (a while after `stop`). `resolve`: reads that settle
 * deletes of unknown outcome end (a while after `abort`).
 */
export interface RunSignals {
  readonly stop: AbortSignal;
  readonly abort: AbortSignal;
  readonly resolve: AbortSignal;
}

export interface ExecutePlanOptions {
  /** The effective policy's rule per service (a task is re-evaluated against it before a guarded delete). */
  readonly policyOf: (service: ServiceId) => ServicePolicy | undefined;
  /** Oldest first (as `applyCap` returns them). */
  readonly deletes: readonly DeleteCandidate[];
  readonly sources: ReadonlyMap<ServiceId, TaskSource>;
  /** The context each source call gets (client, project, signal, logger). */
  readonly contextFor: (service: ServiceId) => SourceContext;
  readonly signals: RunSignals;
  /** No delete starts at or after this epoch ms (`deps.now()` clock), even before `signals.stop` fires. */
  readonly deadlineAtMs: number;
  readonly onOutcome: (candidate: DeleteCandidate, outcome: TaskOutcome) => void;
  /** Per service. @default 8 */
  readonly concurrency?: number;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** The time a re-read task's age is measured from. @default `deps.now()` */
  readonly planningNowMs?: () => number;
}

/**
 * What the DELETE attempts of one task did, across the client's retries and the later pass: whether any of them
 * may have been carried out without the cloud saying so (no answer; a gateway's 504). A "not found" after
 * such an attempt is this run's own deletion, whose answer was lost.
 */
class DeleteAttempts {
  #mayHaveActed = false;
  readonly record = (record: AttemptRecord): void => {
    if (record.mayHaveActed && !(record.answered && record.status !== undefined && record.status < 300)) {
      this.#mayHaveActed = true;
    }
  };
  mayHaveActed(): boolean {
    return this.#mayHaveActed;
  }
}

/** A delete not settled by its answers: settled by reading the task before the report. */
interface Unsettled {
  readonly candidate: DeleteCandidate;
  readonly attempts: DeleteAttempts;
  readonly error: unknown;
  /** `confirm`: answered "maybe not found"; `uncertain`: sent, effect unknown. */
  readonly why: 'confirm' | 'uncertain';
}

type Attempt =
  | { readonly settled: TaskOutcome }
  | { readonly retryLater: unknown }
  | { readonly unsettled: Unsettled };

/** Gone after this run's DELETE may have acted: deleted; otherwise someone else deleted it. */
function goneOutcome(attempts: DeleteAttempts): TaskOutcome {
  return attempts.mayHaveActed() ? { kind: 'deleted' } : { kind: 'already-gone' };
}

export async function executePlan(deps: Deps, options: ExecutePlanOptions): Promise<void> {
  const { signals } = options;
  const concurrency = Math.max(1, options.concurrency ?? 8);
  const stopReason = (): StopReason | undefined => {
    if (signals.stop.aborted) return stopReasonOf(signals.stop.reason);
    return deps.now().getTime() >= options.deadlineAtMs ? 'deadline' : undefined;
  };

  const byService = new Map<ServiceId, DeleteCandidate[]>();
  for (const candidate of options.deletes) {
    const list = byService.get(candidate.task.service) ?? [];
    list.push(candidate);
    byService.set(candidate.task.service, list);
  }

  // Each service's later pass starts when its own first pass is over, not when the slowest service's is.
  const order = new Map(options.deletes.map((candidate, index) => [candidate, index]));
  await Promise.all(
    [...byService].map(async ([service, candidates]) => {
      const source = options.sources.get(service);
      const servicePolicy = options.policyOf(service);
      if (!source || !servicePolicy) {
        for (const candidate of candidates) {
          options.onOutcome(candidate, skipped('changed', 'service-not-selected'));
        }
        return;
      }
      const deleter = createDeleter({
        source,
        servicePolicy,
        planningNowMs: options.planningNowMs ?? (() => deps.now().getTime()),
        ctx: options.contextFor(service),
        signals,
        stopReason,
      });
      const attemptsOf = new Map<DeleteCandidate, DeleteAttempts>();
      /** Retryable failures of the first pass, with their error, tried once more after the others. */
      const laterPass = new Map<DeleteCandidate, unknown>();
      const unsettled: Unsettled[] = [];
      const settle = (candidate: DeleteCandidate, result: Attempt, allowLater: boolean): void => {
        if ('settled' in result) options.onOutcome(candidate, result.settled);
        else if ('unsettled' in result) unsettled.push(result.unsettled);
        else if (allowLater && !signals.stop.aborted) {
          deps.log.warn(
            { service, taskId: candidate.task.id, error: errorName(result.retryLater) },
            'delete failed; will try once more after the service’s other deletes',
          );
          laterPass.set(candidate, result.retryLater);
        } else options.onOutcome(candidate, { kind: 'failed', error: result.retryLater });
      };
      const attemptsFor = (candidate: DeleteCandidate): DeleteAttempts => {
        let attempts = attemptsOf.get(candidate);
        if (!attempts) {
          attempts = new DeleteAttempts();
          attemptsOf.set(candidate, attempts);
        }
        return attempts;
      };

      let done = 0;
      await forEachConcurrently(candidates, concurrency, async (candidate) => {
        const reason = stopReason();
        // Not started: nothing of this task was sent.
        if (reason !== undefined) settle(candidate, { settled: skipped(reason, reason) }, false);
        else settle(candidate, await deleter.attempt(candidate, attemptsFor(candidate)), true);
        done += 1;
        options.onProgress?.({ phase: 'delete', service, done, total: candidates.length });
      });
      // One later pass for retryable failures, in deterministic (oldest-first) order, while the run goes on;
      // once it stops, a failure stays the failure it was (its attempts were spent).
      const later = [...laterPass.keys()].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
      await forEachConcurrently(later, concurrency, async (candidate) => {
        if (stopReason() !== undefined) {
          settle(candidate, { retryLater: laterPass.get(candidate) }, false);
          return;
        }
        settle(candidate, await deleter.attempt(candidate, attemptsFor(candidate)), false);
      });
      await resolveUnsettled(
        deps,
        { source, ctx: options.contextFor(service), signals },
        unsettled,
        options.onOutcome,
      );
    }),
  );
}

interface DeleterOptions {
  readonly source: TaskSource;
  readonly servicePolicy: ServicePolicy;
  readonly planningNowMs: () => number;
  readonly ctx: SourceContext;
  readonly signals: RunSignals;
  readonly stopReason: () => StopReason | undefined;
}

/** One source's delete, guarded by a read where the API does not refuse a running task. */
function createDeleter(options: DeleterOptions) {
  const { source, servicePolicy, ctx, signals } = options;

  /** What the outcome of a delete that threw `error` is, given what its attempts did. */
  const fromError = (candidate: DeleteCandidate, attempts: DeleteAttempts, error: unknown): Attempt => {
    if (attempts.mayHaveActed()) return { unsettled: { candidate, attempts, error, why: 'uncertain' } };
    if (error instanceof RunStoppedError)
      return { settled: skipped(error.reason, error.reason, error.cause) };
    if (isRetryable(error)) return { retryLater: error };
    return { settled: { kind: 'failed', error } };
  };

  /** The outcome of a DELETE answered with `error`, by the API's documented meaning of that answer. */
  const fromAnswer = (
    candidate: DeleteCandidate,
    attempts: DeleteAttempts,
    error: unknown,
  ): Attempt | undefined => {
    const answer = answerOf(error);
    switch (answer && answerMeaning(source.descriptor, answer)) {
      case 'gone':
        return { settled: goneOutcome(attempts) };
      case 'refused-in-progress':
        return { settled: skipped('inProgress', 'refused-in-progress', undefined, true) };
      case 'ambiguous-not-found':
        return { unsettled: { candidate, attempts, error, why: 'confirm' } };
      default:
        return undefined;
    }
  };

  const plainDelete = async (candidate: DeleteCandidate, attempts: DeleteAttempts): Promise<Attempt> => {
    try {
      await ctx.client.request({
        ...source.deleteRequest(candidate.task, ctx.projectId),
        signal: signals.abort,
        stopSignal: signals.stop,
        onAttempt: attempts.record,
        isExpectedError: (answer) => answerMeaning(source.descriptor, answer) !== undefined,
      });
      return { settled: { kind: 'deleted' } };
    } catch (error) {
      return fromAnswer(candidate, attempts, error) ?? fromError(candidate, attempts, error);
    }
  };

  const guardedDelete = async (candidate: DeleteCandidate, attempts: DeleteAttempts): Promise<Attempt> => {
    const read = source.readTask?.(candidate.task, ctx.projectId);
    if (!read) throw new TypeError(`${source.descriptor.id} has no read to guard its deletes with`);
    const request = source.deleteRequest(candidate.task, ctx.projectId);
    try {
      return await ctx.client.sequence(
        {
          service: request.service,
          operation: `${read.request.operation}+${request.operation}`,
          requests: 2,
          signal: signals.abort,
          stopSignal: signals.stop,
        },
        async (send): Promise<Attempt> => {
          let fresh: Task | undefined;
          try {
            const answer = await send({
              ...read.request,
              isExpectedError: (a) => isReadGone(source, a) || isReadMaybeGone(source, a),
            });
            fresh = read.toTask(answer.body);
          } catch (error) {
            // "Maybe not found" (SMS documents no not-found code): a listing settles it, nothing is deleted now.
            if (isReadMaybeGone(source, answerOf(error))) {
              return { unsettled: { candidate, attempts, error, why: 'confirm' } };
            }
            if (!isReadGone(source, answerOf(error))) throw error;
          }
          if (fresh === undefined) return { settled: goneOutcome(attempts) };
          const decision = evaluateTask(fresh, servicePolicy, options.planningNowMs());
          if (decision.action === 'keep') {
            return {
              settled:
                decision.reason === 'in-progress'
                  ? skipped('inProgress', 'in-progress-on-recheck', undefined, true)
                  : // Counted as the listing would count it: an unreadable time is unknownAge wherever it is read.
                    decision.reason === 'unknown-age'
                    ? skipped('unknownAge', 'unknown-age-on-recheck', undefined, true)
                    : skipped('changed', `${decision.reason}-on-recheck`, undefined, true),
            };
          }
          // The run stopped while the read was on its way: no new DELETE goes out after the stop.
          if (signals.stop.aborted) {
            const reason = stopReasonOf(signals.stop.reason);
            return { settled: skipped(reason, reason) };
          }
          try {
            await send({
              ...request,
              onAttempt: attempts.record,
              isExpectedError: (answer) => answerMeaning(source.descriptor, answer) !== undefined,
            });
            return { settled: { kind: 'deleted' } };
          } catch (error) {
            const meaning = fromAnswer(candidate, attempts, error);
            if (meaning) return meaning;
            throw error;
          }
        },
      );
    } catch (error) {
      return fromError(candidate, attempts, error);
    }
  };

  return {
    async attempt(candidate: DeleteCandidate, attempts: DeleteAttempts): Promise<Attempt> {
      try {
        return source.descriptor.refusesInProgress
          ? await plainDelete(candidate, attempts)
          : await guardedDelete(candidate, attempts);
      } catch (error) {
        // A request that could not even be built (an unaddressable id) or a bug: a failure, never a crash.
        return { settled: { kind: 'failed', error } };
      }
    },
  };
}

/**
 * Settles deletes whose answers did not: one read per task (or one listing, where the API has no read) after
 * everything else of the service. Gone: deleted (this run sent a DELETE that may have acted) or already gone
 * (answered "maybe not found" and nothing of ours may have acted). Still there: failed with the delete's error,
 * or skipped when the run's stop cut it. The read impossible: unknown, never failed, never dropped.
 */
async function resolveUnsettled(
  deps: Deps,
  options: {
    readonly source: TaskSource;
    readonly ctx: SourceContext;
    readonly signals: RunSignals;
  },
  unsettled: readonly Unsettled[],
  onOutcome: ExecutePlanOptions['onOutcome'],
): Promise<void> {
  if (unsettled.length === 0) return;
  const { source, signals } = options;
  const ctx: SourceContext = { ...options.ctx, signal: signals.resolve, stopSignal: signals.resolve };
  let located: ReadonlyMap<string, Task | undefined> | undefined;
  let readError: unknown;
  try {
    located = await locateTasks(
      source,
      unsettled.map((u) => u.candidate.task),
      ctx,
    );
  } catch (error) {
    readError = error;
  }
  for (const item of unsettled) {
    const key = taskKey(item.candidate.task);
    if (located === undefined || !located.has(key)) {
      // Answered "maybe not found" with nothing of ours possibly carried out: the cloud's answer stands.
      const outcome: TaskOutcome =
        item.why === 'confirm' && !item.attempts.mayHaveActed()
          ? { kind: 'failed', error: item.error }
          : {
              kind: 'unknown',
              error: item.error,
              reason: `unsettled: the read that would settle it failed (${errorName(readError)})`,
            };
      onOutcome(item.candidate, outcome);
      continue;
    }
    if (located.get(key) === undefined) {
      onOutcome(item.candidate, goneOutcome(item.attempts));
      continue;
    }
    // Still there: what the delete's own answers said.
    onOutcome(
      item.candidate,
      item.error instanceof RunStoppedError
        ? skipped(item.error.reason, item.error.reason, item.error)
        : { kind: 'failed', error: item.error },
    );
  }
  deps.log.info(
    { service: source.descriptor.id, tasks: unsettled.length, settledByRead: located !== undefined },
    'deletes of unknown outcome settled by reading the tasks',
  );
}

/** The current state of `tasks`: the source's listing where it has one, else one read per task. */
async function locateTasks(
  source: TaskSource,
  tasks: readonly Task[],
  ctx: SourceContext,
): Promise<ReadonlyMap<string, Task | undefined>> {
  if (source.locate) return source.locate(tasks, ctx);
  const found = new Map<string, Task | undefined>();
  await forEachConcurrently(tasks, 4, async (task) => {
    const read = source.readTask?.(task, ctx.projectId);
    if (!read) return;
    try {
      const { body } = await ctx.client.request({
        ...read.request,
        signal: ctx.signal,
        stopSignal: ctx.stopSignal,
      });
      found.set(taskKey(task), read.toTask(body));
    } catch (error) {
      if (isReadGone(source, answerOf(error))) found.set(taskKey(task), undefined);
    }
  });
  return found;
}

/** A read of one task answered with the API's documented "not found". */
function isReadGone(source: TaskSource, answer: ApiAnswer | undefined): boolean {
  return isAnswer(answer, source.descriptor.answers.notFound);
}

function isReadMaybeGone(source: TaskSource, answer: ApiAnswer | undefined): boolean {
  return isAnswer(answer, source.descriptor.answers.ambiguousNotFound ?? []);
}

function skipped(skip: SkipReason, reason: string, error?: unknown, refused = false): TaskOutcome {
  return { kind: 'skipped', skip, reason, refused, ...(error !== undefined ? { error } : {}) };
}

function errorName(error: unknown): string {
  if (error === undefined) return 'no read';
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
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
