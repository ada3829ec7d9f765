/** Policy values for engine and policy tests. */
import type { ServicePolicy } from '../../lib/policy/types';

const DAY_MS = 86_400_000;

/** A service policy as `{ olderThan: 30d }` parses to (enabled, nothing else set), with `overrides` on top. */
export function servicePolicy(overrides: Partial<ServicePolicy> = {}): ServicePolicy {
  return {
    enabled: true,
    olderThanMs: 30 * DAY_MS,
    olderThan: '30d',
    states: undefined,
    include: undefined,
    exclude: undefined,
    parents: undefined,
    ...overrides,
  };
}
