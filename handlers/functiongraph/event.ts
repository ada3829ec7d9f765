/**
 * The FunctionGraph function's events: a TIMER trigger event, whose `user_event` text may hold the manual event
 * (or manual keys may stand next to its fields, not both), or a manual invocation whose body is the manual event.
 */
import { type ZodRawShape, z } from 'zod';
import { ConfigError } from '../../lib/errors';
import { parseManualEvent, toOverrides } from '../../lib/policy/overrides';
import {
  EVENT,
  looksScheduled,
  overridesFromEventText,
  parseScheduleWithManualKeys,
} from '../../lib/policy/scheduled-event';
import type { PolicyOverrides } from '../../lib/policy/types';

/** The FunctionGraph TIMER event; `user_event` is the trigger's "additional information" text. */
const TIMER = {
  name: 'a TIMER event',
  shape: {
    version: z.string(),
    time: z.string(),
    trigger_type: z.literal('TIMER'),
    trigger_name: z.string(),
    // A trigger without additional information may leave it out; both mean "run the policy".
    user_event: z.string().nullish(),
  } satisfies ZodRawShape,
};

/**
 * FunctionGraph: a TIMER event or a manual invocation whose body is the manual event. The TIMER event's
 * `user_event` is empty (run the policy) or the manual event as JSON object text; manual keys may stand next to
 * the TIMER fields instead, but not in both places.
 * @throws ConfigError (subject `event`) naming `user_event` or the bad field. Nothing has been sent.
 */
export function overridesFromFunctionGraphEvent(event: unknown): PolicyOverrides {
  if (!looksScheduled(event, TIMER.shape)) return parseManualEvent(event);
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
  const timer = collect(() => parseScheduleWithManualKeys(event, TIMER));
  const userEvent = event.user_event;
  const inUserEvent = collect(() =>
    overridesFromEventText(typeof userEvent === 'string' ? userEvent : undefined, 'user_event'),
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
