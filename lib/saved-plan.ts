/**
 * Plan and apply: `purge --plan-out FILE` writes the exact tasks a dry run would delete; `purge --plan FILE
 * --apply` deletes only those, after checking each is still listed, deletable and stale.
 *
 * A plan is bound to the account it was made against (cloud, region, project id, the host of every service
 * endpoint) and records the whole effective policy it was made with, so that applying it elsewhere is refused
 * before any request and applying it here runs exactly the reviewed selection. The file format (version 2)
 * is a public interface.
 */
import { z } from 'zod';
import { CLOUDS, type CloudName } from './config';
import { ConfigError } from './errors';
import { describeDuplicateKey, findDuplicateJsonKeys } from './policy/duplicate-keys';
import { formatIssues } from './policy/issues';
import { validatePolicy } from './policy/load';
import { PARENT_KEYS } from './policy/schema';
import type { Policy, PolicyOverrides } from './policy/types';
import { endpointVariableOf } from './sources/catalog';
import { CLOUD_SERVICES, type CloudService, SERVICE_IDS, type ServiceId, type Task, taskKey } from './types';

/** A plan of one account. */
export const SAVED_PLAN_VERSION = 2;
/** A plan of several targets (a policy with `targets`): each task names its target. */
export const SAVED_PLAN_TARGETS_VERSION = 3;

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

const savedPlanTaskSchema = z
  .object({
    service: z.enum(SERVICE_IDS),
    id: z.string().min(1),
    name: z.string(),
    parentId: z.string().optional(),
    parentName: z.string().optional(),
    state: z.string(),
    endedAtMs: z.number().int(),
    target: z.string().min(1).optional(),
  })
  .strict();

const endpointHostsSchema = z
  .object(
    Object.fromEntries(CLOUD_SERVICES.map((service) => [service, z.string().min(1)])) as Record<
      CloudService,
      z.ZodString
    >,
  )
  .strict();

const selectionSchema = z
  .object({
    overrides: z
      .object({
        services: z.array(z.enum(SERVICE_IDS)).min(1).optional(),
        olderThan: z.string().optional(),
        maxDeletesPerRun: z.number().int().min(0).optional(),
      })
      .strict(),
    policy: z.record(z.unknown()),
  })
  .strict();

const commonFields = {
  createdAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 timestamp'),
  tool: z.object({ name: z.string(), version: z.string() }).strict(),
  policyDigest: z.string(),
  selection: selectionSchema,
  policySource: z.string().optional(),
  dryRun: z.literal(true).optional(),
  tasks: z.array(savedPlanTaskSchema),
};

const savedPlanSchema = z
  .object({
    version: z.literal(SAVED_PLAN_VERSION),
    account: z
      .object({
        cloud: z.enum(CLOUDS),
        region: z.string().min(1),
        projectId: z.string().min(1),
        endpointHosts: endpointHostsSchema,
      })
      .strict(),
    ...commonFields,
  })
  .strict();

const savedTargetsPlanSchema = z
  .object({
    version: z.literal(SAVED_PLAN_TARGETS_VERSION),
    cloud: z.enum(CLOUDS),
    targets: z
      .array(
        z
          .object({
            region: z.string().min(1),
            projectId: z.string().min(1),
            projectName: z.string().optional(),
            endpointHosts: endpointHostsSchema,
          })
          .strict(),
      )
      .min(1),
    ...commonFields,
  })
  .strict();

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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a plan file strictly, including the policy it records.
 * @throws ConfigError (subject `plan`) listing every problem; a version-1 plan is refused as unbound.
 */
export function parseSavedPlan(text: string): SavedPlan {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError([`(root): not valid JSON: ${reason}`], { subject: 'plan', cause: error });
  }
  // Two `id`s in one task would otherwise be read as the last one: the file says two things at once.
  const duplicates = findDuplicateJsonKeys(text);
  if (duplicates.length > 0) {
    throw new ConfigError(
      duplicates.map((d) => describeDuplicateKey(d)),
      { subject: 'plan' },
    );
  }
  if (isRecord(value) && value.version === 1) {
    throw new ConfigError(
      [
        'version: 1 is a plan from an older task-janitor: it is not bound to an account (cloud, region, project, endpoints), so it cannot be applied safely; make a new plan with --plan-out',
      ],
      { subject: 'plan' },
    );
  }
  const schema =
    isRecord(value) && value.version === SAVED_PLAN_TARGETS_VERSION
      ? savedTargetsPlanSchema
      : savedPlanSchema;
  const result = schema.safeParse(value);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues), { subject: 'plan' });
  const data = result.data;
  const planTargets: PlanTarget[] | undefined =
    'targets' in data
      ? data.targets.map((t) => ({
          region: t.region,
          projectId: t.projectId,
          ...(t.projectName !== undefined ? { projectName: t.projectName } : {}),
          endpointHosts: t.endpointHosts,
        }))
      : undefined;
  const where: Pick<SavedPlan, 'version' | 'account' | 'cloud' | 'targets'> =
    'targets' in data
      ? { version: data.version, cloud: data.cloud, targets: planTargets ?? [] }
      : { version: data.version, account: data.account };
  const tasks = data.tasks.map(
    (t): SavedPlanTask => ({
      service: t.service,
      id: t.id,
      name: t.name,
      ...(t.parentId !== undefined ? { parentId: t.parentId } : {}),
      ...(t.parentName !== undefined ? { parentName: t.parentName } : {}),
      state: t.state,
      endedAtMs: t.endedAtMs,
      ...(t.target !== undefined ? { target: t.target } : {}),
    }),
  );
  const problems: string[] = [];
  const seen = new Set<string>();
  tasks.forEach((t, i) => {
    const key = taskKey(t);
    if (seen.has(key)) problems.push(`tasks[${i}]: duplicate task ${t.service} ${t.id}`);
    seen.add(key);
  });
  const { services, olderThan, maxDeletesPerRun } = data.selection.overrides;
  problems.push(...checkTaskTargets(data.tasks, planTargets));
  const plan: SavedPlan = {
    ...where,
    createdAt: data.createdAt,
    tool: data.tool,
    policyDigest: data.policyDigest,
    selection: {
      overrides: {
        ...(services !== undefined ? { services } : {}),
        ...(olderThan !== undefined ? { olderThan } : {}),
        ...(maxDeletesPerRun !== undefined ? { maxDeletesPerRun } : {}),
      },
      // Checked by `planPolicy` below: a document that does not validate is reported with its path.
      policy: data.selection.policy,
    },
    ...(data.policySource !== undefined ? { policySource: data.policySource } : {}),
    ...(data.dryRun !== undefined ? { dryRun: data.dryRun } : {}),
    tasks,
  };
  try {
    planPolicy(plan);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems, { subject: 'plan' });
  return plan;
}

/** Version 3 names each task's target, among its targets; version 2 names none. */
function checkTaskTargets(
  tasks: readonly { readonly target?: string | undefined }[],
  targets: readonly PlanTarget[] | undefined,
): string[] {
  const problems: string[] = [];
  const known = new Set(targets?.map((t) => t.projectId));
  tasks.forEach((task, index) => {
    if (targets === undefined && task.target !== undefined) {
      problems.push(`tasks[${index}].target: a plan of one account (version 2) names no targets`);
    } else if (targets !== undefined && (task.target === undefined || !known.has(task.target))) {
      problems.push(`tasks[${index}].target: expected the project id of one of the plan's targets`);
    }
  });
  return problems;
}

/** What a plan is checked against before it is applied: the account this run would send to. */
export interface RunAccount {
  readonly cloud: CloudName;
  readonly region: string;
  /** Undefined when it is resolved through IAM at the start of the run (then `checkPlanProject` runs). */
  readonly projectId: string | undefined;
  readonly endpoints: Readonly<Record<CloudService, string>>;
}

/** Every way this run's account differs from the plan's, as problem lines (empty: same account). */
export function checkPlanAccount(
  plan: Pick<SavedPlan, 'account' | 'cloud' | 'targets'>,
  run: RunAccount & {
    readonly regionEndpoints?: ReadonlyMap<string, Readonly<Record<CloudService, string>>>;
  },
): string[] {
  const problems: string[] = [];
  const { account } = plan;
  if (account === undefined) return checkPlanTargets(plan, run);
  if (account.cloud !== run.cloud) {
    problems.push(
      `account.cloud: the plan was made for cloud ${JSON.stringify(account.cloud)}, this run is for ${JSON.stringify(run.cloud)} (TASK_JANITOR_CLOUD)`,
    );
  }
  if (account.region !== run.region) {
    problems.push(
      `account.region: the plan was made for region ${JSON.stringify(account.region)}, this run is for ${JSON.stringify(run.region)} (TASK_JANITOR_REGION)`,
    );
  }
  if (run.projectId !== undefined) {
    const problem = checkPlanProject(plan, run.projectId);
    if (problem !== undefined) problems.push(`${problem} (TASK_JANITOR_PROJECT_ID)`);
  }
  for (const service of CLOUD_SERVICES) {
    const host = endpointHost(run.endpoints[service]);
    if (account.endpointHosts[service] !== host) {
      problems.push(
        `account.endpointHosts.${service}: the plan was made against ${JSON.stringify(account.endpointHosts[service])}, this run would send to ${JSON.stringify(host)} (${endpointVariableOf(service)} or the region's default)`,
      );
    }
  }
  return problems;
}

/** The problem when `projectId` is not the plan's project; undefined when it is (or the plan has targets). */
export function checkPlanProject(plan: Pick<SavedPlan, 'account'>, projectId: string): string | undefined {
  if (plan.account === undefined || plan.account.projectId === projectId) return undefined;
  return `account.projectId: the plan was made for project ${JSON.stringify(plan.account.projectId)}, this run is for ${JSON.stringify(projectId)}`;
}

/** Version 3, before anything is sent: same cloud, and each target's region reached at the same hosts. */
function checkPlanTargets(
  plan: Pick<SavedPlan, 'cloud' | 'targets'>,
  run: RunAccount & {
    readonly regionEndpoints?: ReadonlyMap<string, Readonly<Record<CloudService, string>>>;
  },
): string[] {
  const problems: string[] = [];
  if (plan.cloud !== run.cloud) {
    problems.push(
      `cloud: the plan was made for cloud ${JSON.stringify(plan.cloud)}, this run is for ${JSON.stringify(run.cloud)} (TASK_JANITOR_CLOUD)`,
    );
  }
  (plan.targets ?? []).forEach((target, index) => {
    const endpoints = run.regionEndpoints?.get(target.region);
    if (endpoints === undefined) {
      problems.push(`targets[${index}].region: ${target.region} is not among this policy's regions`);
      return;
    }
    for (const service of CLOUD_SERVICES) {
      const host = endpointHost(endpoints[service]);
      if (target.endpointHosts[service] !== host) {
        problems.push(
          `targets[${index}].endpointHosts.${service}: the plan was made against ${JSON.stringify(target.endpointHosts[service])}, this run would send to ${JSON.stringify(host)}`,
        );
      }
    }
  });
  return problems;
}

/**
 * Version 3, once the run's targets are known: every target of the plan must be one of them (a task whose
 * target is not in the run is refused, not skipped). Empty for a plan of one account.
 */
export function checkPlanTargetsResolved(
  plan: Pick<SavedPlan, 'targets'>,
  targets: readonly { readonly region: string; readonly projectId: string }[],
): string[] {
  return (plan.targets ?? [])
    .filter(
      (planned) => !targets.some((t) => t.projectId === planned.projectId && t.region === planned.region),
    )
    .map(
      (planned) =>
        `targets: the plan's target ${planned.region}/${planned.projectName ?? planned.projectId} is not among this run's targets; its tasks would not be applied`,
    );
}

/** Version 3: the planned tasks of one target; version 2: every task (the plan has one account). */
export function planTasksOfTarget(
  plan: Pick<SavedPlan, 'targets' | 'tasks'>,
  projectId: string,
): SavedPlanTask[] {
  if (plan.targets === undefined) return [...plan.tasks];
  return plan.tasks.filter((task) => task.target === projectId);
}

/** Plans written a little ahead of this clock (another machine's) are accepted; further ahead is refused. */
export const PLAN_CLOCK_SKEW_MS = 5 * 60 * 1000;

/** The problem when the plan is older than `maxAgeMs` (or from the future); undefined when it is fresh. */
export function checkPlanAge(
  plan: Pick<SavedPlan, 'createdAt'>,
  nowMs: number,
  maxAgeMs: number,
): string | undefined {
  const ageMs = nowMs - Date.parse(plan.createdAt);
  if (ageMs < -PLAN_CLOCK_SKEW_MS) {
    return `createdAt: ${plan.createdAt} is in the future (this clock says ${new Date(nowMs).toISOString()}); make a new plan`;
  }
  if (ageMs > maxAgeMs) {
    return `createdAt: the plan was made at ${plan.createdAt}, ${formatHours(ageMs)} ago, more than the limit of ${formatHours(maxAgeMs)}; make a new plan (or raise the limit with --plan-max-age)`;
  }
  return undefined;
}

function formatHours(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 1 ? `${Math.round(hours * 10) / 10} h` : `${Math.round(ms / 60_000)} min`;
}
