/**
 * Two purges at once on the same account (a schedule overlapping a manual run): no failure beyond "already
 * gone", no double counting: what the two reports say they deleted is exactly what the emulator deleted,
 * each stale task once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { SERVICE_IDS } from '../../lib/types';
import { DAY_MS, isWireStale, NOW_MS, runInvocation } from '../support/emulator-run';

const POLICY = {
  version: 1,
  dryRun: false,
  maxDeletesPerRun: 100_000,
  services: Object.fromEntries(SERVICE_IDS.map((id) => [id, { olderThan: '30d' }])),
};

describe('two purges at once on the same account', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ seed: 88, tasks: 600, nowMs: () => NOW_MS });
    // A little latency so that the two runs' listings and deletes interleave.
    emulator.setFaults({ service: '*' }, { latencyMs: 2, latencyJitterMs: 8 });
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('fail nothing beyond already-gone and together count each deletion once', async () => {
    const stale = SERVICE_IDS.flatMap((s) => emulator.tasks(s)).filter((t) => isWireStale(t, 30 * DAY_MS));
    expect(stale.length).toBeGreaterThan(100);

    const [a, b] = await Promise.all(
      [0, 1].map(() => runInvocation(emulator, { policy: POLICY, nowMs: () => NOW_MS })),
    );

    for (const run of [a, b]) {
      expect(run?.thrown).toBeUndefined();
      expect(run?.report?.totals.failed).toBe(0);
      expect(run?.report?.totals.failedServices).toBe(0);
    }
    const deletions = emulator.deletions();
    const deletedKeys = deletions.map((d) => `${d.service}:${d.id}`);
    expect(new Set(deletedKeys).size).toBe(deletedKeys.length);
    expect(deletedKeys.sort()).toEqual(stale.map((t) => `${t.service}:${t.id}`).sort());
    const reported = (a?.report?.totals.deleted ?? 0) + (b?.report?.totals.deleted ?? 0);
    expect(reported).toBe(deletions.length);
    // Each run accounts for every task it planned: deleted, found gone (the other run was first), or
    // skipped on a re-check; the two runs overlapped, so one of them found some gone.
    for (const run of [a, b]) {
      const t = run?.report?.totals;
      expect(t?.stale).toBe((t?.deleted ?? 0) + (t?.alreadyGone ?? 0) + (t?.refused ?? 0));
    }
    const gone = (a?.report?.totals.alreadyGone ?? 0) + (b?.report?.totals.alreadyGone ?? 0);
    expect(gone).toBeGreaterThan(0);
    // Each task deleted by one run is never also reported deleted by the other.
    const deletedBy = (run: typeof a) =>
      new Set(
        (run?.logs ?? [])
          .filter((l) => l.msg === 'task decision' && l.action === 'deleted')
          .map((l) => `${String(l.service)}:${String(l.parent ?? '')}:${String(l.taskId)}`),
      );
    const fromA = deletedBy(a);
    for (const key of deletedBy(b)) expect(fromA.has(key), key).toBe(false);
  });
});
