/**
 * Targeted cases over HTTP: a task that turns in-progress between listing and deleting is skipped
 * and still there; each paging quirk of the emulator makes that service's listing a reported ListingError
 * with no deletion for it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedTask, FaultSettings } from '../../emulator/types';
import type { ServiceId } from '../../lib/types';
import { SERVICE_IDS } from '../../lib/types';
import { DAY_MS, type Harness, isWireStale, NOW_MS, startHarness } from '../support/emulator-run';
import { TASK_APIS } from '../support/task-apis';

const policyFor = (services: readonly ServiceId[], dryRun = false) => ({
  version: 1,
  dryRun,
  maxDeletesPerRun: 1_000_000,
  services: Object.fromEntries(services.map((s) => [s, { olderThan: '30d' }])),
});

describe('a task that turns in-progress between listing and deleting', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ seed: 8, tasks: 1500 });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('is skipped, never forced, and still there (every service)', async () => {
    const stale = SERVICE_IDS.flatMap((s) => h.emulator.tasks(s)).filter((t) => isWireStale(t, 30 * DAY_MS));
    const flipped: EmulatedTask[] = SERVICE_IDS.flatMap((service) =>
      stale.filter((t) => t.service === service).slice(0, 3),
    );
    expect(flipped).toHaveLength(3 * SERVICE_IDS.length);
    const flippedIds = new Set(flipped.map((t) => `${t.service}:${t.id}`));

    const result = await h.run(policyFor(SERVICE_IDS), {
      onProgress: (event) => {
        // The plan is made (listing over), no delete has started: the tasks start running now.
        if (event.phase !== 'plan') return;
        for (const t of flipped)
          h.emulator.setTaskState(t.service, t.id, TASK_APIS[t.service].states.resumed, t.parentId);
      },
    });

    const deleted = h.emulator.deletions();
    expect(deleted.filter((d) => flippedIds.has(`${d.service}:${d.id}`))).toEqual([]);
    for (const t of flipped) {
      const now = h.emulator.tasks(t.service).find((x) => x.id === t.id && x.parentId === t.parentId);
      expect(now?.state, `${t.service} ${t.id}`).toBe(TASK_APIS[t.service].states.resumed);
    }
    for (const service of SERVICE_IDS) {
      const entry = result.report.services[service];
      expect(entry?.failed, service).toBe(0);
      expect(entry?.skipped.inProgress, service).toBeGreaterThanOrEqual(3);
      expect(entry?.deleted, service).toBe(stale.filter((t) => t.service === service).length - 3);
    }
    // Nothing ever stopped an OMS task.
    expect(h.emulator.requestLog().filter((r) => r.operation === 'StopMigrationTask')).toEqual([]);
  });
});

describe('paging quirks', () => {
  let h: Harness;
  beforeAll(async () => {
    // Every listing spans several pages: DCS center > 1000, one DCS instance > 1000 tasks, ModelArts and OMS
    // > 200, DIS > 100 streams, SMS > 400.
    h = await startHarness({
      seed: 9,
      tasksPerService: {
        'dcs-center-tasks': 2100,
        'dcs-background-tasks': 40,
        'modelarts-processor-tasks': 260,
        'oms-migration-tasks': 260,
        'dis-dump-tasks': 420,
        'sms-migration-tasks': 450,
      },
    });
    const instance = 'abcdabcd-1111-2222-3333-444444444444';
    for (let i = 0; i < 1100; i++) {
      h.emulator.addTask({
        service: 'dcs-background-tasks',
        parentId: instance,
        state: 'SUCCESS',
        fields: { created_at: new Date(NOW_MS - 60 * DAY_MS).toISOString() },
      });
    }
  });
  afterEach(() => {
    h.emulator.clearFaults();
  });
  afterAll(async () => {
    await h?.close();
  });

  const QUIRKS: Array<NonNullable<FaultSettings['pagingQuirk']>> = [
    'repeat',
    'lose',
    'count-mismatch',
    'over-limit',
    'endless',
  ];
  const cases = QUIRKS.flatMap((quirk) => SERVICE_IDS.map((service) => [quirk, service] as const));

  it.each(cases)('%s on %s: ListingError reported, nothing deleted for it', async (quirk, service) => {
    const stale = h.emulator.tasks(service).filter((t) => isWireStale(t, 30 * DAY_MS));
    expect(stale.length).toBeGreaterThan(0);
    const deletionsBefore = h.emulator.deletions().length;
    h.emulator.setFaults({ service: TASK_APIS[service].host, operation: '*' }, { pagingQuirk: quirk });

    const result = await h.run(policyFor([service]));

    const entry = result.report.services[service];
    expect(entry?.error?.message).toMatch(/ListingError/);
    expect(entry?.deleted).toBe(0);
    expect(h.emulator.deletions().length).toBe(deletionsBefore);
    expect(h.emulator.requestLog().filter((r) => r.method === 'DELETE')).toEqual([]);
    h.emulator.clearRequestLog();
  });

  it('without a quirk the same account lists cleanly (the quirks above were the cause)', async () => {
    const result = await h.run(policyFor(SERVICE_IDS, true));
    for (const service of SERVICE_IDS) {
      expect(result.report.services[service]?.error, service).toBeUndefined();
      expect(result.report.services[service]?.listed, service).toBe(h.emulator.tasks(service).length);
    }
  });
});
