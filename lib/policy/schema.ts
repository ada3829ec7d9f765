/**
 * The retention policy schema, version 1 (a public interface). Every object is `.strict()`, so a misspelt key
 * is an error rather than a silently ignored rule. Per service, the state names and the parent key come from the
 * API's descriptor (`lib/sources/catalog.ts`).
 */
import { z } from 'zod';
import { PARENT_KEYS } from '../sources/catalog';
import { SERVICE_IDS, type ServiceId } from '../types';
import { checkDuration } from './duration';
import { DELETABLE_STATES } from './states';
import { targetsSchema } from './targets';

export { PARENT_KEYS };

export const durationSchema = z.unknown().superRefine((value, ctx) => {
  const result = checkDuration(value);
  if (!result.ok) ctx.addIssue({ code: z.ZodIssueCode.custom, message: result.message });
});

/**
 * Globs on names. A leading `!` is refused rather than read as picomatch negation: globs in a list are OR-ed,
 * so `["prod-*", "!prod-critical"]` would select `prod-critical` and every non-prod name too.
 */
function globList(key: string) {
  const instead =
    key === 'include' || key === 'exclude'
      ? 'list the names to keep out under exclude instead'
      : `list the ${key} to select, and keep tasks out by name under exclude instead`;
  return z
    .array(
      z
        .string()
        .min(1)
        .superRefine((glob, ctx) => {
          if (glob.startsWith('!')) {
            ctx.addIssue({
              code: z.ZodIssueCode.custom,
              message: `${JSON.stringify(glob)} starts with "!": negation is not supported (the globs of a list are OR-ed); ${instead}`,
            });
          }
        }),
    )
    .min(1);
}

function statesSchema(service: ServiceId) {
  const allowed = DELETABLE_STATES[service];
  return z
    .array(z.string())
    .min(1)
    .superRefine((states, ctx) => {
      states.forEach((state, index) => {
        if (!allowed.includes(state)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: [index],
            message: `${JSON.stringify(state)} is not a deletable state of ${service} (it is in progress or unknown); allowed: ${allowed.join(', ')}`,
          });
        }
      });
    });
}

function servicePolicySchema(service: ServiceId) {
  const base = {
    olderThan: durationSchema,
    states: statesSchema(service).optional(),
    include: globList('include').optional(),
    exclude: globList('exclude').optional(),
    enabled: z.boolean().default(true),
  };
  const parentKey = PARENT_KEYS[service];
  const withParent = parentKey ? { ...base, [parentKey]: globList(parentKey).optional() } : base;
  // zod reports a missing required key as `undefined`; the duration refinement words it itself.
  return z.object(withParent).strict();
}

type ServiceSchemas = { [K in ServiceId]: z.ZodOptional<ReturnType<typeof servicePolicySchema>> };
const serviceSchemas = Object.fromEntries(
  SERVICE_IDS.map((id) => [id, servicePolicySchema(id).optional()]),
) as ServiceSchemas;

export const policySchema = z
  .object({
    version: z.literal(1),
    dryRun: z.boolean().default(true),
    maxDeletesPerRun: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(1000),
    services: z
      .object(serviceSchemas)
      .strict()
      .refine((services) => Object.values(services).some((s) => s !== undefined), {
        message: `name at least one service (${SERVICE_IDS.join(', ')})`,
      }),
    targets: targetsSchema.optional(),
  })
  .strict();

/** The validated document, before normalisation into `Policy`. */
export type PolicyDocument = z.infer<typeof policySchema>;
export type ServicePolicyDocument = z.infer<ReturnType<typeof servicePolicySchema>>;

/** Wording for an unknown key, given where it sits. */
export function describeUnknownPolicyKey(parentPath: readonly (string | number)[], key: string): string {
  if (parentPath.length === 1 && parentPath[0] === 'services') {
    return `unknown service ${JSON.stringify(key)}; expected one of ${SERVICE_IDS.join(', ')}`;
  }
  const owners = Object.entries(PARENT_KEYS)
    .filter(([, parentKey]) => parentKey === key)
    .map(([service]) => service);
  if (parentPath.length === 2 && parentPath[0] === 'services' && owners.length > 0) {
    return `unknown key (${key} applies only to ${owners.join(', ')})`;
  }
  return 'unknown key';
}
