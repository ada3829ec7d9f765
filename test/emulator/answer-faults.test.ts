/**
 * The emulator's redirect, proxy 404, lost-answer, gateway-timeout, owner-resume, DIS error shape, 403 and 408
 * faults, over raw loopback HTTP: each one's wire behaviour, what the emulator records of it, and that the same
 * seed draws the same faults.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type {
  EmulatedTask,
  Emulator,
  EmulatorOptions,
  FaultSettings,
  FaultTarget,
  RequestLogEntry,
} from '../../emulator/types';
import { TASK_APIS, taskPath } from '../support/task-apis';
import { type CallResult, call, getToken } from './helpers';

const started: Emulator[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((emu) => emu.close()));
});

async function start(options: EmulatorOptions = {}): Promise<{ emu: Emulator; token: string }> {
  const emu = await startEmulator({ seed: 3, tasks: 0, ...options });
  started.push(emu);
  return { emu, token: await getToken(emu) };
}

function deleteTask(
  emu: Emulator,
  token: string,
  task: EmulatedTask,
  init: RequestInit = {},
): Promise<CallResult> {
  const api = TASK_APIS[task.service];
  return call(emu, api.host, token, taskPath(api.delete, task, emu.account.projectId), {
    method: 'DELETE',
    ...init,
  });
}

function deleteTarget(task: EmulatedTask): FaultTarget {
  const api = TASK_APIS[task.service];
  return { service: api.host, operation: api.delete.operation };
}

function stillThere(emu: Emulator, task: EmulatedTask): EmulatedTask | undefined {
  return emu.tasks(task.service).find((t) => t.id === task.id && t.parentId === task.parentId);
}

function lastEntry(emu: Emulator): RequestLogEntry {
  const entry = emu.requestLog().at(-1);
  if (!entry) throw new Error('empty request log');
  return entry;
}

describe('redirects', () => {
  it.each([301, 302, 303, 307, 308] as const)(
    'answers %i with a Location on the foreign host, and deletes nothing',
    async (status) => {
      const { emu, token } = await start();
      const task = emu.addTask({ service: 'oms-migration-tasks' });
      emu.setFaults(deleteTarget(task), { redirectShare: 1, redirectStatus: status });

      const res = await deleteTask(emu, token, task, { redirect: 'manual' });

      const location = `${emu.foreignUrl}/v2/${emu.account.projectId}/tasks/${task.id}`;
      expect(res.status).toBe(status);
      expect(res.headers.get('location')).toBe(location);
      expect(new URL(emu.foreignUrl).hostname).toBe('127.0.0.1');
      expect(new URL(emu.foreignUrl).port).not.toBe(new URL(emu.urls.oms).port);
      expect(stillThere(emu, task)).toBeDefined();
      expect(emu.deletions()).toEqual([]);
      expect(lastEntry(emu)).toMatchObject({ fault: 'redirect', status, location });
      expect(emu.foreignRequests()).toEqual([]);
    },
  );

  it('redirects with 307 by default, to the same path and query', async () => {
    const { emu, token } = await start();
    emu.setFaults({ service: 'modelarts' }, { redirectShare: 1 });
    const res = await call(emu, 'modelarts', token, '/processor-tasks?offset=0&limit=5', {
      redirect: 'manual',
    });
    expect(res.status).toBe(307);
    expect(res.headers.get('location')).toBe(
      `${emu.foreignUrl}/v2/${emu.account.projectId}/processor-tasks?offset=0&limit=5`,
    );
  });

  it('the foreign host answers a following client with success and records every credential it carried', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'dcs-center-tasks' });
    emu.setFaults({ service: 'dcs' }, { redirectShare: 1 });

    const deleted = await deleteTask(emu, token, task, { headers: { 'X-Security-Token': 'sts-value' } });
    const listed = await call(emu, 'dcs', token, '/tasks?offset=0&limit=10');
    await fetch(`${emu.urls.dcs}/v2/${emu.account.projectId}/instances`);

    // A naive client that follows the redirect sees success, though nothing was deleted.
    expect(deleted.status).toBe(200);
    expect(deleted.json).toEqual({});
    expect(listed.status).toBe(200);
    expect(listed.json).toMatchObject({ task_count: 0, tasks: [] });
    expect(stillThere(emu, task)).toBeDefined();
    expect(emu.deletions()).toEqual([]);
    const foreignHost = new URL(emu.foreignUrl).host;
    expect(emu.foreignRequests()).toEqual([
      {
        method: 'DELETE',
        rawPath: `/v2/${emu.account.projectId}/tasks/${task.id}`,
        host: foreignHost,
        atMs: expect.any(Number),
        hasCredentialHeaders: true,
        xAuthToken: token,
        xSecurityToken: 'sts-value',
      },
      {
        method: 'GET',
        rawPath: `/v2/${emu.account.projectId}/tasks?offset=0&limit=10`,
        host: foreignHost,
        atMs: expect.any(Number),
        hasCredentialHeaders: true,
        xAuthToken: token,
      },
      {
        method: 'GET',
        rawPath: `/v2/${emu.account.projectId}/instances`,
        host: foreignHost,
        atMs: expect.any(Number),
        hasCredentialHeaders: false,
      },
    ]);
    // Kept when the request log is cleared: a credential that ever arrived there stays visible.
    emu.clearRequestLog();
    expect(emu.foreignRequests()).toHaveLength(3);
  });

  it('points absolute-external redirects at a host no one listens on', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'dis-dump-tasks', id: 'dump 1' });
    emu.setFaults(deleteTarget(task), { redirectShare: 1, redirectLocation: 'absolute-external' });
    const res = await deleteTask(emu, token, task, { redirect: 'manual' });
    expect(res.status).toBe(307);
    const location = `https://redirect-target.invalid/v2/${emu.account.projectId}/streams/${encodeURIComponent(task.parentId ?? '')}/transfer-tasks/dump%201`;
    expect(res.headers.get('location')).toBe(location);
    expect(lastEntry(emu).location).toBe(location);
    expect(stillThere(emu, task)).toBeDefined();
  });

  it('closes the foreign listener with the emulator', async () => {
    const { emu } = await start();
    const url = emu.foreignUrl;
    expect((await fetch(`${url}/anything`)).status).toBe(200);
    await emu.close();
    await expect(fetch(`${url}/anything`)).rejects.toThrow();
  });
});

describe('proxy 404', () => {
  it('answers an nginx HTML 404 without carrying the request out', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'modelarts-processor-tasks' });
    emu.setFaults(deleteTarget(task), { proxyNotFoundShare: 1 });

    const res = await deleteTask(emu, token, task);

    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html');
    expect(res.text).toMatch(/^<html>[\s\S]*<title>404 Not Found<\/title>[\s\S]*<center>nginx<\/center>/);
    expect(res.json).toBeUndefined();
    expect(stillThere(emu, task)).toBeDefined();
    const entry = lastEntry(emu);
    expect(entry).toMatchObject({ fault: 'proxy-not-found', status: 404 });
    expect(entry.errorCode).toBeUndefined();
  });
});

describe('lost answers', () => {
  it('carries a DELETE out, then drops the connection without an answer', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'dis-dump-tasks' });
    emu.setFaults(deleteTarget(task), { lostAnswerShare: 1 });

    await expect(deleteTask(emu, token, task)).rejects.toThrow();

    expect(stillThere(emu, task)).toBeUndefined();
    expect(emu.deletions()).toEqual([expect.objectContaining({ service: 'dis-dump-tasks', id: task.id })]);
    const entry = lastEntry(emu);
    expect(entry).toMatchObject({ fault: 'lost-answer', status: 0, backendStatus: 204, auth: 'token' });
    expect(entry.answeredAtMs).toBeUndefined();

    // The client's retry finds it gone.
    emu.clearFaults();
    const retry = await deleteTask(emu, token, task);
    expect(retry.status).toBe(400);
    expect(retry.json.errorCode).toBe('DIS.4354');
  });
});

describe('gateway timeout', () => {
  it('answers 504 APIG.0203 in the gateway shape after the backend deleted: the retry gets "not found"', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'dcs-center-tasks' });
    emu.setFaults(deleteTarget(task), { gatewayTimeoutShare: 1, gatewayTimeoutActsShare: 1 });

    const res = await deleteTask(emu, token, task);

    expect(res.status).toBe(504);
    expect(res.json).toEqual({
      error_code: 'APIG.0203',
      error_msg: 'Backend timeout.',
      request_id: res.headers.get('x-request-id'),
    });
    expect(stillThere(emu, task)).toBeUndefined();
    expect(emu.deletions()).toEqual([expect.objectContaining({ id: task.id })]);
    expect(lastEntry(emu)).toMatchObject({
      fault: 'gateway-timeout',
      status: 504,
      errorCode: 'APIG.0203',
      acted: true,
      backendStatus: 200,
    });
    emu.clearFaults();
    const retry = await deleteTask(emu, token, task);
    expect(retry.status).toBe(404);
    expect(retry.json.error_code).toBe('DCS.4001');
  });

  it('answers 504 without acting when the draw says so', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'oms-migration-tasks' });
    emu.setFaults(deleteTarget(task), { gatewayTimeoutShare: 1, gatewayTimeoutActsShare: 0 });
    expect((await deleteTask(emu, token, task)).status).toBe(504);
    expect(stillThere(emu, task)).toBeDefined();
    expect(emu.deletions()).toEqual([]);
    const entry = lastEntry(emu);
    expect(entry).toMatchObject({ fault: 'gateway-timeout', acted: false });
    expect(entry.backendStatus).toBeUndefined();
  });

  it('draws acted with share 0.5 by default, the same for the same seed', async () => {
    const actedSequence = async (seed: number): Promise<boolean[]> => {
      const { emu, token } = await start({ seed });
      emu.setFaults({ service: 'oms', operation: 'ListMigrationTasks' }, { gatewayTimeoutShare: 1 });
      for (let i = 0; i < 30; i++) expect((await call(emu, 'oms', token, '/tasks')).status).toBe(504);
      return emu.requestLog().flatMap((e) => (e.fault === 'gateway-timeout' ? [e.acted === true] : []));
    };
    const first = await actedSequence(11);
    expect(first).toHaveLength(30);
    expect(first).toContain(true);
    expect(first).toContain(false);
    expect(await actedSequence(11)).toEqual(first);
    expect(await actedSequence(12)).not.toEqual(first);
  });
});

describe('the owner resumes a task after a failed delete', () => {
  it.each([
    ['dcs-center-tasks', 'EXECUTING', 400, 'DCS.4957'],
    ['dcs-background-tasks', 'EXECUTING', 400, 'DCS.4957'],
    ['oms-migration-tasks', 2, 400, 'OMS.0063'],
    // ModelArts and DIS do not refuse to delete a running task: the deletion log shows the state it had.
    ['modelarts-processor-tasks', 1, 200, undefined],
    ['dis-dump-tasks', 'RUNNING', 204, undefined],
  ] as const)(
    '%s turns %s right after the 5xx, and the retry meets it in progress',
    async (service, inProgress, retryStatus, retryCode) => {
      const { emu, token } = await start();
      const task = emu.addTask({ service });
      emu.setFaults(deleteTarget(task), { serverErrorShare: 1, resumeOnFailedDeleteShare: 1 });

      const failed = await deleteTask(emu, token, task);

      expect([500, 502, 503]).toContain(failed.status);
      expect(stillThere(emu, task)?.state).toBe(inProgress);
      const answeredAtMs = lastEntry(emu).answeredAtMs ?? Number.POSITIVE_INFINITY;
      const changes = emu.stateChanges();
      expect(changes).toEqual([
        {
          service,
          id: task.id,
          ...(task.parentId !== undefined ? { parentId: task.parentId } : {}),
          from: task.state,
          to: inProgress,
          cause: 'fault',
          fault: 'server-error',
          region: emu.account.region,
          projectId: emu.account.projectId,
          atMs: expect.any(Number),
        },
      ]);
      expect(changes[0]?.atMs).toBeGreaterThanOrEqual(answeredAtMs);

      emu.clearFaults();
      const retry = await deleteTask(emu, token, task);
      expect(retry.status).toBe(retryStatus);
      if (retryCode) expect(retry.json.error_code).toBe(retryCode);
      else expect(emu.deletions()).toEqual([expect.objectContaining({ id: task.id, state: inProgress })]);
    },
  );

  it.each<[RequestLogEntry['fault'], FaultSettings]>([
    ['throttle', { throttleShare: 1 }],
    ['outage', { outage: true }],
    ['proxy-not-found', { proxyNotFoundShare: 1 }],
    ['forbidden', { forbiddenShare: 1 }],
    ['request-timeout', { requestTimeoutShare: 1 }],
    ['gateway-timeout', { gatewayTimeoutShare: 1, gatewayTimeoutActsShare: 0 }],
  ])('resumes after a %s answer', async (fault, settings) => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'oms-migration-tasks' });
    emu.setFaults(deleteTarget(task), { ...settings, resumeOnFailedDeleteShare: 1 });
    expect((await deleteTask(emu, token, task)).status).toBeGreaterThanOrEqual(400);
    expect(emu.stateChanges()).toEqual([
      expect.objectContaining({ id: task.id, to: 2, cause: 'fault', fault }),
    ]);
  });

  it('resumes when the delayed failure answer is written, not when it is decided', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'oms-migration-tasks' });
    emu.setFaults(deleteTarget(task), { serverErrorShare: 1, latencyMs: 150, resumeOnFailedDeleteShare: 1 });
    const pending = deleteTask(emu, token, task);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stillThere(emu, task)?.state).toBe(5);
    expect(emu.stateChanges()).toEqual([]);
    expect((await pending).status).toBeGreaterThanOrEqual(500);
    expect(stillThere(emu, task)?.state).toBe(2);
  });

  it('resumes after a rate-limit answer', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'oms-migration-tasks' });
    emu.setFaults({ service: 'oms' }, { rateLimitPerSecond: 0.01, resumeOnFailedDeleteShare: 1 });
    expect((await call(emu, 'oms', token, '/tasks')).status).toBe(200); // takes the one token
    expect((await deleteTask(emu, token, task)).status).toBe(429);
    expect(emu.stateChanges()).toEqual([
      expect.objectContaining({ id: task.id, cause: 'fault', fault: 'rate-limit' }),
    ]);
  });

  it('does not resume after a 504 whose backend acted, a redirect, a failed read, or with share 0', async () => {
    const { emu, token } = await start();
    // The backend refuses to delete a queued DCS task: after an acted 504 it is still there, still queued.
    const queued = emu.addTask({ service: 'dcs-center-tasks', state: 'QUEUED' });
    emu.setFaults(deleteTarget(queued), {
      gatewayTimeoutShare: 1,
      gatewayTimeoutActsShare: 1,
      resumeOnFailedDeleteShare: 1,
    });
    expect((await deleteTask(emu, token, queued)).status).toBe(504);
    expect(lastEntry(emu)).toMatchObject({ acted: true, backendStatus: 400 });
    expect(stillThere(emu, queued)?.state).toBe('QUEUED');
    const kept = emu.addTask({ service: 'oms-migration-tasks' });
    const target = deleteTarget(kept);
    emu.setFaults(target, { redirectShare: 1, resumeOnFailedDeleteShare: 1 });
    expect((await deleteTask(emu, token, kept, { redirect: 'manual' })).status).toBe(307);
    emu.setFaults(
      { service: 'oms', operation: 'ShowMigrationTask' },
      { serverErrorShare: 1, resumeOnFailedDeleteShare: 1 },
    );
    expect((await call(emu, 'oms', token, `/tasks/${kept.id}`)).status).toBeGreaterThanOrEqual(500);
    emu.setFaults(target, { serverErrorShare: 1, resumeOnFailedDeleteShare: 0 });
    expect((await deleteTask(emu, token, kept)).status).toBeGreaterThanOrEqual(500);

    expect(emu.stateChanges()).toEqual([]);
    expect(stillThere(emu, kept)?.state).toBe(5);
  });

  it('lists setTaskState changes as api and an OMS stop as request', async () => {
    const { emu, token } = await start({ omsPauseDelayMs: 10 });
    const task = emu.addTask({ service: 'oms-migration-tasks' });
    emu.setTaskState('oms-migration-tasks', task.id, 2);
    emu.setTaskState('oms-migration-tasks', task.id, 2); // no change, nothing listed
    expect((await call(emu, 'oms', token, `/tasks/${task.id}/stop`, { method: 'POST' })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(emu.stateChanges().map(({ from, to, cause }) => ({ from, to, cause }))).toEqual([
      { from: 5, to: 2, cause: 'api' },
      { from: 2, to: 7, cause: 'request' },
      { from: 7, to: 3, cause: 'request' },
    ]);
  });
});

describe('DIS error body shapes', () => {
  const missing = (emu: Emulator, token: string): Promise<CallResult> =>
    call(emu, 'dis', token, '/streams/no-such-stream/transfer-tasks/none', { method: 'DELETE' });

  it.each([
    [undefined, { errorCode: 'DIS.4301', message: 'The stream does not exist.' }],
    ['errorCode', { errorCode: 'DIS.4301', message: 'The stream does not exist.' }],
    ['error_code', { error_code: 'DIS.4301', error_msg: 'The stream does not exist.' }],
  ] as const)('disErrorShape %s', async (shape, body) => {
    const { emu, token } = await start();
    if (shape) emu.setFaults({ service: 'dis' }, { disErrorShape: shape });
    const res = await missing(emu, token);
    expect(res.status).toBe(400);
    expect(res.json).toEqual(body);
    expect(lastEntry(emu).errorCode).toBe('DIS.4301');
  });

  it('mixed: draws one of the two shapes per answer, the same for the same seed', async () => {
    const shapes = async (seed: number): Promise<string[]> => {
      const { emu, token } = await start({ seed });
      emu.setFaults({ service: 'dis' }, { disErrorShape: 'mixed' });
      const out: string[] = [];
      for (let i = 0; i < 24; i++) {
        const res = await missing(emu, token);
        expect(Object.keys(res.json).sort()).toEqual(
          'errorCode' in res.json ? ['errorCode', 'message'] : ['error_code', 'error_msg'],
        );
        out.push('errorCode' in res.json ? 'errorCode' : 'error_code');
      }
      return out;
    };
    const first = await shapes(5);
    expect(new Set(first)).toEqual(new Set(['errorCode', 'error_code']));
    expect(await shapes(5)).toEqual(first);
    expect(await shapes(6)).not.toEqual(first);
  });

  it('applies to injected DIS errors too, but not to gateway answers', async () => {
    const { emu, token } = await start();
    emu.setFaults({ service: 'dis' }, { disErrorShape: 'error_code', serverErrorShare: 1 });
    const server = await call(emu, 'dis', token, '/streams');
    expect(server.json).toEqual({ error_code: expect.any(String), error_msg: expect.any(String) });
    emu.setFaults({ service: 'dis' }, { disErrorShape: 'error_code', throttleShare: 1 });
    const throttled = await call(emu, 'dis', token, '/streams');
    expect(throttled.status).toBe(429);
    expect(throttled.json).toEqual({
      error_code: 'APIG.0308',
      error_msg: expect.any(String),
      request_id: throttled.headers.get('x-request-id'),
    });
  });
});

describe('403 and 408', () => {
  it.each([
    ['dcs', '/instances', { error_code: 'DCS.2003', error_msg: expect.any(String), error_ext_msg: null }],
    ['dis', '/streams', { errorCode: 'DIS.4116', message: expect.any(String) }],
    [
      'modelarts',
      '/processor-tasks',
      { error_code: 'APIG.0302', error_msg: expect.any(String), request_id: 'ID' },
    ],
    ['oms', '/tasks', { error_code: 'APIG.0302', error_msg: expect.any(String), request_id: 'ID' }],
    ['iam', '/v3/projects', { error_code: 'APIG.0302', error_msg: expect.any(String), request_id: 'ID' }],
  ] as const)('%s answers 403 in its own shape', async (service, path, body) => {
    const { emu, token } = await start();
    emu.setFaults({ service }, { forbiddenShare: 1 });
    const res = await call(emu, service, token, path);
    expect(res.status).toBe(403);
    const requestId = res.headers.get('x-request-id');
    expect(res.json).toEqual('request_id' in body ? { ...body, request_id: requestId } : body);
    expect(lastEntry(emu)).toMatchObject({
      fault: 'forbidden',
      status: 403,
      errorCode: res.json.error_code ?? res.json.errorCode,
    });
  });

  it('refuses a DELETE with 403 without carrying it out', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'dcs-background-tasks' });
    emu.setFaults(deleteTarget(task), { forbiddenShare: 1 });
    expect((await deleteTask(emu, token, task)).status).toBe(403);
    expect(stillThere(emu, task)).toBeDefined();
    expect(emu.deletions()).toEqual([]);
  });

  it('answers 408 in the gateway shape without carrying the request out', async () => {
    const { emu, token } = await start();
    const task = emu.addTask({ service: 'modelarts-processor-tasks' });
    emu.setFaults(deleteTarget(task), { requestTimeoutShare: 1 });
    const res = await deleteTask(emu, token, task);
    expect(res.status).toBe(408);
    expect(res.json).toEqual({
      error_code: 'APIG.0201',
      error_msg: 'Request timeout.',
      request_id: res.headers.get('x-request-id'),
    });
    expect(stillThere(emu, task)).toBeDefined();
    expect(lastEntry(emu)).toMatchObject({ fault: 'request-timeout', status: 408, errorCode: 'APIG.0201' });
  });
});

describe('credential headers on the request log', () => {
  it('says for every request whether it carried any', async () => {
    const { emu, token } = await start(); // the token request carries none
    await call(emu, 'dcs', token, '/instances');
    await fetch(`${emu.urls.oms}/v2/${emu.account.projectId}/tasks`);
    await fetch(`${emu.urls.oms}/v2/${emu.account.projectId}/tasks`, {
      headers: { 'X-Security-Token': 'sts' },
    });
    await fetch(`${emu.urls.dis}/v2/${emu.account.projectId}/streams`, {
      headers: { Authorization: 'SDK-HMAC-SHA256 Access=AK, SignedHeaders=host, Signature=00' },
    });
    expect(emu.requestLog().map((e) => [e.operation, e.hasCredentialHeaders])).toEqual([
      ['CreateToken', false],
      ['ListInstances', true],
      ['ListMigrationTasks', false],
      ['ListMigrationTasks', true],
      ['ListStreams', true],
    ]);
  });
});

describe('validation of the new fault settings', () => {
  it.each([
    [{ redirectStatus: 300 }, /faults\.0\.redirectStatus/],
    [{ redirectLocation: 'elsewhere' }, /faults\.0\.redirectLocation/],
    [{ disErrorShape: 'camel' }, /faults\.0\.disErrorShape/],
    [{ redirectShare: 1.5 }, /faults\.0\.redirectShare/],
    [{ proxyNotFoundShare: -1 }, /faults\.0\.proxyNotFoundShare/],
    [{ lostAnswerShare: 2 }, /faults\.0\.lostAnswerShare/],
    [{ gatewayTimeoutShare: 'all' }, /faults\.0\.gatewayTimeoutShare/],
    [{ gatewayTimeoutActsShare: 1.1 }, /faults\.0\.gatewayTimeoutActsShare/],
    [{ resumeOnFailedDeleteShare: -0.5 }, /faults\.0\.resumeOnFailedDeleteShare/],
    [{ forbiddenShare: 3 }, /faults\.0\.forbiddenShare/],
    [{ requestTimeoutShare: Number.NaN }, /faults\.0\.requestTimeoutShare/],
  ])('refuses %j', async (settings, message) => {
    await expect(startEmulator({ faults: [{ service: 'dcs', ...settings }] } as never)).rejects.toThrow(
      message,
    );
  });

  it('refuses bad values at run time too, naming every bad field and only those', async () => {
    const { emu } = await start();
    let message = '';
    try {
      emu.setFaults({ service: 'oms' }, {
        redirectShare: 0.5,
        redirectStatus: 305,
        forbiddenShare: 2,
      } as never);
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/redirectStatus[\s\S]*forbiddenShare/);
    expect(message).not.toMatch(/redirectShare/);
  });
});

describe('seeded reproducibility of the answer faults', () => {
  const run = async (seed: number): Promise<Array<[string, number, boolean | undefined]>> => {
    const { emu, token } = await start({ seed, tasksPerService: { 'oms-migration-tasks': 50 } });
    emu.setFaults(
      { service: 'oms', operation: 'ListMigrationTasks' },
      {
        redirectShare: 0.15,
        proxyNotFoundShare: 0.15,
        forbiddenShare: 0.15,
        requestTimeoutShare: 0.15,
        gatewayTimeoutShare: 0.15,
        lostAnswerShare: 0.15,
      },
    );
    emu.clearRequestLog();
    for (let i = 0; i < 60; i++) {
      await call(emu, 'oms', token, '/tasks?limit=5', { redirect: 'manual' }).catch(() => undefined);
    }
    return emu.requestLog().map((e) => [e.fault ?? 'none', e.status, e.acted]);
  };

  it('draws the same faults for the same seed, and others for another seed', async () => {
    const first = await run(21);
    const kinds = new Set(first.map(([fault]) => fault));
    for (const kind of [
      'redirect',
      'proxy-not-found',
      'forbidden',
      'request-timeout',
      'gateway-timeout',
      'lost-answer',
      'none',
    ])
      expect(kinds).toContain(kind);
    expect(await run(21)).toEqual(first);
    expect(await run(22)).not.toEqual(first);
  });
});
