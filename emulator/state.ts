/**
 * The emulated account's data: tasks of the five task APIs, DCS instances and DIS streams, plus the seeded
 * generator that fills them. Tasks are stored compactly and rendered to their wire form at list time.
 */
import type { ServiceId } from '../lib/types';
import { OrderedStore } from './ordered-store';
import type { Rng } from './rng';

export interface TaskRecord {
  readonly service: ServiceId;
  readonly id: string;
  name: string;
  state: string | number;
  /** DCS instance id or DIS stream name. */
  parentId: string | undefined;
  /** The service's time field (DCS created_at, ModelArts/DIS create_time, OMS start_time); undefined = absent. */
  timeMs: number | undefined;
  /** DCS updated_at − created_at, ModelArts duration, OMS total_time, DIS last transfer − create. */
  durationMs: number;
  /** Caller-supplied wire fields, merged over the rendered ones. */
  extra: Record<string, unknown> | undefined;
}

export interface DcsInstance {
  instanceId: string;
  name: string;
  status: string;
  createdMs: number;
}

export interface DisStream {
  name: string;
  streamId: string;
  createdMs: number;
  status: string;
}

const DAY_MS = 86_400_000;
const SPREAD_MS = 183 * DAY_MS; // ~6 months

/** States drawn by the generator: documented terminal, in-progress and undocumented ones (weights). */
const DCS_STATES: ReadonlyArray<readonly [string, number]> = [
  ['SUCCESS', 50],
  ['FAILED', 14],
  ['FAIL', 6],
  ['EXECUTING', 18],
  ['QUEUED', 7],
  ['ROLLBACK', 5],
];
const MODELARTS_STATES: ReadonlyArray<readonly [number, number]> = [
  [0, 8],
  [1, 14],
  [2, 45],
  [3, 15],
  [4, 12],
  [7, 6],
];
const OMS_STATES: ReadonlyArray<readonly [number, number]> = [
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
const DIS_STATES: ReadonlyArray<readonly [string, number]> = [
  ['ERROR', 18],
  ['ABNORMAL', 12],
  ['PAUSED', 25],
  ['STARTING', 8],
  ['RUNNING', 25],
  ['DELETE', 6],
  ['UPGRADING', 6],
];
const DCS_TASK_NAMES = [
  'EXTEND',
  'BindEip',
  'UnBindEip',
  'AddReplica',
  'DelReplica',
  'AddWhitelist',
  'UpdatePort',
  'modify',
];
/** Names that must be escaped in a path: `/`, `%`, `?`, `#`, spaces, non-ASCII, dot-segments. */
const AWKWARD_NAMES = [
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
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';

export const DCS_DELETABLE_STATES = new Set(['SUCCESS', 'FAILED', 'FAIL']);
export const OMS_UNDELETABLE_STATES = new Set([0, 1, 2, 6, 7]);

function weighted<T>(rng: Rng, table: ReadonlyArray<readonly [T, number]>): T {
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

function randomString(rng: Rng, alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[Math.floor(rng.next() * alphabet.length)];
  return out;
}

export function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

export class AccountState {
  readonly dcsInstances: DcsInstance[] = [];
  readonly dcsInstanceById = new Map<string, DcsInstance>();
  /** Background tasks per instance (a few each: plain arrays). */
  readonly dcsBackground = new Map<string, TaskRecord[]>();
  readonly dcsBackgroundById = new Map<string, TaskRecord>();
  readonly dcsCenter = new OrderedStore<TaskRecord>((t) => String(t.state));
  readonly modelarts = new OrderedStore<TaskRecord>((t) => String(t.state));
  readonly oms = new OrderedStore<TaskRecord>((t) => String(t.state));
  /** Streams sorted by name (code-unit order), for the exclusive `start_stream_name`. */
  readonly disStreams: DisStream[] = [];
  readonly disTasks = new Map<string, TaskRecord[]>();
  #counter = 0;
  readonly #rng: Rng;
  readonly #nowMs: () => number;

  constructor(rng: Rng, nowMs: () => number) {
    this.#rng = rng;
    this.#nowMs = nowMs;
  }

  /** Fills the account. `counts` is the number of tasks per task API. */
  generate(counts: Record<ServiceId, number>): void {
    const rng = this.#rng;
    const now = this.#nowMs();
    const age = (): number => now - Math.floor(rng.next() * SPREAD_MS);
    const maybeTime = (): number | undefined => (rng.chance(0.03) ? undefined : age());

    const instanceCount =
      counts['dcs-background-tasks'] > 0 ? Math.max(1, Math.ceil(counts['dcs-background-tasks'] / 4)) : 2;
    for (let i = 0; i < instanceCount; i++) {
      const awkward = i % 5 === 3 ? AWKWARD_NAMES[i % AWKWARD_NAMES.length] : undefined;
      this.addInstance({
        instanceId: this.uuid(),
        name: awkward ? `dcs-${awkward}` : `dcs-${randomString(rng, LETTERS, 6)}`,
        status: rng.chance(0.85) ? 'RUNNING' : rng.pick(['EXTENDING', 'RESTARTING', 'ERROR']),
        createdMs: now - SPREAD_MS - Math.floor(rng.next() * SPREAD_MS),
      });
    }
    for (let i = 0; i < counts['dcs-background-tasks']; i++) {
      const instance = this.dcsInstances[i % instanceCount];
      if (!instance) break;
      this.insertDcsBackground(
        this.makeRecord('dcs-background-tasks', {
          id: this.hexId(),
          name: rng.pick(DCS_TASK_NAMES),
          state: weighted(rng, DCS_STATES),
          parentId: instance.instanceId,
          timeMs: maybeTime(),
          durationMs: rng.int(500, 600_000),
        }),
      );
    }
    for (let i = 0; i < counts['dcs-center-tasks']; i++) {
      this.dcsCenter.push(
        this.makeRecord('dcs-center-tasks', {
          id: this.hexId(),
          name: rng.pick(DCS_TASK_NAMES),
          state: weighted(rng, DCS_STATES),
          timeMs: maybeTime(),
          durationMs: rng.int(500, 600_000),
        }),
      );
    }
    for (let i = 0; i < counts['modelarts-processor-tasks']; i++) {
      this.modelarts.push(
        this.makeRecord('modelarts-processor-tasks', {
          id: randomString(rng, LETTERS, 19),
          name:
            i % 17 === 5
              ? `proc ${AWKWARD_NAMES[i % AWKWARD_NAMES.length]}`
              : `V${String(i + 1).padStart(3, '0')}`,
          state: weighted(rng, MODELARTS_STATES),
          timeMs: maybeTime(),
          durationMs: rng.int(1, 7200) * 1000,
        }),
      );
    }
    const omsCount = counts['oms-migration-tasks'];
    for (let i = 0; i < omsCount; i++) {
      // About 2 % of ids lie above 2^53 (not representable as a JS number).
      const id = i % 50 === 7 ? (9007199254740993n + BigInt(i)).toString() : String(191297407830872 + i);
      const name =
        i % 23 === 4 ? `mig "${AWKWARD_NAMES[i % AWKWARD_NAMES.length]}" \\ \n ${i}` : `oms-task-${i}`;
      this.oms.push(
        this.makeRecord('oms-migration-tasks', {
          id,
          name,
          state: weighted(rng, OMS_STATES),
          timeMs: maybeTime(),
          durationMs: rng.int(1, 86_400) * 1000,
        }),
      );
    }
    const disCount = counts['dis-dump-tasks'];
    const streamCount = disCount > 0 ? Math.max(1, Math.ceil(disCount / 3)) : 1;
    for (let i = 0; i < streamCount; i++) {
      const awkward = i % 4 === 2 ? AWKWARD_NAMES[i % AWKWARD_NAMES.length] : undefined;
      this.addStream({
        name: awkward ? `dis-${awkward}-${i}` : `dis-stream-${String(i).padStart(4, '0')}`,
        streamId: randomString(rng, LETTERS, 19),
        createdMs: now - SPREAD_MS - Math.floor(rng.next() * SPREAD_MS),
        status: 'RUNNING',
      });
    }
    let placed = 0;
    for (let round = 0; round < 5 && placed < disCount; round++) {
      for (const stream of [...this.disStreams]) {
        if (placed >= disCount) break;
        if (round > 0 && rng.chance(0.3)) continue;
        const awkward = placed % 7 === 3 ? AWKWARD_NAMES[placed % AWKWARD_NAMES.length] : undefined;
        this.insertDisTask(
          this.makeRecord('dis-dump-tasks', {
            id: awkward ? `dump ${awkward} ${placed}` : `dump-${placed}`,
            name: '',
            state: weighted(rng, DIS_STATES),
            parentId: stream.name,
            timeMs: maybeTime(),
            durationMs: rng.int(1000, 30 * DAY_MS),
          }),
        );
        placed++;
      }
    }
  }

  makeRecord(service: ServiceId, fields: Partial<TaskRecord> & { id: string }): TaskRecord {
    return {
      service,
      id: fields.id,
      // DIS tasks are addressed by name: the id is the name.
      name: service === 'dis-dump-tasks' ? fields.id : (fields.name ?? fields.id),
      state: fields.state ?? 'SUCCESS',
      parentId: fields.parentId,
      timeMs: fields.timeMs,
      durationMs: fields.durationMs ?? 1000,
      extra: fields.extra,
    };
  }

  uuid(): string {
    const h = randomString(this.#rng, HEX, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  hexId(): string {
    this.#counter++;
    return randomString(this.#rng, HEX, 24) + this.#counter.toString(16).padStart(8, '0');
  }

  addInstance(instance: DcsInstance): void {
    this.dcsInstances.push(instance);
    this.dcsInstanceById.set(instance.instanceId, instance);
    this.dcsBackground.set(instance.instanceId, []);
  }

  addStream(stream: DisStream): void {
    let lo = 0;
    let hi = this.disStreams.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const existing = this.disStreams[mid];
      if (existing && existing.name < stream.name) lo = mid + 1;
      else hi = mid;
    }
    this.disStreams.splice(lo, 0, stream);
    this.disTasks.set(stream.name, []);
  }

  /** Index of the first stream whose name sorts after `name` (exclusive start). */
  streamIndexAfter(name: string): number {
    let lo = 0;
    let hi = this.disStreams.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const existing = this.disStreams[mid];
      if (existing && existing.name <= name) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insertDcsBackground(record: TaskRecord): void {
    const parent = record.parentId ?? '';
    const list = this.dcsBackground.get(parent);
    if (!list) throw new Error(`unknown DCS instance ${parent}`);
    if (this.dcsBackgroundById.has(record.id)) throw new Error(`duplicate DCS task id ${record.id}`);
    list.push(record);
    this.dcsBackgroundById.set(record.id, record);
  }

  insertDisTask(record: TaskRecord): void {
    const list = this.disTasks.get(record.parentId ?? '');
    if (!list) throw new Error(`unknown DIS stream ${record.parentId}`);
    if (list.some((t) => t.id === record.id)) throw new Error(`duplicate DIS task ${record.id}`);
    list.push(record);
  }

  findDisTask(name: string, stream?: string): TaskRecord | undefined {
    if (stream !== undefined) return this.disTasks.get(stream)?.find((t) => t.id === name);
    for (const list of this.disTasks.values()) {
      const hit = list.find((t) => t.id === name);
      if (hit) return hit;
    }
    return undefined;
  }

  find(service: ServiceId, id: string, parentId?: string): TaskRecord | undefined {
    switch (service) {
      case 'dcs-background-tasks':
        return this.dcsBackgroundById.get(id);
      case 'dcs-center-tasks':
        return this.dcsCenter.get(id);
      case 'modelarts-processor-tasks':
        return this.modelarts.get(id);
      case 'oms-migration-tasks':
        return this.oms.get(id);
      case 'dis-dump-tasks':
        return this.findDisTask(id, parentId);
    }
  }

  remove(service: ServiceId, id: string, parentId?: string): TaskRecord | undefined {
    switch (service) {
      case 'dcs-background-tasks': {
        const record = this.dcsBackgroundById.get(id);
        if (!record) return undefined;
        this.dcsBackgroundById.delete(id);
        const list = this.dcsBackground.get(record.parentId ?? '');
        if (list) list.splice(list.indexOf(record), 1);
        return record;
      }
      case 'dcs-center-tasks':
        return this.dcsCenter.delete(id);
      case 'modelarts-processor-tasks':
        return this.modelarts.delete(id);
      case 'oms-migration-tasks':
        return this.oms.delete(id);
      case 'dis-dump-tasks': {
        const record = this.findDisTask(id, parentId);
        if (!record) return undefined;
        const list = this.disTasks.get(record.parentId ?? '');
        if (list) list.splice(list.indexOf(record), 1);
        return record;
      }
    }
  }

  setState(service: ServiceId, id: string, state: string | number, parentId?: string): boolean {
    const change = (t: TaskRecord): void => {
      t.state = state;
    };
    switch (service) {
      case 'dcs-center-tasks':
        return this.dcsCenter.update(id, change) !== undefined;
      case 'modelarts-processor-tasks':
        return this.modelarts.update(id, change) !== undefined;
      case 'oms-migration-tasks':
        return this.oms.update(id, change) !== undefined;
      default: {
        const record = this.find(service, id, parentId);
        if (record) change(record);
        return record !== undefined;
      }
    }
  }

  *all(service: ServiceId): IterableIterator<TaskRecord> {
    switch (service) {
      case 'dcs-background-tasks':
        for (const list of this.dcsBackground.values()) yield* list;
        return;
      case 'dcs-center-tasks':
        yield* this.dcsCenter.values();
        return;
      case 'modelarts-processor-tasks':
        yield* this.modelarts.values();
        return;
      case 'oms-migration-tasks':
        yield* this.oms.values();
        return;
      case 'dis-dump-tasks':
        for (const list of this.disTasks.values()) yield* list;
        return;
    }
  }
}

/** Splits `total` over the five task APIs (OMS and ModelArts get the largest shares). */
export function splitCounts(
  total: number,
  overrides: Partial<Record<ServiceId, number>>,
): Record<ServiceId, number> {
  const shares: Record<ServiceId, number> = {
    'dcs-center-tasks': 0.15,
    'dcs-background-tasks': 0.2,
    'modelarts-processor-tasks': 0.2,
    'oms-migration-tasks': 0.3,
    'dis-dump-tasks': 0.15,
  };
  const out = {} as Record<ServiceId, number>;
  for (const [service, share] of Object.entries(shares) as Array<[ServiceId, number]>) {
    out[service] = overrides[service] ?? Math.round(total * share);
  }
  return out;
}
