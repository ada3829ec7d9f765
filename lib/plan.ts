/**
 * The pure half of a purge (docs/decisions/0004-plan-then-delete.md): which listed tasks the policy selects,
 * and why the others are kept. No I/O, no clock (`nowMs` is passed in). Built to stream: a planner sees tasks
 * one at a time and keeps only counters and the delete candidates, so a million listed tasks cost a few
 * counters.
 */
import picomatch from 'picomatch';
import { isAddressableSegment } from './cloud/api-path';
import { detachStrings } from './detach';
import { isDeletableState } from './policy/states';
import type { Policy, ServicePolicy } from './policy/types';
import type { SkipReason } from './report';
import type { ServiceId, Task } from './types';

export const KEEP_REASONS = [
  'in-progress',
  'unknown-state',
  'unknown-age',
  'too-young',
  'excluded',
  'state-not-selected',
  'parent-excluded',
  'unaddressable',
] as const;
/** Why a listed task is kept. */
export type KeepReason = (typeof KEEP_REASONS)[number];

export type Decision =
  | { readonly action: 'delete'; readonly reason: string; readonly ageMs: number }
  | { readonly action: 'keep'; readonly reason: KeepReason; readonly ageMs: number | undefined };

/**
 * How a keep reason is counted in the report. `too-young` is not counted as skipped: the task is not stale.
 * Tasks the policy filters out (name/parent globs, unselected states) count as `excluded`.
 */
export const SKIP_REASON_OF: Readonly<Record<KeepReason, SkipReason | undefined>> = {
  'in-progress': 'inProgress',
  'unknown-state': 'unknownState',
  'unknown-age': 'unknownAge',
  'too-young': undefined,
  excluded: 'excluded',
  'state-not-selected': 'excluded',
  'parent-excluded': 'excluded',
  unaddressable: 'unaddressable',
};

type Matcher = (text: string) => boolean;
const matchers = new WeakMap<readonly string[], Matcher>();

/**
 * Names are not paths: `/` and `.` are swapped, in the globs and the names alike, for look-alikes picomatch
 * gives no path meaning, so `*` matches `..`, `.` and `keep-/..` too (picomatch never matches a dot segment,
 * which let `exclude: ['*']` miss a task named `..`). Line terminators are swapped for private-use characters:
 * picomatch's `*` is a regular expression's `.`, which matches no line break, so `exclude: ['keep-*']` missed
 * `keep-a` followed by a newline.
 */
function withoutPathSyntax(text: string): string {
  return text
    .replace(/\//g, '\u2215')
    .replace(/\./g, '\u2024')
    .replace(/[\n\r\u2028\u2029]/g, (c) => LINE_TERMINATOR_STAND_INS[c] ?? c);
}

const LINE_TERMINATOR_STAND_INS: Readonly<Record<string, string>> = {
  '\n': '\ue000',
  '\r': '\ue001',
  '\u2028': '\ue002',
  '\u2029': '\ue003',
};

/** `*`, `**`, …: the only globs that match an empty (or missing) name, so `exclude: ["*"]` leaves nothing out. */
function isStarsOnly(glob: string): boolean {
  return /^\*+$/.test(glob);
}

/**
 * A task or parent name is matched whole; `*` also matches `/` (names are not paths). The empty name is
 * matched by a glob made only of `*` and by no other, whatever picomatch would say.
 */
function matcherFor(globs: readonly string[]): Matcher {
  let matcher = matchers.get(globs);
  if (!matcher) {
    const match = picomatch(globs.map(withoutPathSyntax), { dot: true, bash: true });
    const matchesEmpty = globs.some(isStarsOnly);
    matcher = (text) => (text === '' ? matchesEmpty : match(withoutPathSyntax(text)));
    matchers.set(globs, matcher);
  }
  return matcher;
}

/**
 * True when the policy's parent globs (`instances` / `streams`) select `parentName`; no globs selects all. A
 * missing name is the empty name.
 */
export function isParentSelected(servicePolicy: ServicePolicy, parentName: string | undefined): boolean {
  if (servicePolicy.parents === undefined) return true;
  return matcherFor(servicePolicy.parents)(parentName ?? '');
}

/**
 * An end time further ahead of the run's clock than this is unreadable, not young: a unit mix-up or a broken
 * clock, which must not turn into an age at all. (Times before 2010 are refused when the wire is read.)
 */
export const MAX_FUTURE_END_MS = 86_400_000;

/** The task's age at `nowMs`, or undefined when its end time is unknown or implausibly far in the future. */
function ageOf(task: Task, nowMs: number): number | undefined {
  const endedAtMs = task.endedAtMs;
  if (endedAtMs === undefined || !Number.isFinite(endedAtMs)) return undefined;
  return endedAtMs - nowMs > MAX_FUTURE_END_MS ? undefined : nowMs - endedAtMs;
}

/**
 * Decides one task. Order: what the policy filters out (parents, names), then what is never deletable
 * (in progress, unknown state), then states, then age, then whether its path can be sent. Deletes only a
 * task whose `stateClass` is `deletable` AND whose state is in the policy's deletable table: a source bug
 * cannot widen a deletion.
 */
export function evaluateTask(task: Task, servicePolicy: ServicePolicy, nowMs: number): Decision {
  const ageMs = ageOf(task, nowMs);
  const keep = (reason: KeepReason): Decision => ({ action: 'keep', reason, ageMs });
  if (!isParentSelected(servicePolicy, task.parentName)) return keep('parent-excluded');
  if (servicePolicy.include !== undefined && !matcherFor(servicePolicy.include)(task.name))
    return keep('excluded');
  if (servicePolicy.exclude !== undefined && matcherFor(servicePolicy.exclude)(task.name))
    return keep('excluded');
  if (task.stateClass === 'in-progress') return keep('in-progress');
  if (task.stateClass !== 'deletable' || !isDeletableState(task.service, task.state))
    return keep('unknown-state');
  if (servicePolicy.states !== undefined && !servicePolicy.states.includes(task.state)) {
    return keep('state-not-selected');
  }
  if (ageMs === undefined) return keep('unknown-age');
  if (!(ageMs > servicePolicy.olderThanMs)) return keep('too-young');
  // Stale, but `.`/`..` cannot be sent as a path segment: kept and counted, never silently dropped.
  if (!isAddressableSegment(task.id) || (task.parentId !== undefined && !isAddressableSegment(task.parentId)))
    return keep('unaddressable');
  return { action: 'delete', reason: `older-than-${servicePolicy.olderThan}`, ageMs };
}

/** A task the policy selects for deletion. */
export interface DeleteCandidate {
  readonly task: Task;
  readonly ageMs: number;
  /** `older-than-30d` */
  readonly reason: string;
}

/** What planning one service produced. */
export interface ServicePlan {
  readonly service: ServiceId;
  listed: number;
  /** Kept tasks by reason. */
  readonly kept: Record<KeepReason, number>;
  /** Every stale task, in listing order (not yet capped). */
  readonly candidates: DeleteCandidate[];
}

export interface ServicePlanner {
  /** Evaluates and records one listed task. */
  add(task: Task): Decision;
  readonly plan: ServicePlan;
}

function zeroKept(): Record<KeepReason, number> {
  return Object.fromEntries(KEEP_REASONS.map((r) => [r, 0])) as Record<KeepReason, number>;
}

/**
 * A streaming planner for one service. `nowMs`: the time ages are measured from (a function is asked per task:
 * the run's planning clock learns the cloud's time from the listing's answers). `accept` (optional) further
 * restricts which tasks may become candidates (a saved plan): a task it rejects counts as listed and nothing else.
 */
export function createServicePlanner(
  service: ServiceId,
  servicePolicy: ServicePolicy,
  nowMs: number | (() => number),
  accept?: (task: Task) => boolean,
): ServicePlanner {
  const plan: ServicePlan = { service, listed: 0, kept: zeroKept(), candidates: [] };
  const now = typeof nowMs === 'number' ? () => nowMs : nowMs;
  return {
    plan,
    add(task) {
      plan.listed += 1;
      const decision = evaluateTask(task, servicePolicy, now());
      if (accept && !accept(task)) return decision;
      // A candidate outlives the page it was listed from: keep its own copy of the strings (lib/detach.ts).
      if (decision.action === 'delete')
        plan.candidates.push({ task: detachStrings(task), ageMs: decision.ageMs, reason: decision.reason });
      else plan.kept[decision.reason] += 1;
      return decision;
    },
  };
}

/** Oldest first; ties by service, then id (then parent), so the cap always cuts the same tasks. */
export function compareCandidates(a: DeleteCandidate, b: DeleteCandidate): number {
  const endedA = a.task.endedAtMs ?? 0;
  const endedB = b.task.endedAtMs ?? 0;
  if (endedA !== endedB) return endedA - endedB;
  for (const [x, y] of [
    [a.task.service, b.task.service],
    [a.task.id, b.task.id],
    [a.task.parentId ?? '', b.task.parentId ?? ''],
  ] as const) {
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The run-wide cap: the `maxDeletes` oldest candidates are deleted, the rest skipped for `cap`. */
export function applyCap(
  candidates: readonly DeleteCandidate[],
  maxDeletes: number,
): { readonly deletes: DeleteCandidate[]; readonly capped: DeleteCandidate[] } {
  const sorted = [...candidates].sort(compareCandidates);
  const limit = Math.max(0, Math.floor(maxDeletes));
  return { deletes: sorted.slice(0, limit), capped: sorted.slice(limit) };
}

export interface PurgePlan {
  readonly services: Partial<Record<ServiceId, ServicePlan>>;
  /** What the run deletes (dry run: would delete), oldest first. */
  readonly deletes: DeleteCandidate[];
  /** Stale tasks cut by `maxDeletesPerRun`. */
  readonly capped: DeleteCandidate[];
}

/**
 * Plans a whole run from already-listed tasks (tasks of services the policy does not enable are ignored).
 * `runPurge` uses the streaming planners directly; this is the same logic in one call.
 */
export function planPurge(tasks: Iterable<Task>, policy: Policy, nowMs: number): PurgePlan {
  const planners = new Map<ServiceId, ServicePlanner>();
  for (const task of tasks) {
    const servicePolicy = policy.services[task.service];
    if (!servicePolicy?.enabled) continue;
    let planner = planners.get(task.service);
    if (!planner) {
      planner = createServicePlanner(task.service, servicePolicy, nowMs);
      planners.set(task.service, planner);
    }
    planner.add(task);
  }
  const services: Partial<Record<ServiceId, ServicePlan>> = {};
  for (const [id, planner] of planners) services[id] = planner.plan;
  const { deletes, capped } = applyCap(
    [...planners.values()].flatMap((p) => p.plan.candidates),
    policy.maxDeletesPerRun,
  );
  return { services, deletes, capped };
}

/** Whether `text` matches one of `globs`, as names are matched everywhere (project names of `targets` too). */
export function matchesGlobs(globs: readonly string[], text: string): boolean {
  return matcherFor(globs)(text);
}
