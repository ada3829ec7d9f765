import { describe, expect, it } from 'vitest';
import {
  computeRetryDelayMs,
  isRetryable,
  parseDocumentedLimit,
  parseRetryAfterMs,
} from '../../lib/cloud/retry-policy';
import {
  AuthError,
  CloudApiError,
  ConfigError,
  MalformedResponseError,
  NetworkError,
  RunStoppedError,
  TimeoutError,
} from '../../lib/errors';

function makeApiError(status: number, errorCode?: string): CloudApiError {
  const fields = {
    service: 'dcs' as const,
    operation: 'DeleteCenterTask',
    method: 'DELETE',
    path: '/v2/p/tasks/1',
    status,
    errorCode,
    errorMsg: undefined,
    requestId: undefined,
    attempts: 1,
  };
  return status === 401 || status === 403 ? new AuthError(fields) : new CloudApiError(fields);
}

describe('isRetryable', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries status %i', (status) => {
    expect(isRetryable(makeApiError(status))).toBe(true);
  });

  it.each([400, 401, 403, 404, 405, 409, 412, 422, 501])('never retries status %i', (status) => {
    expect(isRetryable(makeApiError(status, 'DCS.4070'))).toBe(false);
  });

  it.each([
    [429, 'APIG.0308'],
    [400, 'APIGW.0308'],
    [403, 'IAM.0012'],
    [400, 'DIS.4305'],
  ])('retries status %i with throttling code %s', (status, code) => {
    expect(isRetryable(makeApiError(status, code))).toBe(true);
  });

  it.each([
    ['a network error', new NetworkError('reset', { code: 'ECONNRESET' }), true],
    ['a request timeout', new TimeoutError('slow', { kind: 'request' }), true],
    ['the run stopping', new RunStoppedError('late', { reason: 'deadline', sent: false }), false],
    ['a malformed GET body', new MalformedResponseError('bad', { method: 'GET' }), true],
    ['a malformed DELETE body', new MalformedResponseError('bad', { method: 'DELETE' }), false],
    ['a malformed token (POST) body', new MalformedResponseError('bad', { method: 'POST' }), true],
    ['a malformed body of an unknown call', new MalformedResponseError('bad'), false],
    ['a config error', new ConfigError(['x']), false],
    ['an unknown error (a bug)', new TypeError('x is undefined'), false],
    ['a non-error', 'boom', false],
  ])('%s → %s', (_name, error, expected) => {
    expect(isRetryable(error)).toBe(expected);
  });
});

describe('computeRetryDelayMs', () => {
  const nowMs = Date.parse('2025-01-01T00:00:00Z');

  it.each([
    // attempt, random, expected: random * min(cap, base * 2^attempt), base 100, cap 1000
    [0, 0.5, 50],
    [1, 0.5, 100],
    [2, 0.999, 399],
    [3, 1 - 1e-9, 799],
    [4, 0.5, 500],
    [10, 0.5, 500],
    [0, 0, 0],
  ])('full jitter: attempt %i, random %f → %i ms', (attempt, random, expected) => {
    expect(computeRetryDelayMs({ attempt, random, baseMs: 100, capMs: 1000, nowMs })).toBe(expected);
  });

  it.each([
    ['3', 3000],
    ['0', 0],
    ['1.5', 1500],
    ['Wed, 01 Jan 2025 00:00:07 GMT', 7000],
    ['Tue, 31 Dec 2024 23:59:00 GMT', 0],
  ])('Retry-After %s wins over backoff → %i ms', (header, expected) => {
    expect(
      computeRetryDelayMs({
        attempt: 5,
        random: 0.9,
        baseMs: 100,
        capMs: 1000,
        nowMs,
        retryAfterHeader: header,
      }),
    ).toBe(expected);
  });

  it.each(['soon', '-1', '', '2025-01-01', '1e3'])(
    'a malformed Retry-After %j falls back to backoff',
    (header) => {
      expect(parseRetryAfterMs(header, nowMs)).toBeUndefined();
      expect(
        computeRetryDelayMs({
          attempt: 1,
          random: 0.5,
          baseMs: 100,
          capMs: 1000,
          nowMs,
          retryAfterHeader: header,
        }),
      ).toBe(100);
    },
  );
});

describe('parseDocumentedLimit', () => {
  it.each<[string | undefined, { limit: number; periodMs: number } | undefined]>([
    [
      'The throttling threshold has been reached: policy ip over ratelimit, limit:100, time:1 second',
      { limit: 100, periodMs: 1_000 },
    ],
    [
      'The throttling threshold has been reached: policy user over ratelimit,limit:600,time:1 minute',
      { limit: 600, periodMs: 60_000 },
    ],
    ['policy user over ratelimit, limit: 300, time: 10 second', { limit: 300, periodMs: 10_000 }],
    ['limit:5000,time:1 hour', { limit: 5_000, periodMs: 3_600_000 }],
    ['limit:20, time:minute', { limit: 20, periodMs: 60_000 }],
    [
      'The throttling threshold has been reached. Threshold: 10 times per 1 seconds',
      { limit: 10, periodMs: 1_000 },
    ],
    ['The throttling threshold has been reached.', undefined],
    ['limit:0, time:1 second', undefined],
    ['limit:5, time:1 fortnight', undefined],
    [undefined, undefined],
  ])('%j → %j', (message, expected) => {
    expect(parseDocumentedLimit(message)).toEqual(expected);
  });
});
