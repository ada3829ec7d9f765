/**
 * The account's regions and projects: from `EmulatorOptions.regions`, or the one region and project of before.
 * Project ids are given or derived from the seed and the project's name, so the same options give the same ids.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ACCOUNT } from './account';
import { HOSTS } from './services/registry';
import type { EmulatorOptions, EmulatorProject } from './types';

/** A region id as the clouds write them: `cn-north-4`, `eu-de`, `ap-southeast-3`. */
const REGION_ID = /^[a-z]{2}(-[a-z]+)+-?\d*$/;
/** What the IAM path and the project header can carry. */
const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const regionsSchema = (counts: z.ZodTypeAny, perService: z.ZodTypeAny) =>
  z
    .array(
      z
        .object({
          id: z.string().regex(REGION_ID, 'expected a region id such as cn-north-4'),
          projects: z
            .array(
              z
                .object({
                  name: z.string().min(1),
                  id: z.string().regex(PROJECT_ID, 'expected 1 to 64 letters, digits, _ or -').optional(),
                  enabled: z.boolean().optional(),
                  accessDenied: z.boolean().optional(),
                  tasks: counts.optional(),
                  tasksPerService: perService.optional(),
                })
                .strict(),
            )
            .min(1)
            .optional(),
        })
        .strict(),
    )
    .min(1);

/** A project with what seeds it. */
export interface SeededProject extends EmulatorProject {
  readonly tasks: number | undefined;
  readonly tasksPerService: EmulatorOptions['tasksPerService'];
}

export interface Topology {
  /** Region ids in the order given; the first is the account's home (`account`, unsuffixed endpoints). */
  readonly regions: readonly string[];
  /** Every project, region by region, in the order given; the first is the default of `tasks()` and the rest. */
  readonly projects: readonly SeededProject[];
  /** Whether `regions` was given (the emulator then prints every region's endpoint variables). */
  readonly explicit: boolean;
  /**
   * What IAM lists besides the projects: with `regions`, the `MOS` project every real account holds, which is
   * in no region (its name is no region id) and holds no task.
   */
  readonly otherIamProjects: readonly { readonly id: string; readonly name: string }[];
}

/** A project id derived from the seed and a name: 32 hex digits, as IAM's ids look. */
export function derivedProjectId(seed: number, name: string): string {
  return createHash('sha256').update(`project\u0000${seed}\u0000${name}`).digest('hex').slice(0, 32);
}

/** The seed a project's task generator draws from: the first project's is the seed itself. */
export function projectSeed(seed: number, index: number, name: string): number {
  if (index === 0) return seed;
  return (seed ^ createHash('sha256').update(name).digest().readUInt32BE(0)) >>> 0;
}

/** The topology of `options` (validated by the options schema first); problems name the field. */
export function resolveTopology(options: EmulatorOptions, problems: string[]): Topology {
  const seed = options.seed ?? 1;
  if (options.regions === undefined) {
    const home: SeededProject = {
      id: ACCOUNT.projectId,
      name: ACCOUNT.projectName,
      region: ACCOUNT.region,
      enabled: true,
      accessDenied: false,
      tasks: undefined,
      tasksPerService: undefined,
    };
    return { regions: [ACCOUNT.region], projects: [home], explicit: false, otherIamProjects: [] };
  }
  const projects: SeededProject[] = [];
  options.regions.forEach((region, r) => {
    const given = region.projects ?? [{ name: region.id }];
    given.forEach((project, p) => {
      const at = `regions.${r}.projects.${p}`;
      if (project.name !== region.id && !project.name.startsWith(`${region.id}_`)) {
        problems.push(
          `${at}.name: a project of ${region.id} is named "${region.id}" or "${region.id}_<name>", got "${project.name}"`,
        );
      }
      projects.push({
        id: project.id ?? derivedProjectId(seed, project.name),
        name: project.name,
        region: region.id,
        enabled: project.enabled ?? true,
        accessDenied: project.accessDenied ?? false,
        tasks: project.tasks,
        tasksPerService: project.tasksPerService,
      });
    });
  });
  const regions = options.regions.map((region) => region.id);
  problems.push(...duplicates('regions', regions, 'region id'));
  problems.push(
    ...duplicates(
      'regions.*.projects',
      projects.map((p) => p.name),
      'project name',
    ),
  );
  problems.push(
    ...duplicates(
      'regions.*.projects',
      projects.map((p) => p.id),
      'project id',
    ),
  );
  const portBase = options.portBase ?? 0;
  if (portBase > 0 && portBase + regions.length * HOSTS_PER_REGION > 65_536) {
    problems.push(
      `portBase: ${regions.length} regions need ports up to ${portBase + regions.length * HOSTS_PER_REGION - 1}`,
    );
  }
  const mos = { id: derivedProjectId(seed, 'MOS'), name: 'MOS' };
  return { regions, projects, explicit: true, otherIamProjects: [mos] };
}

/** Ports each region takes from `portBase`: one per host (the account-wide SMS host uses the first region's). */
export const HOSTS_PER_REGION = HOSTS.length;

function duplicates(path: string, values: readonly string[], what: string): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const value of values) (seen.has(value) ? twice : seen).add(value);
  return [...twice].map((value) => `${path}: ${what} "${value}" given twice`);
}

/** The project `ref` names (id or name), or the first project when `ref` is undefined. */
export function findProject(projects: readonly EmulatorProject[], ref: string | undefined): EmulatorProject {
  const project = ref === undefined ? projects[0] : projects.find((p) => p.id === ref || p.name === ref);
  if (!project) throw new RangeError(`no project ${ref ?? '(none)'} in the emulated account`);
  return project;
}

/** `TASK_JANITOR_ENDPOINT_<HOST>_<REGION>`: `-` becomes `_`, all upper case. */
export function regionalVariable(host: string, region: string): string {
  return `TASK_JANITOR_ENDPOINT_${host.toUpperCase()}_${region.toUpperCase().replace(/-/g, '_')}`;
}
