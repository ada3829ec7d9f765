/** SMS wire shapes: the task record, its list and show forms, and the SMS error body. */
import type { Answer } from '../answers';
import type { EmulatedTask, SmsSourceServer } from '../types';
import { finite, isRecord, type TaskRecord, withExtra } from './kit';

/**
 * The documented outcomes, the documented states of work under way (`READY` may start at any moment), and
 * `PREPARING`, which no document names. What an owner resuming a task does: it runs again.
 */
export const SMS_WIRE_STATES = {
  ended: ['MIGRATE_SUCCESS', 'MIGRATE_FAIL', 'SYNC_SUCCESS', 'SYNC_FAIL', 'ABORT', 'SYNC_F_ROLLBACK_SUCCESS'],
  running: [
    'READY',
    'RUNNING',
    'SYNCING',
    'ABORTING',
    'DELETING',
    'SKIPPING',
    'RESETING',
    'SYNC_F_ROLLBACKING',
  ],
  resumed: 'RUNNING',
  other: ['PREPARING'],
} as const;

/**
 * The source server's states: the v3 delete constraint's running list (`premiging` is in it but not in the SDK
 * enumeration), the documented others, and absent-looking and undocumented ones.
 */
export const SOURCE_SERVER_STATES = {
  running: [
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
  ],
  idle: [
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
  ],
  other: ['', 'locked'],
} as const;

/** States whose sub-tasks have all ended; of the rest, `READY` and `PREPARING` have none, the others one running. */
export const ENDED_STATES: ReadonlySet<string> = new Set(SMS_WIRE_STATES.ended);
export const NOT_STARTED_STATES = new Set(['READY', 'PREPARING']);

/** The latest sub-task end (`sub_tasks[].end_date`), else the creation (`create_date`). */
export function smsEndedAtMs(fields: Readonly<Record<string, unknown>>): number | undefined {
  const subTasks = Array.isArray(fields.sub_tasks) ? fields.sub_tasks : [];
  const ends = subTasks.flatMap((sub) => {
    const end = isRecord(sub) ? finite(sub.end_date) : undefined;
    return end === undefined ? [] : [end];
  });
  return ends.length > 0 ? Math.max(...ends) : finite(fields.create_date);
}
export const SUB_TASK_NAMES = [
  'CREATE_CLOUD_SERVER',
  'SSL_CONFIG',
  'ATTACH_AGENT_IMAGE',
  'FORMAT_DISK',
  'MIGRATE',
  'DETTACH_AGENT_IMAGE',
];
export const OTHER_TARGET = { regionId: 'ap-southeast-1', projectId: '7c3f9a1e5b2d4c6e8f0a2b4c6d8e0f1a' };
export interface SmsRecord extends TaskRecord {
  sourceServer: SmsSourceServer;
  readonly sourceServerId: string;
  /**
   * Where the sub-tasks start (the creation, also when `create_date` is absent); undefined: a task added with no
   * time at all, whose sub-tasks carry none.
   */
  readonly startedMs: number | undefined;
  readonly subTaskCount: number;
  /** The migration's target is in another region and project than the account's. */
  readonly foreignTarget: boolean;
  /** Caller-supplied `source_server` fields, merged into the rendered one (its `state` is the record's). */
  readonly serverFields: Record<string, unknown> | undefined;
}

export const smsError = (status: number, code: string, message: string): unknown => ({
  error_code: code,
  error_msg: message,
  ...(status === 403 ? { encoded_authorization_message: 'emulator-encoded-authorization-message' } : {}),
  error_param: [],
  details: [],
});

export function errorAnswer(status: number, code: string, message: string): Answer {
  return { status, body: JSON.stringify(smsError(status, code, message)), errorCode: code };
}

export const taskNotFound = (): Answer =>
  errorAnswer(404, 'SMS.9999', 'The requested resource is unavailable.');
export const badParameter = (name: string): Answer =>
  errorAnswer(400, 'SMS.9001', `Invalid request parameter: ${name}.`);

export function renderSubTasks(record: SmsRecord): Record<string, unknown>[] {
  const { startedMs } = record;
  if (NOT_STARTED_STATES.has(String(record.state)) || startedMs === undefined) return [];
  const ended = ENDED_STATES.has(String(record.state));
  const n = record.subTaskCount;
  const stepMs = Math.floor(record.durationMs / n);
  return SUB_TASK_NAMES.slice(0, n).map((name, i) => {
    const item: Record<string, unknown> = {
      id: i + 1,
      name,
      progress: ended || i < n - 1 ? 100 : 40,
      start_date: startedMs + i * stepMs,
      process_trace: '',
    };
    if (ended || i < n - 1) item.end_date = startedMs + (i + 1) * stepMs;
    return item;
  });
}

export function renderListItem(record: SmsRecord): Record<string, unknown> {
  const tail = record.sourceServerId.slice(0, 8);
  const base: Record<string, unknown> = {
    id: record.id,
    name: record.name,
    type: 'MIGRATE_BLOCK',
    os_type: 'LINUX',
    state: record.state,
    total_time: record.durationMs,
    sub_tasks: renderSubTasks(record),
    source_server: {
      id: record.sourceServerId,
      ip: '192.168.0.10',
      name: `source-${tail}`,
      os_type: 'LINUX',
      os_version: 'UBUNTU_22_4_64BIT',
      oem_system: false,
      ...record.serverFields,
      state: record.sourceServer.state,
    },
    target_server: {
      id: `t-${tail}`,
      vm_id: `vm-${tail}`,
      name: `target-${tail}`,
      ip: '192.168.1.10',
      os_type: 'LINUX',
      os_version: 'UBUNTU_22_4_64BIT',
    },
    enterprise_project_id: '0',
    syncing: record.state === 'SYNCING',
    migrate_speed: 0,
    compress_rate: 0,
    priority: 1,
    speed_limit: 0,
    start_target_server: true,
    error_json: '',
    migration_ip: '192.168.1.10',
  };
  if (record.startedMs !== undefined) base.estimate_complete_time = record.startedMs + record.durationMs;
  if (record.timeMs !== undefined) base.create_date = record.timeMs;
  return withExtra(base, record);
}

/** ShowTask's form; `own` is the account's region and project (the target of most migrations). */
export function renderDetails(
  own: { region: string; projectId: string },
  record: SmsRecord,
): Record<string, unknown> {
  const ended = ENDED_STATES.has(String(record.state));
  const target = record.foreignTarget ? OTHER_TARGET : { regionId: own.region, projectId: own.projectId };
  const details: Record<string, unknown> = {
    ...renderListItem(record),
    connected: record.sourceServer.connected,
    remain_seconds: ended ? 0 : 3600,
    region_id: target.regionId,
    region_name: target.regionId,
    project_id: target.projectId,
    project_name: target.regionId,
    vm_template_id: '',
    target_snapshot_id: '',
  };
  const { startedMs } = record;
  if (startedMs !== undefined && !NOT_STARTED_STATES.has(String(record.state)))
    details.start_date = startedMs;
  if (startedMs !== undefined && ended) details.finish_date = startedMs + record.durationMs;
  return withExtra(details, record);
}

export const emulated = (record: SmsRecord): EmulatedTask => ({
  service: record.service,
  id: record.id,
  name: record.name,
  state: record.state,
  fields: renderListItem(record),
  sourceServer: { ...record.sourceServer },
});
