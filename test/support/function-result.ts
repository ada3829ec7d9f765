import type { FunctionResult } from '../../lib/invocation';
import type { Report } from '../../lib/report';

/** The report a cloud function returned (a purge); fails the test when it returned enumerate's targets. */
export function reportOf(result: FunctionResult): Report {
  if (!('services' in result)) throw new Error(`expected a report, got ${JSON.stringify(result)}`);
  return result;
}
