/**
 * OMS migration tasks (REFERENCE §5): `GET /v2/{project_id}/tasks` (record offset, limit ≤ 100) and
 * `DELETE /v2/{project_id}/tasks/{task_id}`. Task ids are int64 JSON numbers: bodies are parsed losslessly
 * and `Task.id` is the exact decimal text, never a rounded double. OMS refuses to delete an in-progress task
 * (`OMS.0063`); such a task is skipped, never stopped.
 */
import { apiPath } from '../cloud/api-path';
import { MalformedResponseError } from '../errors';
import { DELETABLE_STATES } from '../policy/states';
import type { DeleteOutcome, SourceContext, StateClass, Task, TaskSource } from '../types';
import { listOffsetPaged, type Page, readListPage } from './paging';
import {
  apiErrorOf,
  classifyStatusCode,
  parseJsonLossless,
  readDuration,
  readEpochMs,
  readName,
  requireAddressable,
  type StatusCodeTable,
  sendDelete,
} from './wire';

const LIST = 'ListMigrationTasks';
const DELETE = 'DeleteMigrationTask';
/** `limit` 1–100 (REFERENCE §5.3). */
export const OMS_PAGE_LIMIT = 100;

const STATUS_LABELS: StatusCodeTable = new Map([
  [0, { state: 'pending', stateClass: 'in-progress' }],
  [1, { state: 'waiting', stateClass: 'in-progress' }],
  [2, { state: 'executing', stateClass: 'in-progress' }],
  [3, { state: 'paused', stateClass: 'deletable' }],
  [4, { state: 'failed', stateClass: 'deletable' }],
  [5, { state: 'succeeded', stateClass: 'deletable' }],
  [6, { state: 'retrying', stateClass: 'in-progress' }],
  [7, { state: 'pausing', stateClass: 'in-progress' }],
]);
export const OMS_DELETABLE_STATES: readonly string[] = DELETABLE_STATES['oms-migration-tasks'];

export function classifyOmsStatus(status: unknown): {
  readonly state: string;
  readonly stateClass: StateClass;
} {
  return classifyStatusCode(STATUS_LABELS, status);
}

/** End time = `start_time` + `total_time` (both ms; there is no creation or end time field). */
export function omsEndedAtMs(item: Readonly<Record<string, unknown>>): number | undefined {
  const startMs = readEpochMs(item.start_time);
  const totalMs = readDuration(item.total_time);
  if (startMs === undefined || totalMs === undefined) return undefined;
  return startMs + Math.round(totalMs);
}

/**
 * The exact decimal id: a safe-integer number, or the digits `parseJsonLossless` kept for an integer
 * beyond 2^53. Anything else (fractions, negatives, a rounded double) is malformed.
 */
export function readOmsId(value: unknown, operation: string): string {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value;
  throw new MalformedResponseError(`${operation}: a task has no integer "id"`);
}

export function toOmsTask(item: Readonly<Record<string, unknown>>, operation: string): Task {
  return {
    service: 'oms-migration-tasks',
    id: readOmsId(item.id, operation),
    name: readName(item.name),
    ...classifyOmsStatus(item.status),
    endedAtMs: omsEndedAtMs(item),
  };
}

/** OMS.1009 "No resources found"; OMS.0063 "the task is in progress" (never forced, never stopped). */
function omsDeleteOutcome(error: unknown): DeleteOutcome | undefined {
  const answer = apiErrorOf(error);
  if (answer?.code === 'OMS.1009') return 'already-gone';
  if (answer?.code === 'OMS.0063') return 'refused-in-progress';
  return undefined;
}

async function fetchPage(ctx: SourceContext, offset: number): Promise<Page<Task>> {
  const { body } = await ctx.client.request({
    service: 'oms',
    operation: LIST,
    method: 'GET',
    path: apiPath`/v2/${ctx.projectId}/tasks`,
    query: { offset, limit: OMS_PAGE_LIMIT },
    parse: parseJsonLossless,
    signal: ctx.signal,
  });
  return readListPage(body, LIST, { items: 'tasks', count: 'count' }, (item) => toOmsTask(item, LIST));
}

export const omsMigrationTasks: TaskSource = {
  id: 'oms-migration-tasks',
  cloudService: 'oms',
  deletableStates: OMS_DELETABLE_STATES,

  list(ctx: SourceContext): AsyncIterable<Task> {
    return listOffsetPaged({
      what: 'OMS migration tasks',
      limit: OMS_PAGE_LIMIT,
      offsetMode: 'records',
      fetchPage: (offset) => fetchPage(ctx, offset),
      keyOf: (task) => task.id,
    });
  },

  async delete(task: Task, ctx: SourceContext): Promise<DeleteOutcome> {
    requireAddressable(DELETE, { task_id: task.id });
    return sendDelete(
      ctx,
      { service: 'oms', operation: DELETE, path: apiPath`/v2/${ctx.projectId}/tasks/${task.id}` },
      omsDeleteOutcome,
    );
  },
};
