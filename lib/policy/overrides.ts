/**
 * Operator overrides (manual Lambda event, CLI flags). They narrow a policy and never widen it: `services`
 * selects among the services the policy enables, `maxDeletesPerRun` can only lower the cap. `olderThan`
 * replaces the age of every selected service, in either direction (docs/decisions/0011-policy-schema-and-overrides.md): it is an explicit operator
 * request, but states, globs and parents are never touched, so no in-progress or excluded task can come in.
 */
import { type ZodRawShape, z } from 'zod';
import { ConfigError } from '../errors';
import { REGION_ID_PATTERN } from '../regions';
import { isServiceId, SERVICE_IDS, type ServiceId } from '../types';
import { checkDuration } from './duration';
import { formatIssues } from './issues';
import { buildPolicy } from './load';
import { durationSchema } from './schema';
import { targetsSchema, toTargetSelectors } from './targets';
import type { Policy, PolicyOverrides, ServicePolicy, SingleTarget, TargetNarrowing } from './types';

/** Services a policy would actually run, in registry order. */
export function enabledServices(policy: Policy): ServiceId[] {
  return SERVICE_IDS.filter((id) => policy.services[id]?.enabled === true);
}

/**
 * Applies overrides to a validated policy; the result has a fresh digest.
 * @throws ConfigError (subject `overrides`) listing every override that would widen the policy or is invalid.
 */
export function applyOverrides(policy: Policy, overrides: PolicyOverrides): Policy {
  const problems: string[] = [];
  const enabled = enabledServices(policy);
  let selected = enabled;
  if (overrides.services !== undefined) {
    if (overrides.services.length === 0) problems.push('services: expected at least one service');
    for (const id of overrides.services) {
      if (!isServiceId(id)) {
        problems.push(
          `services: unknown service ${JSON.stringify(id)}; expected one of ${SERVICE_IDS.join(', ')}`,
        );
      } else if (!enabled.includes(id)) {
        problems.push(
          `services: ${id} is not enabled in the policy (overrides can only narrow it); enabled: ${enabled.join(', ') || 'none'}`,
        );
      }
    }
    selected = enabled.filter((id) => overrides.services?.includes(id));
  }
  let olderThanMs: number | undefined;
  if (overrides.olderThan !== undefined) {
    const duration = checkDuration(overrides.olderThan);
    if (duration.ok) olderThanMs = duration.ms;
    else problems.push(`olderThan: ${duration.message}`);
  }
  const cap = overrides.maxDeletesPerRun;
  if (cap !== undefined) {
    if (!Number.isSafeInteger(cap) || cap < 0) {
      problems.push(`maxDeletesPerRun: expected an integer ≥ 0, got ${String(cap)}`);
    } else if (cap > policy.maxDeletesPerRun) {
      problems.push(
        `maxDeletesPerRun: ${cap} is above the policy's cap of ${policy.maxDeletesPerRun} (overrides can only lower it)`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems, { subject: 'overrides' });

  const services: Partial<Record<ServiceId, ServicePolicy>> = {};
  // Without a `services` override the policy keeps its disabled entries too (same digest when nothing changes).
  const kept = overrides.services === undefined ? SERVICE_IDS : selected;
  for (const id of kept) {
    const sp = policy.services[id];
    if (!sp) continue;
    services[id] =
      olderThanMs !== undefined && overrides.olderThan !== undefined
        ? { ...sp, olderThanMs, olderThan: overrides.olderThan }
        : sp;
  }
  return buildPolicy({
    version: 1,
    dryRun: overrides.dryRun ?? policy.dryRun,
    maxDeletesPerRun: cap ?? policy.maxDeletesPerRun,
    services,
    // Target narrowing is applied where the targets are resolved (`lib/targets/`), against the cloud's projects.
    ...(policy.targets !== undefined ? { targets: policy.targets } : {}),
  });
}

/** The keys of the manual event (Lambda manual invocation, FunctionGraph `user_event` or body). */
export const MANUAL_EVENT_KEYS = [
  'dryRun',
  'services',
  'olderThan',
  'maxDeletesPerRun',
  'targets',
  'target',
  'enumerate',
] as const;

/** A fan-out's one target (`enumerate`'s items are accepted as they are). */
const singleTargetSchema = z
  .object({
    cloud: z.string().optional(),
    region: z.string().regex(REGION_ID_PATTERN, 'expected a region id such as cn-north-4 or eu-de'),
    projectId: z.string().min(1).optional(),
    projectName: z.string().min(1).optional(),
  })
  .strict()
  .refine((target) => target.projectId !== undefined || target.projectName !== undefined, {
    message: 'name the project: projectId or projectName',
  });

/** The manual event's fields: only `manualKeysSchema` builds a schema of them. */
const manualEventShape = {
  dryRun: z.boolean().optional(),
  services: z
    .array(
      z.string().superRefine((value, ctx) => {
        if (!isServiceId(value)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: `unknown service ${JSON.stringify(value)}; expected one of ${SERVICE_IDS.join(', ')}`,
          });
        }
      }),
    )
    .min(1)
    .optional(),
  olderThan: durationSchema.optional(),
  maxDeletesPerRun: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  targets: targetsSchema.optional(),
  target: singleTargetSchema.optional(),
  enumerate: z.literal(true).optional(),
};

/** `target` (one), `targets` (a narrowing) and `enumerate` (no purge at all) exclude one another. */
function refineTargetKeys(
  event: { readonly target?: unknown; readonly targets?: unknown; readonly enumerate?: unknown },
  ctx: z.RefinementCtx,
): void {
  const given = (['target', 'targets', 'enumerate'] as const).filter((key) => event[key] !== undefined);
  if (given.length > 1) {
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      path: [given[1] ?? 'target'],
      message: `${given.join(' and ')} exclude one another: give one of them`,
    });
  }
}

/**
 * The one schema of the manual keys, alone (the manual event) or beside `scheduleShape` (the fields of a
 * platform's scheduled event, `lib/policy/scheduled-event.ts`): strict, and `target`, `targets` and `enumerate`
 * exclude one another whatever the event's shape, so none of them is ever dropped for another.
 */
export function manualKeysSchema<Shape extends ZodRawShape>(scheduleShape: Shape) {
  return z
    .object({ ...scheduleShape, ...manualEventShape })
    .strict()
    .superRefine(refineTargetKeys);
}

const manualEventSchema = manualKeysSchema({});

/** The validated manual fields as overrides: only the keys that were given, services once each. */
export function toOverrides(fields: {
  readonly dryRun?: boolean | undefined;
  readonly services?: readonly string[] | undefined;
  readonly olderThan?: unknown;
  readonly maxDeletesPerRun?: number | undefined;
  readonly targets?: z.infer<typeof targetsSchema> | undefined;
  readonly target?: z.infer<typeof singleTargetSchema> | undefined;
  readonly enumerate?: true | undefined;
}): PolicyOverrides {
  const { dryRun, services, olderThan, maxDeletesPerRun, targets, target, enumerate } = fields;
  const narrowing: TargetNarrowing | undefined =
    targets !== undefined
      ? { selectors: toTargetSelectors(targets) }
      : target !== undefined
        ? { single: toSingleTarget(target) }
        : undefined;
  return {
    ...(dryRun !== undefined ? { dryRun } : {}),
    ...(services !== undefined ? { services: [...new Set(services.filter(isServiceId))] } : {}),
    ...(typeof olderThan === 'string' ? { olderThan } : {}),
    ...(maxDeletesPerRun !== undefined ? { maxDeletesPerRun } : {}),
    ...(narrowing !== undefined ? { targets: narrowing } : {}),
    ...(enumerate === true ? { enumerate: true } : {}),
  };
}

function toSingleTarget(target: z.infer<typeof singleTargetSchema>): SingleTarget {
  return {
    region: target.region,
    ...(target.cloud !== undefined ? { cloud: target.cloud } : {}),
    ...(target.projectId !== undefined ? { projectId: target.projectId } : {}),
    ...(target.projectName !== undefined ? { projectName: target.projectName } : {}),
  };
}

/**
 * Validates a manual invocation event (`{"dryRun": false, "services": [...], "olderThan": "7d",
 * "maxDeletesPerRun": 50}`, every key optional) before any request is sent.
 * @throws ConfigError (subject `event`) naming each bad field; unknown keys are refused.
 */
export function parseManualEvent(event: unknown): PolicyOverrides {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    const got = event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event;
    throw new ConfigError([`(root): expected a JSON object, got ${got}`], { subject: 'event' });
  }
  const result = manualEventSchema.safeParse(event);
  if (!result.success) {
    throw new ConfigError(
      formatIssues(result.error.issues, () => `unknown key; expected ${MANUAL_EVENT_KEYS.join(', ')}`),
      { subject: 'event' },
    );
  }
  return toOverrides(result.data);
}
