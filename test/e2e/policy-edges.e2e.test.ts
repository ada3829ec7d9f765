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
import { DAY_MS, type Harness, NOW_MS, startHarness } from './harness';

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

/** Per service: a stale task with plausible times (deleted), then three whose age cannot be read. */
const CASES: Readonly<
  Record<ServiceId, { readonly stale: Fields; readonly implausible: Readonly<Record<string, Fields>> }>
> = {
  'dcs-center-tasks': {
    stale: { created_at: iso(OLD_MS) },
    implausible: {
      'seconds epoch': { created_at: iso(OLD_SECONDS) },
      'far future': { created_at: iso(FUTURE_MS) },
      'end time (updated_at) in seconds, start fine': {
        created_at: iso(OLD_MS),
        updated_at: iso(OLD_SECONDS),
      },
    },
  },
  'dcs-background-tasks': {
    stale: { created_at: iso(OLD_MS) },
    implausible: {
      'seconds epoch': { created_at: iso(OLD_SECONDS) },
      'far future': { created_at: iso(FUTURE_MS) },
      'end time (updated_at) in seconds, start fine': {
        created_at: iso(OLD_MS),
        updated_at: iso(OLD_SECONDS),
      },
    },
  },
  'modelarts-processor-tasks': {
    stale: { create_time: OLD_MS },
    implausible: {
      'seconds epoch': { create_time: OLD_SECONDS },
      'far future': { create_time: FUTURE_MS },
      'duration ending far in the future': { create_time: OLD_MS, duration_seconds: 1_000_000_000 },
    },
  },
  'oms-migration-tasks': {
    stale: { start_time: OLD_MS },
    implausible: {
      'seconds epoch': { start_time: OLD_SECONDS },
      'far future': { start_time: FUTURE_MS },
      'total time ending far in the future': { start_time: OLD_MS, total_time: 1_000_000_000_000 },
    },
  },
  'dis-dump-tasks': {
    stale: { create_time: OLD_MS },
    implausible: {
      'seconds epoch': { create_time: OLD_SECONDS },
      'far future': { create_time: FUTURE_MS },
      // A present last transfer is never replaced by the creation time.
      'last transfer in seconds, creation fine': {
        create_time: OLD_MS,
        last_transfer_timestamp: OLD_SECONDS,
      },
    },
  },
};

const WIRE_STATE: Readonly<Record<ServiceId, string | number>> = {
  'dcs-center-tasks': 'SUCCESS',
  'dcs-background-tasks': 'FAILED',
  'modelarts-processor-tasks': 2,
  'oms-migration-tasks': 5,
  'dis-dump-tasks': 'ERROR',
};

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
      const { stale: staleFields, implausible: cases } = CASES[service];
      stale.push(h.emulator.addTask({ service, state: WIRE_STATE[service], fields: staleFields }));
      for (const fields of Object.values(cases)) {
        implausible.push(h.emulator.addTask({ service, state: WIRE_STATE[service], fields }));
      }
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

  // ModelArts and DIS do not refuse to delete a running task, so the engine re-reads each one first.
  it.each([
    ['modelarts-processor-tasks', { create_time: OLD_SECONDS }],
    ['dis-dump-tasks', { create_time: OLD_MS, last_transfer_timestamp: OLD_SECONDS }],
  ] as const)('%s', async (service, rereadFields) => {
    const deletionsBefore = h.emulator.deletions().length;
    const task = h.emulator.addTask({ service, state: WIRE_STATE[service], fields: CASES[service].stale });
    const logsBefore = h.logs.length;

    const result = await h.run(
      { ...POLICY, services: { [service]: { olderThan: '30d' } } },
      {
        onProgress: (event) => {
          // Listed and planned as stale; from now on the API answers with a time in seconds.
          if (event.phase !== 'plan') return;
          h.emulator.removeTask(service, task.id, task.parentId);
          h.emulator.addTask({ ...task, fields: { ...task.fields, ...rereadFields } });
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
    const decisions = h.logs.slice(logsBefore).filter((line) => line.msg === 'task decision');
    expect(decisions.map((line) => (line.obj as { reason?: unknown }).reason)).toContain(
      'unknown-age-on-recheck',
    );
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

  it.each(['dcs-center-tasks', 'modelarts-processor-tasks', 'oms-migration-tasks'] as const)(
    '%s',
    async (service) => {
      const fields = CASES[service].stale;
      h.emulator.addTask({ service, name: '', state: WIRE_STATE[service], fields });
      h.emulator.addTask({ service, state: WIRE_STATE[service], fields: { ...fields, name: null } });
      h.emulator.addTask({ service, name: 'named', state: WIRE_STATE[service], fields });
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
    },
  );
});
