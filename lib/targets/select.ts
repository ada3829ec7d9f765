/**
 * Which (region, project) targets a run covers: the policy's selectors resolved against the projects the
 * credentials can see, narrowed by the operator, in an order that rotates from day to day. Pure.
 */
import { matchesGlobs } from '../plan';
import { ALL_PROJECTS, type TargetSelector } from '../policy/targets';
import type { SingleTarget, TargetNarrowing } from '../policy/types';
import { REGION_ID_PATTERN } from '../regions';

/** A project as IAM lists it. */
export interface DiscoveredProject {
  readonly id: string;
  readonly name: string;
}

/** A target as the policy's selectors and an operator's narrowing choose it. */
export interface SelectedTarget {
  readonly cloud: string;
  readonly region: string;
  readonly projectId: string;
  /** Undefined when the project id was configured and never looked up. */
  readonly projectName: string | undefined;
}

/** One target of a run: as selected, with what was decided over all the policy's targets before narrowing. */
export interface ResolvedTarget extends SelectedTarget {
  /**
   * Whether this target lists the account-wide APIs (SMS): the first of the policy's targets by region and
   * project name, decided before any narrowing, so that a fan-out's one-target runs list them once between them.
   */
  readonly listsAccountWide: boolean;
  /**
   * Set when the run was narrowed to this one target (`target`: a fan-out's invocation, a per-target timer): the
   * most it may delete, its share of the cap split evenly over all the policy's targets before narrowing
   * (`withCapShares`), so that the one-target runs of all the targets delete at most the cap between them.
   * Unset: the run's cap is split between the run's own targets.
   */
  readonly capShare?: number;
}

/** `region/projectName` (or the id): how messages, the table and metrics name a target. */
export function targetLabel(target: {
  readonly region: string;
  readonly projectId?: string | undefined;
  readonly projectName?: string | undefined;
}): string {
  return `${target.region}/${target.projectName ?? target.projectId ?? '?'}`;
}

/**
 * The region a project belongs to, from its name: a region's own project is named after it, a sub-project
 * `<region>_<name>`. Undefined for any other project (`MOS` and the like, which no task API lives in).
 */
export function regionOfProject(name: string): string | undefined {
  const region = name.split('_', 1)[0] ?? '';
  return REGION_ID_PATTERN.test(region) ? region : undefined;
}

export interface Selection<T extends SelectedTarget = SelectedTarget> {
  readonly targets: readonly T[];
  /** Each names the selector or narrowing that failed: nothing may run when there is one. */
  readonly problems: readonly string[];
}

/** The targets `selectors` choose among `projects`; a project named explicitly must exist in its regions. */
export function selectTargets(
  selectors: readonly TargetSelector[],
  projects: readonly DiscoveredProject[],
  cloud: string,
): Selection {
  const problems: string[] = [];
  const chosen = new Map<string, SelectedTarget>();
  selectors.forEach((selector, index) => {
    const inRegions = projects.filter((project) => {
      const region = regionOfProject(project.name);
      return region !== undefined && selector.regions.includes(region);
    });
    const excluded = (project: DiscoveredProject) =>
      selector.exclude !== undefined && matchesGlobs(selector.exclude, project.name);
    selector.projects.forEach((ref, refIndex) => {
      const matches =
        ref === ALL_PROJECTS
          ? inRegions
          : inRegions.filter((project) => project.id === ref || project.name === ref);
      if (ref !== ALL_PROJECTS && matches.length === 0) {
        problems.push(
          `targets[${index}].projects[${refIndex}]: no project ${JSON.stringify(ref)} in ${selector.regions.join(', ')} that these credentials can see`,
        );
      }
      for (const project of matches) {
        if (excluded(project)) continue;
        const region = regionOfProject(project.name) ?? '';
        chosen.set(project.id, { cloud, region, projectId: project.id, projectName: project.name });
      }
    });
  });
  return { targets: [...chosen.values()], problems };
}

/**
 * The targets an operator's narrowing keeps. Every region, project, selector or single target it names must
 * select at least one of `targets`: naming one the policy does not select is refused, never added.
 */
export function narrowTargets<T extends SelectedTarget>(
  targets: readonly T[],
  narrowing: TargetNarrowing | undefined,
  names: {
    readonly regions: string;
    readonly projects: string;
    readonly selectors: string;
    readonly single: string;
    readonly planned: string;
  },
): Selection<T> {
  if (narrowing === undefined) return { targets, problems: [] };
  const problems: string[] = [];
  let kept = [...targets];
  const known = (list: readonly T[]) => list.map(targetLabel).join(', ') || 'none';
  if (narrowing.regions !== undefined) {
    for (const region of narrowing.regions) {
      if (!kept.some((t) => t.region === region)) {
        problems.push(`${names.regions} ${region}: not among the policy's targets (${known(targets)})`);
      }
    }
    kept = kept.filter((t) => narrowing.regions?.includes(t.region));
  }
  if (narrowing.projects !== undefined) {
    for (const ref of narrowing.projects) {
      if (!kept.some((t) => t.projectId === ref || t.projectName === ref)) {
        problems.push(`${names.projects} ${ref}: not among the policy's targets (${known(kept)})`);
      }
    }
    kept = kept.filter((t) =>
      narrowing.projects?.some((ref) => t.projectId === ref || t.projectName === ref),
    );
  }
  if (narrowing.selectors !== undefined) {
    const { selectors } = narrowing;
    selectors.forEach((selector, index) => {
      if (!kept.some((t) => selectorKeeps(selector, t))) {
        problems.push(`${names.selectors}[${index}]: selects none of the policy's targets (${known(kept)})`);
      }
    });
    kept = kept.filter((t) => selectors.some((selector) => selectorKeeps(selector, t)));
  }
  if (narrowing.single !== undefined) {
    const single = narrowing.single;
    const match = kept.filter((t) => isSingle(single, t));
    if (match.length !== 1) {
      problems.push(
        `${names.single}: ${describeSingle(single)} is not one of the policy's targets (${known(targets)})`,
      );
    }
    kept = match.slice(0, 1);
  }
  if (narrowing.planned !== undefined) {
    const { planned } = narrowing;
    const isPlanned = (p: { region: string; projectId: string }, t: T) =>
      t.region === p.region && t.projectId === p.projectId;
    planned.forEach((p, index) => {
      if (!kept.some((t) => isPlanned(p, t))) {
        problems.push(
          `${names.planned}[${index}] ${p.region}/${p.projectId}: not among the policy's targets (${known(targets)})`,
        );
      }
    });
    kept = kept.filter((t) => planned.some((p) => isPlanned(p, t)));
  }
  return { targets: kept, problems };
}

function selectorKeeps(selector: TargetSelector, target: SelectedTarget): boolean {
  if (!selector.regions.includes(target.region)) return false;
  const name = target.projectName ?? '';
  if (selector.exclude !== undefined && matchesGlobs(selector.exclude, name)) return false;
  return selector.projects.some(
    (ref) => ref === ALL_PROJECTS || ref === target.projectId || ref === target.projectName,
  );
}

function isSingle(single: SingleTarget, target: SelectedTarget): boolean {
  if (single.cloud !== undefined && single.cloud !== target.cloud) return false;
  if (single.region !== target.region) return false;
  if (single.projectId !== undefined && single.projectId !== target.projectId) return false;
  if (single.projectName !== undefined && single.projectName !== target.projectName) return false;
  return true;
}

function describeSingle(single: SingleTarget): string {
  return `${single.cloud ? `${single.cloud} ` : ''}${single.region}/${single.projectName ?? single.projectId ?? '?'}`;
}

/**
 * The order targets start in: regions taken in turn (so that targets running at once are in different regions,
 * with different hosts and rate limits), rotated by `rotation` (the run's day) so that, when a run cannot cover
 * every target before its deadline, the next day's run starts elsewhere. No state is kept between runs.
 */
export function orderTargets<T extends SelectedTarget>(targets: readonly T[], rotation: number): T[] {
  const byRegion = new Map<string, T[]>();
  const sorted = [...targets].sort(compareByRegionAndName);
  for (const target of sorted) {
    const list = byRegion.get(target.region) ?? [];
    list.push(target);
    byRegion.set(target.region, list);
  }
  const interleaved: T[] = [];
  for (let round = 0; interleaved.length < sorted.length; round++) {
    for (const list of byRegion.values()) {
      const target = list[round];
      if (target !== undefined) interleaved.push(target);
    }
  }
  if (interleaved.length === 0) return interleaved;
  const offset = ((rotation % interleaved.length) + interleaved.length) % interleaved.length;
  return [...interleaved.slice(offset), ...interleaved.slice(0, offset)];
}

/** `targets` with the first by region, then project name, then id marked to list the account-wide APIs. */
export function markAccountWideLister(targets: readonly SelectedTarget[]): ResolvedTarget[] {
  let first: SelectedTarget | undefined;
  for (const target of targets) {
    if (first === undefined || compareByRegionAndName(target, first) < 0) first = target;
  }
  return targets.map((target) => ({ ...target, listsAccountWide: target === first }));
}

/**
 * `targets` (all the policy's, before narrowing) each with its share of `cap` (`capShare`): the cap split evenly
 * over them in the order of `compareByRegionAndName`, the remainder one each to the first. That order is not the
 * day's, so every one-target invocation of a schedule computes the same split.
 */
export function withCapShares(targets: readonly ResolvedTarget[], cap: number): ResolvedTarget[] {
  const rank = new Map([...targets].sort(compareByRegionAndName).map((target, index) => [target, index]));
  return targets.map((target) => ({
    ...target,
    capShare: capShareOf(cap, targets.length, rank.get(target) ?? 0),
  }));
}

/**
 * By region, then project name, then id, field by field: in one joined string the collation would skip the
 * separator and weigh `_` (of a sub-project's name) against the next field's first character.
 */
export function compareByRegionAndName(a: SelectedTarget, b: SelectedTarget): number {
  return (
    a.region.localeCompare(b.region) ||
    (a.projectName ?? '').localeCompare(b.projectName ?? '') ||
    a.projectId.localeCompare(b.projectId)
  );
}

/**
 * Target `index`'s share of a cap split evenly between `count` targets: `floor(cap / count)`, plus one for each
 * of the first `cap % count`. Without a cap (its schema maximum) every target takes all it has.
 */
export function capShareOf(cap: number, count: number, index: number): number {
  const total = Math.max(0, Math.floor(cap));
  if (total >= Number.MAX_SAFE_INTEGER) return total;
  const targets = Math.max(1, count);
  return Math.floor(total / targets) + (index < total % targets ? 1 : 0);
}

/** The run's day since the epoch (UTC): what rotates the order. */
export function rotationOf(startedAtMs: number): number {
  return Math.floor(startedAtMs / 86_400_000);
}
