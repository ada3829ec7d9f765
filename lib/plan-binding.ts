/**
 * Whether a saved plan may be applied by this run: the same account (version 2) or the same targets (version 3)
 * at the same endpoint hosts, and fresh enough. Checked before anything is sent, and once more when the run knows
 * its project id or targets.
 */
import type { CloudName } from './config';
import type { SavedPlan, SavedPlanTask } from './saved-plan';
import { endpointHost } from './saved-plan';
import { endpointVariableOf } from './sources/catalog';
import { CLOUD_SERVICES, type CloudService } from './types';

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
 * Version 3, once the run's targets are known (after IAM, before anything is listed): the run's targets must be
 * exactly the plan's. A target of the plan the run does not have is refused, not skipped (its tasks would not be
 * applied); a target the run has beyond the plan's (a project created or enabled since a confirmed plan was
 * shown) is refused too: it would be listed, it was never reviewed, and it would take a share of the cap, so
 * that a planned task could end `skipped.cap`. Empty for a plan of one account.
 */
export function checkPlanTargetsResolved(
  plan: Pick<SavedPlan, 'targets'>,
  targets: readonly {
    readonly region: string;
    readonly projectId: string;
    readonly projectName?: string | undefined;
  }[],
): string[] {
  const planned = plan.targets;
  if (planned === undefined) return [];
  const same = (a: { region: string; projectId: string }, b: { region: string; projectId: string }) =>
    a.projectId === b.projectId && a.region === b.region;
  const label = (t: { region: string; projectId: string; projectName?: string | undefined }) =>
    `${t.region}/${t.projectName ?? t.projectId}`;
  const missing = planned
    .filter((p) => !targets.some((t) => same(p, t)))
    .map(
      (p) =>
        `targets: the plan's target ${label(p)} is not among this run's targets; its tasks would not be applied`,
    );
  const appeared = targets
    .filter((t) => !planned.some((p) => same(p, t)))
    .map(
      (t) =>
        `targets: a target appeared since the plan: ${label(t)}; it was not reviewed and would take a share of the cap; plan again to review it`,
    );
  return [...missing, ...appeared];
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
