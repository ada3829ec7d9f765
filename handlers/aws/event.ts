/**
 * The Lambda function's events: an EventBridge scheduled event (optionally with manual keys next to its
 * fields) or the manual event itself (`lib/policy/scheduled-event.ts` has the rule).
 */
import { type ZodRawShape, z } from 'zod';
import { overridesFromScheduledEvent } from '../../lib/policy/scheduled-event';
import type { PolicyOverrides } from '../../lib/policy/types';

/**
 * The EventBridge scheduled event: `source` and `detail-type` fixed, `detail` empty, the other metadata fields
 * strings (`resources` a list of rule ARNs).
 */
const EVENTBRIDGE_SCHEDULE = {
  name: 'an EventBridge scheduled event',
  shape: {
    // EventBridge always sends "0", but the Lambda console's and SAM CLI's scheduled-event templates omit it.
    version: z.string().optional(),
    id: z.string(),
    'detail-type': z.literal('Scheduled Event'),
    source: z.literal('aws.events'),
    account: z.string(),
    time: z.string(),
    region: z.string(),
    resources: z.array(z.string()),
    detail: z.object({}).strict(),
  } satisfies ZodRawShape,
};

/**
 * Lambda: an EventBridge scheduled event, optionally with manual keys next to its fields, or the manual event.
 * @throws ConfigError (subject `event`) naming each bad, missing or unknown field. Nothing has been sent.
 */
export function overridesFromLambdaEvent(event: unknown): PolicyOverrides {
  return overridesFromScheduledEvent(event, EVENTBRIDGE_SCHEDULE);
}
