/**
 * The client's log lines for failed attempts: one per 4xx/5xx answer and per transport failure, written where
 * it is read, or held until the retry layer has decided what happens next (the line then says so).
 */
import type { Deps } from '../deps';
import {
  CloudApiError,
  JanitorError,
  NetworkError,
  RedirectError,
  RunStoppedError,
  TimeoutError,
} from '../errors';
import type { CloudService } from '../types';
import { isRetryable } from './retry-policy';
import type { CloudRequest } from './types';

/** What a log line names of a call. */
export interface LoggedCall {
  readonly service: CloudService;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly retryPost?: boolean;
  readonly isExpectedError?: CloudRequest['isExpectedError'];
  readonly onAttempt?: CloudRequest['onAttempt'];
}

/** What the retry layer decided about a failed attempt. */
export interface RetryDecisionLog {
  readonly willRetry: boolean;
  readonly delayMs: number;
  readonly extra?: Record<string, unknown>;
}

export interface AnswerLog {
  /** Writes the line of a failed attempt now; with `decision`, the line says whether and when it is retried. */
  write(call: LoggedCall, attempt: number, error: unknown, decision?: RetryDecisionLog): void;
  /** Holds the line of `error` until the retry decision (`writeDecided`). */
  defer(error: object, call: LoggedCall, attempt: number): void;
  /**
   * Writes the held line of `error` with the decision. An answer already logged where it was read (inside a
   * sequence) gets a debug line for a retry only: the decision is all that is new.
   */
  writeDecided(error: unknown, call: LoggedCall, attemptNumber: number, decision: RetryDecisionLog): void;
}

/** The credential values a request's headers carry: the tokens, and the AK/SK signature. */
export function secretHeaderValues(headers: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (key === 'x-auth-token' || key === 'x-security-token') secrets.push(value);
    if (key === 'authorization') {
      secrets.push(value);
      const signature = /Signature=([0-9a-fA-F]+)/.exec(value)?.[1];
      if (signature) secrets.push(signature);
    }
  }
  return secrets;
}

function describeCall(call: { service: CloudService; operation: string; method: string; path: string }) {
  return { service: call.service, operation: call.operation, method: call.method, path: call.path };
}

/** `hostOf` names the host a service's calls go to (`dcs.eu-de.otc.t-systems.com`). */
export function createAnswerLog(
  deps: Pick<Deps, 'log'>,
  hostOf: (service: CloudService) => string,
): AnswerLog {
  /** Failed attempts whose line waits for the retry decision. */
  const held = new WeakMap<object, { readonly call: LoggedCall; readonly attempt: number }>();
  const write: AnswerLog['write'] = (call, attempt, error, decision) => {
    const base = {
      ...describeCall(call),
      host: hostOf(call.service),
      attempt,
      ...(decision ? pickDecision(decision) : {}),
    };
    const retrying =
      decision?.willRetry ?? (isRetryable(error) && (call.method !== 'POST' || call.retryPost === true));
    if (error instanceof CloudApiError) writeAnswer(deps, call, error, base, retrying);
    else writeFailure(deps, call, error, base, retrying);
  };
  return {
    write,
    defer(error, call, attempt) {
      held.set(error, { call, attempt });
    },
    writeDecided(error, call, attemptNumber, decision) {
      const key = typeof error === 'object' && error !== null ? error : undefined;
      const pending = key === undefined ? undefined : held.get(key);
      if (key !== undefined && pending) {
        held.delete(key);
        write(pending.call, pending.attempt, error, decision);
      } else if (decision.willRetry) {
        deps.log.debug(
          { ...describeCall(call), attempt: attemptNumber, ...pickDecision(decision) },
          `${call.operation}: retrying in ${decision.delayMs} ms`,
        );
      }
    },
  };
}

/** The decision's fields of a log line. */
function pickDecision(decision: RetryDecisionLog) {
  return { willRetry: decision.willRetry, delayMs: decision.delayMs, ...decision.extra };
}

/**
 * An answer's line: its payload (status, code, message, request id). Expected answers (a documented "not
 * found" the caller handles) are `info`; retried ones `warn`; final ones `error`.
 */
function writeAnswer(
  deps: Pick<Deps, 'log'>,
  call: LoggedCall,
  error: CloudApiError,
  base: Record<string, unknown>,
  retrying: boolean,
): void {
  const expected = call.isExpectedError?.({ status: error.status, errorCode: error.errorCode }) ?? false;
  const level = expected ? 'info' : retrying ? 'warn' : 'error';
  deps.log[level](
    {
      ...base,
      status: error.status,
      errorCode: error.errorCode,
      errorMsg: error.errorMsg,
      errorExtMsg: error.errorExtMsg,
      requestId: error.requestId,
      ...(error instanceof RedirectError ? { locationHost: error.locationHost } : {}),
    },
    error instanceof RedirectError
      ? `${call.method} ${call.path} answered ${error.status} (a redirect, not followed)`
      : `${call.method} ${call.path} answered ${error.status}`,
  );
}

/** A transport failure's line (no answer was read). */
function writeFailure(
  deps: Pick<Deps, 'log'>,
  call: LoggedCall,
  error: unknown,
  base: Record<string, unknown>,
  retrying: boolean,
): void {
  deps.log[retrying || error instanceof RunStoppedError ? 'warn' : 'error'](
    {
      ...base,
      error: error instanceof Error ? error.name : typeof error,
      ...(error instanceof NetworkError && error.code ? { code: error.code } : {}),
      ...(error instanceof TimeoutError ? { timeout: 'request' } : {}),
    },
    error instanceof JanitorError ? error.message : `${call.method} ${call.path} failed`,
  );
}
