/**
 * The five invariants of issue 8, checked after every chaos run from the emulator's own records (task list
 * before the run, deletions log with the state at deletion time, request log) and the captured log lines:
 * never from the engine's classification code.
 */

import { MAX_LISTED_FAILURES } from '../../lib/report';
import type { ServiceId } from '../../lib/types';
import { type LogRecord, type Outcome, policySelects, taskKey } from './run-schedule';
import { isWireDeletable, stateLabel } from './schedule';

/** How far past its deadline a run may end: the report line, a socket being torn down, a busy 2-core host. */
export const DEADLINE_SLACK_MS = 400;

const DECISION_ACTIONS = new Set([
  'delete',
  'would-delete',
  'deleted',
  'already-gone',
  'skipped',
  'failed',
  'keep',
]);

function decisionKey(line: LogRecord): string | undefined {
  const service = line.service as ServiceId | undefined;
  const taskId = line.taskId;
  if (typeof service !== 'string' || typeof taskId !== 'string') return undefined;
  return taskKey(service, taskId, typeof line.parent === 'string' ? line.parent : undefined);
}

export interface Findings {
  readonly violations: string[];
  /** Deletions of a task that turned in-progress after the janitor's last read of it (an API without refusal). */
  readonly raceDeletions: number;
  readonly overshootMs: number;
}

export function checkInvariants(outcome: Outcome): Findings {
  const { schedule, before, logs, report } = outcome;
  const violations: string[] = [];
  const fail = (invariant: number, message: string) => violations.push(`(${invariant}) ${message}`);
  let raceDeletions = 0;

  const scheduled = new Map(schedule.tasks.map((t) => [taskKey(t.service, t.id, t.parentId), t] as const));
  const timerChanged = new Map<string, number[]>();
  const mutated = new Set<string>();
  for (const m of outcome.mutations) {
    if (m.atMs === undefined) continue;
    mutated.add(m.key);
    if (m.mutation.at !== 'plan') timerChanged.set(m.key, [...(timerChanged.get(m.key) ?? []), m.atMs]);
  }

  const decisions = new Map<string, LogRecord[]>();
  for (const line of logs) {
    if (line.msg !== 'task decision') continue;
    const key = decisionKey(line);
    if (key === undefined) {
      fail(2, `a decision line without service/taskId: ${JSON.stringify(line)}`);
      continue;
    }
    if (!DECISION_ACTIONS.has(String(line.action)) || typeof line.reason !== 'string' || line.reason === '')
      fail(2, `a decision line without a known action and a reason: ${JSON.stringify(line)}`);
    decisions.set(key, [...(decisions.get(key) ?? []), line]);
  }
  const finalAction = (key: string): LogRecord | undefined =>
    decisions
      .get(key)
      ?.filter((l) => l.action !== 'keep' && l.action !== 'delete')
      .at(-1);

  // (4) the run ended inside its deadline and logged its report (exactly once).
  const reportLines = logs.filter((l) => l.msg === 'purge report');
  if (reportLines.length !== 1) fail(4, `expected one report line, got ${reportLines.length}`);
  const overshootMs = outcome.endMs - (outcome.startMs + schedule.deadlineMs);
  if (overshootMs > DEADLINE_SLACK_MS)
    fail(4, `the run ended ${overshootMs} ms after its deadline (${schedule.deadlineMs} ms)`);
  if (outcome.thrown !== undefined) {
    // A run may fail as a whole (every listing failed, or every delete), with its report logged first.
    const name = outcome.thrown instanceof Error ? outcome.thrown.name : typeof outcome.thrown;
    const entries = Object.values(report?.services ?? {});
    const allListingsFailed = entries.length > 0 && entries.every((e) => e?.error !== undefined);
    const t = report?.totals;
    const allDeletesFailed =
      t !== undefined && t.failed > 0 && t.deleted + t.alreadyGone + (t.refused ?? 0) === 0;
    const known = /Error$/.test(name) && name !== 'Error' && name !== 'TypeError' && name !== 'RangeError';
    if (!known || !(name === 'FullRunFailureError' || allListingsFailed || allDeletesFailed))
      fail(4, `the run threw ${name}: ${String(outcome.thrown)}`);
  }
  if (!report) return { violations, raceDeletions, overshootMs };
  const failedListing = new Set(
    Object.entries(report.services)
      .filter(([, entry]) => entry?.error !== undefined)
      .map(([service]) => service),
  );

  // (1) nothing deleted that is in progress, of unknown state, excluded, too young, or unlisted.
  const lastShowAt = (d: { service: ServiceId; id: string }): number | undefined => {
    const segment = encodeURIComponent(d.id);
    const shows = outcome.requests.filter(
      (r) =>
        (r.operation === 'ShowProcessorTask' || r.operation === 'ShowTransferTask') &&
        r.rawPath.split('?')[0]?.endsWith(`/${segment}`),
    );
    return shows.at(-1)?.atMs;
  };
  for (const d of outcome.deletions) {
    const key = taskKey(d.service, d.id, d.service === 'dis-dump-tasks' ? findParent(outcome, d) : undefined);
    const what = `${d.service} ${JSON.stringify(d.id)} (${JSON.stringify(d.name)}, state ${d.state})`;
    if (schedule.dryRun) fail(1, `a dry run deleted ${what}`);
    if (outcome.unlisted.has(key)) fail(1, `deleted ${what}, added after the listing (unlisted)`);
    const listed = before.get(key);
    const planned = scheduled.get(key);
    if (!listed || !planned) {
      if (!outcome.unlisted.has(key)) fail(1, `deleted ${what}, which was not in the account before the run`);
      continue;
    }
    if (failedListing.has(d.service)) fail(1, `deleted ${what} although ${d.service}'s listing failed`);
    // The state the janitor listed is the pre-run state, unless a timer changed it during the run (then only
    // what cannot change is checked here: age, names, parents; the state at deletion time is checked below).
    const changedByTimer = timerChanged.has(key);
    if (!policySelects(schedule, planned, changedByTimer ? undefined : listed.state, planned.age))
      fail(
        1,
        `deleted ${what}, which the policy does not select (listed as ${listed.state}, age ${planned.age})`,
      );
    if (!isWireDeletable(d.service, d.state)) {
      // Only an API that does not refuse (ModelArts, DIS) can lose this race, and only when the state changed
      // after the janitor's last re-read of the task.
      const changes = timerChanged.get(key) ?? [];
      const shownAt = lastShowAt(d);
      const lostRace =
        (d.service === 'modelarts-processor-tasks' || d.service === 'dis-dump-tasks') &&
        shownAt !== undefined &&
        changes.some((at) => at >= shownAt);
      if (lostRace) raceDeletions += 1;
      else fail(1, `deleted ${what} in a state that is not deletable (${stateLabel(d.service, d.state)})`);
    }
  }
  if (outcome.requests.some((r) => r.operation === 'StopMigrationTask'))
    fail(1, 'an OMS task was stopped (forced)');

  // (2) every stale task is deleted, or in the report as failed or skipped, with its reason.
  for (const [key, planned] of scheduled) {
    const listed = before.get(key);
    if (!listed || !policySelects(schedule, planned, listed.state, planned.age)) continue;
    if (failedListing.has(planned.service)) continue; // the report carries the service's listing error
    const line = finalAction(key);
    if (!line) {
      if (mutated.has(key)) continue; // changed or removed before the janitor listed it
      fail(2, `stale ${planned.service} ${JSON.stringify(planned.id)} has no decision in the log`);
      continue;
    }
    const action = String(line.action);
    if (schedule.dryRun ? !['would-delete', 'skipped'].includes(action) : action === 'would-delete')
      fail(
        2,
        `stale ${planned.service} ${JSON.stringify(planned.id)}: action ${action} in a ${schedule.dryRun ? 'dry' : 'real'} run`,
      );
    if (action === 'failed') {
      const failures = report.services[planned.service]?.failures ?? [];
      // Past the report's cap a failure is counted, not listed: then the list must be full.
      const notListed = report.services[planned.service]?.failuresNotListed ?? 0;
      const listed = failures.some((f) => f.taskId === planned.id);
      if (!listed && (notListed === 0 || failures.length !== MAX_LISTED_FAILURES))
        fail(2, `failed ${planned.service} ${JSON.stringify(planned.id)} is not among the report's failures`);
    }
  }

  // (3) every 4xx/5xx the emulator sent appears in the logs with its payload fields.
  const failureLines = logs.filter((l) => typeof l.status === 'number' && typeof l.path === 'string');
  const used = new Set<LogRecord>();
  const abortedAtMs = outcome.startMs + schedule.deadlineMs;
  for (const entry of outcome.requests) {
    if (entry.status < 400 || entry.answeredAtMs === undefined) continue;
    // An answer written as the run's deadline cut the connection may never have been read.
    if (entry.answeredAtMs >= abortedAtMs - 25) continue;
    if (entry.answeredAtMs > outcome.endMs) continue;
    // Nor one written as the client's own request timeout fired (a busy host can delay either side).
    if (entry.answeredAtMs - entry.atMs >= schedule.requestTimeoutMs - 30) continue;
    const path = entry.rawPath.split('?')[0] ?? '';
    // IAM answers in its own shape, {"error": {"code": <status>, ...}}, except for the gateway's own refusals
    // (APIG.* auth errors) and throttling (IAM.0012), which carry an error_code.
    const iamShaped =
      entry.service === 'iam' &&
      (entry.fault === 'server-error' ||
        entry.fault === 'outage' ||
        !/^(APIG|IAM\.0012)/.test(entry.errorCode ?? ''));
    const expectedCode = iamShaped ? String(entry.status) : entry.errorCode;
    const match = failureLines.find(
      (l) =>
        !used.has(l) &&
        l.status === entry.status &&
        l.errorCode === expectedCode &&
        l.method === entry.method &&
        (l.path === path || safeDecode(String(l.path)) === safeDecode(path)),
    );
    if (match) used.add(match);
    else
      fail(
        3,
        `the emulator answered ${entry.method} ${path} with ${entry.status} ${entry.errorCode ?? ''} and no log line carries it (answered ${entry.answeredAtMs - entry.atMs} ms after arrival, ${entry.answeredAtMs - outcome.startMs} ms into the run, fault ${entry.fault ?? 'none'})`,
      );
  }

  // (5) the report's counts match the emulator's record of what was deleted.
  const deletedLines = logs.filter((l) => l.msg === 'task decision' && l.action === 'deleted');
  const reportDeleted = report.totals.deleted;
  if (reportDeleted !== deletedLines.length)
    fail(5, `report says ${reportDeleted} deleted, the log has ${deletedLines.length} deleted decisions`);
  const emulatorDeleted = new Set(outcome.deletions.map((d) => `${d.service}|${d.id}`));
  for (const line of deletedLines) {
    if (!emulatorDeleted.has(`${String(line.service)}|${String(line.taskId)}`))
      fail(
        5,
        `reported deleted ${String(line.service)} ${JSON.stringify(line.taskId)}, which the emulator never deleted`,
      );
  }
  for (const d of outcome.deletions) {
    const key = taskKey(d.service, d.id, d.service === 'dis-dump-tasks' ? findParent(outcome, d) : undefined);
    const action = finalAction(key)?.action;
    // A delete whose answer was lost (reset, timeout) is retried and then found gone, or reported failed.
    if (action !== 'deleted' && action !== 'already-gone' && action !== 'failed')
      fail(5, `the emulator deleted ${d.service} ${JSON.stringify(d.id)}, the report says ${String(action)}`);
  }
  const { alreadyGone, failed } = report.totals;
  if (
    outcome.deletions.length < reportDeleted ||
    outcome.deletions.length > reportDeleted + alreadyGone + failed
  )
    fail(
      5,
      `emulator deleted ${outcome.deletions.length}; report: deleted ${reportDeleted}, already gone ${alreadyGone}, failed ${failed}`,
    );
  if (schedule.dryRun && report.totals.deleted !== 0) fail(5, 'a dry run reports deletions');

  return { violations, raceDeletions, overshootMs };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The stream a deleted DIS task was in: the only pre-run task of that name (names repeat only across streams). */
function findParent(outcome: Outcome, d: { service: ServiceId; id: string }): string | undefined {
  const candidates = [...outcome.before.values(), ...outcome.schedule.tasks].filter(
    (t) => t.service === d.service && t.id === d.id,
  );
  if (candidates[0]?.parentId !== undefined) return candidates[0].parentId;
  for (const key of outcome.unlisted) {
    const [service, parent, id] = key.split('|');
    if (service === d.service && id === d.id) return parent;
  }
  return undefined;
}
