/**
 * DCS: the task center (`/v2/{project_id}/tasks`) and the background tasks of each instance
 * (`/v2/{project_id}/instances/{instance_id}/tasks`). Offset/limit paging, `YYYYMMDDhhmmss` time filters,
 * ISO times; only `SUCCESS`/`FAILED`/`FAIL` tasks can be deleted (400 `DCS.4957` otherwise). An unknown task
 * is 404 `DCS.4001`, which DCS does not document as "no such task".
 */
import { type Answer, json } from '../answers';
import { OrderedStore } from '../ordered-store';
import { pageWindow } from '../paging';
import {
  DCS_WIRE_STATES,
  type DcsInstance,
  dcsEndedAtMs,
  dcsError,
  errorAnswer,
  instanceNotFound,
  parsePaging,
  parseTimeFilter,
  renderInstance,
  renderTask,
} from './dcs-wire';
import {
  ADDED_DURATION_MS,
  AWKWARD_NAMES,
  assertNew,
  changeRecordState,
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

export const DCS_SPEC = {
  host: 'dcs',
  taskApis: [
    {
      id: 'dcs-center-tasks',
      seedShare: 0.15,
      states: DCS_WIRE_STATES,
      deletesRunningTasks: false,
      endedAtMs: dcsEndedAtMs,
    },
    {
      id: 'dcs-background-tasks',
      seedShare: 0.2,
      states: DCS_WIRE_STATES,
      deletesRunningTasks: false,
      endedAtMs: dcsEndedAtMs,
    },
  ],
  operations: [
    { name: 'ListInstances', method: 'GET', path: '/v2/{project_id}/instances' },
    { name: 'ListCenterTasks', method: 'GET', path: '/v2/{project_id}/tasks' },
    {
      name: 'DeleteCenterTask',
      method: 'DELETE',
      path: '/v2/{project_id}/tasks/{task_id}',
      deletes: { api: 'dcs-center-tasks', id: 'task_id' },
    },
    { name: 'ListBackgroundTasks', method: 'GET', path: '/v2/{project_id}/instances/{instance_id}/tasks' },
    {
      name: 'DeleteBackgroundTask',
      method: 'DELETE',
      path: '/v2/{project_id}/instances/{instance_id}/tasks/{task_id}',
      deletes: { api: 'dcs-background-tasks', id: 'task_id', parent: 'instance_id' },
    },
  ],
} as const;

/** States drawn by the generator: documented terminal, in-progress and undocumented ones (weights). */
const DCS_STATES: ReadonlyArray<readonly [string, number]> = [
  ['SUCCESS', 50],
  ['FAILED', 14],
  ['FAIL', 6],
  ['EXECUTING', 18],
  ['QUEUED', 7],
  ['ROLLBACK', 5],
];
const DELETABLE_STATES = new Set<string | number>(DCS_WIRE_STATES.ended);
const TASK_NAMES = [
  'EXTEND',
  'BindEip',
  'UnBindEip',
  'AddReplica',
  'DelReplica',
  'AddWhitelist',
  'UpdatePort',
  'modify',
];

class DcsAccount {
  readonly instances: DcsInstance[] = [];
  readonly instanceById = new Map<string, DcsInstance>();
  /** Background tasks per instance (a few each: plain arrays). */
  readonly background = new Map<string, TaskRecord[]>();
  readonly backgroundById = new Map<string, TaskRecord>();
  readonly center = new OrderedStore<TaskRecord>((t) => String(t.state));
  backgroundDeletes = 0;

  constructor(readonly ctx: ServiceContext) {}

  addInstance(instance: DcsInstance): void {
    this.instances.push(instance);
    this.instanceById.set(instance.instanceId, instance);
    this.background.set(instance.instanceId, []);
  }

  insertBackground(record: TaskRecord): void {
    const parent = record.parentId ?? '';
    const list = this.background.get(parent);
    if (!list) throw new Error(`unknown DCS instance ${parent}`);
    if (this.backgroundById.has(record.id)) throw new Error(`duplicate DCS task id ${record.id}`);
    list.push(record);
    this.backgroundById.set(record.id, record);
  }

  removeBackground(id: string): TaskRecord | undefined {
    const record = this.backgroundById.get(id);
    if (!record) return undefined;
    this.backgroundById.delete(id);
    const list = this.background.get(record.parentId ?? '');
    if (list) list.splice(list.indexOf(record), 1);
    return record;
  }

  seed(counts: Readonly<Record<string, number>>, nowMs: number): void {
    const { rng, ids } = this.ctx;
    const backgroundCount = counts['dcs-background-tasks'] ?? 0;
    const instanceCount = backgroundCount > 0 ? Math.max(1, Math.ceil(backgroundCount / 4)) : 2;
    for (let i = 0; i < instanceCount; i++) {
      const awkward = i % 5 === 3 ? AWKWARD_NAMES[i % AWKWARD_NAMES.length] : undefined;
      this.addInstance({
        instanceId: ids.uuid(),
        name: awkward ? `dcs-${awkward}` : `dcs-${randomString(rng, LETTERS, 6)}`,
        status: rng.chance(0.85) ? 'RUNNING' : rng.pick(['EXTENDING', 'RESTARTING', 'ERROR']),
        createdMs: drawParentCreation(rng, nowMs),
      });
    }
    const draw = (service: TaskRecord['service'], parentId: string | undefined): TaskRecord =>
      makeRecord(service, {
        id: ids.hex(),
        name: rng.pick(TASK_NAMES),
        state: weighted(rng, DCS_STATES),
        parentId,
        timeMs: drawTime(rng, nowMs),
        durationMs: rng.int(500, 600_000),
      });
    for (let i = 0; i < backgroundCount; i++) {
      const instance = this.instances[i % instanceCount];
      if (!instance) break;
      this.insertBackground(draw('dcs-background-tasks', instance.instanceId));
    }
    for (let i = 0; i < (counts['dcs-center-tasks'] ?? 0); i++)
      this.center.push(draw('dcs-center-tasks', undefined));
  }

  /** A background task's instance: the given one if it exists, else the first, else a new one. */
  parentFor(requested: string | undefined): string {
    const parentId = requested ?? this.instances[0]?.instanceId;
    if (parentId !== undefined && this.instanceById.has(parentId)) return parentId;
    const instanceId = parentId ?? this.ctx.ids.uuid();
    this.addInstance({
      instanceId,
      name: `dcs-${instanceId.slice(0, 8)}`,
      status: 'RUNNING',
      createdMs: this.ctx.nowMs() - 200 * 86_400_000,
    });
    return instanceId;
  }

  add(task: NewTask, background: boolean): TaskRecord {
    const { timeMs, extra } = splitTimeField(task, 'created_at', this.ctx.nowMs());
    const generatedId = this.ctx.ids.hex();
    const id = task.id ?? generatedId;
    const parentId = background ? this.parentFor(task.parentId) : task.parentId;
    const record = makeRecord(task.service, {
      id,
      name: task.name ?? 'EXTEND',
      state: task.state ?? 'SUCCESS',
      parentId,
      timeMs,
      durationMs: ADDED_DURATION_MS,
      extra,
    });
    assertNew(task.service, id, background ? this.backgroundById.get(id) : this.center.get(id));
    if (background) this.insertBackground(record);
    else this.center.push(record);
    return record;
  }

  delete(record: TaskRecord | undefined, background: boolean): Answer {
    if (!record) return errorAnswer(404, 'DCS.4001', 'The background task does not exist.');
    // Only records of tasks in the Successful or Failed state can be deleted (OTC DCS user guide).
    if (!DELETABLE_STATES.has(String(record.state)))
      return errorAnswer(
        400,
        'DCS.4957',
        'This operation is not allowed when the task is in the current state.',
      );
    if (background) this.removeBackground(record.id);
    else this.center.delete(record.id);
    this.ctx.recordDeletion({
      service: record.service,
      id: record.id,
      name: record.name,
      state: record.state,
    });
    if (!background) return json(200, {});
    this.backgroundDeletes++;
    // Both documented answers happen: 200 {"message": ""} and 204, alternating.
    return this.backgroundDeletes % 2 === 1 ? json(200, { message: '' }) : { status: 204 };
  }
}

function listInstances(account: DcsAccount, r: OperationRequest): Answer {
  const paging = parsePaging(r.query);
  if ('status' in paging) return paging;
  const all = account.instances;
  const page = pageWindow(all.length, paging.offset, paging.limit, r.faults.pagingQuirk);
  const instances = page.indices.flatMap((i) => {
    const instance = all[i];
    return instance ? [renderInstance(instance)] : [];
  });
  return json(200, { instance_num: page.reportedTotal, instances });
}

function listTasks(
  account: DcsAccount,
  r: OperationRequest,
  records: () => TaskRecord[] | undefined,
  center: boolean,
): Answer {
  const paging = parsePaging(r.query);
  if ('status' in paging) return paging;
  const filter = parseTimeFilter(r.query);
  if (filter && 'status' in filter) return filter;
  let pick: (i: number) => TaskRecord | undefined;
  let total: number;
  if (center && !filter) {
    total = account.center.count();
    pick = (i) => account.center.at(i);
  } else {
    const list = records();
    if (!list) return instanceNotFound();
    const matching = filter ? list.filter(filter) : list;
    total = matching.length;
    pick = (i) => matching[i];
  }
  const page = pageWindow(total, paging.offset, paging.limit, r.faults.pagingQuirk);
  const tasks = page.indices.flatMap((i) => {
    const record = pick(i);
    return record ? [JSON.stringify(renderTask(record, center))] : [];
  });
  // The center listing's schema declares task_count a string; the background example shows a number.
  const count = center ? JSON.stringify(String(page.reportedTotal)) : String(page.reportedTotal);
  return { status: 200, body: `{"task_count":${count},"tasks":[${tasks.join(',')}]}` };
}

/** The center delete takes an optional JSON object body; anything else is a 400. */
function invalidBody(body: Buffer): Answer | undefined {
  if (body.length === 0) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) throw new TypeError('not an object');
    return undefined;
  } catch {
    return errorAnswer(400, '111400063', 'Invalid body parameter in the request.');
  }
}

function store(account: DcsAccount, background: boolean): TaskStore {
  const { ctx } = account;
  const find = (id: string): TaskRecord | undefined =>
    background ? account.backgroundById.get(id) : account.center.get(id);
  const setState = (record: TaskRecord, change: StateChange): void =>
    changeRecordState(ctx, record, change, (edit) => {
      if (background) edit(record);
      else account.center.update(record.id, edit);
    });
  const all = (): TaskRecord[] =>
    background ? [...account.background.values()].flat() : [...account.center.values()];
  return {
    api: background ? 'dcs-background-tasks' : 'dcs-center-tasks',
    list: () => all().map((record) => toEmulated(record, renderTask(record, !background))),
    add: (task) => {
      const record = account.add(task, background);
      return toEmulated(record, renderTask(record, !background));
    },
    remove: (id) => (background ? account.removeBackground(id) : account.center.delete(id)) !== undefined,
    setState: (id, state) => {
      const record = find(id);
      if (record) setState(record, { to: state, cause: 'api' });
      return record !== undefined;
    },
    resume: (id, parentId, fault) => {
      const record = find(id);
      // A background task is addressed under its instance; another instance's task of that id is not it.
      if (!record || (background && record.parentId !== parentId)) return;
      setState(record, { to: DCS_WIRE_STATES.resumed, cause: 'fault', fault });
    },
  };
}

function start(ctx: ServiceContext): ServiceRuntime<typeof DCS_SPEC> {
  const account = new DcsAccount(ctx);
  return {
    handlers: {
      ListInstances: (r) => listInstances(account, r),
      ListCenterTasks: (r) => listTasks(account, r, () => [...account.center.values()], true),
      DeleteCenterTask: (r) =>
        invalidBody(r.body) ?? account.delete(account.center.get(r.params.task_id ?? ''), false),
      ListBackgroundTasks: (r) =>
        listTasks(account, r, () => account.background.get(r.params.instance_id ?? ''), false),
      DeleteBackgroundTask: (r) => {
        const instanceId = r.params.instance_id ?? '';
        if (!account.instanceById.has(instanceId)) return instanceNotFound();
        const record = account.backgroundById.get(r.params.task_id ?? '');
        return account.delete(record?.parentId === instanceId ? record : undefined, true);
      },
    },
    stores: [store(account, false), store(account, true)],
    seed: (counts, nowMs) => account.seed(counts, nowMs),
  };
}

export const dcsModule: ServiceModule<typeof DCS_SPEC> = {
  spec: DCS_SPEC,
  errors: {
    body: dcsError,
    internalErrorCode: '111500000',
    forbidden: { code: 'DCS.2003', message: 'The user does not have the permission for this operation.' },
    projectMismatch: { code: 'DCS.1004', message: 'Project ID does not match the token.' },
  },
  emptyListing: { task_count: 0, tasks: [], instance_num: 0, instances: [] },
  start,
};
