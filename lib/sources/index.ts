/** The registry of the task sources' implementations, in the catalog's order (their facts: `catalog.ts`). */
import type { ServiceId, TaskSource } from '../types';
import { dcsBackgroundTasks } from './dcs-background-tasks';
import { dcsCenterTasks } from './dcs-center-tasks';
import { disDumpTasks } from './dis-dump-tasks';
import { modelArtsProcessorTasks } from './modelarts-processor-tasks';
import { omsMigrationTasks } from './oms-migration-tasks';
import { smsMigrationTasks } from './sms-migration-tasks';

/** Every source, in `SERVICE_IDS` order. */
export const SOURCES: readonly TaskSource[] = Object.freeze([
  dcsCenterTasks,
  dcsBackgroundTasks,
  modelArtsProcessorTasks,
  omsMigrationTasks,
  disDumpTasks,
  smsMigrationTasks,
]);

const BY_ID: ReadonlyMap<ServiceId, TaskSource> = new Map(
  SOURCES.map((source) => [source.descriptor.id, source]),
);

/** The source for a service id. */
export function getSource(id: ServiceId): TaskSource {
  const source = BY_ID.get(id);
  if (source === undefined) throw new TypeError(`no task source for service ${JSON.stringify(id)}`);
  return source;
}

export {
  dcsBackgroundTasks,
  dcsCenterTasks,
  disDumpTasks,
  modelArtsProcessorTasks,
  omsMigrationTasks,
  smsMigrationTasks,
};
