/**
 * The two emulator records the safety and chaos suites rely on: when an answer was really written
 * (`answeredAtMs`, absent for a hang or for a client that had already gone), and the credential headers each
 * request carried (`receivedAuthHeaders`, what the secret scans look for in the logs).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { call, getToken } from '../emulator/helpers';

describe('emulator records for the safety suites', () => {
  let emu: Emulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  it('stamps answeredAtMs on written answers only, not on a hang the client gave up on', async () => {
    emu = await startEmulator({ tasks: 0 });
    const token = await getToken(emu);
    emu.clearRequestLog();
    await call(emu, 'dcs', token, '/tasks');
    emu.setFaults({ service: 'oms' }, { hangShare: 1 });
    await expect(
      fetch(`${emu.urls.oms}/v2/${emu.account.projectId}/tasks`, {
        headers: { 'X-Auth-Token': token },
        signal: AbortSignal.timeout(100),
      }),
    ).rejects.toThrow();

    const [answered, hung] = emu.requestLog();
    expect(answered?.status).toBe(200);
    expect(answered?.answeredAtMs).toBeGreaterThanOrEqual(answered?.atMs ?? Number.POSITIVE_INFINITY);
    expect(hung?.fault).toBe('hang');
    expect(hung?.answeredAtMs).toBeUndefined();
  });

  it('keeps the credential headers each request carried, and clears them with the request log', async () => {
    emu = await startEmulator({ tasks: 0 });
    const token = await getToken(emu);
    await call(emu, 'dcs', token, '/tasks', { headers: { 'X-Security-Token': 'sts-value' } });
    await fetch(`${emu.urls.dcs}/v2/${emu.account.projectId}/tasks`, {
      headers: { Authorization: 'SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00ff' },
    });

    expect(emu.receivedAuthHeaders()).toEqual([
      { operation: 'ListCenterTasks', xAuthToken: token, xSecurityToken: 'sts-value' },
      {
        operation: 'ListCenterTasks',
        authorization: 'SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00ff',
      },
    ]);
    emu.clearRequestLog();
    expect(emu.receivedAuthHeaders()).toEqual([]);
  });
});
