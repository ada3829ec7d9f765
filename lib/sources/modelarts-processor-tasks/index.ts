/**
 * ModelArts processor tasks (docs/api/modelarts.md): `GET /v2/{project_id}/processor-tasks` where `offset` is a page
 * index (UNCONFIRMED, so the listing is checked for repeats and totals), `GET …/processor-tasks/{task_id}` to
 * re-read one task, `DELETE …/processor-tasks/{task_id}` (200 `{}`). Nothing documents that a running task is
 * refused, so the engine re-reads each task right before every DELETE attempt.
 */
import { apiPath } from '../../cloud/api-path';
import type { SourceContext, StateClass, Task, TaskRead, TaskSource } from '../../types';
import { listOffsetPaged, type Page, readListPage } from '../paging';
import {
  classifyStatusCode,
  deleteRequestOf,
  readDuration,
  readEpochMs,
  readName,
  requireAddressable,
  requireRecord,
  requireString,
  type StatusCodeTable,
} from '../wire';
import { modelArtsProcessorTasksDescriptor as descriptor } from './descriptor';

export { modelArtsProcessorTasksDescriptor } from './descriptor';

const { list: LIST, read: SHOW, delete: DELETE } = descriptor.operations;
/** `limit` 1–100, default 10 (ListProcessorTasks). */
export const MODELARTS_PAGE_LIMIT = 100;

/** The integer `status` codes; what class each label is comes from the descriptor. */
const STATUS_LABELS: StatusCodeTable = new Map([
  [0, 'initialized'],
  [1, 'running'],
  [2, 'completed'],
  [3, 'failed'],
  [4, 'stopped'],
]);

export function classifyModelArtsStatus(status: unknown): {
  readonly state: string;
  readonly stateClass: StateClass;
} {
  return classifyStatusCode(descriptor, STATUS_LABELS, status);
}

/** End time = `create_time` + `duration_seconds` (no finish-time field exists); unknown if either is missing. */
export function modelArtsEndedAtMs(item: Readonly<Record<string, unknown>>): number | undefined {
  const createdMs = readEpochMs(item.create_time);
  const durationSeconds = readDuration(item.duration_seconds);
  if (createdMs === undefined || durationSeconds === undefined) return undefined;
  return createdMs + Math.round(durationSeconds * 1000);
}

export function toModelArtsTask(item: Readonly<Record<string, unknown>>, operation: string): Task {
  return {
    service: 'modelarts-processor-tasks',
    id: requireString(item, 'task_id', operation),
    name: readName(item.name),
    ...classifyModelArtsStatus(item.status),
    endedAtMs: modelArtsEndedAtMs(item),
  };
}

function taskPath(projectId: string, task: Task, operation: string): string {
  requireAddressable(operation, { task_id: task.id });
  return apiPath`/v2/${projectId}/processor-tasks/${task.id}`;
}

async function fetchPage(ctx: SourceContext, pageIndex: number): Promise<Page<Task>> {
  const { body } = await ctx.client.request({
    service: 'modelarts',
    operation: LIST,
    method: 'GET',
    path: apiPath`/v2/${ctx.projectId}/processor-tasks`,
    query: { offset: pageIndex, limit: MODELARTS_PAGE_LIMIT, return_result: false },
    signal: ctx.signal,
    stopSignal: ctx.stopSignal,
  });
  return readListPage(body, LIST, { items: 'tasks', count: 'count' }, (item) => toModelArtsTask(item, LIST));
}

export const modelArtsProcessorTasks: TaskSource = {
  descriptor,
  classifyWireState: classifyModelArtsStatus,

  list(ctx: SourceContext): AsyncIterable<Task> {
    return listOffsetPaged({
      what: 'ModelArts processor tasks',
      limit: MODELARTS_PAGE_LIMIT,
      offsetMode: 'page-index',
      fetchPage: (pageIndex) => fetchPage(ctx, pageIndex),
      keyOf: (task) => task.id,
    });
  },

  readTask(task: Task, projectId: string): TaskRead {
    return {
      request: {
        service: 'modelarts',
        operation: SHOW,
        method: 'GET',
        path: taskPath(projectId, task, SHOW),
      },
      toTask: (body) => toModelArtsTask(requireRecord(body, SHOW), SHOW),
    };
  },

  deleteRequest(task: Task, projectId: string) {
    return deleteRequestOf({
      service: 'modelarts',
      operation: DELETE,
      path: taskPath(projectId, task, DELETE),
    });
  },
};
