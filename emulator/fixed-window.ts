/**
 * A fixed-window quota per host: `fixedWindowLimit` admitted requests per window of `fixedWindowSeconds`, the
 * windows aligned to multiples of it since the epoch (as a gateway counts per calendar second or minute). Above
 * it, 429 until the window ends, with or without `Retry-After`, with the limit named in the message or not: the
 * shapes an API gateway's "limit: N, time: 1 minute" policy answers with.
 */
import { z } from 'zod';
import { type Answer, gatewayError } from './answers';
import type { ServiceErrors } from './services/types';

export const fixedWindowFields = {
  fixedWindowLimit: z.number().int().positive().optional(),
  fixedWindowSeconds: z.number().int().positive().optional(),
  fixedWindowRetryAfter: z.boolean().optional(),
  fixedWindowLimitInMessage: z.boolean().optional(),
};

/** `fixedWindowLimit` and `fixedWindowSeconds` come together. */
export function refineFixedWindow(
  settings: { fixedWindowLimit?: number | undefined; fixedWindowSeconds?: number | undefined },
  ctx: z.RefinementCtx,
): void {
  if ((settings.fixedWindowLimit === undefined) === (settings.fixedWindowSeconds === undefined)) return;
  const [present, missing] =
    settings.fixedWindowLimit === undefined
      ? ['fixedWindowSeconds', 'fixedWindowLimit']
      : ['fixedWindowLimit', 'fixedWindowSeconds'];
  ctx.addIssue({ code: z.ZodIssueCode.custom, path: [missing], message: `required with ${present}` });
}

/** How a gateway names a window in its message: `1 second`, `10 second`, `1 minute`, `1 hour`. */
export function describeWindow(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} hour`;
  if (seconds % 60 === 0) return `${seconds / 60} minute`;
  return `${seconds} second`;
}

/** The requests admitted in each target's current window. */
export class WindowCounter {
  readonly #windows = new Map<string, { index: number; used: number }>();

  /** Counts one request against the window `nowMs` falls in: undefined when admitted, else ms until it ends. */
  take(key: string, limit: number, seconds: number, nowMs: number): number | undefined {
    const periodMs = seconds * 1000;
    const index = Math.floor(nowMs / periodMs);
    const current = this.#windows.get(key);
    const state = current !== undefined && current.index === index ? current : { index, used: 0 };
    this.#windows.set(key, state);
    if (state.used < limit) {
      state.used += 1;
      return undefined;
    }
    return (index + 1) * periodMs - nowMs;
  }

  /** Every window, or those of one fault target (`key`, and `key@<region>` per region it counts in). */
  reset(key?: string): void {
    if (key === undefined) this.#windows.clear();
    else
      for (const counted of [...this.#windows.keys()])
        if (counted.split('@')[0] === key) this.#windows.delete(counted);
  }
}

/** The 429 of a spent window, in the host's throttling shape (IAM's own, else the gateway's `APIG.0308`). */
export function windowSpentAnswer(
  errors: ServiceErrors,
  window: { readonly limit: number; readonly seconds: number; readonly endsInMs: number },
  options: { readonly retryAfter: boolean; readonly limitInMessage: boolean; readonly requestId: string },
): Answer {
  // A gateway names the policy's limit and window when it is configured to; otherwise a bare message.
  const message = options.limitInMessage
    ? `The throttling threshold has been reached: policy user over ratelimit, limit:${window.limit}, time:${describeWindow(window.seconds)}`
    : 'The throttling threshold has been reached.';
  const own = errors.throttled?.(window.limit);
  const answer: Answer =
    own !== undefined && own.errorCode !== undefined
      ? {
          ...own,
          body: JSON.stringify({ error_code: own.errorCode, error_msg: message }),
        }
      : gatewayError(429, 'APIG.0308', message, options.requestId);
  return options.retryAfter
    ? { ...answer, headers: { 'Retry-After': String(Math.ceil(window.endsInMs / 1000)) } }
    : answer;
}
