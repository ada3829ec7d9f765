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
