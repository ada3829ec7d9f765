/**
 * DIS dump (transfer) tasks, addressed by stream name and task name
 * (`/v2/{project_id}/streams/{stream_name}/transfer-tasks/{task_name}`): streams are listed by name with an
 * exclusive `start_stream_name`, a stream's tasks (at most 5) in one unpaged answer. A delete is never
 * refused (204), whatever the state. An unknown stream is 400 `DIS.4301`, an unknown task 400 `DIS.4354`.
 * Errors come in two documented shapes (`disErrorShape`).
 */
import { type Answer, json } from '../answers';
import { intParam, pageWindow } from '../paging';
import {
  type DisStream,
  disError,
  endedAtMs,
  errorAnswer,
  renderStream,
  renderTask,
  renderTaskDetails,
  reshape,
  streamNotFound,
  taskNotFound,
  WIRE_STATES,
} from './dis-wire';
import {
  ADDED_DURATION_MS,
  AWKWARD_NAMES,
  assertNew,
  changeRecordState,
  DAY_MS,
  drawParentCreation,
  drawTime,
  LETTERS,
  makeRecord,
  randomString,
  type StateChange,
  splitTimeField,
  type TaskRecord,
  toEmulated,
  weighted,
} from './kit';
import type {
  NewTask,
  OperationRequest,
  ServiceContext,
  ServiceModule,
  ServiceRuntime,
  TaskStore,
} from './types';

export const DIS_SPEC = {
  host: 'dis',
  taskApis: [
    {
      id: 'dis-dump-tasks',
      seedShare: 0.15,
      states: WIRE_STATES,
      // A delete is never refused, whatever the state.
      deletesRunningTasks: true,
      endedAtMs,
    },
  ],
  operations: [
    { name: 'ListStreams', method: 'GET', path: '/v2/{project_id}/streams' },
    {
      name: 'ListTransferTasks',
      method: 'GET',
      path: '/v2/{project_id}/streams/{stream_name}/transfer-tasks',
    },
    {
      name: 'ShowTransferTask',
      method: 'GET',
      path: '/v2/{project_id}/streams/{stream_name}/transfer-tasks/{task_name}',
      reads: { api: 'dis-dump-tasks' },
    },
    {
      name: 'DeleteTransferTask',
      method: 'DELETE',
      path: '/v2/{project_id}/streams/{stream_name}/transfer-tasks/{task_name}',
      deletes: { api: 'dis-dump-tasks', id: 'task_name', parent: 'stream_name' },
    },
  ],
} as const;

/** States drawn by the generator (weights), `DELETE` and `UPGRADING` undocumented. */
const STATES: ReadonlyArray<readonly [string, number]> = [
  ['ERROR', 18],
  ['ABNORMAL', 12],
  ['PAUSED', 25],
  ['STARTING', 8],
  ['RUNNING', 25],
  ['DELETE', 6],
  ['UPGRADING', 6],
];
const MAX_TASKS_PER_STREAM = 5;

class DisAccount {
  /** Streams sorted by name (code-unit order), for the exclusive `start_stream_name`. */
  readonly streams: DisStream[] = [];
  readonly tasks = new Map<string, TaskRecord[]>();

  constructor(readonly ctx: ServiceContext) {}

  /** Index of the first stream whose name sorts after `name`, or (`inclusive`) at or after it. */
  streamIndex(name: string, inclusive: boolean): number {
    let lo = 0;
    let hi = this.streams.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const existing = this.streams[mid];
      if (existing && (existing.name < name || (!inclusive && existing.name === name))) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  addStream(stream: DisStream): void {
    this.streams.splice(this.streamIndex(stream.name, true), 0, stream);
    this.tasks.set(stream.name, []);
  }

  insert(record: TaskRecord): void {
    const list = this.tasks.get(record.parentId ?? '');
    if (!list) throw new Error(`unknown DIS stream ${record.parentId}`);
    if (list.some((t) => t.id === record.id)) throw new Error(`duplicate DIS task ${record.id}`);
    list.push(record);
  }

  /** A task by name, in the given stream or else in the first stream that has one of that name. */
  find(name: string, stream: string | undefined): TaskRecord | undefined {
    if (stream !== undefined) return this.tasks.get(stream)?.find((t) => t.id === name);
    for (const list of this.tasks.values()) {
      const hit = list.find((t) => t.id === name);
      if (hit) return hit;
    }
    return undefined;
  }

  remove(name: string, stream: string | undefined): TaskRecord | undefined {
    const record = this.find(name, stream);
    if (!record) return undefined;
    const list = this.tasks.get(record.parentId ?? '');
    if (list) list.splice(list.indexOf(record), 1);
    return record;
  }

  seed(count: number, nowMs: number): void {
    const { rng } = this.ctx;
    const streamCount = count > 0 ? Math.max(1, Math.ceil(count / 3)) : 1;
    for (let i = 0; i < streamCount; i++) {
      const awkward = i % 4 === 2 ? AWKWARD_NAMES[i % AWKWARD_NAMES.length] : undefined;
      this.addStream({
        name: awkward ? `dis-${awkward}-${i}` : `dis-stream-${String(i).padStart(4, '0')}`,
        streamId: randomString(rng, LETTERS, 19),
        createdMs: drawParentCreation(rng, nowMs),
        status: 'RUNNING',
      });
    }
    let placed = 0;
    for (let round = 0; round < MAX_TASKS_PER_STREAM && placed < count; round++) {
      for (const stream of [...this.streams]) {
        if (placed >= count) break;
        if (round > 0 && rng.chance(0.3)) continue;
        const awkward = placed % 7 === 3 ? AWKWARD_NAMES[placed % AWKWARD_NAMES.length] : undefined;
        const id = awkward ? `dump ${awkward} ${placed}` : `dump-${placed}`;
        this.insert(
          makeRecord('dis-dump-tasks', {
            id,
            name: id,
            state: weighted(rng, STATES),
            parentId: stream.name,
            timeMs: drawTime(rng, nowMs),
            durationMs: rng.int(1000, 30 * DAY_MS),
          }),
        );
        placed++;
      }
    }
  }

  /** The first stream with room for one more dump task, or the name of a new one. */
  streamWithRoom(): string {
    const stream = this.streams.find((s) => (this.tasks.get(s.name)?.length ?? 0) < MAX_TASKS_PER_STREAM);
    return stream?.name ?? `dis-stream-added-${this.streams.length}`;
  }

  add(task: NewTask): TaskRecord {
    const { ctx } = this;
    const { timeMs, extra } = splitTimeField(task, 'create_time', ctx.nowMs());
    const generatedId = `added-dump-${ctx.ids.hex().slice(0, 8)}`;
    const id = task.id ?? generatedId;
    const parentId = task.parentId ?? this.streamWithRoom();
    if (!this.tasks.has(parentId)) {
      this.addStream({
        name: parentId,
        streamId: ctx.ids.hex().slice(0, 19),
        createdMs: ctx.nowMs() - 200 * DAY_MS,
        status: 'RUNNING',
      });
    }
    if ((this.tasks.get(parentId)?.length ?? 0) >= MAX_TASKS_PER_STREAM)
      throw new RangeError(`addTask: DIS stream ${parentId} already has 5 dump tasks`);
    // Tasks are addressed by name: the id is the name.
    const record = makeRecord('dis-dump-tasks', {
      id,
      name: id,
      state: task.state ?? 'PAUSED',
      parentId,
      timeMs,
      durationMs: ADDED_DURATION_MS,
      extra,
    });
    assertNew(task.service, id, this.find(id, parentId));
    this.insert(record);
    return record;
  }
}

function listStreams(account: DisAccount, r: OperationRequest): Answer {
  const limit = intParam(r.query, 'limit') ?? 10;
  if (Number.isNaN(limit) || limit < 1 || limit > 100)
    return errorAnswer(400, 'DIS.4200', 'Invalid request. [limit must be 1-100]');
  const startName = r.query.get('start_stream_name');
  let start = startName === null || startName === '' ? 0 : account.streamIndex(startName, false);
  const quirk = r.faults.pagingQuirk;
  // Offsets here are positions in the name-sorted stream list; quirks shift the exclusive start.
  if (startName && quirk === 'repeat') start = Math.max(0, start - 1);
  if (startName && quirk === 'lose') start += 1;
  const shifted = quirk === 'repeat' || quirk === 'lose';
  const page = pageWindow(account.streams.length, start, limit, shifted ? undefined : quirk);
  const streams = page.indices.flatMap((i) => {
    const stream = account.streams[i];
    return stream ? [stream] : [];
  });
  return json(200, {
    total_number: page.reportedTotal,
    stream_names: streams.map((s) => s.name),
    stream_info_list: streams.map(renderStream),
    has_more_streams: page.hasMore,
  });
}

function listTransferTasks(account: DisAccount, r: OperationRequest): Answer {
  const list = account.tasks.get(r.params.stream_name ?? '');
  if (!list) return streamNotFound();
  let tasks = list.map(renderTask);
  let total = tasks.length;
  const quirk = r.faults.pagingQuirk;
  const first = tasks[0];
  if ((quirk === 'repeat' || quirk === 'over-limit') && first) tasks = [...tasks, first];
  if (quirk === 'lose') tasks = tasks.slice(0, -1);
  if (quirk === 'count-mismatch') total += 3;
  return json(200, { total_number: total, quota: 5, tasks });
}

/** The addressed task of an existing stream, or the error answer. */
function addressed(account: DisAccount, r: OperationRequest): TaskRecord | Answer {
  const stream = r.params.stream_name ?? '';
  if (!account.tasks.has(stream)) return streamNotFound();
  return account.find(r.params.task_name ?? '', stream) ?? taskNotFound();
}

function store(account: DisAccount): TaskStore {
  const { ctx } = account;
  const setState = (id: string, parentId: string | undefined, change: StateChange): boolean => {
    const record = account.find(id, parentId);
    if (record) changeRecordState(ctx, record, change);
    return record !== undefined;
  };
  const emulated = (record: TaskRecord) => toEmulated(record, renderTask(record));
  return {
    api: 'dis-dump-tasks',
    list: () => [...account.tasks.values()].flat().map(emulated),
    add: (task) => emulated(account.add(task)),
    remove: (id, parentId) => account.remove(id, parentId) !== undefined,
    setState: (id, state, parentId) => setState(id, parentId, { to: state, cause: 'api' }),
    resume: (id, parentId, fault) => {
      setState(id, parentId, { to: WIRE_STATES.resumed, cause: 'fault', fault });
    },
  };
}

function start(ctx: ServiceContext): ServiceRuntime<typeof DIS_SPEC> {
  const account = new DisAccount(ctx);
  return {
    handlers: {
      ListStreams: (r) => listStreams(account, r),
      ListTransferTasks: (r) => listTransferTasks(account, r),
      ShowTransferTask: (r) => {
        const record = addressed(account, r);
        return 'status' in record ? record : json(200, renderTaskDetails(record));
      },
      DeleteTransferTask: (r) => {
        const record = addressed(account, r);
        if ('status' in record) return record;
        account.remove(record.id, record.parentId);
        ctx.recordDeletion({
          service: record.service,
          id: record.id,
          name: record.name,
          state: record.state,
        });
        return { status: 204 };
      },
    },
    stores: [store(account)],
    seed: (counts, nowMs) => account.seed(counts['dis-dump-tasks'] ?? 0, nowMs),
  };
}

export const disModule: ServiceModule<typeof DIS_SPEC> = {
  spec: DIS_SPEC,
  errors: {
    body: disError,
    internalErrorCode: 'DIS.5000',
    forbidden: { code: 'DIS.4116', message: 'Invalid RBAC.' },
    reshape,
  },
  emptyListing: { total_number: 0, stream_names: [], stream_info_list: [], has_more_streams: false },
  start,
};
