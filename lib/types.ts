/**
 * The vocabulary shared by the engine, the five task sources and the shells.
 * Per-service wire facts (paths, pagination, state tables) live in `lib/sources/*` and nowhere else.
 */
import type { CloudClient } from './cloud/types';
import type { Logger } from './deps';

/** The five task APIs task-janitor knows, by their public policy id. */
export const SERVICE_IDS = [
  'dcs-center-tasks',
  'dcs-background-tasks',
  'modelarts-processor-tasks',
  'oms-migration-tasks',
  'dis-dump-tasks',
] as const;
export type ServiceId = (typeof SERVICE_IDS)[number];

export function isServiceId(value: unknown): value is ServiceId {
  return typeof value === 'string' && (SERVICE_IDS as readonly string[]).includes(value);
}

/** The cloud service hosts task-janitor talks to (one endpoint each). */
export const CLOUD_SERVICES = ['iam', 'dcs', 'modelarts', 'oms', 'dis'] as const;
export type CloudService = (typeof CLOUD_SERVICES)[number];

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

/** What a delete call resulted in, from the engine's point of view. Failures are thrown as errors. */
export type DeleteOutcome = 'deleted' | 'already-gone' | 'refused-in-progress';

/** What a source needs to talk to its API. */
export interface SourceContext {
  readonly client: CloudClient;
  readonly projectId: string;
  /** Aborts at the run's deadline. */
  readonly signal: AbortSignal;
  readonly log: Logger;
  /**
   * Parent filter from the policy (`instances` / `streams` globs), so that a source does not list the
   * tasks of parents the policy never selects. Receives the parent's display name.
   */
  readonly includeParent?: (parentName: string) => boolean;
}

/**
 * The seam that keeps five APIs out of the engine: one module per API implements it.
 * `list` yields every task (all pages, parents first where needed) and throws `ListingError` when a
 * listing is ambiguous (repeating/lost items, endless pages): the engine then deletes nothing for that service.
 */
export interface TaskSource {
  readonly id: ServiceId;
  /** The cloud host this source calls. */
  readonly cloudService: CloudService;
  /** The states a policy may name in `states` (the deletable ones), as they appear in `Task.state`. */
  readonly deletableStates: readonly string[];
  list(ctx: SourceContext): AsyncIterable<Task>;
  delete(task: Task, ctx: SourceContext): Promise<DeleteOutcome>;
  /**
   * Re-reads one task right before deleting it, where the API does not itself refuse to delete an
   * in-progress task (DIS, ModelArts). Resolves undefined when the task is gone.
   */
  recheck?(task: Task, ctx: SourceContext): Promise<Task | undefined>;
}
