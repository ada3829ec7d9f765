/**
 * Which task states a policy may ask to delete, per service: the deletable states of each API's descriptor.
 * The sources classify their wire states by the descriptor; the policy schema checks `states` against it; the
 * planner refuses any `deletable` claim outside it (defence in depth: a source bug cannot widen a deletion).
 */
import { DELETABLE_STATES } from '../sources/catalog';
import type { ServiceId } from '../types';

export { DELETABLE_STATES };

/** True when `state` is one of the labels `service` may delete. */
export function isDeletableState(service: ServiceId, state: string): boolean {
  return DELETABLE_STATES[service].includes(state);
}
