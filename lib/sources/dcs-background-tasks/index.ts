/**
 * DCS instance background tasks (docs/api/dcs.md): list instances (`GET /v2/{project_id}/instances`,
 * record offset, limit ≤ 1000), keep those the policy's `instances` globs select, then list each one's tasks
 * (`GET /v2/{project_id}/instances/{instance_id}/tasks`); delete with
 * `DELETE /v2/{project_id}/instances/{instance_id}/tasks/{task_id}` (200 `{"message": ""}` or 204).
 */
import { apiPath } from '../../cloud/api-path';
import { JanitorError } from '../../errors';
import { type SourceContext, type Task, type TaskSource, taskKey } from '../../types';
import { classifyDcsState, DCS_PAGE_LIMIT, type DcsParent, toDcsTask } from '../dcs-common';
import { DEFAULT_PAGE_CONCURRENCY, listOffsetPaged, type Page, readListPage, runPool } from '../paging';
import {
  answerOf,
  deleteRequestOf,
  isAddressableSegment,
  isAnswer,
  readName,
  requireAddressable,
  requireString,
} from '../wire';

import { dcsBackgroundTasksDescriptor as descriptor } from './descriptor';

export { dcsBackgroundTasksDescriptor } from './descriptor';

const LIST_INSTANCES = 'ListInstances';
const { list: LIST, delete: DELETE } = descriptor.operations;

async function fetchInstancePage(ctx: SourceContext, offset: number): Promise<Page<DcsParent>> {
  const { body } = await ctx.client.request({
    service: 'dcs',
    operation: LIST_INSTANCES,
    method: 'GET',
    path: apiPath`/v2/${ctx.projectId}/instances`,
    query: { offset, limit: DCS_PAGE_LIMIT },
    signal: ctx.signal,
    stopSignal: ctx.stopSignal,
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
    stopSignal: ctx.stopSignal,
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
    // "This DCS instance does not exist": its tasks are gone with it.
    if (isAnswer(answerOf(error), descriptor.answers.notFound) && tasks.length === 0) {
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
  descriptor,
  classifyWireState: classifyDcsState,

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

  deleteRequest(task: Task, projectId: string) {
    if (task.parentId === undefined) {
      throw new JanitorError(
        `DCS background task ${task.id} has no instance id; cannot build its delete path`,
      );
    }
    requireAddressable(DELETE, { instance_id: task.parentId, task_id: task.id });
    return deleteRequestOf({
      service: 'dcs',
      operation: DELETE,
      path: apiPath`/v2/${projectId}/instances/${task.parentId}/tasks/${task.id}`,
    });
  },

  /** No read of one background task exists: each instance's task list shows which of `tasks` are still there. */
  async locate(tasks, ctx) {
    const found = new Map<string, Task | undefined>(tasks.map((task) => [taskKey(task), undefined]));
    const instances = new Map<string, DcsParent>();
    for (const task of tasks) {
      if (task.parentId !== undefined)
        instances.set(task.parentId, { id: task.parentId, name: task.parentName ?? '' });
    }
    for await (const listed of runPool(
      [...instances.values()],
      (instance) => listInstanceTasks(ctx, instance),
      DEFAULT_PAGE_CONCURRENCY,
    )) {
      for (const task of listed) {
        const key = taskKey(task);
        if (found.has(key)) found.set(key, task);
      }
    }
    return found;
  },
};
