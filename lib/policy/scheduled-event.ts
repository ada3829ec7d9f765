/**
 * A platform's scheduled event → overrides, with one rule for every platform (the shapes themselves live with
 * each platform's handler, `handlers/<platform>/event.ts`):
 * - an event that carries none of the fields of the platform's scheduled event is the manual event itself;
 * - an event that carries any of them must carry all of them, with the platform's types and values. Manual keys
 *   next to them are honoured and validated exactly like the manual event; any other key is refused.
 * So a key is either honoured or the event is refused, naming the field, before any request: nothing is silently
 * dropped, and an event that only looks like a schedule never runs as one.
 */
import type { ZodRawShape } from 'zod';
import { ConfigError } from '../errors';
import { redactUrlsInText } from '../redact-url';
import { describeDuplicateKey, findDuplicateJsonKeys } from './duplicate-keys';
import { formatIssues } from './issues';
import { MANUAL_EVENT_KEYS, manualKeysSchema, parseManualEvent, toOverrides } from './overrides';
import type { PolicyOverrides } from './types';

export const EVENT = { subject: 'event' } as const;

/** A platform's scheduled event: the zod shape of its fields, and how messages name it. */
export interface ScheduleShape<Shape extends ZodRawShape> {
  readonly shape: Shape;
  /** `an EventBridge scheduled event` */
  readonly name: string;
}

/** True when `event` is an object carrying any of the schedule's fields. */
export function looksScheduled(event: unknown, shape: ZodRawShape): event is Record<string, unknown> {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return false;
  return Object.keys(shape).some((key) => Object.hasOwn(event, key));
}

/**
 * Validates a schedule's fields and the manual keys beside them together, strictly.
 * @throws ConfigError (subject `event`) naming each bad, missing or unknown field.
 */
export function parseScheduleWithManualKeys<Shape extends ZodRawShape>(
  event: Record<string, unknown>,
  schedule: ScheduleShape<Shape>,
) {
  const result = manualKeysSchema(schedule.shape).safeParse(event);
  if (result.success) return result.data;
  throw new ConfigError(
    formatIssues(result.error.issues, (parentPath) =>
      parentPath.length === 0
        ? `unknown key; expected ${MANUAL_EVENT_KEYS.join(', ')} next to the fields of ${schedule.name}`
        : `unknown key; the ${String(parentPath.join('.'))} of ${schedule.name} is empty ({})`,
    ),
    EVENT,
  );
}

/**
 * The overrides of a scheduled event: the manual event itself when it carries none of the schedule's fields,
 * else the manual keys beside the complete schedule.
 */
export function overridesFromScheduledEvent<Shape extends ZodRawShape>(
  event: unknown,
  schedule: ScheduleShape<Shape>,
): PolicyOverrides {
  if (!looksScheduled(event, schedule.shape)) return parseManualEvent(event);
  return toOverrides(parseScheduleWithManualKeys(event, schedule));
}

/**
 * The manual event given as JSON object text in one field of a scheduled event (`field`: how messages name it);
 * empty text is no override.
 * @throws ConfigError (subject `event`) naming `field`.
 */
export function overridesFromEventText(text: string | null | undefined, field: string): PolicyOverrides {
  if (text === undefined || text === null || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      [
        `${field}: expected empty text or a JSON object (the manual event, e.g. {"dryRun":true}), got ${quote(text)}`,
      ],
      { ...EVENT, cause: error },
    );
  }
  // JSON.parse keeps the last of two equal keys: a `dryRun` given twice must not be read one way silently.
  const duplicates = findDuplicateJsonKeys(text);
  if (duplicates.length > 0) {
    throw new ConfigError(
      duplicates.map((d) => `${field}: ${describeDuplicateKey(d)}`),
      EVENT,
    );
  }
  try {
    return parseManualEvent(parsed);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      error.problems.map((problem) => `${field}: ${problem}`),
      { ...EVENT, cause: error },
    );
  }
}

/** The start of an operator's text, for a message; a URL in it keeps no userinfo, query or fragment. */
function quote(text: string): string {
  const redacted = redactUrlsInText(text);
  const shown = redacted.length > 80 ? `${redacted.slice(0, 80)}…` : redacted;
  return JSON.stringify(shown);
}
