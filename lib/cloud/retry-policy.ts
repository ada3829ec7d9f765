/**
 * The one place that decides whether a failure is retried, and how long to wait (STYLE rule 5). Pure.
 */
import { AuthError, CloudApiError, MalformedResponseError, NetworkError, TimeoutError } from '../errors';

/** Statuses worth another attempt: the server may answer differently next time. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/** "Slow down" codes, retryable whatever status they arrive with (DIS.4305 comes as 400). */
export const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'APIG.0308',
  'APIGW.0308',
  'IAM.0012',
  'DIS.4305',
]);

/** 401 codes meaning "the token expired, get a new one" (REFERENCE §1.2, §1.5, §2.7). */
export const TOKEN_EXPIRED_CODES: ReadonlySet<string> = new Set([
  'APIG.0307',
  'APIGW.0307',
  'IAM.0066',
  'DCS.1002',
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
  if (error instanceof TimeoutError) return error.kind === 'request';
  // A 2xx DELETE took effect whatever its body says. Other calls may be repeated when the client allows
  // them (GET; POST only for token minting, which is harmless to repeat).
  if (error instanceof MalformedResponseError) return error.method !== undefined && error.method !== 'DELETE';
  return false;
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
