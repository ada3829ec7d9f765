/**
 * SMS migration tasks: `GET /v3/tasks` (record offset, limit ≤ 200, `count`), `GET /v3/tasks/{task_id}` to re-read
 * one, `DELETE /v3/tasks/{task_id}`. No project id in any path: the listing is the account's, every target region.
 * The API deletes a running task when the source server's agent is disconnected, so every DELETE follows a read,
 * and "gone" is proven only by a listing (no not-found code is documented).
 */
import { apiPath } from '../../cloud/api-path';
import { ListingError } from '../../errors';
import {
  type SourceContext,
  type StateClass,
  type Task,
  type TaskRead,
  type TaskSource,
  taskKey,
} from '../../types';
import { listOffsetPaged, type Page, readListPage } from '../paging';
import {
  classifyStateLabel,
  deleteRequestOf,
  isAbsent,
  isRecord,
  readEpochMs,
  readName,
  requireAddressable,
  requireRecord,
  requireString,
} from '../wire';
import { smsMigrationTasksDescriptor as descriptor } from './descriptor';

export { smsMigrationTasksDescriptor } from './descriptor';

const { list: LIST, read: SHOW, delete: DELETE } = descriptor.operations;
/** `limit` 0–200. */
export const SMS_PAGE_LIMIT = 200;
/** `offset` 0–65535: no page may start beyond it, so no more than 328 pages of 200 can be listed. */
export const SMS_MAX_PAGES = Math.floor(65_535 / SMS_PAGE_LIMIT) + 1;

/**
 * The source server's states while it works (the API refuses a delete in them only while its agent is
 * connected). A task is kept whenever its source server is in one of these, whatever the task's own state.
 */
const SOURCE_SERVER_RUNNING: ReadonlySet<string> = new Set([
  'initialize',
  'stopping',
  'deleting',
  'cloning',
  'replicate',
  'syncing',
  'cutovering',
  'skipping',
  'clearing',
  'premiging',
]);
/** The source server's states while it does not work. */
const SOURCE_SERVER_IDLE: ReadonlySet<string> = new Set([
  'unavailable',
  'waiting',
  'stopped',
  'finished',
  'error',
  'cleared',
  'clearfailed',
  'premigready',
  'premiged',
  'premigfailed',
]);

/**
 * A task's state and class from both of its gates: deletable only when the task's `state` is a documented
 * outcome and its source server is idle; in progress when either works; otherwise unknown (kept).
 */
export function classifySmsTask(item: Readonly<Record<string, unknown>>): {
  readonly state: string;
  readonly stateClass: StateClass;
} {
  const task = classifyStateLabel(descriptor, item.state);
  const server = isRecord(item.source_server) ? item.source_server.state : undefined;
  if (task.stateClass === 'in-progress') return task;
  if (typeof server === 'string' && SOURCE_SERVER_RUNNING.has(server)) {
    return { state: task.state, stateClass: 'in-progress' };
  }
  if (task.stateClass !== 'deletable') return task;
  return typeof server === 'string' && SOURCE_SERVER_IDLE.has(server)
    ? task
    : { state: task.state, stateClass: 'unknown' };
}

/**
 * When a task ended: its last sub-task's `end_date`, else `create_date` when no sub-task has ended. A sub-task
 * end that is present but unreadable makes the age unknown (never the earlier creation time).
 */
export function smsEndedAtMs(item: Readonly<Record<string, unknown>>): number | undefined {
  const subTasks = Array.isArray(item.sub_tasks) ? item.sub_tasks : [];
  let latest: number | undefined;
  for (const subTask of subTasks) {
    if (!isRecord(subTask) || isAbsent(subTask.end_date)) continue;
    const endedMs = readEpochMs(subTask.end_date);
    if (endedMs === undefined) return undefined;
    latest = Math.max(latest ?? endedMs, endedMs);
  }
  return latest ?? readEpochMs(item.create_date);
}

export function toSmsTask(item: Readonly<Record<string, unknown>>, operation: string): Task {
  const server = isRecord(item.source_server) ? item.source_server : undefined;
  return {
    service: 'sms-migration-tasks',
    id: requireString(item, 'id', operation),
    name: readName(item.name),
    // The source server, for the decision lines: its name is what an operator knows the migration by.
    ...(server && typeof server.name === 'string' ? { parentName: server.name } : {}),
    ...classifySmsTask(item),
    endedAtMs: smsEndedAtMs(item),
  };
}

function taskPath(task: Task, operation: string): string {
  requireAddressable(operation, { task_id: task.id });
  return apiPath`/v3/tasks/${task.id}`;
}

async function fetchPage(ctx: SourceContext, offset: number): Promise<Page<Task>> {
  const { body } = await ctx.client.request({
    service: 'sms',
    operation: LIST,
    method: 'GET',
    path: '/v3/tasks',
    query: { offset, limit: SMS_PAGE_LIMIT },
    signal: ctx.signal,
    stopSignal: ctx.stopSignal,
  });
  return readListPage(body, LIST, { items: 'tasks', count: 'count' }, (item) => toSmsTask(item, LIST));
}

function listTasks(ctx: SourceContext): AsyncIterable<Task> {
  return listOffsetPaged({
    what: 'SMS migration tasks',
    limit: SMS_PAGE_LIMIT,
    offsetMode: 'records',
    fetchPage: (offset) => fetchPage(ctx, offset),
    keyOf: (task) => task.id,
    // Beyond the documented offset the rest of the account cannot be read: an incomplete listing is ambiguous.
    maxPages: SMS_MAX_PAGES,
  });
}

export const smsMigrationTasks: TaskSource = {
  descriptor,
  classifyWireState: (state) => classifyStateLabel(descriptor, state),

  async *list(ctx) {
    try {
      yield* listTasks(ctx);
    } catch (error) {
      if (error instanceof ListingError && /more than \d+ pages/.test(error.message)) {
        throw new ListingError(
          `SMS migration tasks: the account holds more tasks than the API can page through (offset ≤ 65535); nothing is deleted from a partial listing`,
          { cause: error },
        );
      }
      throw error;
    }
  },

  readTask(task: Task): TaskRead {
    return {
      request: { service: 'sms', operation: SHOW, method: 'GET', path: taskPath(task, SHOW) },
      toTask: (body) => toSmsTask(requireRecord(body, SHOW), SHOW),
    };
  },

  deleteRequest(task: Task) {
    return deleteRequestOf({ service: 'sms', operation: DELETE, path: taskPath(task, DELETE) });
  },

  /** No not-found answer is documented: one listing shows which of `tasks` are still there. */
  async locate(tasks, ctx) {
    const found = new Map<string, Task | undefined>(tasks.map((task) => [taskKey(task), undefined]));
    for await (const task of listTasks(ctx)) {
      const key = taskKey(task);
      if (found.has(key)) found.set(key, task);
    }
    return found;
  },
};
