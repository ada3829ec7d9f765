/**
 * The I/O half of a purge: carries out the deletes of a plan and hands every outcome to the recorder.
 * Bounded concurrency per service; no delete starts once the run has stopped (deadline or interrupt); where the
 * API does not refuse a running task, every DELETE is sent right after a read that found the task deletable;
 * a delete answered "not found" after this run sent it counts as deleted; a delete whose outcome is unknown is
 * settled by reading the task before the report. One failure never stops the run. The delete itself is in
 * `execute-deleter.ts`, the settling of unknown outcomes in `execute-unsettled.ts`.
 */
import type { Deps } from './deps';
import { type StopReason, stopReasonOf } from './errors';
import { createDeleter, type Deleter } from './execute-deleter';
import {
  type Attempt,
  DeleteAttempts,
  describeError,
  type RunSignals,
  skipped,
  type Unsettled,
} from './execute-outcomes';
import { resolveUnsettled } from './execute-unsettled';
import { forEachConcurrently } from './for-each-concurrently';
import type { DeleteCandidate } from './plan';
import type { ServicePolicy } from './policy/types';
import type { TaskOutcome } from './recorder';
import type { ServiceId, SourceContext, TaskSource } from './types';

export type { RunSignals } from './execute-outcomes';

/** Progress for the CLI's progress bar (stderr); never needed for correctness. */
export type ProgressEvent =
  | { readonly phase: 'list'; readonly service: ServiceId; readonly listed: number }
  | {
      readonly phase: 'listed';
      readonly service: ServiceId;
      readonly listed: number;
      readonly stale: number;
      readonly error?: string;
    }
  | { readonly phase: 'plan'; readonly deletes: number; readonly capped: number; readonly dryRun: boolean }
  | { readonly phase: 'delete'; readonly service: ServiceId; readonly done: number; readonly total: number }
  | { readonly phase: 'done' };

export interface ExecutePlanOptions {
  /** The effective policy's rule per service (a task is re-evaluated against it before a guarded delete). */
  readonly policyOf: (service: ServiceId) => ServicePolicy | undefined;
  /** Oldest first (as `applyCap` returns them). */
  readonly deletes: readonly DeleteCandidate[];
  readonly sources: ReadonlyMap<ServiceId, TaskSource>;
  /** The context each source call gets (client, project, signal, logger). */
  readonly contextFor: (service: ServiceId) => SourceContext;
  readonly signals: RunSignals;
  /** No delete starts at or after this epoch ms (`deps.now()` clock), even before `signals.stop` fires. */
  readonly deadlineAtMs: number;
  readonly onOutcome: (candidate: DeleteCandidate, outcome: TaskOutcome) => void;
  /** Per service. @default 8 */
  readonly concurrency?: number;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** The time a re-read task's age is measured from. @default `deps.now()` */
  readonly planningNowMs?: () => number;
}

export async function executePlan(deps: Deps, options: ExecutePlanOptions): Promise<void> {
  const { signals } = options;
  const stopReason = (): StopReason | undefined => {
    if (signals.stop.aborted) return stopReasonOf(signals.stop.reason);
    return deps.now().getTime() >= options.deadlineAtMs ? 'deadline' : undefined;
  };
  const run: PlanRun = {
    concurrency: Math.max(1, options.concurrency ?? 8),
    stopReason,
    order: new Map(options.deletes.map((candidate, index) => [candidate, index])),
  };
  // Each service's later pass starts when its own first pass is over, not when the slowest service's is.
  await Promise.all(
    [...groupByService(options.deletes)].map(([service, candidates]) =>
      executeService(deps, options, run, service, candidates),
    ),
  );
}

/** What every service's deletes share. */
interface PlanRun {
  readonly concurrency: number;
  readonly stopReason: () => StopReason | undefined;
  /** Each candidate's place in the plan (oldest first). */
  readonly order: ReadonlyMap<DeleteCandidate, number>;
}

function groupByService(deletes: readonly DeleteCandidate[]): Map<ServiceId, DeleteCandidate[]> {
  const byService = new Map<ServiceId, DeleteCandidate[]>();
  for (const candidate of deletes) {
    const list = byService.get(candidate.task.service) ?? [];
    list.push(candidate);
    byService.set(candidate.task.service, list);
  }
  return byService;
}

async function executeService(
  deps: Deps,
  options: ExecutePlanOptions,
  run: PlanRun,
  service: ServiceId,
  candidates: readonly DeleteCandidate[],
): Promise<void> {
  const source = options.sources.get(service);
  const servicePolicy = options.policyOf(service);
  if (!source || !servicePolicy) {
    for (const candidate of candidates)
      options.onOutcome(candidate, skipped('changed', 'service-not-selected'));
    return;
  }
  const { signals } = options;
  const deleter = createDeleter({
    source,
    servicePolicy,
    planningNowMs: options.planningNowMs ?? (() => deps.now().getTime()),
    ctx: options.contextFor(service),
    signals,
    stopReason: run.stopReason,
  });
  const ledger = new ServiceLedger(deps, service, signals.stop, options.onOutcome);
  let done = 0;
  await forEachConcurrently(candidates, run.concurrency, async (candidate) => {
    const reason = run.stopReason();
    // Not started: nothing of this task was sent.
    if (reason !== undefined) ledger.settle(candidate, { settled: skipped(reason, reason) }, false);
    else ledger.settle(candidate, await deleter.attempt(candidate, ledger.attemptsFor(candidate)), true);
    done += 1;
    options.onProgress?.({ phase: 'delete', service, done, total: candidates.length });
  });
  await runLaterPass(ledger, deleter, run);
  await resolveUnsettled(
    deps,
    { source, ctx: options.contextFor(service), signals },
    ledger.unsettled,
    options.onOutcome,
  );
}

/**
 * One later pass for retryable failures, in deterministic (oldest-first) order, while the run goes on; once it
 * stops, a failure stays the failure it was (its attempts were spent).
 */
async function runLaterPass(ledger: ServiceLedger, deleter: Deleter, run: PlanRun): Promise<void> {
  const later = ledger.laterPass(run.order);
  await forEachConcurrently(later, run.concurrency, async ({ candidate, error }) => {
    if (run.stopReason() !== undefined) {
      ledger.settle(candidate, { retryLater: error }, false);
      return;
    }
    ledger.settle(candidate, await deleter.attempt(candidate, ledger.attemptsFor(candidate)), false);
  });
}

/**
 * One service's deletes as they settle: each outcome reported, retryable failures of the first pass kept for
 * the later pass (with their error), deletes of unknown outcome kept for the read that settles them.
 */
class ServiceLedger {
  readonly unsettled: Unsettled[] = [];
  readonly #deps: Pick<Deps, 'log'>;
  readonly #service: ServiceId;
  readonly #stop: AbortSignal;
  readonly #onOutcome: ExecutePlanOptions['onOutcome'];
  readonly #attempts = new Map<DeleteCandidate, DeleteAttempts>();
  readonly #later = new Map<DeleteCandidate, unknown>();

  constructor(
    deps: Pick<Deps, 'log'>,
    service: ServiceId,
    stop: AbortSignal,
    onOutcome: ExecutePlanOptions['onOutcome'],
  ) {
    this.#deps = deps;
    this.#service = service;
    this.#stop = stop;
    this.#onOutcome = onOutcome;
  }

  /** The attempts of one task, across both passes. */
  attemptsFor(candidate: DeleteCandidate): DeleteAttempts {
    let attempts = this.#attempts.get(candidate);
    if (!attempts) {
      attempts = new DeleteAttempts();
      this.#attempts.set(candidate, attempts);
    }
    return attempts;
  }

  settle(candidate: DeleteCandidate, result: Attempt, allowLater: boolean): void {
    if ('settled' in result) this.#onOutcome(candidate, result.settled);
    else if ('unsettled' in result) this.unsettled.push(result.unsettled);
    else if (allowLater && !this.#stop.aborted) {
      this.#deps.log.warn(
        { service: this.#service, taskId: candidate.task.id, error: describeError(result.retryLater) },
        'delete failed; will try once more after the service’s other deletes',
      );
      this.#later.set(candidate, result.retryLater);
    } else this.#onOutcome(candidate, { kind: 'failed', error: result.retryLater });
  }

  /** The failures kept for the later pass, in the plan's order. */
  laterPass(
    order: ReadonlyMap<DeleteCandidate, number>,
  ): Array<{ candidate: DeleteCandidate; error: unknown }> {
    return [...this.#later]
      .sort(([a], [b]) => (order.get(a) ?? 0) - (order.get(b) ?? 0))
      .map(([candidate, error]) => ({ candidate, error }));
  }
}
