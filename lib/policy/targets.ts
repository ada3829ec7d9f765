/**
 * Where a policy runs: `targets`, a list of regions and the projects in them. A project is named by its id, its
 * name, or `"*"` for every project the credentials can see in those regions (a region's own project is named
 * after the region, a sub-project `<region>_<name>`); `exclude` globs keep projects out by name. Without
 * `targets` a run has one target: the configured region and project (`TASK_JANITOR_REGION`,
 * `TASK_JANITOR_PROJECT_ID` or the region's own project).
 */
import { z } from 'zod';
import { REGION_ID_PATTERN } from '../regions';

/** One entry of `targets`, validated. */
export interface TargetSelector {
  readonly regions: readonly string[];
  /** Project ids or names, or `"*"`. */
  readonly projects: readonly string[];
  /** Globs on project names. */
  readonly exclude: readonly string[] | undefined;
}

/** Every project of the selected regions. */
export const ALL_PROJECTS = '*';

const regionId = z.string().regex(REGION_ID_PATTERN, 'expected a region id such as cn-north-4 or eu-de');

const projectRef = z
  .string()
  .min(1)
  .max(64)
  .superRefine((value, ctx) => {
    if (value !== ALL_PROJECTS && !/^[A-Za-z0-9_.-]+$/.test(value)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `${JSON.stringify(value)} is not a project id or name (letters, digits, - _ .), nor "*"`,
      });
    }
  });

const unique = (what: string) => (values: readonly string[], ctx: z.RefinementCtx) => {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    if (seen.has(value)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [index],
        message: `${what} ${value} is named twice`,
      });
    }
    seen.add(value);
  });
};

export const targetSelectorSchema = z
  .object({
    regions: z.array(regionId).min(1).superRefine(unique('region')),
    projects: z
      .array(projectRef)
      .min(1)
      .superRefine(unique('project'))
      .superRefine((projects, ctx) => {
        if (projects.includes(ALL_PROJECTS) && projects.length > 1) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            message: '"*" selects every project already: name projects or "*", not both',
          });
        }
      }),
    exclude: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict();

export const targetsSchema = z.array(targetSelectorSchema).min(1);

/** The validated selectors, frozen. */
export function toTargetSelectors(parsed: z.infer<typeof targetsSchema>): readonly TargetSelector[] {
  return Object.freeze(
    parsed.map((entry) =>
      Object.freeze({
        regions: Object.freeze([...entry.regions]),
        projects: Object.freeze([...entry.projects]),
        exclude: entry.exclude === undefined ? undefined : Object.freeze([...entry.exclude]),
      }),
    ),
  );
}

/** The regions a list of selectors names, in first-named order. */
export function regionsOf(selectors: readonly TargetSelector[]): string[] {
  return [...new Set(selectors.flatMap((selector) => selector.regions))];
}
