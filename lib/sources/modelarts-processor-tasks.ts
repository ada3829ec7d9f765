/**
 * ModelArts processor tasks (REFERENCE §3): `GET /v2/{project_id}/processor-tasks` where `offset` is a page
 * index (UNCONFIRMED, so the listing is checked for repeats and totals), `GET …/processor-tasks/{task_id}` to
 * re-read one task, `DELETE …/processor-tasks/{task_id}` (200 `{}`). Nothing documents that a running task is
 * refused, so the engine re-reads each task right before deleting it (`recheck`).
 */
import { apiPath } from '../cloud/api-path';
import { DELETABLE_STATES } from '../policy/states';
import type { DeleteOutcome, SourceContext, StateClass, Task, TaskSource } from '../types';
import { listOffsetPaged, type Page, readListPage } from './paging';
import {
  apiErrorOf,
  classifyStatusCode,
  isGatewayCode,
  readDuration,
  readEpochMs,
  readName,
  requireAddressable,
  requireRecord,
  requireString,
  type StatusCodeTable,
  sendDelete,
} from './wire';

const LIST = 'ListProcessorTasks';
const SHOW = 'ShowProcessorTask';
const DELETE = 'DeleteProcessorTask';
/** `limit` 1–100 (REFERENCE §3.2). */
export const MODELARTS_PAGE_LIMIT = 100;

const STATUS_LABELS: StatusCodeTable = new Map([
  [0, { state: 'initialized', stateClass: 'in-progress' }],
  [1, { state: 'running', stateClass: 'in-progress' }],
  [2, { state: 'completed', stateClass: 'deletable' }],
  [3, { state: 'failed', stateClass: 'deletable' }],
  [4, { state: 'stopped', stateClass: 'deletable' }],
]);
export const MODELARTS_DELETABLE_STATES: readonly string[] = DELETABLE_STATES['modelarts-processor-tasks'];

export function classifyModelArtsStatus(status: unknown): {
  readonly state: string;
  readonly stateClass: StateClass;
} {
  return classifyStatusCode(STATUS_LABELS, status);
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

/** 400 `ModelArts.4700` "Task does not exist", or a service 404. */
function isGone(error: unknown): boolean {
  const answer = apiErrorOf(error);
  if (!answer) return false;
  if (answer.code === 'ModelArts.4700') return true;
  return answer.status === 404 && !isGatewayCode(answer.code) && answer.code !== 'ModelArts.2786';
}

async function fetchPage(ctx: SourceContext, pageIndex: number): Promise<Page<Task>> {
  const { body } = await ctx.client.request({
    service: 'modelarts',
    operation: LIST,
    method: 'GET',
    path: apiPath`/v2/${ctx.projectId}/processor-tasks`,
    query: { offset: pageIndex, limit: MODELARTS_PAGE_LIMIT, return_result: false },
    signal: ctx.signal,
  });
  return readListPage(body, LIST, { items: 'tasks', count: 'count' }, (item) => toModelArtsTask(item, LIST));
}

export const modelArtsProcessorTasks: TaskSource = {
  id: 'modelarts-processor-tasks',
  cloudService: 'modelarts',
  deletableStates: MODELARTS_DELETABLE_STATES,

  list(ctx: SourceContext): AsyncIterable<Task> {
    return listOffsetPaged({
      what: 'ModelArts processor tasks',
      limit: MODELARTS_PAGE_LIMIT,
      offsetMode: 'page-index',
      fetchPage: (pageIndex) => fetchPage(ctx, pageIndex),
      keyOf: (task) => task.id,
    });
  },

  async recheck(task: Task, ctx: SourceContext): Promise<Task | undefined> {
    requireAddressable(SHOW, { task_id: task.id });
    try {
      const { body } = await ctx.client.request({
        service: 'modelarts',
        operation: SHOW,
        method: 'GET',
        path: apiPath`/v2/${ctx.projectId}/processor-tasks/${task.id}`,
        signal: ctx.signal,
      });
      return toModelArtsTask(requireRecord(body, SHOW), SHOW);
    } catch (error) {
      if (isGone(error)) return undefined;
      throw error;
    }
  },

  async delete(task: Task, ctx: SourceContext): Promise<DeleteOutcome> {
    requireAddressable(DELETE, { task_id: task.id });
    return sendDelete(
      ctx,
      {
        service: 'modelarts',
        operation: DELETE,
        path: apiPath`/v2/${ctx.projectId}/processor-tasks/${task.id}`,
      },
      (error) => (isGone(error) ? 'already-gone' : undefined),
    );
  },
};
