/**
 * DCS task center: `GET /v2/{project_id}/tasks` (record offset, limit ≤ 1000),
 * `DELETE /v2/{project_id}/tasks/{task_id}`. The list is documented on Huawei Cloud only: a 404 for it is
 * reported as "not available on this cloud" for this service, and the other services go on.
 */
import { apiPath } from '../../cloud/api-path';
import { ListingError } from '../../errors';
import { type SourceContext, type Task, type TaskSource, taskKey } from '../../types';
import { classifyDcsState, DCS_PAGE_LIMIT, toDcsTask } from '../dcs-common';
import { listOffsetPaged, type Page, readListPage } from '../paging';
import { apiErrorOf, deleteRequestOf, requireAddressable } from '../wire';
import { dcsCenterTasksDescriptor as descriptor } from './descriptor';

export { dcsCenterTasksDescriptor } from './descriptor';

const { list: LIST, delete: DELETE } = descriptor.operations;

async function fetchCenterPage(ctx: SourceContext, offset: number): Promise<Page<Task>> {
  let body: unknown;
  try {
    ({ body } = await ctx.client.request({
      service: 'dcs',
      operation: LIST,
      method: 'GET',
      path: apiPath`/v2/${ctx.projectId}/tasks`,
      query: { offset, limit: DCS_PAGE_LIMIT },
      signal: ctx.signal,
      stopSignal: ctx.stopSignal,
    }));
  } catch (error) {
    const answer = apiErrorOf(error);
    if (offset === 0 && answer?.status === 404) {
      throw new ListingError(
        `DCS task-center listing (GET /v2/{project_id}/tasks) is not available on this cloud: 404${answer.code ? ` ${answer.code}` : ''}; it is documented on Huawei Cloud only, not on Open Telekom Cloud`,
        { cause: error },
      );
    }
    throw error;
  }
  return readListPage(body, LIST, { items: 'tasks', count: 'task_count' }, (item) =>
    toDcsTask('dcs-center-tasks', item, LIST),
  );
}

function listCenterTasks(ctx: SourceContext): AsyncIterable<Task> {
  return listOffsetPaged({
    what: 'DCS task-center tasks',
    limit: DCS_PAGE_LIMIT,
    offsetMode: 'records',
    fetchPage: (offset) => fetchCenterPage(ctx, offset),
    keyOf: (task) => task.id,
  });
}

export const dcsCenterTasks: TaskSource = {
  descriptor,
  classifyWireState: classifyDcsState,

  list: listCenterTasks,

  deleteRequest(task: Task, projectId: string) {
    requireAddressable(DELETE, { task_id: task.id });
    // No body: the optional `{"message"}` body is not needed.
    return deleteRequestOf({
      service: 'dcs',
      operation: DELETE,
      path: apiPath`/v2/${projectId}/tasks/${task.id}`,
    });
  },

  /** The task center has no read of one task: one listing shows which of `tasks` are still there. */
  async locate(tasks, ctx) {
    const wanted = new Set(tasks.map(taskKey));
    const found = new Map<string, Task | undefined>(tasks.map((task) => [taskKey(task), undefined]));
    for await (const task of listCenterTasks(ctx)) {
      const key = taskKey(task);
      if (wanted.has(key)) found.set(key, task);
    }
    return found;
  },
};
