/**
 * The one table of which task states a policy may ask to delete, per service (issue 5's state table).
 * The sources classify their wire states against it; the policy schema checks `states` against it; the
 * planner refuses any `deletable` claim outside it (defence in depth: a source bug cannot widen a deletion).
 */
import type { ServiceId } from '../types';

export const DELETABLE_STATES: Readonly<Record<ServiceId, readonly string[]>> = Object.freeze({
  // DCS never documents FAILED vs FAIL (REFERENCE §2.6): both are accepted as terminal failures.
  'dcs-center-tasks': Object.freeze(['SUCCESS', 'FAILED', 'FAIL']),
  'dcs-background-tasks': Object.freeze(['SUCCESS', 'FAILED', 'FAIL']),
  'modelarts-processor-tasks': Object.freeze(['completed', 'failed', 'stopped']),
  'oms-migration-tasks': Object.freeze(['paused', 'failed', 'succeeded']),
  'dis-dump-tasks': Object.freeze(['ERROR', 'ABNORMAL', 'PAUSED']),
});

/** True when `state` is one of the labels `service` may delete. */
export function isDeletableState(service: ServiceId, state: string): boolean {
  return DELETABLE_STATES[service].includes(state);
}
