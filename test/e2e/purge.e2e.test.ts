/**
 * The engine's promises end to end over HTTP: more stale tasks than fit in three pages for every service;
 * a dry run plans exactly what the applied run then deletes; the emulator shows exactly the expected set
 * gone. The expected set is computed here from the emulator's own records, not by the sources' code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmulatedTask } from '../../emulator/types';
import type { PurgeResult } from '../../lib/run-purge';
import { SERVICE_IDS, type ServiceId } from '../../lib/types';
import { DAY_MS, type Harness, isWireStale, keyOf, NOW_MS, startHarness } from '../support/emulator-run';

interface Rule {
  readonly olderThan: string;
  readonly exclude?: readonly string[];
  readonly streams?: readonly string[];
}

/** Every service at 30 days, but these. */
const OWN_RULES: Partial<Record<ServiceId, Rule>> = {
  'modelarts-processor-tasks': { olderThan: '14d' },
  'oms-migration-tasks': { olderThan: '30d', exclude: ['keep-*'] },
  'dis-dump-tasks': { olderThan: '90d', streams: ['dis-*'] },
};
const ruleOf = (service: ServiceId): Rule => OWN_RULES[service] ?? { olderThan: '30d' };
const olderThanMs = (service: ServiceId): number => Number.parseInt(ruleOf(service).olderThan, 10) * DAY_MS;

const POLICY = {
  version: 1,
  dryRun: true,
  maxDeletesPerRun: 1_000_000,
  services: Object.fromEntries(SERVICE_IDS.map((service) => [service, ruleOf(service)])),
};

/** Values that must travel as one encoded path segment. */
const AWKWARD = {
  center: 'ctr a/b ..%?#ü-名',
  background: '../bg %2F?#é',
  modelarts: 'ma/..%?# 名',
  stream: 'dis-ü ?#/%..',
  dump: 'dump/..%?# ü',
  sms: 'sms a/b ..%?# ü',
  /** Never addressable: URL parsers resolve `%2E%2E` as `..`. */
  dotDot: '..',
};

const iso = (ms: number): string => new Date(ms).toISOString();

/** What the policy selects, from the emulator's records and the test's own reading of the state table. */
function expectedSelection(tasks: readonly EmulatedTask[]): EmulatedTask[] {
  return tasks.filter((task) => {
    if (!isWireStale(task, olderThanMs(task.service))) return false;
    if (task.service === 'oms-migration-tasks' && task.name.startsWith('keep-')) return false;
    if (task.service === 'dis-dump-tasks' && !(task.parentId ?? '').startsWith('dis-')) return false;
    if (task.id === '..' || task.id === '.') return false;
    return true;
  });
}

function allTasks(h: Harness): EmulatedTask[] {
  return SERVICE_IDS.flatMap((service) => h.emulator.tasks(service));
}

const sortedKeys = (
  tasks: ReadonlyArray<{ service: ServiceId; id: string; parentId?: string | undefined }>,
) => tasks.map((t) => `${t.service}:${keyOf(t)}`).sort();

describe('purge end to end', () => {
  let h: Harness;
  let before: EmulatedTask[];
  let expected: EmulatedTask[];
  let dry: PurgeResult;
  let applied: PurgeResult;

  beforeAll(async () => {
    h = await startHarness({
      seed: 5,
      tasksPerService: {
        'dcs-center-tasks': 6000,
        'dcs-background-tasks': 400,
        'modelarts-processor-tasks': 800,
        'oms-migration-tasks': 800,
        'dis-dump-tasks': 2000,
        'sms-migration-tasks': 1500,
      },
    });
    const e = h.emulator;
    const old = NOW_MS - 60 * DAY_MS;
    // One DCS instance with more than three pages (1000 each) of stale tasks, plus some that must stay.
    const bigInstance = '0f0f0f0f-1111-2222-3333-444444444444';
    for (let i = 0; i < 3100; i++) {
      e.addTask({
        service: 'dcs-background-tasks',
        parentId: bigInstance,
        state: i % 2 ? 'SUCCESS' : 'FAILED',
        fields: { created_at: iso(old - i * 1000) },
      });
    }
    e.addTask({
      service: 'dcs-background-tasks',
      parentId: bigInstance,
      state: 'EXECUTING',
      fields: { created_at: iso(old) },
    });
    e.addTask({
      service: 'dcs-background-tasks',
      parentId: bigInstance,
      state: 'ROLLBACK',
      fields: { created_at: iso(old) },
    });
    e.addTask({
      service: 'dcs-background-tasks',
      parentId: bigInstance,
      state: 'SUCCESS',
      fields: { created_at: iso(NOW_MS - DAY_MS) },
    });
    // Awkward ids and names, each stale, so their delete paths are exercised.
    e.addTask({
      service: 'dcs-center-tasks',
      id: AWKWARD.center,
      state: 'SUCCESS',
      fields: { created_at: iso(old) },
    });
    e.addTask({
      service: 'dcs-background-tasks',
      id: AWKWARD.background,
      parentId: bigInstance,
      state: 'FAIL',
      fields: { created_at: iso(old) },
    });
    e.addTask({
      service: 'modelarts-processor-tasks',
      id: AWKWARD.modelarts,
      state: 3,
      fields: { create_time: old },
    });
    e.addTask({
      service: 'sms-migration-tasks',
      id: AWKWARD.sms,
      state: 'MIGRATE_FAIL',
      fields: { create_date: old },
    });
    e.addTask({
      service: 'dis-dump-tasks',
      id: AWKWARD.dotDot,
      parentId: AWKWARD.stream,
      state: 'ERROR',
      fields: { create_time: NOW_MS - 200 * DAY_MS },
    });
    e.addTask({
      service: 'dis-dump-tasks',
      id: AWKWARD.dump,
      parentId: AWKWARD.stream,
      state: 'ERROR',
      fields: { create_time: NOW_MS - 200 * DAY_MS },
    });
    // Excluded by the policy: OMS names matching keep-*, a stream outside the streams glob.
    for (let i = 0; i < 5; i++) {
      e.addTask({ service: 'oms-migration-tasks', name: `keep-${i}`, state: 5, fields: { start_time: old } });
    }
    e.addTask({
      service: 'dis-dump-tasks',
      id: 'outside-glob',
      parentId: 'zz-other-stream',
      state: 'ERROR',
      fields: { create_time: NOW_MS - 200 * DAY_MS },
    });

    before = allTasks(h);
    expected = expectedSelection(before);
    dry = await h.run(POLICY);
    h.emulator.clearRequestLog();
    applied = await h.run({ ...POLICY, dryRun: false });
  }, 240_000);

  afterAll(async () => {
    await h?.close();
  });

  it('has more stale tasks than fit in three pages for every service', () => {
    const count = (service: ServiceId) => expected.filter((t) => t.service === service).length;
    expect(count('dcs-center-tasks')).toBeGreaterThan(3 * 1000);
    expect(
      expected.filter((t) => t.parentId === '0f0f0f0f-1111-2222-3333-444444444444').length,
    ).toBeGreaterThan(3 * 1000);
    expect(count('modelarts-processor-tasks')).toBeGreaterThan(3 * 100);
    expect(count('oms-migration-tasks')).toBeGreaterThan(3 * 100);
    expect(count('sms-migration-tasks')).toBeGreaterThan(3 * 200);
    const streamsWithStale = new Set(
      expected.filter((t) => t.service === 'dis-dump-tasks').map((t) => t.parentId),
    );
    expect(streamsWithStale.size).toBeGreaterThan(3 * 100);
    // And the account holds every kind of task that must stay.
    const kept = before.filter((t) => !expected.includes(t));
    expect(kept.some((t) => t.state === 'EXECUTING')).toBe(true);
    expect(kept.some((t) => t.service === 'oms-migration-tasks' && t.state === 9)).toBe(true);
    expect(kept.some((t) => t.name.startsWith('keep-'))).toBe(true);
  });

  it('a dry run deletes nothing and plans exactly the expected set', () => {
    expect(dry.report.dryRun).toBe(true);
    expect(sortedKeys(dry.plannedDeletes)).toEqual(sortedKeys(expected));
    for (const service of SERVICE_IDS) {
      const entry = dry.report.services[service];
      expect(entry?.error).toBeUndefined();
      expect(entry?.deleted).toBe(0);
      expect(entry?.wouldDelete).toBe(expected.filter((t) => t.service === service).length);
    }
  });

  it('the applied run deletes exactly the dry run set, and the emulator shows exactly that set gone', () => {
    const deletions = h.emulator.deletions();
    expect(deletions.map((d) => `${d.service}:${d.id}`).sort()).toEqual(
      dry.plannedDeletes.map((t) => `${t.service}:${t.id}`).sort(),
    );
    const after = allTasks(h);
    const expectedKeys = new Set(sortedKeys(expected));
    expect(sortedKeys(after)).toEqual(sortedKeys(before).filter((k) => !expectedKeys.has(k)));
    for (const service of SERVICE_IDS) {
      const entry = applied.report.services[service];
      expect(entry?.error).toBeUndefined();
      expect(entry?.failed).toBe(0);
      expect(entry?.deleted).toBe(expected.filter((t) => t.service === service).length);
    }
  });

  it('deletes OMS tasks above 2^53 by their exact id', () => {
    const big = expected.filter((t) => t.service === 'oms-migration-tasks' && BigInt(t.id) > 2n ** 53n);
    expect(big.length).toBeGreaterThan(0);
    const deletedIds = new Set(h.emulator.deletions().map((d) => d.id));
    for (const task of big) expect(deletedIds.has(task.id)).toBe(true);
    const paths = h.emulator
      .requestLog()
      .filter((r) => r.operation === 'DeleteMigrationTask')
      .map((r) => r.rawPath.split('/').at(-1));
    for (const task of big) expect(paths).toContain(task.id);
  });

  it('sends every id and name as one encoded path segment', () => {
    const log = h.emulator.requestLog();
    const projectId = h.emulator.account.projectId;
    const deletePath = (operation: string, ...segments: string[]) =>
      log
        .filter((r) => r.operation === operation && r.status < 300)
        .map((r) => r.rawPath)
        .find((raw) => {
          const parts = raw.split('/');
          const tail = parts.slice(-segments.length * 2 + 1);
          return segments.every((s, i) => decodeURIComponent(tail[i * 2] ?? '') === s);
        });
    const cases: Array<[string, string, string[]]> = [
      ['DeleteCenterTask', `/v2/${projectId}/tasks/{}`, [AWKWARD.center]],
      [
        'DeleteBackgroundTask',
        `/v2/${projectId}/instances/0f0f0f0f-1111-2222-3333-444444444444/tasks/{}`,
        [AWKWARD.background],
      ],
      ['DeleteProcessorTask', `/v2/${projectId}/processor-tasks/{}`, [AWKWARD.modelarts]],
      ['DeleteTransferTask', `/v2/${projectId}/streams/{}/transfer-tasks/{}`, [AWKWARD.stream, AWKWARD.dump]],
      ['DeleteTask', '/v3/tasks/{}', [AWKWARD.sms]],
    ];
    for (const [operation, template, values] of cases) {
      const raw = deletePath(operation, ...values);
      expect(raw, operation).toBeDefined();
      const rawParts = (raw ?? '').split('/');
      const templateParts = template.split('/');
      // Same number of segments as the route: no value added a '/' (or a '?'/'#' cut the path).
      expect(rawParts).toHaveLength(templateParts.length);
      expect(raw).not.toMatch(/[?#]/);
      let v = 0;
      templateParts.forEach((part, i) => {
        if (part === '{}') {
          expect(decodeURIComponent(rawParts[i] ?? '')).toBe(values[v++]);
          expect(rawParts[i]).not.toMatch(/^\.\.?$/);
        } else expect(rawParts[i]).toBe(part);
      });
    }
  });

  it('never sends a task named ".." (it would address its stream), keeps it, counts it and logs why', () => {
    const stillThere = h.emulator
      .tasks('dis-dump-tasks')
      .some((t) => t.id === '..' && t.parentId === AWKWARD.stream);
    expect(stillThere).toBe(true);
    const streamSegment = encodeURIComponent(AWKWARD.stream);
    const touching = h.emulator
      .requestLog()
      .filter((r) => r.rawPath.includes(streamSegment) && r.operation !== 'ListTransferTasks')
      .filter((r) => !r.rawPath.includes('/transfer-tasks/dump'));
    expect(touching).toEqual([]);
    for (const run of [dry, applied]) {
      expect(run.report.services['dis-dump-tasks']?.skipped.unaddressable).toBe(1);
    }
    expect(h.log.records().some((l) => l.taskId === '..' && l.reason === 'unaddressable')).toBe(true);
  });
});
