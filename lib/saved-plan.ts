/**
 * Plan and apply: `purge --plan-out FILE` writes the exact tasks a dry run would delete; `purge --plan FILE
 * --apply` deletes only those, after checking each is still listed, deletable and stale.
 *
 * A plan is bound to the account it was made against (cloud, region, project id, the host of every service
 * endpoint) and records the whole effective policy it was made with, so that applying it elsewhere is refused
 * before any request and applying it here runs exactly the reviewed selection. The file format (version 2; 3 for
 * a policy with targets, each task naming its target) is a public interface.
 */
import type { CloudName } from './config';
import { ConfigError } from './errors';
import { validatePolicy } from './policy/load';
import { PARENT_KEYS } from './policy/schema';
import type { Policy, PolicyOverrides } from './policy/types';
import { SAVED_PLAN_TARGETS_VERSION, SAVED_PLAN_VERSION } from './saved-plan-parse';
import { CLOUD_SERVICES, type CloudService, SERVICE_IDS, type ServiceId, type Task } from './types';

export { SAVED_PLAN_TARGETS_VERSION, SAVED_PLAN_VERSION };

/** A planned task as written to the plan file: the task's identity, state and (always known) end time. */
export type SavedPlanTask = Pick<Task, 'service' | 'id' | 'name' | 'parentId' | 'parentName' | 'state'> & {
  readonly endedAtMs: number;
  /** Version 3: the project id of the task's target. */
  readonly target?: string;
};

/** Version 3: one target a plan may be applied to. */
export interface PlanTarget {
  readonly region: string;
  readonly projectId: string;
  readonly projectName?: string;
  /** `host[:port]` of each service endpoint in that region. */
  readonly endpointHosts: Readonly<Record<CloudService, string>>;
}

/** Where a plan may be applied. */
export interface PlanAccount {
  readonly cloud: CloudName;
  readonly region: string;
  readonly projectId: string;
  /** `host[:port]` of each service endpoint: never userinfo, path or query. */
  readonly endpointHosts: Readonly<Record<CloudService, string>>;
}

/** A policy in its schema-v1 document form (what `validatePolicy` reads). */
export type PolicyDocument = {
  readonly version: 1;
  readonly maxDeletesPerRun: number;
  readonly services: Readonly<Partial<Record<ServiceId, Readonly<Record<string, unknown>>>>>;
  readonly targets?: readonly Readonly<Record<string, unknown>>[];
};

/** What the plan selects: the effective policy and the overrides that narrowed it. */
export interface PlanSelection {
  /** The overrides (CLI flags) the plan was made with; `dryRun` is not part of a selection. */
  readonly overrides: Omit<PolicyOverrides, 'dryRun'>;
  /**
   * The effective policy (overrides applied, `dryRun` left out) as a schema-v1 document (`PolicyDocument` when
   * written; validated by `planPolicy` when read): applying the plan runs exactly this.
   */
  readonly policy: Readonly<Record<string, unknown>>;
}

export interface SavedPlan {
  readonly version: typeof SAVED_PLAN_VERSION | typeof SAVED_PLAN_TARGETS_VERSION;
  /** ISO-8601. */
  readonly createdAt: string;
  readonly tool: { readonly name: string; readonly version: string };
  /** Version 2: the one account the plan was made for. */
  readonly account?: PlanAccount;
  /** Version 3: the cloud, and every target the plan was made for. */
  readonly cloud?: CloudName;
  readonly targets?: readonly PlanTarget[];
  /** The digest of the effective policy (`selection.policy`). */
  readonly policyDigest: string;
  readonly selection: PlanSelection;
  /** Where the policy came from when the plan was made: its file path or `inline` (shown to whoever applies it). */
  readonly policySource?: string;
  /** A plan is made by a dry run: nothing was deleted to make it. */
  readonly dryRun?: true;
  readonly tasks: readonly SavedPlanTask[];
}

export { taskKey } from './types';

/** What a plan file records about a task. */
export function toSavedPlanTask(task: Task): SavedPlanTask {
  return {
    service: task.service,
    id: task.id,
    name: task.name,
    ...(task.parentId !== undefined ? { parentId: task.parentId } : {}),
    ...(task.parentName !== undefined ? { parentName: task.parentName } : {}),
    state: task.state,
    endedAtMs: task.endedAtMs ?? 0,
  };
}

/** Version 3: the targets a run of several goes to, as a plan records them. */
export function describePlanTargets(
  targets: readonly {
    readonly region: string;
    readonly projectId: string;
    readonly projectName?: string | undefined;
  }[],
  endpointsOf: (region: string) => Readonly<Record<CloudService, string>>,
): PlanTarget[] {
  return targets.map((target) => ({
    region: target.region,
    projectId: target.projectId,
    ...(target.projectName !== undefined ? { projectName: target.projectName } : {}),
    endpointHosts: Object.fromEntries(
      CLOUD_SERVICES.map((service) => [service, endpointHost(endpointsOf(target.region)[service])]),
    ) as Record<CloudService, string>,
  }));
}

/** The host (and port) of an endpoint URL; userinfo, path, query and fragment are left out. */
export function endpointHost(url: string): string {
  return new URL(url).host;
}

/** The account a run goes to, as a plan records it. */
export function describePlanAccount(
  config: {
    readonly cloud: CloudName;
    readonly region: string;
    readonly endpoints: Readonly<Record<CloudService, string>>;
  },
  projectId: string,
): PlanAccount {
  const endpointHosts = Object.fromEntries(
    CLOUD_SERVICES.map((service) => [service, endpointHost(config.endpoints[service])]),
  ) as Record<CloudService, string>;
  return { cloud: config.cloud, region: config.region, projectId, endpointHosts };
}

/** A validated policy back in its document form; `validatePolicy` of it rebuilds the same policy and digest. */
export function toPolicyDocument(policy: Policy): PolicyDocument {
  const services: Partial<Record<ServiceId, Record<string, unknown>>> = {};
  for (const id of SERVICE_IDS) {
    const sp = policy.services[id];
    if (!sp) continue;
    const parentKey = PARENT_KEYS[id];
    services[id] = {
      enabled: sp.enabled,
      olderThan: sp.olderThan,
      ...(sp.states !== undefined ? { states: [...sp.states] } : {}),
      ...(sp.include !== undefined ? { include: [...sp.include] } : {}),
      ...(sp.exclude !== undefined ? { exclude: [...sp.exclude] } : {}),
      ...(parentKey !== undefined && sp.parents !== undefined ? { [parentKey]: [...sp.parents] } : {}),
    };
  }
  return {
    version: 1,
    maxDeletesPerRun: policy.maxDeletesPerRun,
    services,
    ...(policy.targets !== undefined
      ? {
          targets: policy.targets.map((t) => ({
            regions: [...t.regions],
            projects: [...t.projects],
            ...(t.exclude !== undefined ? { exclude: [...t.exclude] } : {}),
          })),
        }
      : {}),
  };
}

export function createSavedPlan(options: {
  readonly createdAt: Date;
  readonly toolVersion: string;
  /** Where the plan applies: one account (version 2), or the cloud and its targets (version 3). */
  readonly account: PlanAccount | { readonly cloud: CloudName; readonly targets: readonly PlanTarget[] };
  /** The effective policy the plan was made with. */
  readonly policy: Policy;
  readonly overrides: PolicyOverrides;
  readonly tasks: readonly SavedPlanTask[];
  /** Where the policy came from (`--policy` path or `inline`). */
  readonly policySource?: string;
}): SavedPlan {
  const { services, olderThan, maxDeletesPerRun } = options.overrides;
  const where: Pick<SavedPlan, 'version' | 'account' | 'cloud' | 'targets'> =
    'targets' in options.account
      ? {
          version: SAVED_PLAN_TARGETS_VERSION,
          cloud: options.account.cloud,
          targets: options.account.targets,
        }
      : { version: SAVED_PLAN_VERSION, account: options.account };
  return {
    ...where,
    createdAt: options.createdAt.toISOString(),
    tool: { name: 'task-janitor', version: options.toolVersion },
    policyDigest: options.policy.digest,
    selection: {
      overrides: {
        ...(services !== undefined ? { services: [...services] } : {}),
        ...(olderThan !== undefined ? { olderThan } : {}),
        ...(maxDeletesPerRun !== undefined ? { maxDeletesPerRun } : {}),
      },
      policy: toPolicyDocument(options.policy),
    },
    ...(options.policySource !== undefined ? { policySource: options.policySource } : {}),
    dryRun: true,
    tasks: options.tasks,
  };
}

/**
 * The effective policy a plan records, rebuilt and checked against its digest.
 * @throws ConfigError (subject `plan`) when the recorded policy is invalid or does not match `policyDigest`.
 */
export function planPolicy(plan: Pick<SavedPlan, 'policyDigest' | 'selection'>): Policy {
  let policy: Policy;
  try {
    policy = validatePolicy(plan.selection.policy);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(
      error.problems.map((problem) => `selection.policy.${problem}`),
      { subject: 'plan', cause: error },
    );
  }
  if (policy.digest !== plan.policyDigest) {
    throw new ConfigError(
      [
        `policyDigest: expected the digest of selection.policy (${policy.digest}), got ${JSON.stringify(plan.policyDigest)}: the file was changed after it was written`,
      ],
      { subject: 'plan' },
    );
  }
  return policy;
}

export {
  checkPlanAccount,
  checkPlanAge,
  checkPlanProject,
  checkPlanTargetsResolved,
  PLAN_CLOCK_SKEW_MS,
  planTasksOfTarget,
  type RunAccount,
} from './plan-binding';

export { parseSavedPlan } from './saved-plan-parse';
