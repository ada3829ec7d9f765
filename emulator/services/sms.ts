/**
 * SMS (Server Migration Service) migration tasks, read from docs/api/sms.md: `GET /v3/tasks` (no project id in
 * the path; record `offset` 0–65535, `limit` 0–200, `count`), `GET /v3/tasks/{task_id}`, and
 * `DELETE /v3/tasks/{task_id}` (200 with a text, empty or JSON body, in turn).
 *
 * The emulator's choices where the documentation is silent (each the less convenient one for a client):
 * - A delete is refused (400 `SMS.2015`, the v1 code) only while the agent is connected and the source server
 *   is in a running state; a running task of a disconnected agent is deleted.
 * - An unknown task id answers 404 `SMS.9999`, a code no document gives: only a listing can prove it gone.
 * - Bad list parameters answer 400 `SMS.9001`. The `name` and `id` filters match substrings; `state`,
 *   `source_server_id` and `enterprise_project_id` match exactly.
 * - Times (`create_date`, sub-task and task start/end) and `total_time` are epoch/duration milliseconds, as
 *   the project assumes (the documents state no unit).
 * - The host wants the project named by the credentials (a project-scoped token, or `X-Project-Id`).
 * - A tenth of the generated tasks migrate into another region and project (ShowTask tells).
 */
import { type Answer, json } from '../answers';
import { OrderedStore } from '../ordered-store';
import { intParam, pageWindow } from '../paging';
import { createRng, type Rng } from '../rng';
import type { RequestLogEntry, SmsSourceServer } from '../types';
import {
  ADDED_DURATION_MS,
  AWKWARD_NAMES,
  assertNew,
  DAY_MS,
  drawTime,
  isRecord,
  splitTimeField,
  uuidFrom,
  weighted,
} from './kit';
import {
  badParameter,
  ENDED_STATES,
  emulated,
  errorAnswer,
  renderDetails,
  renderListItem,
  SMS_WIRE_STATES,
  type SmsRecord,
  SOURCE_SERVER_STATES,
  SUB_TASK_NAMES,
  smsEndedAtMs,
  smsError,
  taskNotFound,
} from './sms-wire';
import type {
  NewTask,
  OperationRequest,
  ServiceContext,
  ServiceModule,
  ServiceRuntime,
  TaskStore,
} from './types';

export const SMS_SPEC = {
  host: 'sms',
  projectFromCredentials: true,
  // The account's tasks, whatever region they migrate to, behind one host.
  accountWide: true,
  global: true,
  taskApis: [
    {
      id: 'sms-migration-tasks',
      seedShare: 0.1,
      states: SMS_WIRE_STATES,
      sourceServerStates: SOURCE_SERVER_STATES,
      // A running task of a disconnected agent is deleted.
      deletesRunningTasks: true,
      endedAtMs: smsEndedAtMs,
    },
  ],
  operations: [
    { name: 'ListTasks', method: 'GET', path: '/v3/tasks' },
    {
      name: 'ShowTask',
      method: 'GET',
      path: '/v3/tasks/{task_id}',
      reads: { api: 'sms-migration-tasks' },
    },
    {
      name: 'DeleteTask',
      method: 'DELETE',
      path: '/v3/tasks/{task_id}',
      deletes: { api: 'sms-migration-tasks', id: 'task_id' },
    },
  ],
} as const;

/** Task states (weights): every documented one, and `PREPARING`, which no document names. */
const TASK_STATES: ReadonlyArray<readonly [string, number]> = [
  ['READY', 5],
  ['RUNNING', 10],
  ['SYNCING', 6],
  ['ABORTING', 2],
  ['DELETING', 2],
  ['SKIPPING', 1],
  ['RESETING', 1],
  ['SYNC_F_ROLLBACKING', 1],
  ['MIGRATE_SUCCESS', 30],
  ['MIGRATE_FAIL', 12],
  ['SYNC_SUCCESS', 8],
  ['SYNC_FAIL', 4],
  ['ABORT', 8],
  ['SYNC_F_ROLLBACK_SUCCESS', 3],
  ['PREPARING', 3],
];
const RUNNING_SOURCE: ReadonlySet<string> = new Set(SOURCE_SERVER_STATES.running);
/** What an owner resuming a task does: the task runs and the source server replicates again. */
const RESUMED = { state: SMS_WIRE_STATES.resumed, sourceState: 'replicate' };
const MAX_OFFSET = 65_535;
const MAX_LIMIT = 200;
/** Generated seeds draw from their own stream, so the five older task APIs' accounts did not change. */
const SEED_STREAM = 0x534d53;

class SmsAccount {
  readonly tasks = new OrderedStore<SmsRecord>((t) => String(t.state));
  readonly rng: Rng;
  deletes = 0;

  constructor(readonly ctx: ServiceContext) {
    this.rng = createRng(ctx.seed ^ SEED_STREAM);
  }

  seed(count: number, nowMs: number): void {
    const { rng } = this;
    for (let i = 0; i < count; i++) {
      const state = weighted(rng, TASK_STATES);
      const ended = ENDED_STATES.has(state);
      const durationMs = rng.int(60, 3 * 86_400) * 1000;
      const timeMs = drawTime(rng, nowMs - durationMs);
      const sourceState = rng.chance(0.04)
        ? rng.pick(SOURCE_SERVER_STATES.other)
        : rng.pick(
            rng.chance(ended ? 0.15 : 0.85) ? SOURCE_SERVER_STATES.running : SOURCE_SERVER_STATES.idle,
          );
      this.tasks.push({
        service: 'sms-migration-tasks',
        id: uuidFrom(rng),
        name: i % 13 === 6 ? `sms ${AWKWARD_NAMES[i % AWKWARD_NAMES.length]} ${i}` : `sms-task-${i}`,
        state,
        parentId: undefined,
        timeMs,
        durationMs,
        extra: undefined,
        sourceServer: { state: sourceState, connected: rng.chance(0.6) },
        sourceServerId: uuidFrom(rng),
        startedMs: timeMs ?? nowMs - durationMs - DAY_MS,
        subTaskCount: rng.int(1, SUB_TASK_NAMES.length),
        foreignTarget: rng.chance(0.1),
        serverFields: undefined,
      });
    }
  }

  /** `sourceServer` wins over the wire fields `connected` and `source_server.state`. */
  add(task: NewTask): SmsRecord {
    const { timeMs, extra = {} } = splitTimeField(task, 'create_date', this.ctx.nowMs());
    const { connected, source_server: serverFields, ...rest } = extra;
    const { state: wireState, ...otherServerFields } = isRecord(serverFields) ? serverFields : {};
    const id = task.id ?? uuidFrom(this.rng);
    const record: SmsRecord = {
      service: 'sms-migration-tasks',
      id,
      name: task.name ?? `sms-added-${id.slice(0, 8)}`,
      state: task.state ?? 'MIGRATE_SUCCESS',
      parentId: undefined,
      timeMs,
      durationMs: ADDED_DURATION_MS,
      extra: Object.keys(rest).length > 0 ? rest : undefined,
      sourceServer: task.sourceServer ?? {
        state: typeof wireState === 'string' ? wireState : 'finished',
        connected: typeof connected === 'boolean' ? connected : true,
      },
      sourceServerId: uuidFrom(this.rng),
      // Added with no time at all: no sub-task times either.
      startedMs: timeMs ?? (task.ageMs === null ? undefined : this.ctx.nowMs() - 30 * DAY_MS),
      subTaskCount: 1,
      foreignTarget: false,
      serverFields: Object.keys(otherServerFields).length > 0 ? otherServerFields : undefined,
    };
    assertNew(task.service, id, this.tasks.get(id));
    this.tasks.push(record);
    return record;
  }

  /** Changes the task's state and/or its source server, and records the change. */
  change(
    id: string,
    to: { state?: string | number; server?: Partial<SmsSourceServer> },
    cause: 'api' | 'fault',
    fault?: RequestLogEntry['fault'],
  ): boolean {
    const record = this.tasks.get(id);
    if (!record) return false;
    const from = { state: record.state, server: { ...record.sourceServer } };
    this.tasks.update(id, (r) => {
      r.state = to.state ?? r.state;
      r.sourceServer = { ...r.sourceServer, ...to.server };
    });
    const server = { from: from.server, to: { ...record.sourceServer } };
    const serverChanged =
      server.from.state !== server.to.state || server.from.connected !== server.to.connected;
    if (from.state === record.state && !serverChanged) return true;
    this.ctx.recordChange({
      service: record.service,
      id,
      from: from.state,
      to: record.state,
      cause,
      ...(fault !== undefined ? { fault } : {}),
      ...(serverChanged ? { sourceServer: server } : {}),
    });
    return true;
  }

  list(r: OperationRequest): Answer {
    const offset = intParam(r.query, 'offset') ?? 0;
    const limit = intParam(r.query, 'limit') ?? 100;
    if (Number.isNaN(offset) || offset > MAX_OFFSET) return badParameter('offset');
    if (Number.isNaN(limit) || limit > MAX_LIMIT) return badParameter('limit');
    const state = r.query.get('state') ?? undefined;
    const filter = listFilter(r.query);
    const matching = filter
      ? [...this.tasks.values()].filter((t) => (state === undefined || t.state === state) && filter(t))
      : undefined;
    const total = matching ? matching.length : this.tasks.count(state);
    const page = pageWindow(total, offset, limit, r.faults.pagingQuirk);
    const items = page.indices.flatMap((i) => {
      const record = matching ? matching[i] : this.tasks.at(i, state);
      return record ? [JSON.stringify(renderListItem(record))] : [];
    });
    return { status: 200, body: `{"count":${page.reportedTotal},"tasks":[${items.join(',')}]}` };
  }

  delete(id: string): Answer {
    const record = this.tasks.get(id);
    if (!record) return taskNotFound();
    if (record.sourceServer.connected && RUNNING_SOURCE.has(record.sourceServer.state))
      return errorAnswer(400, 'SMS.2015', 'The in-progress or stopped tasks cannot be deleted.');
    this.tasks.delete(id);
    const { service, name, state } = record;
    this.ctx.recordDeletion({ service, id, name, state, sourceServer: { ...record.sourceServer } });
    this.deletes++;
    // The documented body is a string; a client must take a text, an empty or a JSON body.
    if (this.deletes % 3 === 1) return { status: 200, body: 'None', contentType: 'text/plain;charset=UTF-8' };
    return this.deletes % 3 === 2 ? { status: 200 } : json(200, {});
  }
}

/** The filters other than `state`, or undefined when there are none. */
function listFilter(query: URLSearchParams): ((t: SmsRecord) => boolean) | undefined {
  const name = query.get('name');
  const id = query.get('id');
  const sourceServerId = query.get('source_server_id');
  const enterpriseProjectId = query.get('enterprise_project_id');
  if (name === null && id === null && sourceServerId === null && enterpriseProjectId === null)
    return undefined;
  return (t) =>
    (name === null || t.name.includes(name)) &&
    (id === null || t.id.includes(id)) &&
    (sourceServerId === null || t.sourceServerId === sourceServerId) &&
    (enterpriseProjectId === null || enterpriseProjectId === '0');
}

function store(account: SmsAccount): TaskStore {
  return {
    api: 'sms-migration-tasks',
    list: () => [...account.tasks.values()].map(emulated),
    add: (task) => emulated(account.add(task)),
    remove: (id) => account.tasks.delete(id) !== undefined,
    setState: (id, state) => account.change(id, { state }, 'api'),
    setSourceServer: (id, change) => account.change(id, { server: change }, 'api'),
    resume: (id, _parentId, fault) => {
      account.change(id, { state: RESUMED.state, server: { state: RESUMED.sourceState } }, 'fault', fault);
    },
  };
}

function start(ctx: ServiceContext): ServiceRuntime<typeof SMS_SPEC> {
  const account = new SmsAccount(ctx);
  const id = (r: OperationRequest): string => r.params.task_id ?? '';
  return {
    handlers: {
      ListTasks: (r) => account.list(r),
      ShowTask: (r) => {
        const record = account.tasks.get(id(r));
        return record ? json(200, renderDetails(ctx.account, record)) : taskNotFound();
      },
      DeleteTask: (r) => account.delete(id(r)),
    },
    stores: [store(account)],
    seed: (counts, nowMs) => account.seed(counts['sms-migration-tasks'] ?? 0, nowMs),
  };
}

export const smsModule: ServiceModule<typeof SMS_SPEC> = {
  spec: SMS_SPEC,
  errors: {
    body: smsError,
    internalErrorCode: 'SMS.2007',
    forbidden: {
      code: 'SMS.9004',
      message: 'The current account does not have the permission to execute the policy.',
    },
  },
  emptyListing: { count: 0, tasks: [] },
  start,
};
