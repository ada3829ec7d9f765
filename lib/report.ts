/**
 * The run report: a public interface (operators script against its JSON). Logged as one line at the end of
 * every run and returned to the caller.
 */
import type { ServiceId } from './types';

export const SKIP_REASONS = ['inProgress', 'unknownState', 'unknownAge', 'excluded', 'cap', 'deadline', 'changed'] as const;
/**
 * Why a stale-or-candidate task was not deleted. `changed`: a saved plan's task is no longer listed,
 * deletable or stale (plan/apply).
 */
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface TaskFailure {
  readonly taskId: string;
  readonly name: string;
  readonly status: number | undefined;
  readonly errorCode: string | undefined;
  readonly errorMsg: string;
}

export interface ServiceCounts {
  listed: number;
  /** Tasks the policy selects for deletion (deletable state, old enough, not excluded). */
  stale: number;
  deleted: number;
  /** Dry run: what an applied run would delete. */
  wouldDelete: number;
  alreadyGone: number;
  failed: number;
  skipped: Record<SkipReason, number>;
}

export interface ServiceReport extends ServiceCounts {
  readonly failures: TaskFailure[];
  /** Set when the service could not be listed (or its listing was ambiguous): nothing was deleted for it. */
  error?: { readonly message: string; readonly status?: number; readonly errorCode?: string };
}

export interface Report {
  readonly dryRun: boolean;
  readonly startedAt: string;
  finishedAt: string;
  readonly policy: { readonly digest: string; readonly services: readonly ServiceId[]; readonly maxDeletesPerRun: number };
  readonly services: Partial<Record<ServiceId, ServiceReport>>;
  readonly totals: ServiceCounts & { failedServices: number };
}
