/**
 * The one place that decides whether a failure is retried, and how long to wait
 * (docs/decisions/0001-one-retry-layer.md). Pure.
 */
import {
  AuthError,
  CloudApiError,
  HostUnavailableError,
  MalformedResponseError,
  NetworkError,
  RunStoppedError,
  TimeoutError,
} from '../errors';
import { API_THROTTLING_CODES, API_TOKEN_EXPIRED_CODES } from '../sources/catalog';
import type { AttemptRecord } from './types';

/** Statuses worth another attempt: the server may answer differently next time. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** "Slow down" codes, retryable whatever status they arrive with (DIS.4305 comes as 400). */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'APIG.0308',
  'APIGW.0308',
  'IAM.0012',
  ...API_THROTTLING_CODES,
]);

/**
 * 401 codes meaning "the token expired, get a new one": the gateway's, IAM's and the task APIs'
 * (docs/api/errors.md).
 */
export const TOKEN_EXPIRED_CODES: ReadonlySet<string> = new Set([
  'APIG.0307',
  'APIGW.0307',
  'IAM.0066',
  ...API_TOKEN_EXPIRED_CODES,
]);

/** A throttling answer: 429, or a throttling code with any status. */
export function isThrottling(error: unknown): boolean {
  return (
    error instanceof CloudApiError &&
    (error.status === 429 || (error.errorCode !== undefined && THROTTLING_CODES.has(error.errorCode)))
  );
}

/** A 401 saying the token expired (refresh once and repeat; not a retry). */
export function isTokenExpired(status: number, errorCode: string | undefined): boolean {
  return status === 401 && errorCode !== undefined && TOKEN_EXPIRED_CODES.has(errorCode);
}

/**
 * Allow-list: network errors, request timeouts, 408/429/500/502/503/504, throttling codes, and a malformed
 * 2xx body of a call other than DELETE. Never another 4xx (a retried bad signature gets the caller's IP blacklisted), never the
 * run's deadline, never an unknown error (that is a bug).
 */
export function isRetryable(error: unknown): boolean {
  if (error instanceof AuthError) return isThrottling(error);
  if (error instanceof CloudApiError) return RETRYABLE_STATUSES.has(error.status) || isThrottling(error);
  if (error instanceof NetworkError) return true;
  if (error instanceof TimeoutError) return true;
  // A 2xx DELETE took effect whatever its body says. Other calls may be repeated when the client allows
  // them (GET; POST only for token minting, which is harmless to repeat).
  if (error instanceof MalformedResponseError) return error.method !== undefined && error.method !== 'DELETE';
  return false;
}

/**
 * A failure that says the host is unhealthy (what the retry budget and its breaker count): a 408/5xx answer,
 * a network failure, a timeout, a malformed 2xx body. Not a throttle, not another 4xx, not the run's stop.
 */
export function isServerFailure(error: unknown): boolean {
  if (error === undefined || isThrottling(error)) return false;
  if (error instanceof CloudApiError) return RETRYABLE_STATUSES.has(error.status);
  return isRetryable(error);
}

export interface RetryDelayInput {
  /** Retries already made before this one: 0 before the first retry. */
  attempt: number;
  /** The failed answer's `Retry-After` header (seconds or an HTTP date), if any. */
  retryAfterHeader?: string | null | undefined;
  /** Uniform in [0, 1). */
  random: number;
  /** @default 200 */
  baseMs?: number;
  /** Cap of one backoff delay. @default 20000 */
  capMs?: number;
  /** Current time (epoch ms), for an HTTP-date `Retry-After`. */
  nowMs: number;
}

/** Parses `Retry-After` (delta-seconds or an HTTP date) into ms from `nowMs`; undefined when malformed. */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const value = header.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  // Only an IMF-fixdate / RFC 850 / asctime date, not whatever Date.parse happens to accept.
  if (!/^[A-Za-z]{3},? /.test(value) || !/\d{1,2}:\d{2}:\d{2}/.test(value)) return undefined;
  const dateMs = Date.parse(value);
  if (Number.isNaN(dateMs)) return undefined;
  return Math.max(0, dateMs - nowMs);
}

/**
 * Exponential backoff with full jitter: `random * min(capMs, baseMs * 2^attempt)`.
 * `Retry-After` wins over backoff; a malformed header falls back to backoff.
 */
export function computeRetryDelayMs(input: RetryDelayInput): number {
  const retryAfterMs = parseRetryAfterMs(input.retryAfterHeader, input.nowMs);
  if (retryAfterMs !== undefined) return retryAfterMs;
  const baseMs = input.baseMs ?? 200;
  const capMs = input.capMs ?? 20_000;
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, input.attempt));
  return Math.floor(Math.min(Math.max(input.random, 0), 1) * ceiling);
}

export interface RetryDecisionInput {
  readonly error: unknown;
  /** The call may be repeated at all: GET, DELETE, or a POST that is harmless to repeat (a token mint). */
  readonly repeatable: boolean;
  /** Attempts so far that count toward `maxAttempts`, this one included (throttled attempts do not count). */
  readonly countedAttempts: number;
  readonly maxAttempts: number;
  /** Throttled attempts so far, this one included (the exponent of a throttle's backoff). */
  readonly throttledAttempts: number;
  /** Time since the call's first failure that was not a throttle (0 when there was none). */
  readonly failingForMs: number;
  readonly maxRetryTimeMs: number;
  readonly retryAfterHeader: string | null | undefined;
  /** Uniform in [0, 1). */
  readonly random: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
  readonly nowMs: number;
  /** Whether the host's retry budget allows retrying a real failure now. */
  readonly budgetAllowsRetry: boolean;
  /**
   * For a paced host: how long the whole host waits now (its pacer's `Retry-After` pause or window lockout). A
   * throttle then waits for that (or its own `Retry-After`), not a backoff: the pacer spaces the requests.
   */
  readonly hostPausedForMs?: number;
}

/** Longest wait a `Retry-After` sets: an AK/SK signature made before it must stay within the gateway's 15-minute skew. */
export const MAX_RETRY_AFTER_MS = 300_000;

export type RetryDecision =
  | { readonly retry: true; readonly delayMs: number; readonly throttled: boolean }
  | {
      readonly retry: false;
      readonly reason: 'not-retryable' | 'attempts' | 'retry-time' | 'retry-budget';
    };

/**
 * Whether a failed attempt is tried again, and after how long: the one decision of the retry layer. Pure.
 * A throttle ("slow down") is not a failure: it is retried after its `Retry-After` (or a backoff over the
 * throttles seen) without using up the attempts, the retry time or the host's retry budget, which exist for
 * real failures; only the run's stop ends it. A real failure is retried while attempts, retry time and the
 * host's budget last.
 */
export function decideRetry(input: RetryDecisionInput): RetryDecision {
  const { error } = input;
  if (!input.repeatable || !isRetryable(error)) return { retry: false, reason: 'not-retryable' };
  if (isThrottling(error)) {
    if (input.hostPausedForMs !== undefined) {
      const retryAfterMs = parseRetryAfterMs(input.retryAfterHeader, input.nowMs) ?? 0;
      const delayMs = Math.max(input.hostPausedForMs, Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
      return { retry: true, delayMs, throttled: true };
    }
    const delayMs = computeRetryDelayMs({
      attempt: input.throttledAttempts - 1,
      retryAfterHeader: input.retryAfterHeader,
      random: input.random,
      baseMs: input.backoffBaseMs,
      capMs: input.backoffCapMs,
      nowMs: input.nowMs,
    });
    return { retry: true, delayMs, throttled: true };
  }
  if (input.countedAttempts >= input.maxAttempts) return { retry: false, reason: 'attempts' };
  const delayMs = computeRetryDelayMs({
    attempt: input.countedAttempts - 1,
    retryAfterHeader: input.retryAfterHeader,
    random: input.random,
    baseMs: input.backoffBaseMs,
    capMs: input.backoffCapMs,
    nowMs: input.nowMs,
  });
  if (input.failingForMs + delayMs > input.maxRetryTimeMs) return { retry: false, reason: 'retry-time' };
  if (!input.budgetAllowsRetry) return { retry: false, reason: 'retry-budget' };
  return { retry: true, delayMs, throttled: false };
}

/** Connection errors that happen before anything is written: the request surely did not reach the server. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
]);

/**
 * Gateway answers after which the backend may have carried the request out: 504, the backend timed out (a 502
 * is the gateway's "backend unavailable": it never reached the backend).
 */
const MAY_HAVE_ACTED_STATUSES: ReadonlySet<number> = new Set([504]);

/**
 * What an attempt that ended with `error` (or with a 2xx, when `error` is undefined) tells about its effect.
 * Unknown errors count as sent without an answer: the safe reading for a delete.
 */
export function describeAttempt(attempt: number, error: unknown): AttemptRecord {
  if (error === undefined) return { attempt, sent: true, answered: true, mayHaveActed: true };
  if (error instanceof CloudApiError) {
    return {
      attempt,
      sent: true,
      answered: true,
      status: error.status,
      mayHaveActed: MAY_HAVE_ACTED_STATUSES.has(error.status),
    };
  }
  if (error instanceof RunStoppedError) {
    return { attempt, sent: error.sent, answered: false, mayHaveActed: error.sent };
  }
  if (error instanceof HostUnavailableError) {
    return { attempt, sent: false, answered: false, mayHaveActed: false };
  }
  if (error instanceof NetworkError && error.code !== undefined && NOT_SENT_CODES.has(error.code)) {
    return { attempt, sent: false, answered: false, mayHaveActed: false };
  }
  // A malformed 2xx body was an answer: the server acted on it.
  if (error instanceof MalformedResponseError)
    return { attempt, sent: true, answered: true, mayHaveActed: true };
  return { attempt, sent: true, answered: false, mayHaveActed: true };
}

/** A rate limit a gateway names in its throttling message: `limit` requests per `periodMs`. */
export interface DocumentedLimit {
  readonly limit: number;
  readonly periodMs: number;
}

const PERIOD_UNIT_MS: Readonly<Record<string, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};

/**
 * Reads the limit an API gateway names in a throttling message: APIG's `limit:600, time:1 minute` (also
 * `time:10 second`, `time:minute`), and IAM's `Threshold: 10 times per 1 seconds`. Undefined when the message
 * names none, or names a non-positive one.
 */
export function parseDocumentedLimit(message: string | undefined): DocumentedLimit | undefined {
  if (message === undefined) return undefined;
  const match =
    /limit\s*[:=]\s*(\d+)\s*,\s*time\s*[:=]\s*(\d+)?\s*(second|minute|hour|day)s?\b/i.exec(message) ??
    /(\d+)\s*times\s+per\s+(\d+)?\s*(second|minute|hour|day)s?\b/i.exec(message);
  if (match === null) return undefined;
  const limit = Number(match[1]);
  const count = match[2] === undefined ? 1 : Number(match[2]);
  const unitMs = PERIOD_UNIT_MS[(match[3] ?? '').toLowerCase()];
  if (unitMs === undefined || !(limit > 0) || !(count > 0)) return undefined;
  return { limit, periodMs: count * unitMs };
}
