/**
 * One error class for each failure a caller can act on (STYLE rule 4). Always constructed with `cause`
 * where there is one; messages name method, URL path and status.
 */
import type { CloudService } from './types';

export class JanitorError extends Error {
  override name = 'JanitorError';
}

/** Invalid configuration, policy, event or CLI input. Lists every problem; nothing was sent to the cloud. */
export class ConfigError extends JanitorError {
  override name = 'ConfigError';
  /** Each problem as `path: what was expected, got what`. */
  readonly problems: readonly string[];
  constructor(problems: readonly string[], options?: ErrorOptions & { subject?: string }) {
    const subject = options?.subject ?? 'configuration';
    super(`invalid ${subject}:\n  - ${problems.join('\n  - ')}`, options);
    this.problems = problems;
  }
}

export interface CloudApiErrorFields {
  readonly service: CloudService;
  readonly operation: string;
  readonly method: string;
  /** Path only (no host, no query): safe to log. */
  readonly path: string;
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly errorMsg: string | undefined;
  readonly errorExtMsg?: string | undefined;
  readonly requestId: string | undefined;
  /** How many attempts were made in total. */
  readonly attempts: number;
}

/** A 4xx/5xx answer from a cloud API, with its parsed payload fields. */
export class CloudApiError extends JanitorError implements CloudApiErrorFields {
  override name = 'CloudApiError';
  readonly service: CloudService;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly errorCode: string | undefined;
  readonly errorMsg: string | undefined;
  readonly errorExtMsg: string | undefined;
  readonly requestId: string | undefined;
  attempts: number;
  constructor(fields: CloudApiErrorFields, options?: ErrorOptions) {
    super(
      `${fields.method} ${fields.path} failed: ${fields.status}${fields.errorCode ? ` ${fields.errorCode}` : ''}${
        fields.errorMsg ? ` ${fields.errorMsg}` : ''
      }`,
      options,
    );
    this.service = fields.service;
    this.operation = fields.operation;
    this.method = fields.method;
    this.path = fields.path;
    this.status = fields.status;
    this.errorCode = fields.errorCode;
    this.errorMsg = fields.errorMsg;
    this.errorExtMsg = fields.errorExtMsg;
    this.requestId = fields.requestId;
    this.attempts = fields.attempts;
  }
}

/** 401/403: bad or expired credentials, missing permission. Never retried (a retried bad signature gets an IP blacklisted). */
export class AuthError extends CloudApiError {
  override name = 'AuthError';
}

/** Connection refused/reset, DNS failure, socket error. Wraps node-fetch's `FetchError` as `cause`. */
export class NetworkError extends JanitorError {
  override name = 'NetworkError';
  readonly code: string | undefined;
  constructor(message: string, options?: ErrorOptions & { code?: string | undefined }) {
    super(message, options);
    this.code = options?.code;
  }
}

/**
 * Not sent: the host failed so many calls in a row that its retry budget is empty (it is down), and only one
 * probe per interval goes through until it answers again. Fails fast instead of hammering the host.
 */
export class HostUnavailableError extends NetworkError {
  override name = 'HostUnavailableError';
  /** The status of the host's last failed answer (e.g. 503), when it answered at all. */
  readonly lastStatus: number | undefined;
  constructor(message: string, options: ErrorOptions & { code?: string; lastStatus?: number | undefined }) {
    super(message, options);
    this.lastStatus = options.lastStatus;
  }
}

/** A request timed out, or the run's deadline aborted it. */
export class TimeoutError extends JanitorError {
  override name = 'TimeoutError';
  /** `request`: the per-request timeout (retryable); `deadline`: the run's budget is spent (not retryable). */
  readonly kind: 'request' | 'deadline';
  constructor(message: string, options: ErrorOptions & { kind: 'request' | 'deadline' }) {
    super(message, options);
    this.kind = options.kind;
  }
}

/** A 2xx body that is not what the API documents (truncated or malformed JSON, wrong shape). */
export class MalformedResponseError extends JanitorError {
  override name = 'MalformedResponseError';
  /** The request's method: a malformed 2xx body is retryable unless the call was a DELETE (which took effect). */
  readonly method: string | undefined;
  readonly path: string | undefined;
  constructor(message: string, options?: ErrorOptions & { method?: string; path?: string }) {
    super(message, options);
    this.method = options?.method;
    this.path = options?.path;
  }
}

/**
 * A listing that cannot be trusted (pages repeating or losing items, a count that disagrees, a page over
 * the limit, a list that never ends). The engine deletes nothing for that service.
 */
export class ListingError extends JanitorError {
  override name = 'ListingError';
}

/** Every attempted operation of a run failed (STYLE rule 8): the shells throw it so alarms mean something. */
export class FullRunFailureError extends JanitorError {
  override name = 'FullRunFailureError';
  readonly errors: readonly Error[];
  constructor(message: string, errors: readonly Error[]) {
    super(message, { cause: errors[0] });
    this.errors = errors;
  }
}

/** The signals an operator stops a run with. */
export type InterruptSignal = 'SIGINT' | 'SIGTERM';

/**
 * The operator interrupted the run (Ctrl-C, or SIGTERM). The shell aborts the run's signal with it, so the
 * engine can tell an interrupt from the deadline: no new work starts and the report of what was done is kept.
 */
export class InterruptError extends JanitorError {
  override name = 'InterruptError';
  readonly signal: InterruptSignal;
  constructor(signal: InterruptSignal, options?: ErrorOptions) {
    super(`interrupted by ${signal}`, options);
    this.signal = signal;
  }
}
