/**
 * What the DCS task center and the DCS instance background tasks share (REFERENCE §2): the task object,
 * its `status` strings, its ISO-8601 times, and the error codes of a delete.
 */
import { DELETABLE_STATES } from '../policy/states';
import type { AnswerMeaning, ApiAnswer, ServiceId, StateClass, Task } from '../types';
import { type DocumentedAnswer, isAbsent, isAnswer, parseIsoUtcMs, readName, requireString } from './wire';

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

/** 400 `DCS.4957` (not allowed in the task's current state), `DCS.4017` (the job task is still running). */
const DCS_REFUSED_IN_PROGRESS: readonly DocumentedAnswer[] = [
  { status: 400, codes: ['DCS.4957', 'DCS.4017', '111400017'] },
];

/**
 * DCS documents no "task not found" code. A missing task may be answered 404 `DCS.4001` ("the requested URL
 * does not exist", also what a wrong path gets) or 400 `DCS.4070` ("invalid task ID format"): ambiguous, so a
 * listing that no longer finds the task must prove it gone. Any other 404 (a gateway's, a proxy's HTML page)
 * is a failure.
 */
const DCS_AMBIGUOUS_NOT_FOUND: readonly DocumentedAnswer[] = [
  { status: 404, codes: ['DCS.4001', '111404001'] },
  { status: 400, codes: ['DCS.4070', '111400070'] },
];

/** 404 `DCS.3022` "This DCS instance does not exist": an instance's background tasks are gone with it. */
export const DCS_INSTANCE_GONE: readonly DocumentedAnswer[] = [
  { status: 404, codes: ['DCS.3022', '111404022'] },
];

/** The meaning of an error answer to a DCS delete (center or background task); undefined: a failure. */
export function dcsAnswerMeaning(answer: ApiAnswer, service: ServiceId): AnswerMeaning | undefined {
  if (isAnswer(answer, DCS_REFUSED_IN_PROGRESS)) return 'refused-in-progress';
  if (service === 'dcs-background-tasks' && isAnswer(answer, DCS_INSTANCE_GONE)) return 'gone';
  if (isAnswer(answer, DCS_AMBIGUOUS_NOT_FOUND)) return 'ambiguous-not-found';
  return undefined;
}
