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

export const SAVED_PLAN_VERSION = 2;

/** A planned task as written to the plan file: the task's identity, state and (always known) end time. */
export type SavedPlanTask = Pick<Task, 'service' | 'id' | 'name' | 'parentId' | 'parentName' | 'state'> & {
  readonly endedAtMs: number;
};

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
  readonly version: typeof SAVED_PLAN_VERSION;
  /** ISO-8601. */
  readonly createdAt: string;
  readonly tool: { readonly name: string; readonly version: string };
  readonly account: PlanAccount;
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

const savedPlanSchema = z
  .object({
    version: z.literal(SAVED_PLAN_VERSION),
    createdAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 timestamp'),
    tool: z.object({ name: z.string(), version: z.string() }).strict(),
    account: z
      .object({
        cloud: z.enum(CLOUDS),
        region: z.string().min(1),
        projectId: z.string().min(1),
        endpointHosts: endpointHostsSchema,
      })
      .strict(),
    policyDigest: z.string(),
    selection: z
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
      .strict(),
    policySource: z.string().optional(),
    dryRun: z.literal(true).optional(),
    tasks: z.array(savedPlanTaskSchema),
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
  return { version: 1, maxDeletesPerRun: policy.maxDeletesPerRun, services };
}

export function createSavedPlan(options: {
  readonly createdAt: Date;
  readonly toolVersion: string;
  readonly account: PlanAccount;
  /** The effective policy the plan was made with. */
  readonly policy: Policy;
  readonly overrides: PolicyOverrides;
  readonly tasks: readonly SavedPlanTask[];
  /** Where the policy came from (`--policy` path or `inline`). */
  readonly policySource?: string;
}): SavedPlan {
  const { services, olderThan, maxDeletesPerRun } = options.overrides;
  return {
    version: SAVED_PLAN_VERSION,
    createdAt: options.createdAt.toISOString(),
    tool: { name: 'task-janitor', version: options.toolVersion },
    account: options.account,
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
  const result = savedPlanSchema.safeParse(value);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues), { subject: 'plan' });
  const data = result.data;
  const tasks = data.tasks.map(
    (t): SavedPlanTask => ({
      service: t.service,
      id: t.id,
      name: t.name,
      ...(t.parentId !== undefined ? { parentId: t.parentId } : {}),
      ...(t.parentName !== undefined ? { parentName: t.parentName } : {}),
      state: t.state,
      endedAtMs: t.endedAtMs,
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
  const plan: SavedPlan = {
    version: SAVED_PLAN_VERSION,
    createdAt: data.createdAt,
    tool: data.tool,
    account: data.account,
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

/** What a plan is checked against before it is applied: the account this run would send to. */
export interface RunAccount {
  readonly cloud: CloudName;
  readonly region: string;
  /** Undefined when it is resolved through IAM at the start of the run (then `checkPlanProject` runs). */
  readonly projectId: string | undefined;
  readonly endpoints: Readonly<Record<CloudService, string>>;
}

/** Every way this run's account differs from the plan's, as problem lines (empty: same account). */
export function checkPlanAccount(plan: Pick<SavedPlan, 'account'>, run: RunAccount): string[] {
  const problems: string[] = [];
  const { account } = plan;
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

/** The problem when `projectId` is not the plan's project; undefined when it is. */
export function checkPlanProject(plan: Pick<SavedPlan, 'account'>, projectId: string): string | undefined {
  if (plan.account.projectId === projectId) return undefined;
  return `account.projectId: the plan was made for project ${JSON.stringify(plan.account.projectId)}, this run is for ${JSON.stringify(projectId)}`;
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
