/**
 * One error class for each failure a caller can act on. Always constructed with `cause`
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
  /**
   * What had been sent to the cloud when the problem was found (`IAM was asked for the project id`);
   * undefined: nothing was sent.
   */
  readonly sent: string | undefined;
  constructor(problems: readonly string[], options?: ErrorOptions & { subject?: string; sent?: string }) {
    const subject = options?.subject ?? 'configuration';
    super(`invalid ${subject}:\n  - ${problems.join('\n  - ')}`, options);
    this.problems = problems;
    this.sent = options?.sent;
  }
}

/** IAM has no project named after the region. Found by asking IAM: only IAM was sent anything. */
export class ProjectNotFoundError extends ConfigError {
  override name = 'ProjectNotFoundError';
  readonly region: string;
  constructor(region: string) {
    super([`TASK_JANITOR_PROJECT_ID: IAM has no project named "${region}"; set the project id explicitly`], {
      sent: 'IAM was asked for the project id; nothing was listed or deleted',
    });
    this.region = region;
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
  /** Which attempt of the call this answer was (1 for the first). */
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
  readonly attempts: number;
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

/**
 * A 3xx answer. Redirects are never followed (a followed redirect would carry the credential headers to
 * whatever host the answer names, and a 303 turns a DELETE into a GET) and never retried.
 */
export class RedirectError extends CloudApiError {
  override name = 'RedirectError';
  /** The host the answer's `Location` names (never the full URL: it may carry a token in its query). */
  readonly locationHost: string | undefined;
  constructor(
    fields: CloudApiErrorFields & { readonly locationHost: string | undefined },
    options?: ErrorOptions,
  ) {
    super(fields, options);
    this.locationHost = fields.locationHost;
  }
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

/** A request got no answer within the per-request timeout (it may have reached the server). */
export class TimeoutError extends JanitorError {
  override name = 'TimeoutError';
  readonly kind: 'request';
  constructor(message: string, options: ErrorOptions & { kind?: 'request' } = {}) {
    super(message, options);
    this.kind = 'request';
  }
}

/** Why a run stops starting work: its deadline, or an operator's interrupt (Ctrl-C, SIGTERM). */
export type StopReason = 'deadline' | 'interrupted';

/** The stop reason an abort signal carries: an `InterruptError` is an interrupt, anything else the deadline. */
export function stopReasonOf(reason: unknown): StopReason {
  return reason instanceof InterruptError ? 'interrupted' : 'deadline';
}

/**
 * The run stopped (deadline or interrupt) and cut this call: before it was sent (`sent: false`: a wait for a
 * slot, the pacer, the breaker or a retry was cut, nothing went out for this attempt), or while it was in flight
 * (`sent: true`: the request was aborted without an answer; whether the server acted is unknown).
 */
export class RunStoppedError extends JanitorError {
  override name = 'RunStoppedError';
  readonly reason: StopReason;
  readonly sent: boolean;
  constructor(message: string, options: ErrorOptions & { reason: StopReason; sent: boolean }) {
    super(message, options);
    this.reason = options.reason;
    this.sent = options.sent;
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

/** Every attempted operation of a run failed: the shells throw it so alarms mean something. */
export class FullRunFailureError extends JanitorError {
  override name = 'FullRunFailureError';
  /** The failures as the typed errors they were (`CloudApiError`, `NetworkError`, …, with their `cause`). */
  readonly errors: readonly Error[];
  constructor(message: string, errors: readonly Error[]) {
    super(message, { cause: errors[0] });
    this.errors = errors;
  }
}

/** The signals an operator stops a run with. */
/** Ctrl-C, a stop request (SIGTERM), or the terminal going away (SIGHUP: an ssh session dropped). */
export type InterruptSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';

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
