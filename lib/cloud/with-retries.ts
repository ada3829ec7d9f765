/**
 * The retry loop of the client: p-retry v7 around one attempt, each failure put through the one pure decision
 * (`decideRetry`). p-retry's own timer is off: the delay (full jitter, `Retry-After`, the host's pause) is
 * computed there and slept here with the injected `sleep`, cut by the run's soft stop.
 */
import pRetry, { AbortError } from 'p-retry';
import type { Deps } from '../deps';
import { RunStoppedError, stopReasonOf } from '../errors';
import type { CloudService } from '../types';
import type { AnswerLog, RetryDecisionLog } from './answer-log';
import { describeStop, type HostHealth } from './host-health';
import { decideRetry, isThrottling, type RetryDecision } from './retry-policy';

/** The signals of one call: the hard one (in-flight requests) and the soft one (waits, new attempts). */
export interface CallSignals {
  readonly hard: AbortSignal;
  readonly stop: AbortSignal;
}

/** A call as the retry loop sees it. */
export interface RetriedCall {
  readonly service: CloudService;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  /** The call may be repeated at all: GET, DELETE, or a POST that is harmless to repeat. */
  readonly repeatable: boolean;
}

export interface RetryLimits {
  readonly maxAttempts: number;
  readonly maxRetryTimeMs: number;
  readonly backoffBaseMs: number;
  readonly backoffCapMs: number;
}

/** What the attempt that threw an error learned, kept for the retry decision that reads it later. */
export class FailureNotes {
  readonly #retryAfter = new WeakMap<object, string>();
  readonly #refreshableToken = new WeakSet<object>();

  /** The `Retry-After` of the answer `error` came from. */
  noteRetryAfter(error: object, retryAfter: string): void {
    this.#retryAfter.set(error, retryAfter);
  }

  retryAfterOf(error: unknown): string | undefined {
    return typeof error === 'object' && error !== null ? this.#retryAfter.get(error) : undefined;
  }

  /** A 401 "token expired" whose token was dropped: one fresh token may help. */
  noteRefreshableToken(error: object): void {
    this.#refreshableToken.add(error);
  }

  isRefreshableToken(error: unknown): boolean {
    return typeof error === 'object' && error !== null && this.#refreshableToken.has(error);
  }
}

export interface RetryLoopParts {
  readonly deps: Pick<Deps, 'now' | 'sleep' | 'random' | 'log'>;
  readonly limits: RetryLimits;
  readonly hostFor: (service: CloudService) => HostHealth;
  readonly notes: FailureNotes;
  readonly answers: AnswerLog;
}

/** The per-call retry bookkeeping `decideRetry` reads. */
interface RetryTally {
  counted: number;
  throttled: number;
  firstFailureAtMs: number | undefined;
  tokenRefreshed: boolean;
}

export type RetryLoop = <T>(
  call: RetriedCall,
  signals: CallSignals,
  attemptFn: (attempt: number) => Promise<T>,
) => Promise<T>;

/**
 * Runs `attemptFn` until it succeeds or a failure is not retried; a retry waits with the injected `sleep`,
 * cut by the soft stop (then the call ends with `RunStoppedError`, nothing more sent).
 */
export function createRetryLoop(parts: RetryLoopParts): RetryLoop {
  return <T>(call: RetriedCall, signals: CallSignals, attemptFn: (attempt: number) => Promise<T>) => {
    const tally: RetryTally = {
      counted: 0,
      throttled: 0,
      firstFailureAtMs: undefined,
      tokenRefreshed: false,
    };
    let retryNext = false;
    return pRetry(
      async (attemptNumber) => {
        if (attemptNumber > 1 && signals.stop.aborted)
          throw new AbortError(stoppedBeforeRetry(call, signals));
        return attemptFn(attemptNumber);
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: 0,
        maxTimeout: 0,
        onFailedAttempt: async ({ error, attemptNumber }) => {
          retryNext = false;
          retryNext = await settleFailure(parts, { call, signals, tally, attemptNumber }, error);
        },
        shouldRetry: () => retryNext,
      },
    );
  };
}

interface FailedAttempt {
  readonly call: RetriedCall;
  readonly signals: CallSignals;
  readonly tally: RetryTally;
  readonly attemptNumber: number;
}

/** Decides, logs and waits after one failed attempt; true when the call is attempted again. */
async function settleFailure(parts: RetryLoopParts, failed: FailedAttempt, error: unknown): Promise<boolean> {
  const { call, signals, tally } = failed;
  const log = (decision: RetryDecisionLog) =>
    parts.answers.writeDecided(error, call, failed.attemptNumber, decision);
  if (error instanceof RunStoppedError) {
    log({ willRetry: false, delayMs: 0 });
    return false;
  }
  if (parts.notes.isRefreshableToken(error) && !tally.tokenRefreshed) {
    // Refresh once and repeat: not a retry, never a loop.
    tally.tokenRefreshed = true;
    log({ willRetry: true, delayMs: 0, extra: { tokenRefresh: true } });
    return true;
  }
  const decision = decide(parts, call, tally, error);
  if (!decision.retry) {
    log({ willRetry: false, delayMs: 0, extra: gaveUpFields(decision.reason) });
    return false;
  }
  log({ willRetry: true, delayMs: decision.delayMs, extra: decision.throttled ? { throttled: true } : {} });
  if (decision.delayMs > 0) {
    try {
      await parts.deps.sleep(decision.delayMs, signals.stop);
    } catch {
      throw stoppedBeforeRetry(call, signals, error);
    }
  }
  if (signals.stop.aborted) throw stoppedBeforeRetry(call, signals, error);
  return true;
}

/** Counts the failure in the call's tally and asks `decideRetry`. */
function decide(parts: RetryLoopParts, call: RetriedCall, tally: RetryTally, error: unknown): RetryDecision {
  const nowMs = parts.deps.now().getTime();
  if (isThrottling(error)) tally.throttled += 1;
  else {
    tally.counted += 1;
    tally.firstFailureAtMs ??= nowMs;
  }
  const host = parts.hostFor(call.service);
  return decideRetry({
    error,
    repeatable: call.repeatable,
    countedAttempts: Math.max(1, tally.counted),
    maxAttempts: parts.limits.maxAttempts,
    throttledAttempts: Math.max(1, tally.throttled),
    failingForMs: tally.firstFailureAtMs === undefined ? 0 : nowMs - tally.firstFailureAtMs,
    maxRetryTimeMs: parts.limits.maxRetryTimeMs,
    retryAfterHeader: parts.notes.retryAfterOf(error),
    random: parts.deps.random(),
    backoffBaseMs: parts.limits.backoffBaseMs,
    backoffCapMs: parts.limits.backoffCapMs,
    nowMs,
    budgetAllowsRetry: host.allowsRetry(),
    ...(host.paced ? { hostPausedForMs: host.pausedForMs() } : {}),
  });
}

function gaveUpFields(reason: Extract<RetryDecision, { retry: false }>['reason']): Record<string, unknown> {
  if (reason === 'not-retryable') return {};
  return { gaveUp: reason, ...(reason === 'retry-budget' ? { retryBudgetExhausted: true } : {}) };
}

/** Ends the call with `error`, with no further attempt (p-retry's `AbortError`). */
export function abortCall(error: unknown): AbortError {
  return new AbortError(error instanceof Error ? error : new Error(String(error)));
}

function stoppedBeforeRetry(
  call: { readonly method: string; readonly path: string },
  signals: { readonly stop: AbortSignal },
  lastError?: unknown,
): RunStoppedError {
  const reason = stopReasonOf(signals.stop.reason);
  return new RunStoppedError(`${call.method} ${call.path}: not retried: the run ${describeStop(reason)}`, {
    reason,
    sent: false,
    ...(lastError !== undefined ? { cause: lastError } : {}),
  });
}
