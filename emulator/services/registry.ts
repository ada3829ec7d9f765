/**
 * The service registry: every host the emulator serves, in port order. The emulator's lists of hosts, task
 * APIs and operations are derived from it and written nowhere else.
 */
import { dcsModule } from './dcs';
import { disModule } from './dis';
import { iamModule } from './iam';
import { modelartsModule } from './modelarts';
import { omsModule } from './oms';
import { smsModule } from './sms';
import type { SourceServerStates, WireStates } from './types';

/** Seeding draws in this order; a new host goes last (or draws from its own stream, as SMS does). */
export const SERVICE_MODULES = [
  iamModule,
  dcsModule,
  modelartsModule,
  omsModule,
  disModule,
  smsModule,
] as const;

type AnySpec = (typeof SERVICE_MODULES)[number]['spec'];
export type AnyServiceModule = (typeof SERVICE_MODULES)[number];
/** A host the emulator serves (`iam`, `dcs`, …). */
export type EmulatorHost = AnySpec['host'];
/** A task API by its policy id (`dcs-center-tasks`, …). */
export type TaskApiId = AnySpec['taskApis'][number]['id'];
export type AnyOperationSpec = AnySpec['operations'][number];
export type EmulatorOperation = AnyOperationSpec['name'];

/** A record with one entry per host, in registry order. */
export function byHost<T>(value: (module: AnyServiceModule) => T): Record<EmulatorHost, T> {
  const entries = SERVICE_MODULES.map((module) => [module.spec.host, value(module)] as const);
  // Every host is a key: the entries come from the registry itself.
  return Object.fromEntries(entries) as Record<EmulatorHost, T>;
}

export const HOSTS: readonly EmulatorHost[] = SERVICE_MODULES.map((module) => module.spec.host);
export const TASK_API_IDS: readonly TaskApiId[] = SERVICE_MODULES.flatMap((module) =>
  module.spec.taskApis.map((api) => api.id),
);

export const EMULATOR_OPERATIONS: Readonly<Record<EmulatorHost, readonly EmulatorOperation[]>> = byHost(
  (module) => module.spec.operations.map((operation) => operation.name),
);

/** An operation that addresses one task: its name, its path template and the placeholders naming the task. */
export interface TaskOperation {
  readonly operation: EmulatorOperation;
  /** E.g. `/v2/{project_id}/streams/{stream_name}/transfer-tasks/{task_name}`. */
  readonly path: string;
  /** The placeholder of the task's id, and of its parent's (DCS instance, DIS stream) where it has one. */
  readonly id: string;
  readonly parent?: string;
}

/** What the emulator models of one task API: the facts tests build fixtures from. */
export interface TaskApiFacts {
  readonly id: TaskApiId;
  readonly host: EmulatorHost;
  readonly states: WireStates;
  /** SMS: the source server's states (a task is at work when either its state or its server says so). */
  readonly sourceServerStates?: SourceServerStates;
  /** Whether the API deletes a task at work (a client must read each task right before deleting it). */
  readonly deletesRunningTasks: boolean;
  /** When the task ended, from its wire fields as the emulator writes them; undefined when they tell none. */
  endedAtMs(fields: Readonly<Record<string, unknown>>): number | undefined;
  readonly delete: TaskOperation;
  /** The read of one task, where the API has one (DCS has none). */
  readonly read?: TaskOperation;
}

function taskApiFacts(module: AnyServiceModule, api: AnySpec['taskApis'][number]): TaskApiFacts {
  const operations: readonly AnyOperationSpec[] = module.spec.operations;
  const deletes = operations.flatMap((o) =>
    'deletes' in o && o.deletes.api === api.id ? [{ o, at: o.deletes }] : [],
  )[0];
  if (!deletes) throw new RangeError(`no delete operation for ${api.id}`);
  const read = operations.find((o) => 'reads' in o && o.reads.api === api.id);
  const addressing = { id: deletes.at.id, ...('parent' in deletes.at ? { parent: deletes.at.parent } : {}) };
  return {
    id: api.id,
    host: module.spec.host,
    states: api.states,
    ...('sourceServerStates' in api ? { sourceServerStates: api.sourceServerStates } : {}),
    deletesRunningTasks: api.deletesRunningTasks,
    endedAtMs: api.endedAtMs,
    delete: { operation: deletes.o.name, path: deletes.o.path, ...addressing },
    // A read addresses the task by the same placeholders as its delete.
    ...(read ? { read: { operation: read.name, path: read.path, ...addressing } } : {}),
  };
}

export const TASK_APIS: Readonly<Record<TaskApiId, TaskApiFacts>> = Object.fromEntries(
  SERVICE_MODULES.flatMap((module) =>
    module.spec.taskApis.map((api: AnySpec['taskApis'][number]) => [api.id, taskApiFacts(module, api)]),
  ),
  // Every task API is a key: the entries come from the registry itself.
) as Record<TaskApiId, TaskApiFacts>;

/** The host a task API lives on. */
export function hostOf(api: TaskApiId): EmulatorHost {
  const module = SERVICE_MODULES.find((m) => m.spec.taskApis.some((a) => a.id === api));
  if (!module) throw new RangeError(`no host serves ${api}`);
  return module.spec.host;
}

/** Splits `total` over the task APIs by their seed shares; `overrides` are exact counts. */
export function splitCounts(
  total: number,
  overrides: Partial<Record<TaskApiId, number>>,
): Record<TaskApiId, number> {
  const entries = SERVICE_MODULES.flatMap((module) =>
    module.spec.taskApis.map(
      (api) => [api.id, overrides[api.id] ?? Math.round(total * api.seedShare)] as const,
    ),
  );
  return Object.fromEntries(entries) as Record<TaskApiId, number>;
}
