/**
 * What the executor's parts share: the run's stops, what the DELETE attempts of one task did, and the
 * outcome a delete settles to.
 */
import type { AttemptRecord } from './cloud/types';
import type { DeleteCandidate } from './plan';
import type { TaskOutcome } from './recorder';
import type { SkipReason } from './report';
import { isAnswer } from './sources/wire';
import type { ApiAnswer, TaskSource } from './types';

/**
 * The run's three stops. `stop`: no new work starts (the deadline, or an operator's interrupt; its reason says
 * which). `abort`: requests still in flight are aborted (a while after `stop`). `resolve`: reads that settle
 * deletes of unknown outcome end (a while after `abort`).
 */
export interface RunSignals {
  readonly stop: AbortSignal;
  readonly abort: AbortSignal;
  readonly resolve: AbortSignal;
}

/**
 * What the DELETE attempts of one task did, across the client's retries and the later pass: whether any of them
 * may have been carried out without the cloud saying so (no answer; a gateway's 504). A "not found" after
 * such an attempt is this run's own deletion, whose answer was lost.
 */
export class DeleteAttempts {
  #mayHaveActed = false;
  readonly record = (record: AttemptRecord): void => {
    if (record.mayHaveActed && !(record.answered && record.status !== undefined && record.status < 300)) {
      this.#mayHaveActed = true;
    }
  };
  mayHaveActed(): boolean {
    return this.#mayHaveActed;
  }
}

/** A delete not settled by its answers: settled by reading the task before the report. */
export interface Unsettled {
  readonly candidate: DeleteCandidate;
  readonly attempts: DeleteAttempts;
  readonly error: unknown;
  /** `confirm`: answered "maybe not found"; `uncertain`: sent, effect unknown. */
  readonly why: 'confirm' | 'uncertain';
}

/** What one try at a delete came to. */
export type Attempt =
  | { readonly settled: TaskOutcome }
  | { readonly retryLater: unknown }
  | { readonly unsettled: Unsettled };

/** Gone after this run's DELETE may have acted: deleted; otherwise someone else deleted it. */
export function goneOutcome(attempts: DeleteAttempts): TaskOutcome {
  return attempts.mayHaveActed() ? { kind: 'deleted' } : { kind: 'already-gone' };
}

export function skipped(skip: SkipReason, reason: string, error?: unknown, refused = false): TaskOutcome {
  return { kind: 'skipped', skip, reason, refused, ...(error !== undefined ? { error } : {}) };
}

/** A read of one task answered with the API's documented "not found". */
export function isReadGone(source: TaskSource, answer: ApiAnswer | undefined): boolean {
  return isAnswer(answer, source.descriptor.answers.notFound);
}

/** A read of one task answered "maybe not found" (SMS documents no not-found code): a listing settles it. */
export function isReadMaybeGone(source: TaskSource, answer: ApiAnswer | undefined): boolean {
  return isAnswer(answer, source.descriptor.answers.ambiguousNotFound ?? []);
}

export function describeError(error: unknown): string {
  if (error === undefined) return 'no read';
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
