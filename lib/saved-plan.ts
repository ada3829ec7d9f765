/**
 * Plan and apply (issue 6): `purge --plan-out FILE` writes the exact tasks a dry run would delete;
 * `purge --plan FILE --apply` deletes only those, after checking each is still listed, deletable and stale.
 */
import { z } from 'zod';
import { ConfigError } from './errors';
import { describeDuplicateKey, findDuplicateJsonKeys } from './policy/duplicate-keys';
import { formatIssues } from './policy/issues';
import { SERVICE_IDS, type Task } from './types';

/** A planned task as written to the plan file: the task's identity, state and (always known) end time. */
export type SavedPlanTask = Pick<Task, 'service' | 'id' | 'name' | 'parentId' | 'parentName' | 'state'> & {
  readonly endedAtMs: number;
};

export interface SavedPlan {
  readonly version: 1;
  /** ISO-8601. */
  readonly createdAt: string;
  /** The digest of the policy the plan was made with (informational: each task is re-checked on apply). */
  readonly policyDigest: string;
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

const savedPlanSchema = z
  .object({
    version: z.literal(1),
    createdAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'expected an ISO-8601 timestamp'),
    policyDigest: z.string(),
    tasks: z.array(savedPlanTaskSchema),
  })
  .strict();

/** The identity of a task across a listing: service, parent and id (ids are unique only per parent in DIS/DCS). */
export function taskKey(task: Pick<Task, 'service' | 'id' | 'parentId'>): string {
  return `${task.service}\u0000${task.parentId ?? ''}\u0000${task.id}`;
}

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

export function createSavedPlan(options: {
  readonly createdAt: Date;
  readonly policyDigest: string;
  readonly tasks: readonly SavedPlanTask[];
}): SavedPlan {
  return {
    version: 1,
    createdAt: options.createdAt.toISOString(),
    policyDigest: options.policyDigest,
    tasks: options.tasks,
  };
}

/**
 * Parses a plan file strictly.
 * @throws ConfigError (subject `plan`) listing every problem.
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
  const result = savedPlanSchema.safeParse(value);
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues), { subject: 'plan' });
  const tasks = result.data.tasks.map(
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
  const seen = new Set<string>();
  const problems: string[] = [];
  tasks.forEach((t, i) => {
    const key = taskKey(t);
    if (seen.has(key)) problems.push(`tasks[${i}]: duplicate task ${t.service} ${t.id}`);
    seen.add(key);
  });
  if (problems.length > 0) throw new ConfigError(problems, { subject: 'plan' });
  return { ...result.data, tasks };
}
