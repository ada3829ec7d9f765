/**
 * What the DCS task center and the DCS instance background tasks share: the task object, its `status`
 * strings (no enumeration is documented: only the terminal ones seen are deletable), its ISO-8601 times.
 */
import type { ServiceId, StateClass, Task } from '../types';
import { dcsCenterTasksDescriptor } from './dcs-center-tasks/descriptor';
import { classifyStateLabel, isAbsent, parseIsoUtcMs, readName, requireString } from './wire';

/** DCS list pages: `limit` 1–1000. */
export const DCS_PAGE_LIMIT = 1000;

/** Both DCS task APIs share one status vocabulary (their descriptors name the same states). */
export function classifyDcsState(status: unknown): {
  readonly state: string;
  readonly stateClass: StateClass;
} {
  return classifyStateLabel(dcsCenterTasksDescriptor, status);
}

/**
 * When a DCS task ended: `updated_at` ("task end time"), else `created_at` when there is no end time.
 * An end time that is present but unparseable is unknown (never replaced by the earlier start time).
 */
export function dcsEndedAtMs(item: Readonly<Record<string, unknown>>): number | undefined {
  const updatedAt = item.updated_at;
  if (!isAbsent(updatedAt)) return parseIsoUtcMs(updatedAt);
  return parseIsoUtcMs(item.created_at);
}

export interface DcsParent {
  readonly id: string;
  readonly name: string;
}

/** Narrows one DCS task object (center or background) to a `Task`. */
export function toDcsTask(
  service: ServiceId,
  item: Readonly<Record<string, unknown>>,
  operation: string,
  parent?: DcsParent,
): Task {
  const { state, stateClass } = classifyDcsState(item.status);
  return {
    service,
    id: requireString(item, 'id', operation),
    name: readName(item.name),
    ...(parent ? { parentId: parent.id, parentName: parent.name } : {}),
    state,
    stateClass,
    endedAtMs: dcsEndedAtMs(item),
  };
}
