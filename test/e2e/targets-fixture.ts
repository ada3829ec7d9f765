/**
 * An account of three regions with two projects each, served by the emulator, and what a policy over all of
 * it selects, written from the documented behaviour (never asked of `lib/`): in each project, every task a
 * service lists that is deletable and ended more than `olderThan` ago; SMS, the account's, once.
 */
import type { EmulatedTask, Emulator, EmulatorDeletion, EmulatorOptions } from '../../emulator/types';
import type { Report, TargetReport } from '../../lib/report';
import { isWireStale, TASK_APIS, wireEndedAtMs } from '../support/task-apis';

export const REGIONS = ['cn-north-4', 'ap-southeast-3', 'cn-east-3'] as const;
export const DAY_MS = 86_400_000;
export const OLDER_THAN_MS = 30 * DAY_MS;
export const SERVICES = Object.keys(TASK_APIS) as (keyof typeof TASK_APIS)[];
const SMS = 'sms-migration-tasks';

/** Every region with its own project and a `_dev` sub-project. */
export function accountOptions(extra: Partial<EmulatorOptions> = {}): EmulatorOptions {
  return {
    seed: 77,
    tasks: 40,
    regions: REGIONS.map((id) => ({ id, projects: [{ name: id }, { name: `${id}_dev` }] })),
    ...extra,
  };
}

/** A policy over every region's projects (`"*"`), every task API at 30 days. */
export function policyOver(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    dryRun: false,
    maxDeletesPerRun: 100_000,
    targets: [{ regions: [...REGIONS], projects: ['*'] }],
    services: Object.fromEntries(SERVICES.map((service) => [service, { olderThan: '30d' }])),
    ...extra,
  };
}

/**
 * The emulator's clock is the wall clock (the CLI's is too): tasks that end within an hour of the 30-day line
 * could be read either side of it by a run and by the test, so they are removed before anything runs.
 */
export function removeBorderlineTasks(emulator: Emulator): void {
  const nowMs = Date.now();
  for (const project of emulator.projects) {
    for (const service of SERVICES) {
      if (service === SMS && project !== emulator.projects[0]) continue;
      for (const task of emulator.tasks(service, project.id)) {
        const ended = wireEndedAtMs(task);
        if (ended !== undefined && Math.abs(nowMs - ended - OLDER_THAN_MS) < 3_600_000) {
          emulator.removeTask(service, task.id, task.parentId, project.id);
        }
      }
    }
  }
}

/** A task by place and identity: `projectId|service|id` (SMS: `account|…`). */
export const keyOfTask = (projectId: string | undefined, service: string, id: string): string =>
  `${projectId ?? 'account'}|${service}|${id}`;

export const keysOfDeletions = (deletions: readonly EmulatorDeletion[]): string[] =>
  deletions.map((d) => keyOfTask(d.projectId, d.service, d.id)).sort();

/** What the policy selects in each project (SMS under `account`), as sorted keys. */
export function selectedKeys(
  emulator: Emulator,
  options: { readonly projects?: readonly string[]; readonly sms?: boolean } = {},
): string[] {
  const nowMs = Date.now();
  const keys: string[] = [];
  const projects = emulator.projects.filter((p) => options.projects?.includes(p.id) ?? true);
  const stale = (task: EmulatedTask) => isWireStale(task, OLDER_THAN_MS, nowMs);
  for (const project of projects) {
    for (const service of SERVICES.filter((s) => s !== SMS)) {
      for (const task of emulator.tasks(service, project.id).filter(stale)) {
        keys.push(keyOfTask(project.id, service, task.id));
      }
    }
  }
  if (options.sms ?? true) {
    for (const task of emulator.tasks(SMS).filter(stale)) keys.push(keyOfTask(undefined, SMS, task.id));
  }
  return keys.sort();
}

/** How many tasks the policy selects in one project (SMS not counted). */
export function selectedIn(emulator: Emulator, projectId: string): number {
  return selectedKeys(emulator, { projects: [projectId], sms: false }).length;
}

/** The first project by region and then project name: the one that lists the account-wide API. */
export function firstByRegionAndName(emulator: Emulator): string {
  const sorted = [...emulator.projects].sort(
    (a, b) => a.region.localeCompare(b.region) || a.name.localeCompare(b.name),
  );
  return sorted[0]?.id ?? '';
}

/** A report's section of a target, by project id. */
export function sectionOf(report: Report, projectId: string | undefined): TargetReport {
  const section = report.targets?.find((t) => t.projectId === projectId);
  if (!section) throw new Error(`no section for ${projectId} in ${JSON.stringify(report.targets)}`);
  return section;
}

/** A planned task of a plan file (version 3), as `projectId|service|id` (SMS under `account`). */
export function keysOfPlan(plan: { tasks: { service: string; id: string; target?: string }[] }): string[] {
  return plan.tasks
    .map((task) => keyOfTask(task.service === SMS ? undefined : task.target, task.service, task.id))
    .sort();
}

/** Requests per region of the emulator's log (SMS, the account's host, under `account`). */
export function requestsByRegion(emulator: Emulator): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of emulator.requestLog()) {
    const region = entry.region ?? 'account';
    counts[region] = (counts[region] ?? 0) + 1;
  }
  return counts;
}
