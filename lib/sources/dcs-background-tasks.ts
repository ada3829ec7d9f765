/**
 * DCS instance background tasks (REFERENCE §2.3–§2.5): list instances (`GET /v2/{project_id}/instances`,
 * record offset, limit ≤ 1000), keep those the policy's `instances` globs select, then list each one's tasks
 * (`GET /v2/{project_id}/instances/{instance_id}/tasks`); delete with
 * `DELETE /v2/{project_id}/instances/{instance_id}/tasks/{task_id}` (200 `{"message": ""}` or 204).
 */
import { apiPath } from '../cloud/api-path';
import { JanitorError } from '../errors';
import type { DeleteOutcome, SourceContext, Task, TaskSource } from '../types';
import {
  DCS_DELETABLE_STATES,
  DCS_PAGE_LIMIT,
  type DcsParent,
  dcsDeleteOutcome,
  toDcsTask,
} from './dcs-common';
import { DEFAULT_PAGE_CONCURRENCY, listOffsetPaged, type Page, readListPage, runPool } from './paging';
import {
  apiErrorOf,
  isAddressableSegment,
  readName,
  requireAddressable,
  requireString,
  sendDelete,
} from './wire';

const LIST_INSTANCES = 'ListInstances';
const LIST = 'ListBackgroundTasks';
const DELETE = 'DeleteBackgroundTask';
/** "This DCS instance does not exist" (REFERENCE §2.7): its tasks are gone with it. */
const INSTANCE_GONE_CODES: readonly string[] = ['DCS.3022', '111404022'];

async function fetchInstancePage(ctx: SourceContext, offset: number): Promise<Page<DcsParent>> {
  const { body } = await ctx.client.request({
    service: 'dcs',
    operation: LIST_INSTANCES,
    method: 'GET',
    path: apiPath`/v2/${ctx.projectId}/instances`,
    query: { offset, limit: DCS_PAGE_LIMIT },
    signal: ctx.signal,
  });
  return readListPage(body, LIST_INSTANCES, { items: 'instances', count: 'instance_num' }, (item) => ({
    id: requireString(item, 'instance_id', LIST_INSTANCES),
    name: readName(item.name),
  }));
}

async function fetchTaskPage(ctx: SourceContext, instance: DcsParent, offset: number): Promise<Page<Task>> {
  const { body } = await ctx.client.request({
    service: 'dcs',
    operation: LIST,
    method: 'GET',
    path: apiPath`/v2/${ctx.projectId}/instances/${instance.id}/tasks`,
    query: { offset, limit: DCS_PAGE_LIMIT },
    signal: ctx.signal,
  });
  return readListPage(body, LIST, { items: 'tasks', count: 'task_count' }, (item) =>
    toDcsTask('dcs-background-tasks', item, LIST, instance),
  );
}

async function listInstanceTasks(ctx: SourceContext, instance: DcsParent): Promise<Task[]> {
  const tasks: Task[] = [];
  try {
    for await (const task of listOffsetPaged({
      what: `DCS background tasks of instance ${JSON.stringify(instance.name)} (${instance.id})`,
      limit: DCS_PAGE_LIMIT,
      offsetMode: 'records',
      fetchPage: (offset) => fetchTaskPage(ctx, instance, offset),
      keyOf: (task) => task.id,
      concurrency: 2,
    })) {
      tasks.push(task);
    }
  } catch (error) {
    const answer = apiErrorOf(error);
    if (answer?.status === 404 && INSTANCE_GONE_CODES.includes(answer.code) && tasks.length === 0) {
      ctx.log.warn(
        { service: 'dcs-background-tasks', instanceId: instance.id },
        'instance vanished while listing',
      );
      return [];
    }
    throw error;
  }
  return tasks;
}

export const dcsBackgroundTasks: TaskSource = {
  id: 'dcs-background-tasks',
  cloudService: 'dcs',
  deletableStates: DCS_DELETABLE_STATES,

  async *list(ctx: SourceContext): AsyncIterable<Task> {
    const instances: DcsParent[] = [];
    for await (const instance of listOffsetPaged({
      what: 'DCS instances',
      limit: DCS_PAGE_LIMIT,
      offsetMode: 'records',
      fetchPage: (offset) => fetchInstancePage(ctx, offset),
      keyOf: (instance) => instance.id,
    })) {
      if (ctx.includeParent !== undefined && !ctx.includeParent(instance.name)) continue;
      if (!isAddressableSegment(instance.id)) {
        ctx.log.warn(
          { service: 'dcs-background-tasks', instanceId: instance.id },
          'instance id cannot be addressed; its tasks are not listed',
        );
        continue;
      }
      instances.push(instance);
    }
    for await (const tasks of runPool(
      instances,
      (instance) => listInstanceTasks(ctx, instance),
      DEFAULT_PAGE_CONCURRENCY,
    )) {
      yield* tasks;
    }
  },

  async delete(task: Task, ctx: SourceContext): Promise<DeleteOutcome> {
    if (task.parentId === undefined) {
      throw new JanitorError(
        `DCS background task ${task.id} has no instance id; cannot build its delete path`,
      );
    }
    requireAddressable(DELETE, { instance_id: task.parentId, task_id: task.id });
    return sendDelete(
      ctx,
      {
        service: 'dcs',
        operation: DELETE,
        path: apiPath`/v2/${ctx.projectId}/instances/${task.parentId}/tasks/${task.id}`,
      },
      dcsDeleteOutcome,
    );
  },
};
