/**
 * ModelArts data processing tasks (`/v2/{project_id}/processor-tasks`): `offset` is a page index, integer
 * statuses, `create_time` in ms plus `duration_seconds`. A delete is never refused, whatever the status: a
 * running task is deleted too. An unknown task is 400 `ModelArts.4700`.
 */
import { type Answer, json } from '../answers';
import { OrderedStore } from '../ordered-store';
import { intParam, pageWindow } from '../paging';
import {
  ADDED_DURATION_MS,
  AWKWARD_NAMES,
  assertNew,
  changeRecordState,
  drawTime,
  finite,
  LETTERS,
  makeRecord,
  randomString,
  type StateChange,
  splitTimeField,
  type TaskRecord,
  toEmulated,
  weighted,
  withExtra,
} from './kit';
import type { OperationRequest, ServiceContext, ServiceModule, ServiceRuntime, TaskStore } from './types';

/** 0 initialised, 1 running, 2 completed, 3 failed, 4 stopped; 7 is no document's. */
const WIRE_STATES = { ended: [2, 3, 4], running: [0, 1], resumed: 1, other: [7] } as const;

/** `create_time` plus `duration_seconds`: ModelArts has no end time field. */
function endedAtMs(fields: Readonly<Record<string, unknown>>): number | undefined {
  const created = finite(fields.create_time);
  const seconds = finite(fields.duration_seconds);
  return created !== undefined && seconds !== undefined ? created + seconds * 1000 : undefined;
}

export const MODELARTS_SPEC = {
  host: 'modelarts',
  taskApis: [
    {
      id: 'modelarts-processor-tasks',
      seedShare: 0.2,
      states: WIRE_STATES,
      // A delete is never refused, whatever the status.
      deletesRunningTasks: true,
      endedAtMs,
    },
  ],
  operations: [
    { name: 'ListProcessorTasks', method: 'GET', path: '/v2/{project_id}/processor-tasks' },
    {
      name: 'ShowProcessorTask',
      method: 'GET',
      path: '/v2/{project_id}/processor-tasks/{task_id}',
      reads: { api: 'modelarts-processor-tasks' },
    },
    {
      name: 'DeleteProcessorTask',
      method: 'DELETE',
      path: '/v2/{project_id}/processor-tasks/{task_id}',
      deletes: { api: 'modelarts-processor-tasks', id: 'task_id' },
    },
  ],
} as const;

/** Statuses drawn by the generator (weights): 0 initialised, 1 running, 2 completed, 3 failed, 4 stopped, 7 undocumented. */
const STATES: ReadonlyArray<readonly [number, number]> = [
  [0, 8],
  [1, 14],
  [2, 45],
  [3, 15],
  [4, 12],
  [7, 6],
];

const modelartsError = (_status: number, code: string, message: string): unknown => ({
  error_code: code,
  error_msg: message,
});

function errorAnswer(status: number, code: string, message: string): Answer {
  return { status, body: JSON.stringify(modelartsError(status, code, message)), errorCode: code };
}

const taskNotFound = (): Answer => errorAnswer(400, 'ModelArts.4700', 'Task does not exist.');

function render(record: TaskRecord): Record<string, unknown> {
  const base: Record<string, unknown> = {
    task_id: record.id,
    name: record.name,
    description: '',
    data_source: { type: 'DATASET', source: 'X6c3N3eztX7cr3Arvqu' },
    inputs: [{ type: 'DATASET', source: 'X6c3N3eztX7cr3Arvqu' }],
    template: { id: 'sys_data_analyse', name: 'data analyse template name', operator_params: [] },
    status: record.state,
    duration_seconds: Math.round(record.durationMs / 1000),
    version_id: 'J4Eh2FDEWH1qnDlD3hQ',
    version_name: 'V001',
    is_current: true,
    workspace_id: '0',
  };
  if (record.timeMs !== undefined) base.create_time = record.timeMs;
  return withExtra(base, record);
}

function list(tasks: OrderedStore<TaskRecord>, r: OperationRequest): Answer {
  const offset = intParam(r.query, 'offset') ?? 0;
  const limit = intParam(r.query, 'limit') ?? 10;
  const status = intParam(r.query, 'status');
  if (Number.isNaN(offset)) return errorAnswer(400, 'ModelArts.0104', 'Invalid parameter: offset.');
  if (Number.isNaN(limit) || limit < 1 || limit > 100)
    return errorAnswer(400, 'ModelArts.0104', 'Invalid parameter: limit must be 1-100.');
  if (Number.isNaN(status)) return errorAnswer(400, 'ModelArts.0104', 'Invalid parameter: status.');
  const key = status === undefined ? undefined : String(status);
  // offset is a page index ("start page"): page n holds records n*limit .. n*limit+limit-1.
  const page = pageWindow(tasks.count(key), offset * limit, limit, r.faults.pagingQuirk);
  const items = page.indices.flatMap((i) => {
    const record = tasks.at(i, key);
    return record ? [JSON.stringify(render(record))] : [];
  });
  return { status: 200, body: `{"count":${page.reportedTotal},"tasks":[${items.join(',')}]}` };
}

function seed(ctx: ServiceContext, tasks: OrderedStore<TaskRecord>, count: number, nowMs: number): void {
  const { rng } = ctx;
  for (let i = 0; i < count; i++) {
    tasks.push(
      makeRecord('modelarts-processor-tasks', {
        id: randomString(rng, LETTERS, 19),
        name:
          i % 17 === 5
            ? `proc ${AWKWARD_NAMES[i % AWKWARD_NAMES.length]}`
            : `V${String(i + 1).padStart(3, '0')}`,
        state: weighted(rng, STATES),
        timeMs: drawTime(rng, nowMs),
        durationMs: rng.int(1, 7200) * 1000,
      }),
    );
  }
}

function store(ctx: ServiceContext, tasks: OrderedStore<TaskRecord>): TaskStore {
  const setState = (id: string, change: StateChange): boolean => {
    const record = tasks.get(id);
    if (record) changeRecordState(ctx, record, change, (edit) => tasks.update(id, edit));
    return record !== undefined;
  };
  return {
    api: 'modelarts-processor-tasks',
    list: () => [...tasks.values()].map((record) => toEmulated(record, render(record))),
    add: (task) => {
      const { timeMs, extra } = splitTimeField(task, 'create_time', ctx.nowMs());
      const generatedId = `added${ctx.ids.hex().slice(0, 14)}`;
      const id = task.id ?? generatedId;
      const record = makeRecord('modelarts-processor-tasks', {
        id,
        name: task.name ?? `added-${id.slice(5, 10)}`,
        state: task.state ?? 2,
        parentId: task.parentId,
        timeMs,
        durationMs: ADDED_DURATION_MS,
        extra,
      });
      assertNew(task.service, id, tasks.get(id));
      tasks.push(record);
      return toEmulated(record, render(record));
    },
    remove: (id) => tasks.delete(id) !== undefined,
    setState: (id, state) => setState(id, { to: state, cause: 'api' }),
    resume: (id, _parentId, fault) => {
      setState(id, { to: WIRE_STATES.resumed, cause: 'fault', fault });
    },
  };
}

function start(ctx: ServiceContext): ServiceRuntime<typeof MODELARTS_SPEC> {
  const tasks = new OrderedStore<TaskRecord>((t) => String(t.state));
  return {
    handlers: {
      ListProcessorTasks: (r) => list(tasks, r),
      ShowProcessorTask: (r) => {
        const record = tasks.get(r.params.task_id ?? '');
        return record ? json(200, render(record)) : taskNotFound();
      },
      DeleteProcessorTask: (r) => {
        const record = tasks.get(r.params.task_id ?? '');
        if (!record) return taskNotFound();
        tasks.delete(record.id);
        ctx.recordDeletion({
          service: record.service,
          id: record.id,
          name: record.name,
          state: record.state,
        });
        return json(200, {});
      },
    },
    stores: [store(ctx, tasks)],
    seed: (counts, nowMs) => seed(ctx, tasks, counts['modelarts-processor-tasks'] ?? 0, nowMs),
  };
}

export const modelartsModule: ServiceModule<typeof MODELARTS_SPEC> = {
  spec: MODELARTS_SPEC,
  errors: {
    body: modelartsError,
    internalErrorCode: 'ModelArts.0010',
  },
  emptyListing: { count: 0, tasks: [] },
  start,
};
