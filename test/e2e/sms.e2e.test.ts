/**
 * SMS migration tasks end to end over HTTP against the emulator: listed, planned (a dry run names exactly what
 * the applied run deletes), read right before every DELETE, deleted. What is expected is written here from the
 * documented behaviour (docs/api/sms.md): a task is deleted only when its state is an outcome AND its source
 * server is idle; a running task is kept whatever its agent's connection says (the API deletes it when the agent
 * is disconnected); an unknown state is kept; the age is the latest sub-task end, else the creation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedTask, NewTask, RequestLogEntry, SmsSourceServer } from '../../emulator/types';
import type { PurgeResult } from '../../lib/run-purge';
import { DAY_MS, type Harness, NOW_MS, startHarness } from '../support/emulator-run';
import { expectedClass, TASK_APIS, taskPath } from '../support/task-apis';

const SMS = 'sms-migration-tasks';
const API = TASK_APIS[SMS];
if (!API.read) throw new Error('the emulator models no read of one SMS task');
const READ = API.read.operation;
const policy = (dryRun: boolean) => ({
  version: 1,
  dryRun,
  maxDeletesPerRun: 1000,
  services: { [SMS]: { olderThan: '30d' } },
});

const server = (state: string, connected = true): SmsSourceServer => ({ state, connected });
const OLD_MS = 60 * DAY_MS;
const daysAgo = (days: number) => NOW_MS - days * DAY_MS;
/** A finished sub-task of the migration (only `end_date` matters for the age). */
const ended = (id: number, endDate: number | null) => ({
  id,
  name: 'MIGRATE',
  progress: endDate === null ? 40 : 100,
  start_date: daysAgo(200),
  ...(endDate === null ? {} : { end_date: endDate }),
});

type Fixture = Omit<NewTask, 'service'> & { name: string };

/** Stale: state an outcome, source server idle, ended more than 30 days ago. */
const STALE: readonly Fixture[] = [
  { name: 'done-success', state: 'MIGRATE_SUCCESS', sourceServer: server('finished'), ageMs: OLD_MS },
  { name: 'done-fail', state: 'MIGRATE_FAIL', sourceServer: server('error', false), ageMs: OLD_MS },
  { name: 'done-abort', state: 'ABORT', sourceServer: server('stopped'), ageMs: OLD_MS },
  {
    name: 'age-latest-sub-task-40d',
    state: 'SYNC_SUCCESS',
    sourceServer: server('finished'),
    fields: { create_date: daysAgo(120), sub_tasks: [ended(1, daysAgo(100)), ended(2, daysAgo(40))] },
  },
  {
    name: 'age-creation-no-sub-task-ended',
    state: 'MIGRATE_FAIL',
    sourceServer: server('finished'),
    fields: { create_date: daysAgo(60), sub_tasks: [ended(1, null)] },
  },
];
/** In progress: the task or its source server works (the first four the API itself would delete or refuse). */
const IN_PROGRESS: readonly Fixture[] = [
  {
    name: 'running-agent-disconnected',
    state: 'RUNNING',
    sourceServer: server('replicate', false),
    ageMs: OLD_MS,
  },
  { name: 'running-server-idle', state: 'RUNNING', sourceServer: server('finished', false), ageMs: OLD_MS },
  {
    name: 'outcome-server-syncing',
    state: 'MIGRATE_SUCCESS',
    sourceServer: server('syncing'),
    ageMs: OLD_MS,
  },
  {
    name: 'outcome-server-cutovering-disconnected',
    state: 'MIGRATE_SUCCESS',
    sourceServer: server('cutovering', false),
    ageMs: OLD_MS,
  },
  { name: 'ready', state: 'READY', sourceServer: server('waiting'), ageMs: OLD_MS },
];
/** Unknown: a state no document names, or a source server state that is neither running nor idle. */
const UNKNOWN_STATE: readonly Fixture[] = [
  { name: 'preparing', state: 'PREPARING', sourceServer: server('finished', false), ageMs: OLD_MS },
  { name: 'server-locked', state: 'MIGRATE_SUCCESS', sourceServer: server('locked'), ageMs: OLD_MS },
];
/** Too young, by the latest sub-task end, else the creation. */
const TOO_YOUNG: readonly Fixture[] = [
  { name: 'young', state: 'MIGRATE_SUCCESS', sourceServer: server('finished'), ageMs: 5 * DAY_MS },
  {
    name: 'age-latest-sub-task-10d',
    state: 'MIGRATE_SUCCESS',
    sourceServer: server('finished'),
    fields: { create_date: daysAgo(100), sub_tasks: [ended(1, daysAgo(90)), ended(2, daysAgo(10))] },
  },
  {
    name: 'age-creation-10d',
    state: 'MIGRATE_SUCCESS',
    sourceServer: server('finished'),
    fields: { create_date: daysAgo(10), sub_tasks: [] },
  },
];

const names = (tasks: ReadonlyArray<{ name: string }>) => tasks.map((t) => t.name).sort();
const pathOf = (task: Pick<EmulatedTask, 'id'>) => taskPath(API.delete, task, '');
const ops = (log: readonly RequestLogEntry[], operation: string) =>
  log.filter((entry) => entry.operation === operation);

/** Every DELETE of a task follows a read of that task sent after its previous DELETE. */
function deletesWithoutFreshRead(log: readonly RequestLogEntry[]): string[] {
  const read = new Set<string>();
  const unread: string[] = [];
  for (const entry of log) {
    const path = entry.rawPath.split('?')[0] ?? '';
    if (entry.operation === READ) read.add(path);
    if (entry.operation !== API.delete.operation) continue;
    if (!read.has(path)) unread.push(path);
    read.delete(path);
  }
  return unread;
}

function addAll(h: Harness, fixtures: readonly Fixture[]): EmulatedTask[] {
  return fixtures.map((fixture) => h.emulator.addTask({ service: SMS, ...fixture }));
}

describe('SMS: one account, a dry run, then the applied run', () => {
  let h: Harness;
  let all: EmulatedTask[];
  let dry: PurgeResult;
  let applied: PurgeResult;
  let log: RequestLogEntry[];

  beforeAll(async () => {
    h = await startHarness({ seed: 31, tasks: 0 });
    all = addAll(h, [...STALE, ...IN_PROGRESS, ...UNKNOWN_STATE, ...TOO_YOUNG]);
    dry = await h.run(policy(true));
    h.emulator.clearRequestLog();
    applied = await h.run(policy(false));
    log = h.emulator.requestLog();
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it('the dry run lists every task, deletes nothing and plans exactly the stale ones', () => {
    expect(dry.report.services[SMS]).toMatchObject({
      listed: all.length,
      stale: STALE.length,
      wouldDelete: STALE.length,
      deleted: 0,
      failed: 0,
      skipped: { inProgress: IN_PROGRESS.length, unknownState: UNKNOWN_STATE.length, unknownAge: 0 },
      kept: { tooYoung: TOO_YOUNG.length },
    });
    expect(names(dry.plannedDeletes)).toEqual(names(STALE));
    const wouldDelete = h.log
      .records()
      .filter((l) => l.msg === 'task decision' && l.action === 'would-delete');
    expect(wouldDelete).toHaveLength(STALE.length);
  });

  it('the applied run deletes exactly what the dry run planned, each with an idle source server', () => {
    const deletions = h.emulator.deletions();
    expect(deletions.map((d) => d.id).sort()).toEqual(dry.plannedDeletes.map((t) => t.id).sort());
    expect(names(deletions)).toEqual(names(STALE));
    for (const d of deletions) expect(expectedClass(SMS, d.state, d.sourceServer), d.name).toBe('deletable');
    expect(applied.report.services[SMS]).toMatchObject({
      listed: all.length,
      stale: STALE.length,
      deleted: STALE.length,
      alreadyGone: 0,
      failed: 0,
      unknown: 0,
      skipped: { inProgress: IN_PROGRESS.length, unknownState: UNKNOWN_STATE.length },
      kept: { tooYoung: TOO_YOUNG.length },
    });
  });

  it('reads each task right before its DELETE, and sends no DELETE for any task it keeps', () => {
    expect(ops(log, API.delete.operation)).toHaveLength(STALE.length);
    expect(deletesWithoutFreshRead(log)).toEqual([]);
    const kept = all.filter((t) => !STALE.some((s) => s.name === t.name));
    const deletePaths = new Set(ops(log, API.delete.operation).map((e) => e.rawPath));
    for (const task of kept) expect(deletePaths.has(pathOf(task)), task.name).toBe(false);
    // The running tasks of a disconnected agent are still there: the API would have deleted them.
    const remaining = new Set(h.emulator.tasks(SMS).map((t) => t.name));
    for (const fixture of [...IN_PROGRESS, ...UNKNOWN_STATE, ...TOO_YOUNG])
      expect(remaining.has(fixture.name), fixture.name).toBe(true);
  });

  it('takes every 200 answer to a delete (a text "None", an empty body, "{}") as deleted', () => {
    // The emulator answers its deletes with the three bodies in turn: five deletes meet each of them.
    const deletes = ops(log, API.delete.operation);
    expect(deletes.length).toBeGreaterThanOrEqual(3);
    expect(deletes.map((e) => e.status)).toEqual(deletes.map(() => 200));
    expect(applied.report.services[SMS]?.deleted).toBe(deletes.length);
    // Each answer taken at its word: no later read or listing had to settle what a delete did.
    expect(ops(log, READ)).toHaveLength(deletes.length);
    expect(ops(log, 'ListTasks')).toHaveLength(1);
  });
});

describe('SMS: what changes between the listing and the delete', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 32, tasks: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  const stale = (name: string, sourceServer = server('finished')): Fixture => ({
    name,
    state: 'MIGRATE_SUCCESS',
    sourceServer,
    ageMs: OLD_MS,
  });

  it('a task that starts running after the listing is read again and kept, though the API would delete it', async () => {
    h.emulator.clearRequestLog();
    const deletionsBefore = h.emulator.deletions().length;
    const [serverRuns, taskRuns] = addAll(h, [
      stale('flip-server', server('finished', false)),
      stale('flip-task', server('finished', false)),
    ]);
    if (!serverRuns || !taskRuns) throw new Error('fixtures missing');

    const result = await h.run(policy(false), {
      onProgress: (event) => {
        // Planned as stale; now, before any delete, the source server replicates and the other task runs.
        if (event.phase !== 'plan') return;
        h.emulator.setSourceServer(serverRuns.id, { state: 'replicate' });
        h.emulator.setTaskState(SMS, taskRuns.id, 'RUNNING');
      },
    });

    expect(result.report.services[SMS]).toMatchObject({
      stale: 2,
      deleted: 0,
      failed: 0,
      skipped: { inProgress: 2 },
    });
    expect(h.emulator.deletions()).toHaveLength(deletionsBefore);
    const log = h.emulator.requestLog();
    expect(ops(log, API.delete.operation)).toEqual([]);
    expect(
      ops(log, READ)
        .map((e) => e.rawPath)
        .sort(),
    ).toEqual([pathOf(serverRuns), pathOf(taskRuns)].sort());
    for (const task of [serverRuns, taskRuns]) h.emulator.removeTask(SMS, task.id);
  });

  it('a delete refused with 400 SMS.2015 (the server started after the read) is skipped in progress', async () => {
    h.emulator.clearRequestLog();
    const [task] = addAll(h, [stale('refused')]);
    if (!task) throw new Error('fixture missing');
    // The read's answer is decided when it arrives and written 300 ms later: the server starts in between.
    h.emulator.setFaults({ service: API.host, operation: READ }, { latencyMs: 300 });
    const watch = setInterval(() => {
      if (ops(h.emulator.requestLog(), READ).length === 0) return;
      clearInterval(watch);
      h.emulator.setSourceServer(task.id, { state: 'replicate' });
    }, 1);

    const result = await h.run(policy(false)).finally(() => {
      clearInterval(watch);
      h.emulator.clearFaults();
    });

    const deletes = ops(h.emulator.requestLog(), API.delete.operation);
    expect(deletes.map((e) => [e.status, e.errorCode])).toEqual([[400, 'SMS.2015']]);
    expect(result.report.services[SMS]).toMatchObject({
      stale: 1,
      deleted: 0,
      failed: 0,
      skipped: { inProgress: 1 },
    });
    expect(h.emulator.tasks(SMS).map((t) => t.id)).toContain(task.id);
    h.emulator.removeTask(SMS, task.id);
  });

  it('a task removed by someone else before the read is confirmed gone by a listing: already gone, never failed', async () => {
    h.emulator.clearRequestLog();
    const logsBefore = h.log.lines.length;
    const [vanishing, staying] = addAll(h, [stale('vanishing'), stale('staying')]);
    if (!vanishing || !staying) throw new Error('fixtures missing');

    const result = await h.run(policy(false), {
      onProgress: (event) => {
        if (event.phase === 'plan') h.emulator.removeTask(SMS, vanishing.id);
      },
    });

    expect(result.report.services[SMS]).toMatchObject({ stale: 2, deleted: 1, alreadyGone: 1, failed: 0 });
    const log = h.emulator.requestLog();
    const readOfVanishing = log.findIndex((e) => e.operation === READ && e.rawPath === pathOf(vanishing));
    expect(log[readOfVanishing]).toMatchObject({ status: 404, errorCode: 'SMS.9999' });
    // The listing after that answer is what proved it gone; it never got a DELETE.
    expect(log.slice(readOfVanishing).some((e) => e.operation === 'ListTasks')).toBe(true);
    expect(ops(log, API.delete.operation).map((e) => e.rawPath)).toEqual([pathOf(staying)]);
    const decision = h.log
      .records()
      .slice(logsBefore)
      .findLast((l) => l.msg === 'task decision' && l.taskId === vanishing.id);
    expect(decision).toMatchObject({ action: 'already-gone' });
  });
});
