/** DCS wire shapes: task and instance rendering, errors, paging and the time filter of the list operations. */
import type { Answer } from '../answers';
import { intParam } from '../paging';
import { isoMs, type TaskRecord, USER_ID, withExtra } from './kit';

/**
 * Only tasks that succeeded or failed can be deleted (OTC DCS user guide); `EXECUTING` is the one documented
 * running state; `QUEUED` and `ROLLBACK` are no document's.
 */
export const DCS_WIRE_STATES = {
  ended: ['SUCCESS', 'FAILED', 'FAIL'],
  running: ['EXECUTING'],
  resumed: 'EXECUTING',
  other: ['QUEUED', 'ROLLBACK'],
} as const;

/** The end (`updated_at`), else the creation (`created_at`). */
export function dcsEndedAtMs(fields: Readonly<Record<string, unknown>>): number | undefined {
  const text = typeof fields.updated_at === 'string' ? fields.updated_at : fields.created_at;
  const ms = typeof text === 'string' ? Date.parse(text) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
}

export interface DcsInstance {
  instanceId: string;
  name: string;
  status: string;
  createdMs: number;
}

export const dcsError = (_status: number, code: string, message: string): unknown => ({
  error_code: code,
  error_msg: message,
  error_ext_msg: null,
});

export function errorAnswer(status: number, code: string, message: string): Answer {
  return { status, body: JSON.stringify(dcsError(status, code, message)), errorCode: code };
}

export const instanceNotFound = (): Answer =>
  errorAnswer(404, 'DCS.3022', 'This DCS instance does not exist.');

export function renderTask(record: TaskRecord, center: boolean): Record<string, unknown> {
  const base: Record<string, unknown> = {
    id: record.id,
    name: record.name,
    user_name: 'janitor-user',
    user_id: USER_ID,
    details: {},
    params: '',
    enable_show: true,
    status: record.state,
  };
  if (record.timeMs !== undefined) {
    base.created_at = isoMs(record.timeMs);
    base.updated_at = isoMs(record.timeMs + record.durationMs);
  }
  if (center) {
    base.error_code = null;
    base.job_id = `ff8080818822bbf7${record.id.slice(0, 16)}`;
  }
  return withExtra(base, record);
}

export function renderInstance(instance: DcsInstance): Record<string, unknown> {
  return {
    instance_id: instance.instanceId,
    name: instance.name,
    engine: 'Redis',
    engine_version: '5.0',
    status: instance.status,
    capacity: 0,
    capacity_minor: '.125',
    port: 6379,
    ip: '192.168.0.195',
    user_id: USER_ID,
    user_name: 'clouduser',
    spec_code: 'redis.ha.xu1.tiny.r2.128',
    created_at: isoMs(instance.createdMs),
    updated_at: isoMs(instance.createdMs),
    tags: [],
    az_codes: ['region01', 'region02'],
    sub_status: 'normal',
  };
}

/** `YYYYMMDDhhmmss` (UTC); undefined = absent, null = malformed. */
function parseDcsTime(raw: string | null): number | undefined | null {
  if (raw === null) return undefined;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(raw);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0);
}

export function parsePaging(query: URLSearchParams): { offset: number; limit: number } | Answer {
  const offset = intParam(query, 'offset') ?? 0;
  const limit = intParam(query, 'limit') ?? 10;
  if (Number.isNaN(offset)) return errorAnswer(400, 'DCS.4800', 'Invalid offset in the request.');
  if (Number.isNaN(limit) || limit < 1 || limit > 1000)
    return errorAnswer(400, '111400063', 'Invalid limit parameter in the request.');
  return { offset, limit };
}

/** The `start_time`/`end_time` filter on the creation time (`end_time` inclusive to the second). */
export function parseTimeFilter(query: URLSearchParams): ((r: TaskRecord) => boolean) | Answer | undefined {
  const start = parseDcsTime(query.get('start_time'));
  const end = parseDcsTime(query.get('end_time'));
  if (start === null) return errorAnswer(400, '111400063', 'Invalid start_time parameter in the request.');
  if (end === null) return errorAnswer(400, '111400063', 'Invalid end_time parameter in the request.');
  if (start === undefined && end === undefined) return undefined;
  return (r) =>
    r.timeMs !== undefined &&
    (start === undefined || r.timeMs >= start) &&
    (end === undefined || r.timeMs < end + 1000);
}
