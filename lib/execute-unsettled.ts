/**
 * Settles deletes whose answers did not: one read per task (or one listing, where the API has no read) after
 * everything else of the service.
 */
import type { Deps } from './deps';
import { RunStoppedError } from './errors';
import {
  describeError,
  goneOutcome,
  isReadGone,
  type RunSignals,
  skipped,
  type Unsettled,
} from './execute-outcomes';
import { forEachConcurrently } from './for-each-concurrently';
import type { DeleteCandidate } from './plan';
import type { TaskOutcome } from './recorder';
import { answerOf } from './sources/wire';
import { type SourceContext, type Task, type TaskSource, taskKey } from './types';

export interface ResolveUnsettledOptions {
  readonly source: TaskSource;
  readonly ctx: SourceContext;
  readonly signals: RunSignals;
}

/**
 * Gone: deleted (this run sent a DELETE that may have acted) or already gone (answered "maybe not found" and
 * nothing of ours may have acted). Still there: failed with the delete's error, or skipped when the run's stop
 * cut it. The read impossible: unknown, never failed, never dropped.
 */
export async function resolveUnsettled(
  deps: Pick<Deps, 'log'>,
  options: ResolveUnsettledOptions,
  unsettled: readonly Unsettled[],
  onOutcome: (candidate: DeleteCandidate, outcome: TaskOutcome) => void,
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
  for (const item of unsettled) onOutcome(item.candidate, settledOutcome(item, located, readError));
  deps.log.info(
    { service: source.descriptor.id, tasks: unsettled.length, settledByRead: located !== undefined },
    'deletes of unknown outcome settled by reading the tasks',
  );
}

/** The outcome of one unsettled delete, given what the read found (`located`) or why it failed. */
function settledOutcome(
  item: Unsettled,
  located: ReadonlyMap<string, Task | undefined> | undefined,
  readError: unknown,
): TaskOutcome {
  const key = taskKey(item.candidate.task);
  if (located === undefined || !located.has(key)) {
    // Answered "maybe not found" with nothing of ours possibly carried out: the cloud's answer stands.
    return item.why === 'confirm' && !item.attempts.mayHaveActed()
      ? { kind: 'failed', error: item.error }
      : {
          kind: 'unknown',
          error: item.error,
          reason: `unsettled: the read that would settle it failed (${describeError(readError)})`,
        };
  }
  if (located.get(key) === undefined) return goneOutcome(item.attempts);
  // Still there: what the delete's own answers said.
  return item.error instanceof RunStoppedError
    ? skipped(item.error.reason, item.error.reason, item.error)
    : { kind: 'failed', error: item.error };
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
