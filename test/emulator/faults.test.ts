import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { call, getToken } from './helpers';

let emu: Emulator;
let token: string;
beforeAll(async () => {
  emu = await startEmulator({ seed: 9, tasks: 400 });
  token = await getToken(emu);
});
afterAll(async () => {
  await emu.close();
});

describe('emulator input validation', () => {
  it.each([
    [{ faults: [{ service: 'dcs', bogusFault: 1 }] }, /bogusFault/],
    [{ faults: [{ service: 'oms', rateLimitPerSecond: -1 }] }, /faults\.0\.rateLimitPerSecond/],
    [{ faults: [{ service: 'dis', hangShare: 1.5 }] }, /faults\.0\.hangShare/],
    [{ faults: [{ service: 'dis', operation: 'ListInstances' }] }, /faults\.0\.operation/],
    [{ tasks: -1 }, /tasks/],
  ])('refuses %j', async (options, message) => {
    await expect(startEmulator(options as never)).rejects.toThrow(message);
  });

  it('refuses bad runtime fault settings', () => {
    expect(() => emu.setFaults({ service: 'oms' }, { serverErrorShare: -0.1 })).toThrow(/serverErrorShare/);
  });
});

describe('faults', () => {
  it('rate-limits with 429 APIG.0308 and an integer Retry-After ≥ 1', async () => {
    emu.setFaults({ service: 'oms', operation: 'ListMigrationTasks' }, { rateLimitPerSecond: 2 });
    const statuses: number[] = [];
    let last = await call(emu, 'oms', token, '/tasks');
    for (let i = 0; i < 4; i++) {
      last = await call(emu, 'oms', token, '/tasks');
      statuses.push(last.status);
    }
    expect(statuses).toContain(429);
    const limited = last.status === 429 ? last : await call(emu, 'oms', token, '/tasks');
    expect(limited.json.error_code).toBe('APIG.0308');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(emu.requestLog().some((e) => e.fault === 'rate-limit')).toBe(true);
    emu.clearFaults();
  });

  it('throttles IAM with 429 IAM.0012', async () => {
    emu.setFaults({ service: 'iam' }, { throttleShare: 1 });
    await expect(getToken(emu)).rejects.toThrow(/429.*IAM\.0012/);
    emu.clearFaults();
  });

  it('answers server errors in the service shape, outages as 503', async () => {
    emu.setFaults({ service: 'dis' }, { serverErrorShare: 1 });
    const res = await call(emu, 'dis', token, '/streams');
    expect([500, 502, 503]).toContain(res.status);
    expect(res.json).toEqual({ errorCode: expect.any(String), message: expect.any(String) });
    emu.setFaults({ service: 'dis' }, { outage: true });
    expect((await call(emu, 'dis', token, '/streams')).status).toBe(503);
    emu.clearFaults();
  });

  it('resets connections, hangs, corrupts JSON and adds latency', async () => {
    emu.setFaults({ service: 'dcs', operation: 'ListInstances' }, { resetShare: 1 });
    await expect(call(emu, 'dcs', token, '/instances')).rejects.toThrow();
    emu.setFaults({ service: 'dcs', operation: 'ListInstances' }, { hangShare: 1 });
    await expect(
      call(emu, 'dcs', token, '/instances', { signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow();
    emu.setFaults({ service: 'dcs', operation: 'ListInstances' }, { malformedShare: 1 });
    const bad = await call(emu, 'dcs', token, '/instances');
    expect(bad.status).toBe(200);
    expect(() => JSON.parse(bad.text)).toThrow();
    emu.setFaults({ service: 'dcs', operation: 'ListInstances' }, { latencyMs: 150 });
    const started = Date.now();
    expect((await call(emu, 'dcs', token, '/instances')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const faults = emu.requestLog().map((e) => e.fault);
    expect(faults).toEqual(expect.arrayContaining(['reset', 'hang', 'malformed', 'latency']));
    emu.clearFaults();
  });
});

describe('pagination', () => {
  it('pages ModelArts by page index and DIS by exclusive start name', async () => {
    const p0 = await call(emu, 'modelarts', token, '/processor-tasks?offset=0&limit=5');
    const p1 = await call(emu, 'modelarts', token, '/processor-tasks?offset=1&limit=5');
    const ids = (r: typeof p0): string[] => r.json.tasks.map((t: { task_id: string }) => t.task_id);
    expect(ids(p1)).toHaveLength(5);
    expect(ids(p1).some((id) => ids(p0).includes(id))).toBe(false);
    const names: string[] = [];
    let start: string | undefined;
    for (;;) {
      const q = start === undefined ? '' : `&start_stream_name=${encodeURIComponent(start)}`;
      const page = await call(emu, 'dis', token, `/streams?limit=7${q}`);
      names.push(...page.json.stream_names);
      if (!page.json.has_more_streams) break;
      start = page.json.stream_names.at(-1);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe((await call(emu, 'dis', token, '/streams?limit=1')).json.total_number);
  });

  it.each(['repeat', 'lose', 'count-mismatch', 'over-limit', 'endless'] as const)(
    'applies the %s quirk to OMS offsets',
    async (quirk) => {
      emu.setFaults({ service: 'oms', operation: 'ListMigrationTasks' }, { pagingQuirk: quirk });
      const seen: string[] = [];
      let count = 0;
      for (let offset = 0, pages = 0; pages < 40; pages++, offset += 10) {
        const page = await call(emu, 'oms', token, `/tasks?offset=${offset}&limit=10`);
        count = page.json.count;
        const pageIds = [...page.text.matchAll(/"id":(\d+)/g)].map((m) => m[1] ?? '');
        if (quirk === 'over-limit' && pages === 0) expect(pageIds.length).toBe(13);
        seen.push(...pageIds);
        if (pageIds.length < 10) break;
      }
      const truth = emu.tasks('oms-migration-tasks').length;
      if (quirk === 'repeat') expect(new Set(seen).size).toBeLessThan(seen.length);
      if (quirk === 'lose') expect(new Set(seen).size).toBeLessThan(truth);
      if (quirk === 'count-mismatch') expect(count).not.toBe(truth);
      if (quirk === 'endless') expect(seen.length).toBe(400);
      emu.clearFaults();
    },
  );
});
