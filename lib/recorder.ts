/**
 * The run's recorder: the only writer of the report, and of the `task decision` log lines that go with it.
 * Every step of a purge (listing, planning, the cap, the deletes, the resolution of unknown outcomes) tells
 * the recorder what happened; nothing else touches the report's counters, so every counter and every
 * decision line come from one place and cannot disagree.
 */
import type { Deps } from './deps';
import { CloudApiError, HostUnavailableError, RunStoppedError } from './errors';
import type { DeleteCandidate, KeepReason } from './plan';
import { SKIP_REASON_OF } from './plan';
import {
  createReport,
  finishReport,
  MAX_LISTED_FAILURES,
  type Report,
  type RunTarget,
  type ServiceReport,
  type SkipReason,
  serviceReportOf,
  type TaskFailure,
} from './report';
import type { SavedPlanTask } from './saved-plan';
import type { ServiceId, Task } from './types';

const DAY_MS = 86_400_000;
/** How many typed errors a run keeps for `FullRunFailureError` (each is also in the report and the logs). */
const MAX_KEPT_ERRORS = 100;

/** How one planned delete ended. */
export type TaskOutcome =
  | { readonly kind: 'deleted' }
  | { readonly kind: 'already-gone' }
  | {
      readonly kind: 'skipped';
      readonly skip: SkipReason;
      /** The decision line's reason: `in-progress-on-recheck`, `refused-in-progress`, `deadline`, … */
      readonly reason: string;
      /** The API refused, or a read right before the delete stopped it. */
      readonly refused: boolean;
      /** The last answer, when a retry was cut by the run's stop. */
      readonly error?: unknown;
    }
  | { readonly kind: 'failed'; readonly error: unknown }
  | { readonly kind: 'unknown'; readonly error: unknown; readonly reason: string };

/** The fields a failure is reported with: status, error code, message, and the host. */
export function describeFailure(error: unknown): Omit<TaskFailure, 'taskId' | 'name'> {
  if (error instanceof CloudApiError) {
    return { status: error.status, errorCode: error.errorCode, errorMsg: error.errorMsg ?? error.message };
  }
  // Not sent because the host is down: the report shows the status the host last answered.
  if (error instanceof HostUnavailableError) {
    return { status: error.lastStatus, errorCode: error.name, errorMsg: error.message };
  }
  if (error instanceof Error) return { status: undefined, errorCode: error.name, errorMsg: error.message };
  return { status: undefined, errorCode: undefined, errorMsg: String(error) };
}

export interface RecorderOptions {
  readonly dryRun: boolean;
  readonly startedAt: Date;
  readonly policy: { readonly digest: string; readonly maxDeletesPerRun: number; readonly source?: string };
  readonly services: readonly ServiceId[];
  readonly target?: RunTarget;
  /** Host per service, named in failures. */
  readonly hostOf?: (service: ServiceId) => string | undefined;
}

/** Keep reasons worth an `info` line at every listing (the rest are `debug`: there may be a million). */
const NOTABLE_KEEPS: ReadonlySet<KeepReason> = new Set([
  'in-progress',
  'unknown-state',
  'unknown-age',
  'unaddressable',
]);

export class ReportRecorder {
  readonly #deps: Pick<Deps, 'log'>;
  readonly #report: Report;
  readonly #hostOf: (service: ServiceId) => string | undefined;
  readonly #debug: boolean;
  /** The run's failures as the typed errors they were (listings, then deletes), at most `MAX_KEPT_ERRORS`. */
  readonly #errors: Error[] = [];

  constructor(deps: Pick<Deps, 'log'>, options: RecorderOptions) {
    this.#deps = deps;
    this.#debug = deps.log.isLevelEnabled?.('debug') ?? true;
    this.#report = createReport(options);
    if (options.target) this.#report.target = options.target;
    this.#hostOf = options.hostOf ?? (() => undefined);
  }

  /** Where the run works, once the project id is known. */
  target(target: RunTarget): void {
    this.#report.target = target;
  }

  /** A listed task the policy keeps (logged only; counted by `listed`). */
  kept(task: Task, reason: KeepReason, ageMs: number | undefined): void {
    const level = NOTABLE_KEEPS.has(reason) ? 'info' : 'debug';
    // A listing may hold a million too-young tasks: no line is even built unless it is written.
    if (level === 'debug' && !this.#debug) return;
    this.#decision(level, task, ageMs, 'keep', reason);
  }

  /** Plan/apply: a listed task that is not in the plan (a `debug` line; counted by `listed`). */
  notInPlan(task: Task): void {
    if (this.#debug) this.#decision('debug', task, undefined, 'keep', 'not-in-plan');
  }

  /**
   * A service's listing finished: what it listed, how many tasks are stale, and why the others are kept. With a
   * saved plan, a planned task that is listed but no longer deletable or stale counts as `changed`.
   */
  listed(
    service: ServiceId,
    counts: { listed: number; stale: number; kept: Readonly<Record<KeepReason, number>> },
    options: { readonly savedPlan: boolean },
  ): void {
    const entry = this.#entry(service);
    entry.listed = counts.listed;
    entry.stale += counts.stale;
    let kept = 0;
    for (const [reason, count] of Object.entries(counts.kept) as [KeepReason, number][]) {
      kept += count;
      const skip = SKIP_REASON_OF[reason];
      // With a saved plan, a planned task that is listed but no longer deletable or stale is `changed`.
      if (options.savedPlan) entry.skipped.changed += count;
      else if (skip !== undefined) entry.skipped[skip] += count;
      else if (reason === 'too-young') entry.kept.tooYoung += count;
    }
    // A saved plan admits only its tasks: the others were listed and are simply not in it.
    if (options.savedPlan) entry.kept.notInPlan += counts.listed - counts.stale - kept;
  }

  /**
   * A service could not be listed (or its listing was ambiguous): nothing is deleted for it. `cause` is the typed
   * error, kept for `errors()`.
   */
  listingFailed(
    service: ServiceId,
    listed: number,
    error: ServiceReport['error'] & object,
    cause?: unknown,
  ): void {
    this.#keepError(cause ?? new Error(`${service}: ${error.message}`));
    const entry = this.#entry(service);
    entry.listed = listed;
    entry.error = error;
    this.#deps.log.error(
      { service, listed, ...error },
      'listing failed: nothing is deleted for this service',
    );
  }

  /** A saved plan's task this run did not find (service not selected, or not listed). */
  plannedTaskMissing(task: SavedPlanTask, reason: 'service-not-selected' | 'not-listed'): void {
    const entry = this.#entry(task.service);
    entry.skipped.changed += 1;
    entry.planNotListed = (entry.planNotListed ?? 0) + 1;
    this.#deps.log.info(
      { service: task.service, taskId: task.id, name: task.name, action: 'skipped', reason },
      'task decision',
    );
  }

  /** A stale task over the run's cap. */
  capped(candidate: DeleteCandidate): void {
    this.#entry(candidate.task.service).skipped.cap += 1;
    this.#decision('info', candidate.task, candidate.ageMs, 'skipped', 'cap');
  }

  /** A task the run will delete (or, dry, would delete): logged before any delete is sent. */
  planned(candidate: DeleteCandidate, dryRun: boolean): void {
    if (dryRun) this.#entry(candidate.task.service).wouldDelete += 1;
    this.#decision(
      'info',
      candidate.task,
      candidate.ageMs,
      dryRun ? 'would-delete' : 'delete',
      candidate.reason,
    );
  }

  /** How one planned delete ended. */
  outcome(candidate: DeleteCandidate, outcome: TaskOutcome): void {
    const { task, ageMs } = candidate;
    const entry = this.#entry(task.service);
    switch (outcome.kind) {
      case 'deleted':
        entry.deleted += 1;
        this.#decision('info', task, ageMs, 'deleted', candidate.reason);
        return;
      case 'already-gone':
        entry.alreadyGone += 1;
        this.#decision('info', task, ageMs, 'already-gone', candidate.reason);
        return;
      case 'skipped': {
        entry.skipped[outcome.skip] += 1;
        if (outcome.refused) entry.refused = (entry.refused ?? 0) + 1;
        const last = outcome.error === undefined ? {} : { lastError: describeFailure(outcome.error) };
        this.#decision('info', task, ageMs, 'skipped', outcome.reason, last);
        return;
      }
      case 'failed': {
        this.#keepError(outcome.error);
        const fields = this.#failureFields(task, outcome.error);
        entry.failed += 1;
        if (entry.failures.length < MAX_LISTED_FAILURES) {
          entry.failures.push({ taskId: task.id, name: task.name, ...fields });
        } else entry.failuresNotListed = (entry.failuresNotListed ?? 0) + 1;
        this.#decision('warn', task, ageMs, 'failed', candidate.reason, fields);
        return;
      }
      case 'unknown': {
        const fields = this.#failureFields(task, outcome.error);
        entry.unknown += 1;
        entry.unknownTasks ??= [];
        if (entry.unknownTasks.length < MAX_LISTED_FAILURES) {
          entry.unknownTasks.push({ taskId: task.id, name: task.name, ...fields });
        }
        this.#decision('warn', task, ageMs, 'unknown', outcome.reason, fields);
        return;
      }
    }
  }

  /** The run was cut short by its deadline or an interrupt. */
  stopped(reason: 'deadline' | 'interrupted'): void {
    this.#report.stoppedBy ??= reason;
  }

  /** The run's failures as the typed errors they were (with their `cause`), for `FullRunFailureError`. */
  errors(): readonly Error[] {
    return this.#errors;
  }

  #keepError(error: unknown): void {
    if (this.#errors.length >= MAX_KEPT_ERRORS) return;
    this.#errors.push(error instanceof Error ? error : new Error(String(error)));
  }

  /** The finished report (totals summed, `finishedAt` stamped). */
  finish(finishedAt: Date): Report {
    return finishReport(this.#report, finishedAt);
  }

  #entry(service: ServiceId): ServiceReport {
    return serviceReportOf(this.#report, service);
  }

  #failureFields(task: Task, error: unknown): Omit<TaskFailure, 'taskId' | 'name'> {
    const fields = describeFailure(error);
    const host = this.#hostOf(task.service);
    // A call the run's stop cut before it was sent never reached a host.
    const reached = !(error instanceof RunStoppedError && !error.sent);
    return host !== undefined && reached ? { ...fields, host } : fields;
  }

  #decision(
    level: 'debug' | 'info' | 'warn',
    task: Task,
    ageMs: number | undefined,
    action: string,
    reason: string,
    extra: Record<string, unknown> = {},
  ): void {
    this.#deps.log[level](
      {
        service: task.service,
        taskId: task.id,
        name: task.name,
        ...(task.parentName !== undefined ? { parent: task.parentName } : {}),
        state: task.state,
        ageMs,
        ageDays: ageMs === undefined ? undefined : Math.floor((ageMs / DAY_MS) * 10) / 10,
        action,
        reason,
        ...extra,
      },
      'task decision',
    );
  }
}
