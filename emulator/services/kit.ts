/** What several service modules share: the compact task record, the generator's helpers, `addTask` parsing. */
import type { Rng } from '../rng';
import type { EmulatedTask, RequestLogEntry } from '../types';
import type { NewTask, ServiceContext } from './types';

/** A task held by a service module: compact, rendered to its wire form when asked. */
export interface TaskRecord {
  readonly service: EmulatedTask['service'];
  readonly id: string;
  name: string;
  state: string | number;
  /** DCS instance id or DIS stream name. */
  parentId: string | undefined;
  /**
   * The service's time field (DCS created_at, ModelArts/DIS create_time, OMS start_time, SMS create_date);
   * undefined = absent.
   */
  timeMs: number | undefined;
  /** DCS updated_at − created_at, ModelArts duration, OMS/SMS total_time, DIS last transfer − create. */
  durationMs: number;
  /** Caller-supplied wire fields, merged over the rendered ones. */
  extra: Record<string, unknown> | undefined;
}

export const DAY_MS = 86_400_000;
/** Generated tasks are up to about six months old. */
export const SPREAD_MS = 183 * DAY_MS;
/** Tasks added without a time were created 30 days ago. */
const ADDED_AGE_MS = 30 * DAY_MS;
/** How long an added task ran. */
export const ADDED_DURATION_MS = 60_000;

/** Names that must be escaped in a path: `/`, `%`, `?`, `#`, spaces, non-ASCII, dot-segments. */
export const AWKWARD_NAMES = [
  'a/b',
  '100%',
  'why?',
  'tag#1',
  'two words',
  'ünïcødé-名',
  '..',
  '.',
  'semi;colon',
  'plus+sign',
];
export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const HEX = '0123456789abcdef';
/** The user the generated records name. */
export const USER_ID = 'd53977d1adfb49c5b025ba7d33a13fd7';

export function weighted<T>(rng: Rng, table: ReadonlyArray<readonly [T, number]>): T {
  const total = table.reduce((sum, [, w]) => sum + w, 0);
  let roll = rng.next() * total;
  for (const [value, weight] of table) {
    roll -= weight;
    if (roll < 0) return value;
  }
  const last = table[table.length - 1];
  if (!last) throw new RangeError('empty table');
  return last[0];
}

export function randomString(rng: Rng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(rng.next() * alphabet.length)];
  return out;
}

export function uuidFrom(rng: Rng): string {
  const h = randomString(rng, HEX, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A generated task's time: 3 % have none, the rest lie up to `SPREAD_MS` before `nowMs`. */
export function drawTime(rng: Rng, nowMs: number): number | undefined {
  return rng.chance(0.03) ? undefined : nowMs - Math.floor(rng.next() * SPREAD_MS);
}

/** A generated parent's creation: between one and two spreads ago. */
export function drawParentCreation(rng: Rng, nowMs: number): number {
  return nowMs - SPREAD_MS - Math.floor(rng.next() * SPREAD_MS);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A finite number, else undefined. */
export function finite(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

export function withExtra(
  base: Record<string, unknown>,
  record: { extra?: Record<string, unknown> | undefined },
) {
  return record.extra ? { ...base, ...record.extra } : base;
}

export function makeRecord(
  service: EmulatedTask['service'],
  fields: Partial<TaskRecord> & { id: string },
): TaskRecord {
  return {
    service,
    id: fields.id,
    name: fields.name ?? fields.id,
    state: fields.state ?? 'SUCCESS',
    parentId: fields.parentId,
    timeMs: fields.timeMs,
    durationMs: fields.durationMs ?? 1000,
    extra: fields.extra,
  };
}

/**
 * Splits `addTask`'s fields into the service's time field and the rest (kept as wire fields to merge). No time
 * field: `ageMs` before `nowMs` minus the added duration (`null`: absent), else created 30 days ago; a number is
 * epoch ms, a string an ISO time; anything else (null) means "absent".
 */
export function splitTimeField(
  task: NewTask,
  timeField: string,
  nowMs: number,
): { timeMs: number | undefined; extra: Record<string, unknown> | undefined } {
  const extra: Record<string, unknown> = { ...task.fields };
  const rawTime = extra[timeField];
  delete extra[timeField];
  let timeMs: number | undefined = nowMs - ADDED_AGE_MS;
  if (task.ageMs !== undefined)
    timeMs = task.ageMs === null ? undefined : nowMs - task.ageMs - ADDED_DURATION_MS;
  if (task.fields && timeField in task.fields) {
    timeMs =
      typeof rawTime === 'number' ? rawTime : typeof rawTime === 'string' ? Date.parse(rawTime) : undefined;
    if (timeMs !== undefined && Number.isNaN(timeMs))
      throw new TypeError(`addTask: unparseable ${timeField}`);
  }
  return { timeMs, extra: Object.keys(extra).length > 0 ? extra : undefined };
}

export interface StateChange {
  to: string | number;
  cause: 'api' | 'request' | 'fault';
  fault?: RequestLogEntry['fault'];
}

/**
 * Sets a record's state and records the change (nothing to record when the state is the same). `update`
 * applies the edit: a store that indexes records by state must see it.
 */
export function changeRecordState(
  ctx: ServiceContext,
  record: TaskRecord,
  { to, cause, fault }: StateChange,
  update: (edit: (r: TaskRecord) => void) => void = (edit) => edit(record),
): void {
  const from = record.state;
  update((r) => {
    r.state = to;
  });
  if (from === to) return;
  ctx.recordChange({
    service: record.service,
    id: record.id,
    from,
    to,
    cause,
    ...(record.parentId !== undefined ? { parentId: record.parentId } : {}),
    ...(fault !== undefined ? { fault } : {}),
  });
}

export function toEmulated(record: TaskRecord, fields: Record<string, unknown>): EmulatedTask {
  const out: EmulatedTask = {
    service: record.service,
    id: record.id,
    name: record.name,
    state: record.state,
    fields,
  };
  if (record.parentId !== undefined) out.parentId = record.parentId;
  return out;
}

/** Throws when a task of that id is already held. */
export function assertNew(service: string, id: string, existing: unknown): void {
  if (existing !== undefined) throw new Error(`addTask: ${service} task ${id} already exists`);
}
