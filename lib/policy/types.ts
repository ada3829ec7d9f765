import type { ServiceId } from '../types';
import type { TargetSelector } from './targets';

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
  /** Where the policy runs (`lib/policy/targets.ts`); undefined: the configured region and project only. */
  readonly targets?: readonly TargetSelector[];
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
  /** Narrows the policy's targets; a target it names that the policy does not select is refused. */
  readonly targets?: TargetNarrowing;
  /** List the targets the policy selects and stop: nothing else is listed or deleted (the fan-out's first step). */
  readonly enumerate?: boolean;
}

/** Ways an operator narrows the targets (each given part must match; none may widen). */
export interface TargetNarrowing {
  /** Only these regions (the CLI's `--region`). */
  readonly regions?: readonly string[];
  /** Only these projects, by id or name (the CLI's `--project`). */
  readonly projects?: readonly string[];
  /** Only targets one of these selects (the manual event's `targets`). */
  readonly selectors?: readonly TargetSelector[];
  /** Exactly this one target (a fan-out's per-target event, `target`). */
  readonly single?: SingleTarget;
  /** Exactly these targets, each by region and project id (the targets of a saved plan being applied). */
  readonly planned?: readonly { readonly region: string; readonly projectId: string }[];
}

/** One target as a fan-out names it: a region and a project id or name (`cloud` must be the configured one). */
export interface SingleTarget {
  readonly cloud?: string;
  readonly region: string;
  readonly projectId?: string;
  readonly projectName?: string;
}
