/**
 * DIS dump ("transfer") tasks (docs/api/dis.md): list streams (`GET /v2/{project_id}/streams`, limit ≤ 100,
 * exclusive `start_stream_name` while `has_more_streams`), keep those the policy's `streams` globs select, then
 * each stream's tasks (`GET …/streams/{stream_name}/transfer-tasks`, unpaged, ≤ 5); re-read one with
 * `GET …/transfer-tasks/{task_name}` and delete with `DELETE …/transfer-tasks/{task_name}` (204). Tasks are
 * identified by name. Nothing documents that a running task is refused, hence a read before every DELETE.
 */
import { apiPath } from '../../cloud/api-path';
import { JanitorError, ListingError } from '../../errors';
import type { SourceContext, StateClass, Task, TaskRead, TaskSource } from '../../types';
import { DEFAULT_PAGE_CONCURRENCY, runPool } from '../paging';
import {
  apiErrorOf,
  classifyStateLabel,
  deleteRequestOf,
  isAbsent,
  isAddressableSegment,
  readArray,
  readCount,
  readEpochMs,
  requireAddressable,
  requireItemRecord,
  requireRecord,
  requireString,
} from '../wire';
import { disDumpTasksDescriptor as descriptor } from './descriptor';

export { disDumpTasksDescriptor } from './descriptor';

const LIST_STREAMS = 'ListStreams';
const { list: LIST, read: SHOW, delete: DELETE } = descriptor.operations;
/** `limit` ≤ 100: OTC documents 1–100 (gophertelekomcloud says up to 500). */
export const DIS_STREAM_PAGE_LIMIT = 100;
/** No total bounds the stream pages for sure: a hard cap (100 000 streams) stops a list that never ends. */
export const DIS_MAX_STREAM_PAGES = 1000;

export function classifyDisState(state: unknown): {
  readonly state: string;
  readonly stateClass: StateClass;
} {
  return classifyStateLabel(descriptor, state);
}

/** `last_transfer_timestamp` (ms), else `create_time` when nothing was ever transferred (absent or 0). */
export function disEndedAtMs(item: Readonly<Record<string, unknown>>): number | undefined {
  const last = item.last_transfer_timestamp;
  if (!isAbsent(last) && last !== 0 && last !== '0') return readEpochMs(last);
  return readEpochMs(item.create_time);
}

export function toDisTask(
  item: Readonly<Record<string, unknown>>,
  streamName: string,
  operation: string,
): Task {
  const name = requireString(item, 'task_name', operation);
  return {
    service: 'dis-dump-tasks',
    id: name,
    name,
    parentId: streamName,
    parentName: streamName,
    ...classifyDisState(item.state),
    endedAtMs: disEndedAtMs(item),
  };
}

/** Every stream name, checked: no repeats, no page over the limit, bounded, and agreeing with `total_number`. */
async function listStreamNames(ctx: SourceContext): Promise<string[]> {
  const names: string[] = [];
  const seen = new Set<string>();
  let total: number | undefined;
  let start: string | undefined;
  for (let index = 0; ; index++) {
    if (index >= DIS_MAX_STREAM_PAGES) {
      throw new ListingError(`DIS streams: more than ${DIS_MAX_STREAM_PAGES} pages; the list never ends`);
    }
    const { body } = await ctx.client.request({
      service: 'dis',
      operation: LIST_STREAMS,
      method: 'GET',
      path: apiPath`/v2/${ctx.projectId}/streams`,
      query: { limit: DIS_STREAM_PAGE_LIMIT, start_stream_name: start },
      signal: ctx.signal,
      stopSignal: ctx.stopSignal,
    });
    const page = requireRecord(body, LIST_STREAMS);
    const infos = readArray(page, 'stream_info_list', LIST_STREAMS);
    const pageNames =
      infos.length > 0
        ? infos.map((raw) => requireString(requireItemRecord(raw, LIST_STREAMS), 'stream_name', LIST_STREAMS))
        : readArray(page, 'stream_names', LIST_STREAMS).map((raw) => {
            if (typeof raw !== 'string' || raw === '')
              throw new ListingError(`DIS streams: a stream name is not a string`);
            return raw;
          });
    if (pageNames.length > DIS_STREAM_PAGE_LIMIT) {
      throw new ListingError(
        `DIS streams: page ${index} has ${pageNames.length} streams, more than the requested limit ${DIS_STREAM_PAGE_LIMIT}`,
      );
    }
    const pageTotal = readCount(page.total_number);
    if (index === 0) total = pageTotal;
    else if (pageTotal !== undefined && pageTotal !== total) {
      throw new ListingError(
        `DIS streams: the total changed from ${String(total)} to ${pageTotal} between pages`,
      );
    }
    for (const name of pageNames) {
      if (seen.has(name))
        throw new ListingError(`DIS streams: stream ${JSON.stringify(name)} was listed twice`);
      seen.add(name);
      names.push(name);
    }
    const last = pageNames.at(-1);
    if (page.has_more_streams !== true) break;
    if (last === undefined) throw new ListingError('DIS streams: an empty page says it has more streams');
    start = last;
  }
  if (total !== undefined && total !== names.length) {
    throw new ListingError(`DIS streams: collected ${names.length} streams where total_number says ${total}`);
  }
  return names;
}

async function listStreamTasks(ctx: SourceContext, streamName: string): Promise<Task[]> {
  let body: unknown;
  try {
    ({ body } = await ctx.client.request({
      service: 'dis',
      operation: LIST,
      method: 'GET',
      path: apiPath`/v2/${ctx.projectId}/streams/${streamName}/transfer-tasks`,
      signal: ctx.signal,
      stopSignal: ctx.stopSignal,
    }));
  } catch (error) {
    if (apiErrorOf(error)?.code === 'DIS.4301') {
      ctx.log.warn({ service: 'dis-dump-tasks', stream: streamName }, 'stream vanished while listing');
      return [];
    }
    throw error;
  }
  const page = requireRecord(body, LIST);
  const tasks = readArray(page, 'tasks', LIST).map((raw) =>
    toDisTask(requireItemRecord(raw, LIST), streamName, LIST),
  );
  const seen = new Set<string>();
  for (const task of tasks) {
    if (seen.has(task.id)) {
      throw new ListingError(
        `DIS dump tasks of stream ${JSON.stringify(streamName)}: ${task.id} listed twice`,
      );
    }
    seen.add(task.id);
  }
  const total = readCount(page.total_number);
  if (total !== undefined && total !== tasks.length) {
    throw new ListingError(
      `DIS dump tasks of stream ${JSON.stringify(streamName)}: ${tasks.length} tasks where total_number says ${total}`,
    );
  }
  return tasks;
}

function requireStream(task: Task): string {
  if (task.parentId === undefined) {
    throw new JanitorError(`DIS dump task ${task.id} has no stream name; cannot build its path`);
  }
  return task.parentId;
}

function transferTaskPath(projectId: string, task: Task, operation: string): string {
  const stream = requireStream(task);
  requireAddressable(operation, { stream_name: stream, task_name: task.id });
  return apiPath`/v2/${projectId}/streams/${stream}/transfer-tasks/${task.id}`;
}

export const disDumpTasks: TaskSource = {
  descriptor,
  classifyWireState: classifyDisState,

  async *list(ctx: SourceContext): AsyncIterable<Task> {
    const streams = (await listStreamNames(ctx)).filter((name) => {
      if (ctx.includeParent !== undefined && !ctx.includeParent(name)) return false;
      if (isAddressableSegment(name)) return true;
      ctx.log.warn(
        { service: 'dis-dump-tasks', stream: name },
        'stream name cannot be addressed; its tasks are not listed',
      );
      return false;
    });
    for await (const tasks of runPool(
      streams,
      (name) => listStreamTasks(ctx, name),
      DEFAULT_PAGE_CONCURRENCY,
    )) {
      yield* tasks;
    }
  },

  readTask(task: Task, projectId: string): TaskRead {
    const stream = requireStream(task);
    return {
      request: {
        service: 'dis',
        operation: SHOW,
        method: 'GET',
        path: transferTaskPath(projectId, task, SHOW),
      },
      toTask(body) {
        // The details answer may omit task_name; it is the name just asked for.
        const current = toDisTask({ task_name: task.id, ...requireRecord(body, SHOW) }, stream, SHOW);
        return current.state === 'DELETE' ? undefined : current;
      },
    };
  },

  deleteRequest(task: Task, projectId: string) {
    return deleteRequestOf({
      service: 'dis',
      operation: DELETE,
      path: transferTaskPath(projectId, task, DELETE),
    });
  },
};
