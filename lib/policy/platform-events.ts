/**
 * The cloud functions' events → overrides, with one rule on both platforms:
 * - an event that carries none of the fields of the platform's scheduled event is the manual event itself;
 * - an event that carries any of them must carry all of them (only `version` on Lambda and `user_event` on
 *   FunctionGraph may be missing), with the platform's types and values (the EventBridge schedule on Lambda, the
 *   TIMER event on FunctionGraph). Manual keys next to them are honoured and validated exactly like the manual
 *   event; any other key is refused.
 * So a key is either honoured or the event is refused, naming the field, before any request: nothing is silently
 * dropped, and an event that only looks like a schedule never runs as one.
 */
import { type ZodRawShape, z } from 'zod';
import { ConfigError } from '../errors';
import { redactUrlsInText } from '../redact-url';
import { describeDuplicateKey, findDuplicateJsonKeys } from './duplicate-keys';
import { formatIssues } from './issues';
import { MANUAL_EVENT_KEYS, manualEventShape, parseManualEvent, toOverrides } from './overrides';
import type { PolicyOverrides } from './types';

/**
 * The EventBridge scheduled event: `source` and `detail-type` fixed, `detail` empty, the other metadata fields
 * strings (`resources` a list of rule ARNs).
 */
const EVENTBRIDGE_SCHEDULE_SHAPE = {
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
} satisfies ZodRawShape;

/** The FunctionGraph TIMER event; `user_event` is the trigger's "additional information" text. */
const TIMER_SHAPE = {
  version: z.string(),
  time: z.string(),
  trigger_type: z.literal('TIMER'),
  trigger_name: z.string(),
  // A trigger without additional information may leave it out; both mean "run the policy".
  user_event: z.string().nullish(),
} satisfies ZodRawShape;

const EVENT = { subject: 'event' } as const;

/**
 * Lambda: an EventBridge scheduled event, optionally with manual keys next to its fields, or the manual event.
 * @throws ConfigError (subject `event`) naming each bad, missing or unknown field. Nothing has been sent.
 */
export function overridesFromLambdaEvent(event: unknown): PolicyOverrides {
  if (!hasAnyKey(event, EVENTBRIDGE_SCHEDULE_SHAPE)) return parseManualEvent(event);
  return toOverrides(
    parseScheduleWithManualKeys(event, EVENTBRIDGE_SCHEDULE_SHAPE, 'an EventBridge scheduled event'),
  );
}

/**
 * FunctionGraph: a TIMER event or a manual invocation whose body is the manual event. The TIMER event's
 * `user_event` is empty (run the policy) or the manual event as JSON object text; manual keys may stand next to
 * the TIMER fields instead, but not in both places.
 * @throws ConfigError (subject `event`) naming `user_event` or the bad field. Nothing has been sent.
 */
export function overridesFromFunctionGraphEvent(event: unknown): PolicyOverrides {
  if (!hasAnyKey(event, TIMER_SHAPE)) return parseManualEvent(event);
  // Both parts are checked before failing, so one error lists every problem.
  const problems: string[] = [];
  const collect = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const timer = collect(() => parseScheduleWithManualKeys(event, TIMER_SHAPE, 'a TIMER event'));
  const userEvent = event.user_event;
  const inUserEvent = collect(() =>
    overridesFromUserEvent(typeof userEvent === 'string' ? userEvent : undefined),
  );
  if (timer === undefined || inUserEvent === undefined) throw new ConfigError(problems, EVENT);
  const besideTimer = toOverrides(timer);
  const userEventKeys = Object.keys(inUserEvent);
  if (userEventKeys.length > 0 && Object.keys(besideTimer).length > 0) {
    throw new ConfigError(
      Object.keys(besideTimer).map(
        (key) =>
          `${key}: given next to the TIMER fields while user_event holds a manual event too (${userEventKeys.join(', ')}); put the manual event in one place`,
      ),
      EVENT,
    );
  }
  return { ...besideTimer, ...inUserEvent };
}

function overridesFromUserEvent(userEvent: string | null | undefined): PolicyOverrides {
  if (userEvent === undefined || userEvent === null || userEvent.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(userEvent);
  } catch (error) {
    throw new ConfigError(
      [
        `user_event: expected empty text or a JSON object (the manual event, e.g. {"dryRun":true}), got ${quote(userEvent)}`,
      ],
      { ...EVENT, cause: error },
    );
  }
  // JSON.parse keeps the last of two equal keys: a `dryRun` given twice must not be read one way silently.
  const duplicates = findDuplicateJsonKeys(userEvent);
  if (duplicates.length > 0) {
    throw new ConfigError(
      duplicates.map((d) => `user_event: ${describeDuplicateKey(d)}`),
      EVENT,
    );
  }
  try {
    return parseManualEvent(parsed);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      error.problems.map((problem) => `user_event: ${problem}`),
      { ...EVENT, cause: error },
    );
  }
}

/** Validates a schedule's fields and the manual keys beside them together, strictly. */
function parseScheduleWithManualKeys<Shape extends ZodRawShape>(
  event: Record<string, unknown>,
  shape: Shape,
  scheduleName: string,
) {
  const schema = z.object({ ...shape, ...manualEventShape }).strict();
  const result = schema.safeParse(event);
  if (result.success) return result.data;
  throw new ConfigError(
    formatIssues(result.error.issues, (parentPath) =>
      parentPath.length === 0
        ? `unknown key; expected ${MANUAL_EVENT_KEYS.join(', ')} next to the fields of ${scheduleName}`
        : `unknown key; the ${String(parentPath.join('.'))} of ${scheduleName} is empty ({})`,
    ),
    EVENT,
  );
}

function hasAnyKey(event: unknown, shape: ZodRawShape): event is Record<string, unknown> {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return false;
  return Object.keys(shape).some((key) => Object.hasOwn(event, key));
}

/** The start of an operator's text, for a message; a URL in it keeps no userinfo, query or fragment. */
function quote(text: string): string {
  const redacted = redactUrlsInText(text);
  const shown = redacted.length > 80 ? `${redacted.slice(0, 80)}…` : redacted;
  return JSON.stringify(shown);
}
