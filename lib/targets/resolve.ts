/**
 * The targets of a run, found before anything is listed: without `targets` in the policy, the configured region
 * and its project (`TASK_JANITOR_PROJECT_ID`, else the region's own project from IAM); with them, the projects
 * IAM lists for the credentials, selected and narrowed (`select.ts`). Every target is known and checked before
 * the first task is listed.
 */
import type { JanitorCloudClient } from '../cloud/client';
import type { Config } from '../config';
import { ConfigError } from '../errors';
import type { Policy, TargetNarrowing } from '../policy/types';
import { listProjects } from './discover';
import {
  markAccountWideLister,
  narrowTargets,
  type ResolvedTarget,
  type SelectedTarget,
  selectTargets,
  withCapShares,
} from './select';

/** How the messages of a narrowing name what the operator gave. */
const NARROWING_NAMES = {
  regions: '--region',
  projects: '--project',
  selectors: 'event: targets',
  single: 'event: target',
  planned: 'the plan: targets',
} as const;

export interface ResolveTargetsOptions {
  readonly config: Config;
  readonly policy: Policy;
  readonly narrowing: TargetNarrowing | undefined;
  /** The client of the configured region: IAM is asked through it. */
  readonly home: JanitorCloudClient;
  readonly signal: AbortSignal;
  readonly stopSignal: AbortSignal;
}

/**
 * @throws ConfigError (subject `targets`, `sent`: only IAM was asked) when a named project is not there or a
 *   narrowing names a target the policy does not select; the cloud's errors as they come.
 */
export async function resolveTargets(options: ResolveTargetsOptions): Promise<readonly ResolvedTarget[]> {
  const { config, policy } = options;
  let targets: readonly SelectedTarget[];
  let problems: readonly string[] = [];
  if (policy.targets === undefined) {
    const projectId = await options.home.resolveProjectId(options.signal, options.stopSignal);
    // Looked up by name, the project is the region's own; a configured id is taken as it is.
    const projectName = config.projectId === undefined ? config.region : undefined;
    targets = [{ cloud: config.cloud, region: config.region, projectId, projectName }];
  } else {
    const projects = await listProjects(options.home, options);
    ({ targets, problems } = selectTargets(policy.targets, projects, config.cloud));
  }
  // Decided over all the policy's targets, before narrowing: which one lists the account-wide APIs and, for a
  // run narrowed to one target (a fan-out's invocation), its share of the cap.
  const marked = markAccountWideLister(targets);
  const shared =
    options.narrowing?.single !== undefined ? withCapShares(marked, policy.maxDeletesPerRun) : marked;
  const narrowed = narrowTargets(shared, options.narrowing, NARROWING_NAMES);
  const all = [...problems, ...narrowed.problems];
  if (all.length > 0) {
    throw new ConfigError(all, {
      subject: 'targets',
      sent: 'IAM was asked for the projects; nothing was listed or deleted',
    });
  }
  return narrowed.targets;
}
