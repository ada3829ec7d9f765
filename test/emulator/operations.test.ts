import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { encodePathSegment } from '../../lib/cloud/api-path';
import { call, getToken, passwordBody } from './helpers';

let emu: Emulator;
let token: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: 7, tasks: 300 });
  token = await getToken(emu);
});
afterAll(async () => {
  await emu.close();
});

describe('IAM', () => {
  it('issues a project-scoped token by project id with 201 and X-Subject-Token', async () => {
    const res = await fetch(`${emu.urls.iam}/v3/auth/tokens`, {
      method: 'POST',
      body: JSON.stringify(
        passwordBody(emu, emu.account.password, { project: { id: emu.account.projectId } }),
      ),
    });
    const body = (await res.json()) as { token: Record<string, unknown> };
    expect(res.status).toBe(201);
    expect(res.headers.get('x-subject-token')).toMatch(/^MII/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    expect(body.token.project).toMatchObject({ id: emu.account.projectId, name: 'cn-north-4' });
    expect(body.token.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(body.token).toHaveProperty('catalog');
  });

  it('refuses a wrong password with 401 in the keystone shape', async () => {
    const res = await fetch(`${emu.urls.iam}/v3/auth/tokens`, {
      method: 'POST',
      body: JSON.stringify(passwordBody(emu, 'wrong', { project: { name: 'cn-north-4' } })),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({
      error: { code: 401, message: expect.any(String), title: 'Unauthorized' },
    });
  });

  it('lists the project named after the region', async () => {
    const res = await call(emu, 'iam', token, '/v3/projects?name=cn-north-4');
    expect(res.status).toBe(200);
    expect(res.json.projects).toEqual([
      expect.objectContaining({
        id: emu.account.projectId,
        name: 'cn-north-4',
        domain_id: expect.any(String),
        enabled: true,
      }),
    ]);
    expect((await call(emu, 'iam', token, '/v3/projects?name=eu-nl')).json.projects).toEqual([]);
  });
});

describe('DCS', () => {
  it('lists instances with instance_num and offset/limit', async () => {
    const res = await call(emu, 'dcs', token, '/instances?offset=0&limit=3');
    expect(res.status).toBe(200);
    expect(res.json.instance_num).toBeGreaterThan(3);
    expect(res.json.instances).toHaveLength(3);
    expect(res.json.instances[0]).toMatchObject({
      instance_id: expect.any(String),
      name: expect.any(String),
      status: expect.any(String),
      created_at: expect.any(String),
    });
    const bad = await call(emu, 'dcs', token, '/instances?limit=1001');
    expect(bad.status).toBe(400);
    expect(bad.json).toEqual({ error_code: '111400063', error_msg: expect.any(String), error_ext_msg: null });
    expect((await call(emu, 'dcs', token, '/instances?offset=-1')).json.error_code).toBe('DCS.4800');
  });

  it('lists background tasks of an instance with a numeric task_count and time filters', async () => {
    const instance = emu.tasks('dcs-background-tasks')[0];
    const iid = instance?.parentId ?? '';
    const all = await call(emu, 'dcs', token, `/instances/${iid}/tasks?offset=0&limit=100`);
    expect(all.status).toBe(200);
    expect(typeof all.json.task_count).toBe('number');
    expect(all.json.tasks.length).toBe(all.json.task_count);
    expect(all.json.tasks[0]).toMatchObject({
      id: expect.any(String),
      name: expect.any(String),
      status: expect.any(String),
    });
    const none = await call(emu, 'dcs', token, `/instances/${iid}/tasks?start_time=20990101000000`);
    expect(none.json.task_count).toBe(0);
    expect((await call(emu, 'dcs', token, `/instances/${iid}/tasks?start_time=2020-01-01`)).status).toBe(400);
    const missing = await call(emu, 'dcs', token, '/instances/nope/tasks');
    expect(missing.status).toBe(404);
    expect(missing.json.error_code).toBe('DCS.3022');
  });

  it('deletes background tasks with 200 {"message":""} or 204, refuses EXECUTING, 404s unknown ids', async () => {
    const first = emu.addTask({ service: 'dcs-background-tasks', state: 'SUCCESS' });
    const second = emu.addTask({
      service: 'dcs-background-tasks',
      state: 'FAILED',
      parentId: first.parentId ?? '',
    });
    const running = emu.addTask({
      service: 'dcs-background-tasks',
      state: 'EXECUTING',
      parentId: first.parentId ?? '',
    });
    const path = (id: string): string => `/instances/${first.parentId}/tasks/${id}`;
    const answers = [
      await call(emu, 'dcs', token, path(first.id), { method: 'DELETE' }),
      await call(emu, 'dcs', token, path(second.id), { method: 'DELETE' }),
    ];
    expect(answers.map((a) => a.status).sort()).toEqual([200, 204]);
    expect(answers.find((a) => a.status === 200)?.json).toEqual({ message: '' });
    const refused = await call(emu, 'dcs', token, path(running.id), { method: 'DELETE' });
    expect(refused.status).toBe(400);
    expect(refused.json).toEqual({
      error_code: 'DCS.4957',
      error_msg: expect.any(String),
      error_ext_msg: null,
    });
    expect((await call(emu, 'dcs', token, path(first.id), { method: 'DELETE' })).status).toBe(404);
    expect(
      (await call(emu, 'dcs', token, `/instances/nope/tasks/${running.id}`, { method: 'DELETE' })).json
        .error_code,
    ).toBe('DCS.3022');
    expect(emu.deletions().map((d) => d.id)).toEqual(expect.arrayContaining([first.id, second.id]));
  });

  it('lists center tasks with task_count as a string, and deletes with an optional body', async () => {
    const list = await call(emu, 'dcs', token, '/tasks?offset=0&limit=5');
    expect(list.status).toBe(200);
    expect(typeof list.json.task_count).toBe('string');
    expect(list.json.tasks).toHaveLength(5);
    const done = emu.addTask({ service: 'dcs-center-tasks', state: 'SUCCESS' });
    const withBody = await call(emu, 'dcs', token, `/tasks/${done.id}`, {
      method: 'DELETE',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ message: 'cleanup' }),
    });
    expect(withBody.status).toBe(200);
    const other = emu.addTask({ service: 'dcs-center-tasks', state: 'FAILED' });
    expect((await call(emu, 'dcs', token, `/tasks/${other.id}`, { method: 'DELETE' })).status).toBe(200);
    const busy = emu.addTask({ service: 'dcs-center-tasks', state: 'EXECUTING' });
    expect((await call(emu, 'dcs', token, `/tasks/${busy.id}`, { method: 'DELETE' })).json.error_code).toBe(
      'DCS.4957',
    );
    expect((await call(emu, 'dcs', token, `/tasks/${done.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});

describe('ModelArts', () => {
  it('lists, shows and deletes processor tasks', async () => {
    const list = await call(emu, 'modelarts', token, '/processor-tasks?offset=0&limit=4');
    expect(list.status).toBe(200);
    expect(list.json.count).toBe(emu.tasks('modelarts-processor-tasks').length);
    expect(list.json.tasks[0]).toMatchObject({
      task_id: expect.any(String),
      name: expect.any(String),
      status: expect.any(Number),
    });
    const running = emu.addTask({ service: 'modelarts-processor-tasks', state: 1 });
    const shown = await call(emu, 'modelarts', token, `/processor-tasks/${running.id}`);
    expect(shown.json).toMatchObject({ task_id: running.id, status: 1, create_time: expect.any(Number) });
    const del = await call(emu, 'modelarts', token, `/processor-tasks/${running.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.json).toEqual({});
    const gone = await call(emu, 'modelarts', token, `/processor-tasks/${running.id}`, { method: 'DELETE' });
    expect(gone.status).toBe(400);
    expect(gone.json).toEqual({ error_code: 'ModelArts.4700', error_msg: expect.any(String) });
    expect((await call(emu, 'modelarts', token, '/processor-tasks?limit=101')).status).toBe(400);
  });

  it('filters by integer status', async () => {
    const res = await call(emu, 'modelarts', token, '/processor-tasks?status=2&limit=100');
    expect(res.json.tasks.length).toBeGreaterThan(0);
    expect(res.json.tasks.every((t: { status: number }) => t.status === 2)).toBe(true);
    expect(res.json.count).toBe(emu.tasks('modelarts-processor-tasks').filter((t) => t.state === 2).length);
  });
});

describe('OMS', () => {
  it('serialises ids above 2^53 as raw JSON numbers', async () => {
    const big = emu.addTask({
      service: 'oms-migration-tasks',
      id: '9223372036854775000',
      state: 5,
      name: 'a "quoted" \\ name\n',
    });
    const shown = await call(emu, 'oms', token, `/tasks/${big.id}`);
    expect(shown.status).toBe(200);
    expect(shown.text.startsWith('{"id":9223372036854775000,')).toBe(true);
    expect(shown.json.name).toBe('a "quoted" \\ name\n');
    const list = await call(emu, 'oms', token, '/tasks?offset=0&limit=100');
    expect(list.json.count).toBe(emu.tasks('oms-migration-tasks').length);
    expect(list.text).toMatch(/"id":\d{16,}/);
  });

  it('stops a running task (2 → 7 → 3) and refuses to stop one that is not running', async () => {
    const task = emu.addTask({ service: 'oms-migration-tasks', state: 2 });
    const stop = await call(emu, 'oms', token, `/tasks/${task.id}/stop`, { method: 'POST' });
    expect(stop.status).toBe(200);
    expect((await call(emu, 'oms', token, `/tasks/${task.id}`)).json.status).toBe(7);
    const refused = await call(emu, 'oms', token, `/tasks/${task.id}`, { method: 'DELETE' });
    expect(refused.json).toEqual({ error_code: 'OMS.0063', error_msg: expect.any(String) });
    await new Promise((r) => setTimeout(r, 250));
    expect((await call(emu, 'oms', token, `/tasks/${task.id}`)).json.status).toBe(3);
    expect(
      (await call(emu, 'oms', token, `/tasks/${task.id}/stop`, { method: 'POST' })).json.error_code,
    ).toBe('OMS.0066');
    const del = await call(emu, 'oms', token, `/tasks/${task.id}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.text).toBe('');
    expect((await call(emu, 'oms', token, `/tasks/${task.id}`, { method: 'DELETE' })).json.error_code).toBe(
      'OMS.1009',
    );
  });

  it.each([0, 1, 2, 6, 7])('refuses to delete a task in status %i with OMS.0063', async (status) => {
    const task = emu.addTask({ service: 'oms-migration-tasks', state: status });
    const res = await call(emu, 'oms', token, `/tasks/${task.id}`, { method: 'DELETE' });
    expect(res.status).toBe(400);
    expect(res.json.error_code).toBe('OMS.0063');
  });
});

describe('DIS', () => {
  it('lists a stream dump tasks, shows and deletes one by name (204), with DIS error shapes', async () => {
    const task = emu.addTask({
      service: 'dis-dump-tasks',
      parentId: 'odd/stream %?#',
      id: 'odd task/名',
      state: 'RUNNING',
    });
    const stream = encodePathSegment('odd/stream %?#');
    const name = encodePathSegment('odd task/名');
    const list = await call(emu, 'dis', token, `/streams/${stream}/transfer-tasks`);
    expect(list.status).toBe(200);
    expect(list.json).toMatchObject({ total_number: 1, quota: 5 });
    expect(list.json.tasks[0]).toMatchObject({
      task_name: task.id,
      state: 'RUNNING',
      create_time: expect.any(Number),
      task_id: expect.any(String),
    });
    expect(
      (await call(emu, 'dis', token, `/streams/${stream}/transfer-tasks/${name}`)).json.stream_name,
    ).toBe('odd/stream %?#');
    const del = await call(emu, 'dis', token, `/streams/${stream}/transfer-tasks/${name}`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(204);
    const again = await call(emu, 'dis', token, `/streams/${stream}/transfer-tasks/${name}`, {
      method: 'DELETE',
    });
    expect(again.json).toEqual({ errorCode: 'DIS.4354', message: 'The transfer task does not exist.' });
    expect((await call(emu, 'dis', token, '/streams/nope/transfer-tasks')).json.errorCode).toBe('DIS.4301');
    const log = emu.requestLog().filter((e) => e.operation === 'DeleteTransferTask');
    expect(log[0]?.rawPath).toBe(`/v2/${emu.account.projectId}/streams/${stream}/transfer-tasks/${name}`);
  });

  it('keeps at most 5 dump tasks per generated stream', () => {
    const perStream = new Map<string, number>();
    for (const t of emu.tasks('dis-dump-tasks'))
      perStream.set(t.parentId ?? '', (perStream.get(t.parentId ?? '') ?? 0) + 1);
    expect(Math.max(...perStream.values())).toBeLessThanOrEqual(5);
  });
});

describe('routing', () => {
  it('answers 404 APIG.0101 for unknown paths, with X-Request-Id', async () => {
    const res = await call(emu, 'dcs', token, '/nothing-here');
    expect(res.status).toBe(404);
    expect(res.json.error_code).toBe('APIG.0101');
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('reuses keep-alive connections', async () => {
    const before = emu.connectionCount('oms');
    for (let i = 0; i < 5; i++) await call(emu, 'oms', token, '/tasks?limit=1');
    expect(emu.connectionCount('oms') - before).toBeLessThanOrEqual(1);
  });
});
