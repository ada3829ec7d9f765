/**
 * Each task API's facts, written once for every test. Fixture facts come from the emulator, the oracle (its host,
 * its wire states, its operations, when a task ended). What task-janitor is expected to make of them is written
 * here from its documented behaviour, never asked of `lib/`: a task in an ended state is deletable, one at work is
 * kept in progress, any other state is kept as unknown; an SMS task is deletable only when its source server is
 * idle too, and in progress when either works.
 */
import {
  type EmulatedTask,
  type SmsSourceServer,
  TASK_APIS,
  type TaskApiId,
  type TaskOperation,
} from '../../emulator/types';
import { CLOUD_SERVICES, type CloudService, type StateClass } from '../../lib/types';

export { TASK_APIS };

/** The class the documented behaviour gives a task in this wire state (and, for SMS, with this source server). */
export function expectedClass(
  service: TaskApiId,
  state: string | number,
  sourceServer?: Pick<SmsSourceServer, 'state'>,
): StateClass {
  const { states, sourceServerStates: server } = TASK_APIS[service];
  const serverState = server ? sourceServer?.state : undefined;
  const serverRuns =
    server !== undefined && serverState !== undefined && server.running.includes(serverState);
  if (states.running.includes(state) || serverRuns) return 'in-progress';
  if (!states.ended.includes(state)) return 'unknown';
  if (server && !(serverState !== undefined && server.idle.includes(serverState))) return 'unknown';
  return 'deletable';
}

/** The class of a task as the emulator holds it. */
export function expectedClassOf(task: Pick<EmulatedTask, 'service' | 'state' | 'sourceServer'>): StateClass {
  return expectedClass(task.service, task.state, task.sourceServer);
}

/** When the task ended, as its wire fields tell (the emulator's reading of its own wire format). */
export function wireEndedAtMs(task: Pick<EmulatedTask, 'service' | 'fields'>): number | undefined {
  return TASK_APIS[task.service].endedAtMs(task.fields);
}

/** Deletable and ended more than `olderThanMs` before `nowMs`. */
export function isWireStale(task: EmulatedTask, olderThanMs: number, nowMs: number): boolean {
  const ended = wireEndedAtMs(task);
  return expectedClassOf(task) === 'deletable' && ended !== undefined && nowMs - ended > olderThanMs;
}

/** The path of an operation on one task, each value one encoded segment. */
export function taskPath(
  operation: TaskOperation,
  task: Pick<EmulatedTask, 'id' | 'parentId'>,
  projectId: string,
): string {
  const values: Record<string, string> = { project_id: projectId, [operation.id]: task.id };
  if (operation.parent !== undefined) values[operation.parent] = task.parentId ?? '';
  return operation.path.replace(/\{(\w+)\}/g, (_whole, name: string) =>
    encodeURIComponent(values[name] ?? `{${name}}`),
  );
}

/** A record with one entry per endpoint task-janitor configures (IAM and every task API's host). */
export function perCloudService<T>(value: (service: CloudService) => T): Record<CloudService, T> {
  const entries = CLOUD_SERVICES.map((service) => [service, value(service)] as const);
  // Every service is a key: the entries come from CLOUD_SERVICES itself.
  return Object.fromEntries(entries) as Record<CloudService, T>;
}
