/**
 * One source's delete: a plain DELETE where the API refuses to delete a running task, otherwise a read that
 * finds the task still deletable followed at once by its DELETE (one sequence of the client). Every answer is
 * read by the API's documented meaning; what no answer settles is left for the read after the service's deletes.
 */
import { isRetryable } from './cloud/retry-policy';
import type { CloudRequest, SequenceSend } from './cloud/types';
import { RunStoppedError, type StopReason, stopReasonOf } from './errors';
import {
  type Attempt,
  type DeleteAttempts,
  goneOutcome,
  isReadGone,
  isReadMaybeGone,
  type RunSignals,
  skipped,
} from './execute-outcomes';
import { type DeleteCandidate, evaluateTask } from './plan';
import type { ServicePolicy } from './policy/types';
import type { TaskOutcome } from './recorder';
import { answerMeaning, answerOf } from './sources/wire';
import type { SourceContext, Task, TaskSource } from './types';

export interface DeleterOptions {
  readonly source: TaskSource;
  readonly servicePolicy: ServicePolicy;
  readonly planningNowMs: () => number;
  readonly ctx: SourceContext;
  readonly signals: RunSignals;
  readonly stopReason: () => StopReason | undefined;
}

export interface Deleter {
  /** One try at deleting `candidate`; never throws. */
  attempt(candidate: DeleteCandidate, attempts: DeleteAttempts): Promise<Attempt>;
}

export function createDeleter(options: DeleterOptions): Deleter {
  return {
    async attempt(candidate, attempts) {
      try {
        return options.source.descriptor.refusesInProgress
          ? await plainDelete(options, candidate, attempts)
          : await guardedDelete(options, candidate, attempts);
      } catch (error) {
        // A request that could not even be built (an unaddressable id) or a bug: a failure, never a crash.
        return { settled: { kind: 'failed', error } };
      }
    },
  };
}

/** What the outcome of a delete that threw `error` is, given what its attempts did. */
function fromError(candidate: DeleteCandidate, attempts: DeleteAttempts, error: unknown): Attempt {
  if (attempts.mayHaveActed()) return { unsettled: { candidate, attempts, error, why: 'uncertain' } };
  if (error instanceof RunStoppedError) return { settled: skipped(error.reason, error.reason, error.cause) };
  if (isRetryable(error)) return { retryLater: error };
  return { settled: { kind: 'failed', error } };
}

/** The outcome of a DELETE answered with `error`, by the API's documented meaning of that answer. */
function fromAnswer(
  source: TaskSource,
  candidate: DeleteCandidate,
  attempts: DeleteAttempts,
  error: unknown,
): Attempt | undefined {
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
}

/** The DELETE of `candidate`, with the hooks that record its attempts and read its documented answers. */
function deleteRequestOf(options: DeleterOptions, candidate: DeleteCandidate, attempts: DeleteAttempts) {
  const { source, ctx } = options;
  return {
    ...source.deleteRequest(candidate.task, ctx.projectId),
    onAttempt: attempts.record,
    isExpectedError: (answer: { status: number; errorCode: string | undefined }) =>
      answerMeaning(source.descriptor, answer) !== undefined,
  } satisfies CloudRequest;
}

async function plainDelete(
  options: DeleterOptions,
  candidate: DeleteCandidate,
  attempts: DeleteAttempts,
): Promise<Attempt> {
  const { source, ctx, signals } = options;
  try {
    await ctx.client.request({
      ...deleteRequestOf(options, candidate, attempts),
      signal: signals.abort,
      stopSignal: signals.stop,
    });
    return { settled: { kind: 'deleted' } };
  } catch (error) {
    return fromAnswer(source, candidate, attempts, error) ?? fromError(candidate, attempts, error);
  }
}

async function guardedDelete(
  options: DeleterOptions,
  candidate: DeleteCandidate,
  attempts: DeleteAttempts,
): Promise<Attempt> {
  const { source, ctx, signals } = options;
  const read = source.readTask?.(candidate.task, ctx.projectId);
  if (!read) throw new TypeError(`${source.descriptor.id} has no read to guard its deletes with`);
  const request = deleteRequestOf(options, candidate, attempts);
  try {
    return await ctx.client.sequence(
      {
        service: request.service,
        operation: `${read.request.operation}+${request.operation}`,
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
          // "Maybe not found": a listing settles it after the service's other deletes; nothing is deleted now.
          if (isReadMaybeGone(source, answerOf(error))) {
            return { unsettled: { candidate, attempts, error, why: 'confirm' } };
          }
          if (!isReadGone(source, answerOf(error))) throw error;
        }
        if (fresh === undefined) return { settled: goneOutcome(attempts) };
        const kept = recheck(options, fresh);
        if (kept !== undefined) return { settled: kept };
        return sendDelete(source, send, request, candidate, attempts);
      },
    );
  } catch (error) {
    return fromError(candidate, attempts, error);
  }
}

/**
 * The task as just read, judged again: the outcome when it is no longer deleted (kept by the policy now, or
 * the run stopped while the read was on its way); undefined when its DELETE goes now.
 */
function recheck(options: DeleterOptions, fresh: Task): TaskOutcome | undefined {
  const decision = evaluateTask(fresh, options.servicePolicy, options.planningNowMs());
  if (decision.action === 'keep') {
    if (decision.reason === 'in-progress')
      return skipped('inProgress', 'in-progress-on-recheck', undefined, true);
    // Counted as the listing would count it: an unreadable time is unknownAge wherever it is read.
    if (decision.reason === 'unknown-age')
      return skipped('unknownAge', 'unknown-age-on-recheck', undefined, true);
    return skipped('changed', `${decision.reason}-on-recheck`, undefined, true);
  }
  // No new DELETE goes out after the stop.
  const { stop } = options.signals;
  if (stop.aborted) {
    const reason = stopReasonOf(stop.reason);
    return skipped(reason, reason);
  }
  return undefined;
}

/** The DELETE of a guarded delete, right after its read; an answer without a documented meaning is thrown. */
async function sendDelete(
  source: TaskSource,
  send: SequenceSend,
  request: CloudRequest,
  candidate: DeleteCandidate,
  attempts: DeleteAttempts,
): Promise<Attempt> {
  try {
    await send(request);
    return { settled: { kind: 'deleted' } };
  } catch (error) {
    const meaning = fromAnswer(source, candidate, attempts, error);
    if (meaning) return meaning;
    throw error;
  }
}
