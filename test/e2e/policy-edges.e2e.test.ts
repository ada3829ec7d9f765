/**
 * Over HTTP against the emulator, every service: a time that cannot be a task's time (an epoch in seconds
 * read as milliseconds, a time far in the future, a present end field that is either) is an unknown age,
 * kept and counted, in the listing and in the re-check right before a delete; and `exclude: ["*"]` keeps a
 * task whose name is empty or missing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedTask } from '../../emulator/types';
import type { PurgeResult } from '../../lib/run-purge';
import { SERVICE_IDS, type ServiceId } from '../../lib/types';
import { DAY_MS, type Harness, NOW_MS, startHarness } from '../support/emulator-run';
import { TASK_APIS } from '../support/task-apis';

const OLD_MS = NOW_MS - 60 * DAY_MS;
/** The same stale instant as an epoch in seconds: read as ms it is January 1970. */
const OLD_SECONDS = Math.floor(OLD_MS / 1000);
const FUTURE_MS = NOW_MS + 400 * DAY_MS;
const iso = (ms: number): string => new Date(ms).toISOString();

const POLICY = {
  version: 1,
  dryRun: false,
  maxDeletesPerRun: 1000,
  services: Object.fromEntries(SERVICE_IDS.map((id) => [id, { olderThan: '30d' }])),
};

type Fields = Record<string, unknown>;

/**
 * Per service, a task whose own end field is present but unreadable while its start is fine: the one case that
 * is each API's own (its end field is never replaced by the start).
 */
const UNREADABLE_END: Readonly<Record<ServiceId, { readonly label: string; readonly fields: Fields }>> = {
  'dcs-center-tasks': {
    label: 'end time (updated_at) in seconds, start fine',
    fields: { created_at: iso(OLD_MS), updated_at: iso(OLD_SECONDS) },
  },
  'dcs-background-tasks': {
    label: 'end time (updated_at) in seconds, start fine',
    fields: { created_at: iso(OLD_MS), updated_at: iso(OLD_SECONDS) },
  },
  'modelarts-processor-tasks': {
    label: 'duration ending far in the future',
    fields: { create_time: OLD_MS, duration_seconds: 1_000_000_000 },
  },
  'oms-migration-tasks': {
    label: 'total time ending far in the future',
    fields: { start_time: OLD_MS, total_time: 1_000_000_000_000 },
  },
  'dis-dump-tasks': {
    label: 'last transfer in seconds, creation fine',
    fields: { create_time: OLD_MS, last_transfer_timestamp: OLD_SECONDS },
  },
  'sms-migration-tasks': {
    label: 'last sub-task end in seconds, creation fine',
    fields: {
      create_date: OLD_MS,
      sub_tasks: [
        { id: 1, name: 'MIGRATE', progress: 100, start_date: OLD_MS, end_date: OLD_MS + 60_000 },
        { id: 2, name: 'SSL_CONFIG', progress: 100, start_date: OLD_MS, end_date: OLD_SECONDS },
      ],
    },
  },
};

/** Ages the emulator writes into each API's own time fields: stale, and two that cannot be a task's time. */
const STALE_AGE_MS = NOW_MS - OLD_MS;
const IMPLAUSIBLE_AGES_MS = {
  // The task ended at OLD_SECONDS read as milliseconds.
  'seconds epoch': NOW_MS - OLD_SECONDS,
  'far future': NOW_MS - FUTURE_MS,
};

const endedState = (service: ServiceId) => TASK_APIS[service].states.ended[0];

const keyOf = (t: { service: ServiceId; id: string }) => `${t.service}:${t.id}`;

describe('implausible task times are unknown ages, never ages (every service)', () => {
  let h: Harness;
  const stale: EmulatedTask[] = [];
  const implausible: EmulatedTask[] = [];
  let dry: PurgeResult;
  let applied: PurgeResult;

  beforeAll(async () => {
    h = await startHarness({ seed: 11, tasks: 0 });
    for (const service of SERVICE_IDS) {
      const state = endedState(service);
      stale.push(h.emulator.addTask({ service, state, ageMs: STALE_AGE_MS }));
      for (const ageMs of Object.values(IMPLAUSIBLE_AGES_MS))
        implausible.push(h.emulator.addTask({ service, state, ageMs }));
      implausible.push(h.emulator.addTask({ service, state, fields: UNREADABLE_END[service].fields }));
    }
    dry = await h.run({ ...POLICY, dryRun: true });
    applied = await h.run(POLICY);
  }, 60_000);

  afterAll(async () => {
    await h?.close();
  });

  it.each(SERVICE_IDS)('%s: a dry run plans only the plausible stale task', (service) => {
    const entry = dry.report.services[service];
    expect(entry?.error).toBeUndefined();
    expect(entry?.wouldDelete).toBe(1);
    expect(entry?.skipped.unknownAge).toBe(3);
  });

  it.each(SERVICE_IDS)(
    '%s: the applied run keeps them as unknownAge and deletes only the plausible one',
    (service) => {
      const entry = applied.report.services[service];
      expect(entry?.error).toBeUndefined();
      expect(entry?.failed).toBe(0);
      expect(entry?.deleted).toBe(1);
      expect(entry?.skipped.unknownAge).toBe(3);
    },
  );

  it('the emulator deleted exactly the plausible stale tasks, and still holds every implausible one', () => {
    expect(h.emulator.deletions().map(keyOf).sort()).toEqual(stale.map(keyOf).sort());
    const remaining = new Set(SERVICE_IDS.flatMap((s) => h.emulator.tasks(s)).map(keyOf));
    for (const task of implausible) expect(remaining.has(keyOf(task)), keyOf(task)).toBe(true);
  });
});

describe('a task re-read right before its delete with an implausible time is kept as unknownAge', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 12, tasks: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  // The APIs that delete a running task are read right before each delete.
  it.each(SERVICE_IDS.filter((service) => TASK_APIS[service].deletesRunningTasks))('%s', async (service) => {
    const deletionsBefore = h.emulator.deletions().length;
    const task = h.emulator.addTask({ service, state: endedState(service), ageMs: STALE_AGE_MS });
    const logsBefore = h.log.lines.length;

    const result = await h.run(
      { ...POLICY, services: { [service]: { olderThan: '30d' } } },
      {
        onProgress: (event) => {
          // Listed and planned as stale; from now on the API answers with a time in seconds.
          if (event.phase !== 'plan') return;
          h.emulator.removeTask(service, task.id, task.parentId);
          const { id, name, state, parentId } = task;
          h.emulator.addTask({
            service,
            id,
            name,
            state,
            ...(parentId !== undefined ? { parentId } : {}),
            ageMs: IMPLAUSIBLE_AGES_MS['seconds epoch'],
          });
        },
      },
    );

    const entry = result.report.services[service];
    expect(entry?.stale).toBe(1);
    expect(entry?.deleted).toBe(0);
    expect(entry?.skipped.unknownAge).toBe(1);
    expect(entry?.skipped.changed).toBe(0);
    expect(h.emulator.deletions()).toHaveLength(deletionsBefore);
    expect(h.emulator.tasks(service).map((t) => t.id)).toContain(task.id);
    const decisions = h.log
      .records()
      .slice(logsBefore)
      .filter((line) => line.msg === 'task decision');
    expect(decisions.map((line) => line.reason)).toContain('unknown-age-on-recheck');
  });
});

describe('exclude: ["*"] keeps tasks with an empty or missing name', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 13, tasks: 0 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it.each([
    'dcs-center-tasks',
    'modelarts-processor-tasks',
    'oms-migration-tasks',
    'sms-migration-tasks',
  ] as const)('%s', async (service) => {
    const state = endedState(service);
    h.emulator.addTask({ service, name: '', state, ageMs: STALE_AGE_MS });
    h.emulator.addTask({ service, state, ageMs: STALE_AGE_MS, fields: { name: null } });
    h.emulator.addTask({ service, name: 'named', state, ageMs: STALE_AGE_MS });
    const deletionsBefore = h.emulator.deletions().length;

    const result = await h.run({
      ...POLICY,
      services: { [service]: { olderThan: '30d', exclude: ['*'] } },
    });

    const entry = result.report.services[service];
    expect(entry?.listed).toBe(3);
    expect(entry?.skipped.excluded).toBe(3);
    expect(entry?.deleted).toBe(0);
    expect(h.emulator.deletions()).toHaveLength(deletionsBefore);
  });
});
