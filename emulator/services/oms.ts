/**
 * OMS migration tasks (`/v2/{project_id}/tasks`): record offset, integer statuses, int64 ids written as raw
 * JSON numbers (above 2^53 too), `start_time` in ms plus `total_time`. A running task (0, 1, 2, 6, 7) cannot
 * be deleted (400 `OMS.0063`); a stop turns 2 (executing) into 7 (pausing) and, after `omsPauseDelayMs`, 3
 * (paused). An unknown task is 400 `OMS.1009`.
 */
import type { Answer } from '../answers';
import { OrderedStore } from '../ordered-store';
import { intParam, pageWindow } from '../paging';
import type { EmulatedTask } from '../types';
import {
  ADDED_DURATION_MS,
  AWKWARD_NAMES,
  assertNew,
  changeRecordState,
  drawTime,
  finite,
  makeRecord,
  type StateChange,
  splitTimeField,
  type TaskRecord,
  toEmulated,
  weighted,
  withExtra,
} from './kit';
import type { OperationRequest, ServiceContext, ServiceModule, ServiceRuntime, TaskStore } from './types';

/** 3 stopped (paused), 4 failed, 5 succeeded; 0 pending, 1 waiting, 2 executing, 6 retrying, 7 pausing; 9 no one's. */
const WIRE_STATES = { ended: [3, 4, 5], running: [0, 1, 2, 6, 7], resumed: 2, other: [9] } as const;

/** `start_time` plus `total_time`: OMS has no end time field. */
function endedAtMs(fields: Readonly<Record<string, unknown>>): number | undefined {
  const start = finite(fields.start_time);
  const total = finite(fields.total_time);
  return start !== undefined && total !== undefined ? start + total : undefined;
}

export const OMS_SPEC = {
  host: 'oms',
  taskApis: [
    {
      id: 'oms-migration-tasks',
      seedShare: 0.3,
      states: WIRE_STATES,
      deletesRunningTasks: false,
      endedAtMs,
    },
  ],
  operations: [
    { name: 'ListMigrationTasks', method: 'GET', path: '/v2/{project_id}/tasks' },
    {
      name: 'ShowMigrationTask',
      method: 'GET',
      path: '/v2/{project_id}/tasks/{task_id}',
      reads: { api: 'oms-migration-tasks' },
    },
    { name: 'StopMigrationTask', method: 'POST', path: '/v2/{project_id}/tasks/{task_id}/stop' },
    {
      name: 'DeleteMigrationTask',
      method: 'DELETE',
      path: '/v2/{project_id}/tasks/{task_id}',
      deletes: { api: 'oms-migration-tasks', id: 'task_id' },
    },
  ],
} as const;

/** Statuses drawn by the generator (weights), 9 undocumented. */
const STATES: ReadonlyArray<readonly [number, number]> = [
  [0, 3],
  [1, 6],
  [2, 12],
  [3, 12],
  [4, 14],
  [5, 40],
  [6, 4],
  [7, 4],
  [9, 5],
];
const UNDELETABLE_STATES = new Set<string | number>(WIRE_STATES.running);
const EXECUTING = WIRE_STATES.resumed;
const PAUSING = 7;
const PAUSED = 3;

const omsError = (_status: number, code: string, message: string): unknown => ({
  error_code: code,
  error_msg: message,
});

function errorAnswer(status: number, code: string, message: string): Answer {
  return { status, body: JSON.stringify(omsError(status, code, message)), errorCode: code };
}

const taskNotFound = (): Answer => errorAnswer(400, 'OMS.1009', 'No resources found.');

/** The wire fields besides the id. */
function renderFields(record: TaskRecord): Record<string, unknown> {
  const running = record.state === EXECUTING || record.state === PAUSING || record.state === 6;
  const fields: Record<string, unknown> = {
    name: record.name,
    status: record.state,
    total_time: record.durationMs,
    left_time: running ? 60_000 : 0,
    progress: record.state === 5 ? 1 : running ? 0.5 : 0,
    group_type: 'NORMAL_TASK',
    task_type: 'object',
    description: '',
    src_node: { bucket: 'src_bucket', cloud_type: 'AWS', region: 'eu-de' },
    dst_node: { bucket: 'dst_bucket', region: 'eu-de' },
    complete_size: 0,
    total_size: 0,
  };
  if (record.timeMs !== undefined) fields.start_time = record.timeMs;
  if (record.state === 4)
    fields.error_reason = { error_code: 'OMS.0501', error_msg: 'source object not found' };
  const merged = withExtra(fields, record);
  delete merged.id;
  return merged;
}

/** Ids may exceed 2^53: the id (a decimal string) is written as raw digits in front of the other fields. */
function renderJson(record: TaskRecord): string {
  const rest = JSON.stringify(renderFields(record)).slice(1);
  return rest === '}' ? `{"id":${record.id}}` : `{"id":${record.id},${rest}`;
}

function list(tasks: OrderedStore<TaskRecord>, r: OperationRequest): Answer {
  const offset = intParam(r.query, 'offset') ?? 0;
  const limit = intParam(r.query, 'limit') ?? 10;
  const status = intParam(r.query, 'status');
  if (Number.isNaN(offset) || offset > 2147483647)
    return errorAnswer(400, 'OMS.0002', 'Invalid parameter: offset must be 0-2147483647.');
  if (Number.isNaN(limit) || limit < 1 || limit > 100)
    return errorAnswer(400, 'OMS.0002', 'Invalid parameter: limit must be 1-100.');
  if (Number.isNaN(status)) return errorAnswer(400, 'OMS.0002', 'Invalid parameter: status.');
  const key = status === undefined ? undefined : String(status);
  const page = pageWindow(tasks.count(key), offset, limit, r.faults.pagingQuirk);
  const items = page.indices.flatMap((i) => {
    const record = tasks.at(i, key);
    return record ? [renderJson(record)] : [];
  });
  return { status: 200, body: `{"tasks":[${items.join(',')}],"count":${page.reportedTotal}}` };
}

function seed(ctx: ServiceContext, tasks: OrderedStore<TaskRecord>, count: number, nowMs: number): void {
  const { rng } = ctx;
  for (let i = 0; i < count; i++) {
    // About 2 % of ids lie above 2^53 (not representable as a JS number).
    const id = i % 50 === 7 ? (9007199254740993n + BigInt(i)).toString() : String(191297407830872 + i);
    const name =
      i % 23 === 4 ? `mig "${AWKWARD_NAMES[i % AWKWARD_NAMES.length]}" \\ \n ${i}` : `oms-task-${i}`;
    tasks.push(
      makeRecord('oms-migration-tasks', {
        id,
        name,
        state: weighted(rng, STATES),
        timeMs: drawTime(rng, nowMs),
        durationMs: rng.int(1, 86_400) * 1000,
      }),
    );
  }
}

class OmsAccount {
  readonly tasks = new OrderedStore<TaskRecord>((t) => String(t.state));
  constructor(readonly ctx: ServiceContext) {}

  /** Ids are decimal digits: anything else is no task. */
  find(id: string): TaskRecord | undefined {
    return /^\d+$/.test(id) ? this.tasks.get(id) : undefined;
  }

  setState(id: string, change: StateChange): boolean {
    const record = this.tasks.get(id);
    if (record) changeRecordState(this.ctx, record, change, (edit) => this.tasks.update(id, edit));
    return record !== undefined;
  }

  stop(id: string): Answer {
    const record = this.find(id);
    if (!record) return taskNotFound();
    if (record.state !== EXECUTING) return errorAnswer(400, 'OMS.0066', 'The task is not running.');
    this.setState(id, { to: PAUSING, cause: 'request' });
    this.ctx.later(this.ctx.omsPauseDelayMs, () => {
      if (this.tasks.get(id)?.state === PAUSING) this.setState(id, { to: PAUSED, cause: 'request' });
    });
    return { status: 200 };
  }

  delete(id: string): Answer {
    const record = this.find(id);
    if (!record) return taskNotFound();
    if (typeof record.state === 'number' && UNDELETABLE_STATES.has(record.state))
      return errorAnswer(400, 'OMS.0063', 'The task is in progress and cannot be deleted.');
    this.tasks.delete(id);
    this.ctx.recordDeletion({
      service: record.service,
      id: record.id,
      name: record.name,
      state: record.state,
    });
    return { status: 200 };
  }

  add(task: Parameters<TaskStore['add']>[0]): TaskRecord {
    const { timeMs, extra } = splitTimeField(task, 'start_time', this.ctx.nowMs());
    const id = task.id ?? String(291297407830872 + this.tasks.size + this.ctx.deletionCount());
    if (!/^\d+$/.test(id)) throw new TypeError('addTask: OMS ids are decimal digits');
    const record = makeRecord('oms-migration-tasks', {
      id,
      name: task.name ?? `oms-added-${id}`,
      state: task.state ?? 5,
      parentId: task.parentId,
      timeMs,
      durationMs: ADDED_DURATION_MS,
      extra,
    });
    assertNew(task.service, id, this.tasks.get(id));
    this.tasks.push(record);
    return record;
  }
}

/** The public form: the wire fields (as JSON carries them) with the id as a decimal string. */
function emulated(record: TaskRecord): EmulatedTask {
  const fields: unknown = JSON.parse(JSON.stringify(renderFields(record)));
  return toEmulated(record, { id: record.id, ...(typeof fields === 'object' ? fields : {}) });
}

function store(account: OmsAccount): TaskStore {
  return {
    api: 'oms-migration-tasks',
    list: () => [...account.tasks.values()].map(emulated),
    add: (task) => emulated(account.add(task)),
    remove: (id) => account.tasks.delete(id) !== undefined,
    setState: (id, state) => account.setState(id, { to: state, cause: 'api' }),
    resume: (id, _parentId, fault) => {
      account.setState(id, { to: EXECUTING, cause: 'fault', fault });
    },
  };
}

function start(ctx: ServiceContext): ServiceRuntime<typeof OMS_SPEC> {
  const account = new OmsAccount(ctx);
  const id = (r: OperationRequest): string => r.params.task_id ?? '';
  return {
    handlers: {
      ListMigrationTasks: (r) => list(account.tasks, r),
      ShowMigrationTask: (r) => {
        const record = account.find(id(r));
        return record ? { status: 200, body: renderJson(record) } : taskNotFound();
      },
      StopMigrationTask: (r) => account.stop(id(r)),
      DeleteMigrationTask: (r) => account.delete(id(r)),
    },
    stores: [store(account)],
    seed: (counts, nowMs) => seed(ctx, account.tasks, counts['oms-migration-tasks'] ?? 0, nowMs),
  };
}

export const omsModule: ServiceModule<typeof OMS_SPEC> = {
  spec: OMS_SPEC,
  errors: {
    body: omsError,
    internalErrorCode: 'OMS.0001',
  },
  emptyListing: { count: 0, tasks: [] },
  start,
};
