import { describe, expect, it } from 'vitest';
import { HostHealth } from '../../lib/cloud/host-health';
import { RunStoppedError } from '../../lib/errors';
import { createRunStops } from '../../lib/run-stops';
import { fireIfDue } from '../../lib/stop-due';

/** The run's stops with a deadline far enough that its timer cannot fire during the test. */
function stopsDueIn(ms: number) {
  const nowMs = Date.now();
  const stops = createRunStops({ nowMs, deadlineAtMs: nowMs + ms, marginMs: 3_000, interrupt: undefined });
  return { ...stops, deadlineAtMs: nowMs + ms };
}

describe('the deadline when its timer runs late (a busy event loop)', () => {
  it('the clock fires the stop: not before the deadline, at it', () => {
    const { signals, dispose, deadlineAtMs } = stopsDueIn(60_000);
    try {
      fireIfDue(signals.stop, deadlineAtMs - 1);
      expect(signals.stop.aborted).toBe(false);

      fireIfDue(signals.stop, deadlineAtMs);

      expect(signals.stop.aborted).toBe(true);
      expect(signals.stop.reason).toMatchObject({ name: 'RunStoppedError', reason: 'deadline' });
      expect(signals.abort.aborted).toBe(false); // requests in flight still have their share of the margin
    } finally {
      dispose();
    }
  });

  it('a request admitted before the deadline is not sent after it, though the timer has not run', async () => {
    const { signals, dispose, deadlineAtMs } = stopsDueIn(60_000);
    let nowMs = deadlineAtMs - 10;
    const host = new HostHealth(
      { now: () => new Date(nowMs), sleep: () => Promise.resolve() },
      {
        name: 'oms',
        origin: new URL('http://127.0.0.1:1'),
        concurrency: 2,
        createAgent: () => ({}),
        pacing: false,
        retryBudget: false,
      },
    );
    try {
      const admission = await host.admit({ stopSignal: signals.stop, what: 'DELETE /v2/p/tasks/1' });
      nowMs = deadlineAtMs + 5;

      let thrown: unknown;
      try {
        admission.beforeSend();
      } catch (error) {
        thrown = error;
      }

      expect(thrown).toBeInstanceOf(RunStoppedError);
      expect(thrown).toMatchObject({ reason: 'deadline', sent: false });
      expect(String((thrown as Error).message)).toMatch(
        /DELETE \/v2\/p\/tasks\/1: not sent: the run reached its deadline/,
      );
      expect(signals.stop.aborted).toBe(true);
      admission.release();
    } finally {
      dispose();
    }
  });
});
