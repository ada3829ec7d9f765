/**
 * The vocabulary shared by the engine, the task sources and the shells.
 * Per-API facts live in `lib/sources/<api>/` (the descriptor and the source) and nowhere else.
 */
import type { CloudClient, CloudRequest } from './cloud/types';
import type { Logger } from './deps';
import type { ServiceId } from './sources/catalog';
import type { SourceDescriptor } from './sources/descriptor';

export {
  CLOUD_SERVICES,
  type CloudService,
  isServiceId,
  SERVICE_IDS,
  type ServiceId,
} from './sources/catalog';

/**
 * How a task's state is classified. Only `deletable` tasks can ever be planned for deletion;
 * `in-progress` and `unknown` are always kept.
 */
export type StateClass = 'deletable' | 'in-progress' | 'unknown';

/**
 * A task as the engine sees it: only what the plan needs, never the raw payload (memory stays flat
 * when an account lists a million tasks).
 */
export interface Task {
  readonly service: ServiceId;
  /** The exact id used in the delete path, as a string (OMS ids above 2^53 are read losslessly). */
  readonly id: string;
  /** Task name (DCS task type, ModelArts/OMS name, DIS task name). Include/exclude globs match this. */
  readonly name: string;
  /** Parent id where the API nests tasks: DCS instance id, DIS stream name. */
  readonly parentId?: string;
  /** Parent display name (DCS instance name, DIS stream name): what `instances`/`streams` globs match. */
  readonly parentName?: string;
  /** The state as the API names it, normalised to a label (`SUCCESS`, `completed`, `executing`, `ERROR`, `status-9`). */
  readonly state: string;
  readonly stateClass: StateClass;
  /** When the task ended (epoch ms): what `olderThan` is measured from. Undefined means unknown age: kept. */
  readonly endedAtMs: number | undefined;
}

/** The identity of a task across a listing: service, parent and id (ids are unique only per parent in DIS/DCS). */
export function taskKey(task: Pick<Task, 'service' | 'id' | 'parentId'>): string {
  return `${task.service}\u0000${task.parentId ?? ''}\u0000${task.id}`;
}

/** What a delete resulted in, from the engine's point of view. Failures are thrown as errors. */
export type DeleteOutcome = 'deleted' | 'already-gone' | 'refused-in-progress';

/**
 * What an error answer to a DELETE (or a read) means for the task, by the API's documented answers (status
 * and code). Anything else — another 404, an HTML page from a proxy, a gateway code — is a failure.
 * - `gone`: the documented not-found answer.
 * - `refused-in-progress`: the API refuses because the task runs (it is kept, never forced).
 * - `ambiguous-not-found`: an answer that may mean "no such task" or "no such URL" (DCS documents no
 *   task-not-found code): only a read that no longer finds the task proves it gone.
 */
export type AnswerMeaning = 'gone' | 'refused-in-progress' | 'ambiguous-not-found';

/** An error answer as the meaning functions see it: its status and code (a proxy's HTML page has no code). */
export interface ApiAnswer {
  readonly status: number;
  readonly errorCode: string | undefined;
}

/** What a source needs to talk to its API. */
export interface SourceContext {
  readonly client: CloudClient;
  readonly projectId: string;
  /** Aborts requests in flight: the run's hard stop (listing), or the end of the reads that settle deletes. */
  readonly signal: AbortSignal;
  /**
   * The run's soft stop: once aborted, no new request is sent (a request already on its way is let finish, so
   * that none reaches the cloud after the run has returned).
   */
  readonly stopSignal: AbortSignal;
  readonly log: Logger;
  /**
   * Parent filter from the policy (`instances` / `streams` globs), so that a source does not list the
   * tasks of parents the policy never selects. Receives the parent's display name.
   */
  readonly includeParent?: (parentName: string) => boolean;
}

/** A request a source builds; the engine adds signals and attempt tracking. */
export type SourceRequest = Omit<CloudRequest, 'signal' | 'stopSignal' | 'onAttempt' | 'isExpectedError'>;

/** Reading one task: its request and how to read the answer. */
export interface TaskRead {
  readonly request: SourceRequest;
  /** The task as the answer describes it; undefined when the answer says it is gone (DIS state `DELETE`). */
  toTask(body: unknown): Task | undefined;
}

/**
 * The seam that keeps the task APIs out of the engine: one folder per API (`lib/sources/<api>/`) holds its
 * descriptor (every fact about it, as data) and this implementation. The engine sends every request; a source
 * only builds them and reads the answers; what an error answer means comes from the descriptor.
 */
export interface TaskSource {
  readonly descriptor: SourceDescriptor & { readonly id: ServiceId };
  /**
   * The class of a task's own state field as the API writes it (a label or a status code). SMS also keeps a task
   * whose source server works, which this does not see: it is the listing's `Task.stateClass` that decides.
   */
  classifyWireState(state: unknown): { readonly state: string; readonly stateClass: StateClass };
  /**
   * Yields every task (all pages, parents first where needed) and throws `ListingError` when a listing is
   * ambiguous (repeating/lost items, endless pages): the engine then deletes nothing for that service.
   */
  list(ctx: SourceContext): AsyncIterable<Task>;
  /**
   * The DELETE of one task.
   * @throws JanitorError when the task cannot be addressed (an id of `.` or `..`); nothing is sent.
   */
  deleteRequest(task: Task, projectId: string): SourceRequest;
  /**
   * Reading one task by id, where the API has such a read (DCS has none). Required where the descriptor says the
   * API does not refuse a running task: every DELETE then follows it.
   */
  readTask?(task: Task, projectId: string): TaskRead;
  /**
   * Reads the current state of `tasks` (by `taskKey`; undefined: gone), to settle deletes whose outcome is
   * unknown. Sources without `readTask` list (DCS: the instance's tasks, or the task center).
   */
  locate?(tasks: readonly Task[], ctx: SourceContext): Promise<ReadonlyMap<string, Task | undefined>>;
}
