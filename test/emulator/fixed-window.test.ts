import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { call, getToken } from './helpers';

let emu: Emulator;
let token: string;
beforeAll(async () => {
  emu = await startEmulator({ seed: 9, tasks: 40 });
  token = await getToken(emu);
});
afterAll(async () => {
  await emu.close();
});

/** Waits until a fresh window of `seconds` has at least `needMs` left (so a test's calls fall in one window). */
async function startOfWindow(seconds: number, needMs: number): Promise<void> {
  const periodMs = seconds * 1000;
  const leftMs = periodMs - (Date.now() % periodMs);
  if (leftMs < needMs) await new Promise((resolve) => setTimeout(resolve, leftMs + 5));
}

describe('emulator fixed-window quota', () => {
  it.each([
    [{ fixedWindowLimit: 3 }, /faults\.0\.fixedWindowSeconds: required with fixedWindowLimit/],
    [{ fixedWindowSeconds: 10 }, /faults\.0\.fixedWindowLimit: required with fixedWindowSeconds/],
    [{ fixedWindowLimit: 0, fixedWindowSeconds: 10 }, /faults\.0\.fixedWindowLimit/],
    [{ fixedWindowLimit: 3, fixedWindowSeconds: 1.5 }, /faults\.0\.fixedWindowSeconds/],
  ])('refuses %j, naming the field', async (settings, message) => {
    await expect(startEmulator({ tasks: 0, faults: [{ service: 'oms', ...settings }] })).rejects.toThrow(
      message,
    );
  });

  it('admits the limit per window, then answers 429 APIG.0308 without Retry-After and without the limit', async () => {
    emu.setFaults({ service: 'oms' }, { fixedWindowLimit: 3, fixedWindowSeconds: 2 });
    await startOfWindow(2, 1_000);
    const statuses: number[] = [];
    let last = await call(emu, 'oms', token, '/tasks');
    statuses.push(last.status);
    for (let i = 0; i < 4; i++) {
      last = await call(emu, 'oms', token, '/tasks');
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last.json).toMatchObject({
      error_code: 'APIG.0308',
      error_msg: 'The throttling threshold has been reached.',
    });
    expect(last.headers.get('retry-after')).toBeNull();
    expect(emu.requestLog().filter((e) => e.fault === 'fixed-window')).toHaveLength(2);
    // The next window admits again.
    await new Promise((resolve) => setTimeout(resolve, 2_000 - (Date.now() % 2_000) + 5));
    expect((await call(emu, 'oms', token, '/tasks')).status).toBe(200);
    emu.clearFaults();
  });

  it("with the options on, names the limit as APIG does and sends Retry-After to the window's end", async () => {
    emu.setFaults(
      { service: 'dis' },
      {
        fixedWindowLimit: 1,
        fixedWindowSeconds: 60,
        fixedWindowRetryAfter: true,
        fixedWindowLimitInMessage: true,
      },
    );
    await call(emu, 'dis', token, '/streams');
    const limited = await call(emu, 'dis', token, '/streams');
    expect(limited.status).toBe(429);
    expect(limited.json).toEqual({
      error_code: 'APIG.0308',
      error_msg:
        'The throttling threshold has been reached: policy user over ratelimit, limit:1, time:1 minute',
      request_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    const retryAfterS = Number(limited.headers.get('retry-after'));
    const leftS = Math.ceil((60_000 - (Date.now() % 60_000)) / 1000);
    expect(retryAfterS).toBeGreaterThanOrEqual(leftS - 1);
    expect(retryAfterS).toBeLessThanOrEqual(leftS + 1);
    emu.clearFaults();
  });
});
