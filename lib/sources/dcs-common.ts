/**
 * What the DCS task center and the DCS instance background tasks share (REFERENCE §2): the task object,
 * its `status` strings, its ISO-8601 times, and the error codes of a delete.
 */
import { DELETABLE_STATES } from '../policy/states';
import type { DeleteOutcome, ServiceId, StateClass, Task } from '../types';
import { apiErrorOf, isAbsent, isGatewayCode, parseIsoUtcMs, readName, requireString } from './wire';

/** DCS statuses that may be deleted (REFERENCE §2.6: only known-terminal ones; `FAIL` as ShowJobInfo spells it). */
export const DCS_DELETABLE_STATES: readonly string[] = DELETABLE_STATES['dcs-center-tasks'];
const DCS_IN_PROGRESS_STATES: readonly string[] = ['EXECUTING'];

/** DCS list pages: `limit` 1–1000 (REFERENCE §2.2, §2.5). */
export const DCS_PAGE_LIMIT = 1000;

export function classifyDcsState(status: unknown): {
  readonly state: string;
  readonly stateClass: StateClass;
} {
  if (typeof status !== 'string' || status === '') {
    return { state: `status-${status === '' ? 'empty' : String(status)}`, stateClass: 'unknown' };
  }
  if (DCS_DELETABLE_STATES.includes(status)) return { state: status, stateClass: 'deletable' };
  if (DCS_IN_PROGRESS_STATES.includes(status)) return { state: status, stateClass: 'in-progress' };
  return { state: status, stateClass: 'unknown' };
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

const DCS_GONE_CODES: readonly string[] = ['DCS.4070', '111400070'];
const DCS_IN_PROGRESS_CODES: readonly string[] = ['DCS.4957', 'DCS.4017', '111400017'];

/**
 * Maps a failed DCS delete to an outcome: any 404 (but a gateway's "API does not exist") or 400 `DCS.4070`
 * (invalid task id) is already gone; 400 `DCS.4957`/`DCS.4017` is refused because the task runs.
 * Undefined: the error is a real failure, rethrown to the engine.
 */
export function dcsDeleteOutcome(error: unknown): DeleteOutcome | undefined {
  const answer = apiErrorOf(error);
  if (!answer) return undefined;
  if (answer.status === 404 && !isGatewayCode(answer.code)) return 'already-gone';
  if (answer.status === 400 && DCS_GONE_CODES.includes(answer.code)) return 'already-gone';
  if (answer.status === 400 && DCS_IN_PROGRESS_CODES.includes(answer.code)) return 'refused-in-progress';
  return undefined;
}
