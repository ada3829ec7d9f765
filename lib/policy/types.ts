import type { ServiceId } from '../types';

/** One service's retention rule, validated and normalised (durations in ms, defaults applied). */
export interface ServicePolicy {
  readonly enabled: boolean;
  /** Tasks that ended longer ago than this are stale. */
  readonly olderThanMs: number;
  /** The original duration text (`30d`, `P30D`), for reports and reason strings. */
  readonly olderThan: string;
  /** Subset of the source's deletable states; undefined means all of them. */
  readonly states: readonly string[] | undefined;
  /** Globs on the task name; a task must match one of `include` (when given) and none of `exclude`. */
  readonly include: readonly string[] | undefined;
  readonly exclude: readonly string[] | undefined;
  /** Globs on the parent name: `instances` (dcs-background-tasks) or `streams` (dis-dump-tasks). */
  readonly parents: readonly string[] | undefined;
}

/** A retention policy (schema version 1), validated once at the edge. */
export interface Policy {
  readonly version: 1;
  /** Default true: nothing is deleted until a policy or an operator says so. */
  readonly dryRun: boolean;
  /** Cap over the whole run; 0 plans without deleting. @default 1000 */
  readonly maxDeletesPerRun: number;
  /** A service that is not listed is never touched. */
  readonly services: Readonly<Partial<Record<ServiceId, ServicePolicy>>>;
  /** Short digest of the effective policy (sha256 prefix of its canonical JSON), for reports. */
  readonly digest: string;
}

/**
 * Overrides from a manual event or CLI flags. They can only narrow what a policy does:
 * `services` narrows, `maxDeletesPerRun` can only lower the cap.
 */
export interface PolicyOverrides {
  readonly dryRun?: boolean;
  readonly services?: readonly ServiceId[];
  readonly olderThan?: string;
  readonly maxDeletesPerRun?: number;
}
