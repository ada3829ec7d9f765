/**
 * OMS migration tasks (docs/api/oms.md): `GET /v2/{project_id}/tasks` (record offset, limit ≤ 100) and
 * `DELETE /v2/{project_id}/tasks/{task_id}`. Task ids are int64 JSON numbers: bodies are parsed losslessly
 * and `Task.id` is the exact decimal text, never a rounded double. OMS refuses to delete an in-progress task
 * (`OMS.0063`); such a task is skipped, never stopped.
 */
import { apiPath } from '../../cloud/api-path';
import { MalformedResponseError } from '../../errors';
import type { SourceContext, StateClass, Task, TaskRead, TaskSource } from '../../types';
import { listOffsetPaged, type Page, readListPage } from '../paging';
import {
  classifyStatusCode,
  deleteRequestOf,
  parseJsonLossless,
  readDuration,
  readEpochMs,
  readName,
  requireAddressable,
  requireRecord,
  type StatusCodeTable,
} from '../wire';
import { omsMigrationTasksDescriptor as descriptor } from './descriptor';

export { omsMigrationTasksDescriptor } from './descriptor';

const { list: LIST, read: SHOW, delete: DELETE } = descriptor.operations;
/** `limit` at most 100, default 10 (OMS ListTasks). */
export const OMS_PAGE_LIMIT = 100;

/** The integer `status` codes; what class each label is comes from the descriptor. */
const STATUS_LABELS: StatusCodeTable = new Map([
  [0, 'pending'],
  [1, 'waiting'],
  [2, 'executing'],
  [3, 'paused'],
  [4, 'failed'],
  [5, 'succeeded'],
  [6, 'retrying'],
  [7, 'pausing'],
]);

export function classifyOmsStatus(status: unknown): {
  readonly state: string;
  readonly stateClass: StateClass;
} {
  return classifyStatusCode(descriptor, STATUS_LABELS, status);
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

function taskPath(projectId: string, task: Task, operation: string): string {
  requireAddressable(operation, { task_id: task.id });
  return apiPath`/v2/${projectId}/tasks/${task.id}`;
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
    stopSignal: ctx.stopSignal,
  });
  return readListPage(body, LIST, { items: 'tasks', count: 'count' }, (item) => toOmsTask(item, LIST));
}

export const omsMigrationTasks: TaskSource = {
  descriptor,
  classifyWireState: classifyOmsStatus,

  list(ctx: SourceContext): AsyncIterable<Task> {
    return listOffsetPaged({
      what: 'OMS migration tasks',
      limit: OMS_PAGE_LIMIT,
      offsetMode: 'records',
      fetchPage: (offset) => fetchPage(ctx, offset),
      keyOf: (task) => task.id,
    });
  },

  readTask(task: Task, projectId: string): TaskRead {
    return {
      request: {
        service: 'oms',
        operation: SHOW,
        method: 'GET',
        path: taskPath(projectId, task, SHOW),
        parse: parseJsonLossless,
      },
      toTask: (body) => toOmsTask(requireRecord(body, SHOW), SHOW),
    };
  },

  deleteRequest(task: Task, projectId: string) {
    return deleteRequestOf({ service: 'oms', operation: DELETE, path: taskPath(projectId, task, DELETE) });
  },
};
