/**
 * Reading a plan file: strict (unknown keys, duplicate keys, a task named twice, a task of no target of the plan
 * are refused), including the policy it records, checked against its digest.
 */
import { z } from 'zod';
import { CLOUDS } from './config';
import { ConfigError } from './errors';
import { describeDuplicateKey, findDuplicateJsonKeys } from './policy/duplicate-keys';
import { formatIssues } from './policy/issues';
import { type PlanTarget, planPolicy, type SavedPlan, type SavedPlanTask } from './saved-plan';
import { CLOUD_SERVICES, type CloudService, SERVICE_IDS, taskKey } from './types';

/** A plan of one account. */
export const SAVED_PLAN_VERSION = 2;
/** A plan of several targets (a policy with `targets`): each task names its target. */
export const SAVED_PLAN_TARGETS_VERSION = 3;

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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Parses a plan file strictly, including the policy it records.
 * @throws ConfigError (subject `plan`) listing every problem; a version-1 plan is refused as unbound.
 */
export function parseSavedPlan(text: string): SavedPlan {
  const value = readPlanJson(text);
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
  const tasks = data.tasks.map(toPlanTask);
  const problems = [
    ...checkPolicyTargets(data.version, data.selection.policy),
    ...findDuplicateTasks(tasks),
    ...checkTaskTargets(data.tasks, planTargets),
  ];
  const { services, olderThan, maxDeletesPerRun } = data.selection.overrides;
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
    const cap = maxDeletesPerRun ?? planPolicy(plan).maxDeletesPerRun;
    // Applied, each target may delete its planned tasks: together they must stay within the plan's own cap.
    if (tasks.length > cap) {
      problems.push(`tasks: ${tasks.length} tasks, more than the plan's cap of ${cap} deletes per run`);
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0) throw new ConfigError(problems, { subject: 'plan' });
  return plan;
}

/** The file as JSON: refused when it does not parse, says one thing twice, or is an unbound version 1. */
function readPlanJson(text: string): unknown {
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
  return value;
}

function toPlanTask(t: z.infer<typeof savedPlanTaskSchema>): SavedPlanTask {
  return {
    service: t.service,
    id: t.id,
    name: t.name,
    ...(t.parentId !== undefined ? { parentId: t.parentId } : {}),
    ...(t.parentName !== undefined ? { parentName: t.parentName } : {}),
    state: t.state,
    endedAtMs: t.endedAtMs,
    ...(t.target !== undefined ? { target: t.target } : {}),
  };
}

function findDuplicateTasks(tasks: readonly SavedPlanTask[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  tasks.forEach((t, i) => {
    // Ids are unique within a project only: two targets may each hold a task of the same id.
    const key = `${t.target ?? ''}\u0000${taskKey(t)}`;
    if (seen.has(key)) problems.push(`tasks[${i}]: duplicate task ${t.service} ${t.id}`);
    seen.add(key);
  });
  return problems;
}

/**
 * The version must fit the recorded policy: a policy with `targets` runs several targets, so its plan is version 3
 * (each task names its target; a task key carries no project, so a version 2 plan of it would give every task to
 * every target), and version 3 records the policy whose targets it names.
 */
function checkPolicyTargets(version: number, policy: Readonly<Record<string, unknown>>): string[] {
  const hasTargets = Object.hasOwn(policy, 'targets');
  if (version === SAVED_PLAN_VERSION && hasTargets) {
    return [
      'selection.policy.targets: a plan of one account (version 2) records a policy without targets; a policy with targets makes a version 3 plan, each task with its target',
    ];
  }
  if (version === SAVED_PLAN_TARGETS_VERSION && !hasTargets) {
    return [
      'selection.policy.targets: a plan of several targets (version 3) records the policy with targets it was made with; this one has none',
    ];
  }
  return [];
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
