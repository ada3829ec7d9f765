/**
 * ModelArts processor tasks (REFERENCE §3): `GET /v2/{project_id}/processor-tasks` where `offset` is a page
 * index (UNCONFIRMED, so the listing is checked for repeats and totals), `GET …/processor-tasks/{task_id}` to
 * re-read one task, `DELETE …/processor-tasks/{task_id}` (200 `{}`). Nothing documents that a running task is
 * refused, so the engine re-reads each task right before every DELETE attempt.
 */
import { apiPath } from '../cloud/api-path';
import { DELETABLE_STATES } from '../policy/states';
import type {
  AnswerMeaning,
  ApiAnswer,
  SourceContext,
  StateClass,
  Task,
  TaskRead,
  TaskSource,
} from '../types';
import { listOffsetPaged, type Page, readListPage } from './paging';
import {
  classifyStatusCode,
  type DocumentedAnswer,
  deleteRequestOf,
  isAnswer,
  readDuration,
  readEpochMs,
  readName,
  requireAddressable,
  requireRecord,
  requireString,
  type StatusCodeTable,
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

/**
 * 400 `ModelArts.4700` "Task does not exist". The same code on a 503 means "gateway is being stopped, platform
 * is being upgraded": not gone. No 404 means gone (ModelArts' 404s are wrong paths, projects or tokens).
 */
const MODELARTS_GONE: readonly DocumentedAnswer[] = [{ status: 400, codes: ['ModelArts.4700'] }];

function isGone(answer: ApiAnswer): boolean {
  return isAnswer(answer, MODELARTS_GONE);
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
  id: 'modelarts-processor-tasks',
  cloudService: 'modelarts',
  deletableStates: MODELARTS_DELETABLE_STATES,
  // Nothing documents that a running processing task is refused.
  refusesInProgress: false,

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

  isReadGone: isGone,

  deleteRequest(task: Task, projectId: string) {
    return deleteRequestOf({
      service: 'modelarts',
      operation: DELETE,
      path: taskPath(projectId, task, DELETE),
    });
  },

  deleteAnswerMeaning(answer: ApiAnswer): AnswerMeaning | undefined {
    return isGone(answer) ? 'gone' : undefined;
  },
};
