/**
 * The invariants checked after every chaos run, from the emulator's own records (task list before the run,
 * deletions with the state at deletion time, state changes, request log, the foreign host's log), the client's
 * side of the wire (which requests it sent and which answers it read) and the captured log lines: never from
 * the engine's classification code.
 *
 * 1. Nothing deleted that the policy does not select, that was not listed, or that was in progress when its
 *    DELETE arrived; no OMS task stopped; every DELETE of an API that does not refuse a running task follows a
 *    read of the task sent after the previous attempt.
 * 2. Every stale task ends with a decision: deleted, already gone, failed (in the report), unknown, or skipped
 *    with its reason.
 * 3. Every 4xx/5xx answer the client read is in the logs with its status (and error code where the emulator
 *    sent one).
 * 4. The run logged one report, ended within its platform budget, and sent no DELETE after it stopped (its
 *    deadline or an interrupt); nothing of it reached the emulator after it returned.
 * 5. The report's deletions are exactly the cloud's: every `deleted` task was deleted by this run (but a task
 *    the test removed while this run's DELETE of it went unanswered, which no client can tell apart), and every
 *    deletion of this run is reported `deleted` or `unknown` (an outcome the run could not settle).
 * 6. No request ever reached a host other than the configured one (a redirect is never followed), so no
 *    credential did.
 * 7. Every listed task is in exactly one column of the report: for every service listed whole, `listed` is the
 *    sum of the columns.
 */

import { MAX_LISTED_FAILURES, sumOfColumns } from '../../lib/report';
import type { ServiceId } from '../../lib/types';
import type { LogRecord } from '../support/log-capture';
import { TASK_APIS } from '../support/task-apis';
import { type Outcome, policySelects, taskKey } from './run-schedule';
import { isWireDeletable, stateLabel } from './schedule';

/**
 * How long after its deadline a chaos run may end: in-flight requests may finish for a third of its 10 s
 * margin, reads that settle unknown outcomes another third, then the client closes (1 s grace at most).
 */
export const RUN_END_SLACK_MS = 10_000;
/** A DELETE sent this soon after the stop was already on its way when the stop came (two event-loop turns). */
const STOP_SLACK_MS = 25;

const DECISION_ACTIONS = new Set([
  'delete',
  'would-delete',
  'deleted',
  'already-gone',
  'skipped',
  'failed',
  'unknown',
  'keep',
]);

/** The APIs that delete a running task (as the emulator models them): each DELETE must follow a fresh read. */
const GUARDED: ReadonlyMap<string, string> = new Map(
  Object.values(TASK_APIS).flatMap((api) =>
    api.deletesRunningTasks && api.read ? [[api.delete.operation, api.read.operation] as const] : [],
  ),
);

function decisionKey(line: LogRecord): string | undefined {
  const service = line.service as ServiceId | undefined;
  const taskId = line.taskId;
  if (typeof service !== 'string' || typeof taskId !== 'string') return undefined;
  return taskKey(service, taskId, typeof line.parent === 'string' ? line.parent : undefined);
}

export interface Findings {
  readonly violations: string[];
  /** Deletions of a task that turned in-progress between the janitor's last read and its DELETE. */
  readonly raceDeletions: number;
  /** The longest time between a read that found a task deletable and its DELETE's arrival (guarded APIs). */
  readonly maxReadToDeleteMs: number;
  /** How far after the deadline the run ended. */
  readonly overshootMs: number;
  /** Deletes the run could not settle (reported `unknown`). */
  readonly unknown: number;
  /** Tasks the test removed while a DELETE of them went unanswered, reported deleted (see invariant 5). */
  readonly removedWhileUnanswered: number;
}

export function checkInvariants(outcome: Outcome): Findings {
  const { schedule, before, logs, report } = outcome;
  const violations: string[] = [];
  const fail = (invariant: number, message: string) => violations.push(`(${invariant}) ${message}`);

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

  // (4) one report; the run ended within its budget; no DELETE sent after the stop; nothing after it returned.
  const reportLines = logs.filter((l) => l.msg === 'purge report');
  if (reportLines.length !== 1) fail(4, `expected one report line, got ${reportLines.length}`);
  const overshootMs = outcome.endMs - (outcome.startMs + schedule.deadlineMs);
  if (overshootMs > RUN_END_SLACK_MS)
    fail(4, `the run ended ${overshootMs} ms after its deadline (${schedule.deadlineMs} ms)`);
  if (outcome.stopAtMs !== undefined) {
    const stopAt = outcome.stopAtMs;
    for (const sent of outcome.fetches) {
      if (sent.method === 'DELETE' && sent.calledAtMs > stopAt + STOP_SLACK_MS)
        fail(4, `DELETE ${sent.path} was sent ${sent.calledAtMs - stopAt} ms after the run stopped`);
    }
  }
  for (const entry of outcome.late) {
    fail(
      4,
      `${entry.method} ${entry.rawPath} reached the emulator ${entry.atMs - outcome.endMs} ms after the run returned`,
    );
  }
  if (outcome.thrown !== undefined) {
    // A run may fail as a whole (every listing failed, or every delete), with its report logged first.
    const name = outcome.thrown instanceof Error ? outcome.thrown.name : typeof outcome.thrown;
    const entries = Object.values(report?.services ?? {});
    const allListingsFailed = entries.length > 0 && entries.every((e) => e?.error !== undefined);
    const t = report?.totals;
    const allDeletesFailed =
      t !== undefined && t.failed > 0 && t.deleted + t.alreadyGone + (t.refused ?? 0) + t.unknown === 0;
    const known = /Error$/.test(name) && name !== 'Error' && name !== 'TypeError' && name !== 'RangeError';
    if (!known || !(name === 'FullRunFailureError' || allListingsFailed || allDeletesFailed))
      fail(4, `the run threw ${name}: ${String(outcome.thrown)}`);
  }

  // (6) a redirect is never followed: nothing, and so no credential, reaches the foreign host.
  for (const request of outcome.foreignRequests) {
    fail(
      6,
      `${request.method} ${request.rawPath} reached the foreign host${request.hasCredentialHeaders ? ' WITH credential headers' : ''}`,
    );
  }

  // (1) a guarded DELETE always follows a read sent after the task's previous DELETE; the read→DELETE window.
  let maxReadToDeleteMs = 0;
  const lastReadAnswer = new Map<string, number>();
  const readSinceDelete = new Set<string>();
  for (const entry of outcome.requests) {
    const path = entry.rawPath.split('?')[0] ?? '';
    if ([...GUARDED.values()].includes(entry.operation)) {
      if (entry.answeredAtMs !== undefined) lastReadAnswer.set(path, entry.answeredAtMs);
      readSinceDelete.add(path);
      continue;
    }
    if (!GUARDED.has(entry.operation)) continue;
    if (!readSinceDelete.has(path))
      fail(1, `${entry.method} ${path} was sent without a read of the task first`);
    readSinceDelete.delete(path);
    const readAt = lastReadAnswer.get(path);
    if (readAt !== undefined) maxReadToDeleteMs = Math.max(maxReadToDeleteMs, entry.atMs - readAt);
  }

  if (!report)
    return {
      violations,
      raceDeletions: 0,
      maxReadToDeleteMs,
      overshootMs,
      unknown: 0,
      removedWhileUnanswered: 0,
    };
  const failedListing = new Set(
    Object.entries(report.services)
      .filter(([, entry]) => entry?.error !== undefined)
      .map(([service]) => service),
  );

  // (1) nothing deleted that is in progress, of unknown state, excluded, too young, or unlisted.
  let raceDeletions = 0;
  const requestsOf = (d: { id: string }, operations: readonly string[]) => {
    const segment = encodeURIComponent(d.id);
    return outcome.requests.filter(
      (r) => operations.includes(r.operation) && r.rawPath.split('?')[0]?.endsWith(`/${segment}`),
    );
  };
  // The arrival of the DELETE that carried the deletion out (answered 2xx, or acted without its answer reaching
  // the client), on the wall clock like the reads and the test's changes.
  const deleteArrivalOf = (d: { id: string }): number | undefined =>
    requestsOf(d, [...GUARDED.keys()])
      .filter((r) => (r.status >= 200 && r.status < 300) || (r.backendStatus ?? 500) < 300)
      .at(-1)?.atMs;
  // The last read before that DELETE (a read after it, of a retry whose DELETE answer was lost, is not the one
  // the DELETE followed): its arrival, since what it answered was taken then and maybe written after a latency.
  const lastReadBefore = (d: { id: string }, deleteAtMs: number): number | undefined =>
    requestsOf(d, [...GUARDED.values()])
      .filter((r) => r.atMs <= deleteAtMs)
      .at(-1)?.atMs;
  for (const d of outcome.deletions) {
    const key = taskKey(d.service, d.id, d.service === 'dis-dump-tasks' ? findParent(outcome, d) : undefined);
    const server = d.sourceServer
      ? `, source server ${JSON.stringify(d.sourceServer.state)}${d.sourceServer.connected ? '' : ' (agent disconnected)'}`
      : '';
    const what = `${d.service} ${JSON.stringify(d.id)} (${JSON.stringify(d.name)}, state ${d.state}${server})`;
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
    if (!policySelects(schedule, planned, changedByTimer ? undefined : listed, planned.age))
      fail(
        1,
        `deleted ${what}, which the policy does not select (listed as ${listed.state}, age ${planned.age})`,
      );
    // At deletion time: the state (and an SMS task's source server) the emulator recorded with the deletion.
    if (!isWireDeletable(d.service, d.state, d.sourceServer)) {
      // The one race no client can close on an API that deletes a running task: the state changed after the
      // janitor's last read reached the emulator and before its DELETE arrived (a timer of the test; the
      // emulator's own resumes come right after a failed answer, before the retry's read).
      const changes = timerChanged.get(key) ?? [];
      const deleteAt = deleteArrivalOf(d);
      const readAt = deleteAt === undefined ? undefined : lastReadBefore(d, deleteAt);
      const lostRace =
        TASK_APIS[d.service].deletesRunningTasks &&
        deleteAt !== undefined &&
        readAt !== undefined &&
        changes.some((at) => at >= readAt && at <= deleteAt);
      if (lostRace) raceDeletions += 1;
      else {
        // The task's timeline (ms after the start), so that a failure can be read without a replay.
        const at = (ms: number) => ms - outcome.startMs;
        console.error(
          'DBG',
          JSON.stringify(
            outcome.requests
              .filter((r) => r.service === 'sms')
              .map((r) => [r.operation, r.rawPath, r.status]),
          ),
        );
        const timeline = requestsOf(d, [...GUARDED.keys(), ...GUARDED.values()])
          .map((r) => `${r.operation} ${at(r.atMs)} → ${r.status}${r.fault ? ` ${r.fault}` : ''}`)
          .concat(changes.map((c) => `changed ${at(c)}`))
          .join(', ');
        fail(
          1,
          `deleted ${what} while it was in progress or of a state that is not deletable (${stateLabel(d.service, d.state)}); ${timeline}`,
        );
      }
    }
  }
  if (outcome.requests.some((r) => r.operation === 'StopMigrationTask'))
    fail(1, 'an OMS task was stopped (forced)');

  // (2) every stale task is deleted, or in the report as failed, unknown or skipped, with its reason.
  for (const [key, planned] of scheduled) {
    const listed = before.get(key);
    if (!listed || !policySelects(schedule, planned, listed, planned.age)) continue;
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
      const listedFailure = failures.some((f) => f.taskId === planned.id);
      if (!listedFailure && (notListed === 0 || failures.length !== MAX_LISTED_FAILURES))
        fail(2, `failed ${planned.service} ${JSON.stringify(planned.id)} is not among the report's failures`);
    }
  }

  // (3) every 4xx/5xx answer the client read is in the logs: matched on the client's own record of what it read.
  const failureLines = logs.filter((l) => typeof l.status === 'number' && typeof l.path === 'string');
  const used = new Set<LogRecord>();
  for (const answer of outcome.fetches) {
    if (answer.status === undefined || answer.status < 300) continue;
    const match = failureLines.find(
      (l) =>
        !used.has(l) &&
        l.status === answer.status &&
        l.method === answer.method &&
        l.host === answer.host &&
        (l.path === answer.path || safeDecode(String(l.path)) === safeDecode(answer.path)),
    );
    if (match) used.add(match);
    else
      fail(
        3,
        `the client read ${answer.status} for ${answer.method} ${answer.path} and no log line carries it`,
      );
  }
  // …with the error code the emulator sent (IAM answers in its own shape, {"error": {"code": <status>}}).
  for (const line of used) {
    const same = outcome.requests.filter(
      (r) =>
        r.status === line.status &&
        r.method === line.method &&
        safeDecode(r.rawPath.split('?')[0] ?? '') === safeDecode(String(line.path)),
    );
    if (same.length === 0) continue;
    const codes = new Set(same.map(expectedCodeOf));
    if (!codes.has(typeof line.errorCode === 'string' ? line.errorCode : undefined))
      fail(
        3,
        `the log line for ${String(line.method)} ${String(line.path)} ${String(line.status)} says ${String(line.errorCode)}; the emulator sent ${[...codes].join(' or ')}`,
      );
  }

  // (5) exactly the cloud's deletions: every `deleted` is one of them; each of them is `deleted` or `unknown`.
  const deletedLines = logs.filter((l) => l.msg === 'task decision' && l.action === 'deleted');
  if (report.totals.deleted !== deletedLines.length)
    fail(
      5,
      `report says ${report.totals.deleted} deleted, the log has ${deletedLines.length} deleted decisions`,
    );
  const emulatorDeleted = new Set(outcome.deletions.map((d) => `${d.service}|${d.id}`));
  // The one case no client can tell apart: the test removed the task during the run while a DELETE of it went
  // unanswered (a hang, a reset, a 504). A "not found" after a DELETE that may have acted is this run's deletion
  // by design, so it is reported deleted; counted apart, never a violation.
  const removedByTest = new Set(
    outcome.mutations.filter((m) => m.mutation.kind === 'remove' && m.atMs !== undefined).map((m) => m.key),
  );
  const unansweredDelete = (taskId: string): boolean =>
    outcome.fetches.some(
      (f) =>
        f.method === 'DELETE' &&
        (f.status === undefined || f.status === 504) &&
        safeDecode(f.path).endsWith(`/${taskId}`),
    );
  let removedWhileUnanswered = 0;
  for (const line of deletedLines) {
    if (emulatorDeleted.has(`${String(line.service)}|${String(line.taskId)}`)) continue;
    const key = decisionKey(line);
    if (key !== undefined && removedByTest.has(key) && unansweredDelete(String(line.taskId)))
      removedWhileUnanswered += 1;
    else
      fail(
        5,
        `reported deleted ${String(line.service)} ${JSON.stringify(line.taskId)}, which the emulator never deleted`,
      );
  }
  let settledDeletions = 0;
  for (const d of outcome.deletions) {
    const key = taskKey(d.service, d.id, d.service === 'dis-dump-tasks' ? findParent(outcome, d) : undefined);
    const action = finalAction(key)?.action;
    if (action === 'deleted') settledDeletions += 1;
    else if (action !== 'unknown')
      fail(5, `the emulator deleted ${d.service} ${JSON.stringify(d.id)}, the report says ${String(action)}`);
  }
  if (settledDeletions + removedWhileUnanswered !== report.totals.deleted)
    fail(
      5,
      `the emulator's deletions reported deleted: ${settledDeletions}${removedWhileUnanswered > 0 ? ` (and ${removedWhileUnanswered} removed by the test while a DELETE went unanswered)` : ''}; the report's deleted: ${report.totals.deleted}`,
    );
  if (schedule.dryRun && report.totals.deleted !== 0) fail(5, 'a dry run reports deletions');

  // (7) listed = the sum of the columns, for every service listed whole.
  for (const [service, entry] of Object.entries(report.services)) {
    if (!entry || entry.error !== undefined) continue;
    const sum = sumOfColumns(entry);
    if (sum !== entry.listed) fail(7, `${service}: listed ${entry.listed}, but its columns sum to ${sum}`);
  }

  return {
    violations,
    raceDeletions,
    maxReadToDeleteMs,
    overshootMs,
    unknown: report.totals.unknown,
    removedWhileUnanswered,
  };
}

/** The error code a log line should carry for an answer the emulator sent. */
function expectedCodeOf(entry: Outcome['requests'][number]): string | undefined {
  if (entry.errorCode === undefined) return undefined;
  const iamShaped =
    entry.service === 'iam' &&
    (entry.fault === 'server-error' ||
      entry.fault === 'outage' ||
      !/^(APIG|IAM\.0012)/.test(entry.errorCode));
  return iamShaped ? String(entry.status) : entry.errorCode;
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
