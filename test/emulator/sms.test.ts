/** The SMS module's wire behaviour, over raw HTTP: what docs/api/sms.md says, and the emulator's choices. */
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { EmulatedTask, Emulator } from '../../emulator/types';
import { EMULATOR_OPERATIONS } from '../../emulator/types';
import { type CallResult, call, getToken } from './helpers';

const SMS = 'sms-migration-tasks';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY_MS = 86_400_000;
const NOW_MS = Date.UTC(2026, 5, 1);

const TASK_STATES = [
  'READY',
  'RUNNING',
  'SYNCING',
  'ABORTING',
  'DELETING',
  'SKIPPING',
  'RESETING',
  'SYNC_F_ROLLBACKING',
  'MIGRATE_SUCCESS',
  'MIGRATE_FAIL',
  'SYNC_SUCCESS',
  'SYNC_FAIL',
  'ABORT',
  'SYNC_F_ROLLBACK_SUCCESS',
];
const SOURCE_STATES = [
  'unavailable',
  'waiting',
  'initialize',
  'replicate',
  'syncing',
  'stopping',
  'stopped',
  'skipping',
  'deleting',
  'clearing',
  'cleared',
  'clearfailed',
  'premigready',
  'premiged',
  'premigfailed',
  'cloning',
  'cutovering',
  'finished',
  'error',
];

let emu: Emulator;
let token: string;

beforeAll(async () => {
  emu = await startEmulator({ seed: 21, tasksPerService: { [SMS]: 900 }, nowMs: () => NOW_MS });
  token = await getToken(emu);
});
afterAll(async () => {
  await emu.close();
});

const sms = (path: string, init: RequestInit = {}): Promise<CallResult> =>
  call(emu, 'sms', token, path, init);

function addTask(fields: Partial<EmulatedTask> = {}): EmulatedTask {
  return emu.addTask({ service: SMS, ...fields });
}

async function listAll(limit = 200): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  for (let offset = 0; ; offset += limit) {
    const page = await sms(`/v3/tasks?offset=${offset}&limit=${limit}`);
    expect(page.status).toBe(200);
    items.push(...page.json.tasks);
    if (page.json.tasks.length < limit) return items;
  }
}

describe('SMS ListTasks', () => {
  it('is served at /v3/tasks without a project id, with a record offset, limit ≤ 200 and count', async () => {
    const first = await sms('/v3/tasks?offset=0&limit=200');
    expect(first.status).toBe(200);
    expect(first.json.count).toBe(emu.tasks(SMS).length);
    expect(first.json.tasks).toHaveLength(200);
    const second = await sms('/v3/tasks?offset=200&limit=200');
    expect(second.json.tasks[0].id).toBe(emu.tasks(SMS)[200]?.id);
    const all = await listAll();
    expect(all.map((t) => t.id)).toEqual(emu.tasks(SMS).map((t) => t.id));
    expect(new Set(all.map((t) => t.id)).size).toBe(all.length);
    expect((await sms('/v3/tasks')).json.tasks).toHaveLength(100);
  });

  it('answers limit=0 with no items and the count', async () => {
    const res = await sms('/v3/tasks?limit=0');
    expect(res.json).toEqual({ count: emu.tasks(SMS).length, tasks: [] });
  });

  it.each([
    ['limit=201', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=ten', 'limit'],
    ['offset=65536', 'offset'],
    ['offset=-5', 'offset'],
  ])('refuses %s with 400 SMS.9001 in the SMS error shape', async (query, name) => {
    const res = await sms(`/v3/tasks?${query}`);
    expect(res.status).toBe(400);
    expect(res.json).toEqual({
      error_code: 'SMS.9001',
      error_msg: expect.stringContaining(name),
      error_param: [],
      details: [],
    });
  });

  it('accepts offset 65535, the documented maximum', async () => {
    const res = await sms('/v3/tasks?offset=65535&limit=200');
    expect(res.json).toEqual({ count: emu.tasks(SMS).length, tasks: [] });
  });

  it('lists items with UUID ids, ms times, sub-tasks and both servers, but no ShowTask-only field', async () => {
    const [item] = (await sms('/v3/tasks?limit=1&state=MIGRATE_SUCCESS')).json.tasks;
    expect(item).toMatchObject({
      id: expect.stringMatching(UUID),
      name: expect.any(String),
      state: 'MIGRATE_SUCCESS',
      create_date: expect.any(Number),
      total_time: expect.any(Number),
      source_server: { id: expect.any(String), name: expect.any(String), state: expect.any(String) },
      target_server: { id: expect.any(String), name: expect.any(String) },
    });
    const subTasks = item.sub_tasks as Array<Record<string, unknown>>;
    expect(subTasks.length).toBeGreaterThan(0);
    for (const sub of subTasks) {
      expect(sub).toMatchObject({ start_date: expect.any(Number), end_date: expect.any(Number) });
      // Epoch milliseconds: after 2010, not in the future.
      expect(sub.end_date).toBeGreaterThan(Date.UTC(2010, 0, 1));
      expect(sub.end_date).toBeLessThanOrEqual(NOW_MS);
    }
    for (const field of ['connected', 'start_date', 'finish_date', 'region_id', 'project_id'])
      expect(item).not.toHaveProperty(field);
  });

  it('leaves the end date out of a sub-task that has not ended', async () => {
    const [item] = (await sms('/v3/tasks?limit=1&state=RUNNING')).json.tasks;
    const subTasks = item.sub_tasks as Array<Record<string, unknown>>;
    expect(subTasks.at(-1)).not.toHaveProperty('end_date');
    expect((await sms('/v3/tasks?limit=1&state=READY')).json.tasks[0].sub_tasks).toEqual([]);
  });

  it('filters by state, name and id', async () => {
    const failed = emu.tasks(SMS).filter((t) => t.state === 'MIGRATE_FAIL');
    const byState = await sms('/v3/tasks?state=MIGRATE_FAIL&limit=200');
    expect(byState.json.count).toBe(failed.length);
    expect(byState.json.tasks.map((t: { id: string }) => t.id)).toEqual(failed.map((t) => t.id));
    const one = emu.tasks(SMS)[3];
    const byId = await sms(`/v3/tasks?id=${one?.id}`);
    expect(byId.json.tasks.map((t: { id: string }) => t.id)).toEqual([one?.id]);
    const byName = await sms(`/v3/tasks?name=${encodeURIComponent(one?.name ?? '')}&limit=200`);
    expect(byName.json.tasks.map((t: { id: string }) => t.id)).toContain(one?.id);
  });

  it('generates every documented task and source server state, and undocumented ones', () => {
    const tasks = emu.tasks(SMS);
    const states = new Set(tasks.map((t) => t.state));
    const sources = new Set(tasks.map((t) => t.sourceServer?.state));
    for (const state of TASK_STATES) expect(states, state).toContain(state);
    for (const state of SOURCE_STATES) expect(sources, state).toContain(state);
    expect([...states].some((s) => !TASK_STATES.includes(String(s)))).toBe(true);
    expect([...sources].some((s) => s !== undefined && !SOURCE_STATES.includes(s))).toBe(true);
    expect(tasks.some((t) => t.sourceServer?.connected === false)).toBe(true);
    expect(tasks.some((t) => t.sourceServer?.connected === true)).toBe(true);
  });
});

describe('SMS ShowTask', () => {
  it('adds connected, start and finish dates, and the target region and project', async () => {
    const task = addTask({
      state: 'MIGRATE_SUCCESS',
      fields: { create_date: NOW_MS - 40 * DAY_MS },
      sourceServer: { state: 'finished', connected: false },
    });
    const res = await sms(`/v3/tasks/${task.id}`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      id: task.id,
      state: 'MIGRATE_SUCCESS',
      connected: false,
      create_date: NOW_MS - 40 * DAY_MS,
      start_date: NOW_MS - 40 * DAY_MS,
      finish_date: expect.any(Number),
      region_id: emu.account.region,
      project_id: emu.account.projectId,
      source_server: expect.objectContaining({ state: 'finished' }),
    });
  });

  it('tells the target region of a migration into another region', async () => {
    const regions = new Set<string>();
    for (const task of emu.tasks(SMS).slice(0, 120))
      regions.add((await sms(`/v3/tasks/${task.id}`)).json.region_id);
    expect(regions).toContain(emu.account.region);
    expect(regions.size).toBeGreaterThan(1);
  });

  it('answers an unknown id with 404 SMS.9999, which documents nothing', async () => {
    const res = await sms('/v3/tasks/7a9a9540-ff28-4869-b9e4-855fbe12ffff');
    expect(res.status).toBe(404);
    expect(res.json).toMatchObject({ error_code: 'SMS.9999', error_param: [], details: [] });
  });
});

describe('SMS DeleteTask', () => {
  it('deletes with 200 and a text, an empty or a JSON body, in turn', async () => {
    const answers: Array<{ type: string | null; text: string }> = [];
    for (let i = 0; i < 3; i++) {
      const task = addTask();
      const res = await sms(`/v3/tasks/${task.id}`, { method: 'DELETE' });
      expect(res.status).toBe(200);
      answers.push({ type: res.headers.get('content-type'), text: res.text });
      expect((await sms(`/v3/tasks/${task.id}`)).status).toBe(404);
      expect(emu.tasks(SMS).some((t) => t.id === task.id)).toBe(false);
    }
    expect(answers).toEqual([
      { type: expect.stringMatching(/^text\/plain/), text: 'None' },
      { type: null, text: '' },
      { type: expect.stringMatching(/^application\/json/), text: '{}' },
    ]);
  });

  it('refuses (400 SMS.2015) only while the agent is connected and the source server runs', async () => {
    const running = addTask({ state: 'RUNNING', sourceServer: { state: 'replicate', connected: true } });
    const refused = await sms(`/v3/tasks/${running.id}`, { method: 'DELETE' });
    expect(refused.status).toBe(400);
    expect(refused.json).toMatchObject({ error_code: 'SMS.2015', error_param: [], details: [] });
    expect(emu.tasks(SMS).some((t) => t.id === running.id)).toBe(true);

    // Connected, but the source server is idle: deleted, whatever the task state says.
    const idle = addTask({ state: 'SYNCING', sourceServer: { state: 'finished', connected: true } });
    expect((await sms(`/v3/tasks/${idle.id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('deletes a running task whose agent is disconnected, and records what it deleted', async () => {
    const task = addTask({
      state: 'RUNNING',
      fields: { connected: false, source_server: { state: 'replicate' } },
    });
    expect(task.sourceServer).toEqual({ state: 'replicate', connected: false });
    const res = await sms(`/v3/tasks/${task.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(emu.deletions().find((d) => d.id === task.id)).toMatchObject({
      service: SMS,
      state: 'RUNNING',
      sourceServer: { state: 'replicate', connected: false },
    });
  });

  it('answers the delete of an unknown id with 404 SMS.9999', async () => {
    const res = await sms('/v3/tasks/no-such-task', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(res.json.error_code).toBe('SMS.9999');
  });
});

describe('SMS state through the programmatic API', () => {
  it('sets the task state and the source server, each change recorded', async () => {
    const task = addTask({ state: 'MIGRATE_FAIL', sourceServer: { state: 'error', connected: false } });
    emu.setTaskState(SMS, task.id, 'RUNNING');
    emu.setSourceServer(task.id, { state: 'syncing', connected: true });
    const shown = await sms(`/v3/tasks/${task.id}`);
    expect(shown.json).toMatchObject({
      state: 'RUNNING',
      connected: true,
      source_server: { state: 'syncing' },
    });
    expect(emu.stateChanges().filter((c) => c.id === task.id)).toEqual([
      expect.objectContaining({ service: SMS, from: 'MIGRATE_FAIL', to: 'RUNNING', cause: 'api' }),
      expect.objectContaining({
        from: 'RUNNING',
        to: 'RUNNING',
        cause: 'api',
        sourceServer: {
          from: { state: 'error', connected: false },
          to: { state: 'syncing', connected: true },
        },
      }),
    ]);
    expect(() => emu.setSourceServer('no-such-task', { connected: false })).toThrow(RangeError);
  });

  it('resumes the task after an injected failed delete: running, its source server replicating', async () => {
    const task = addTask({ state: 'MIGRATE_SUCCESS', sourceServer: { state: 'finished', connected: false } });
    emu.setFaults(
      { service: 'sms', operation: 'DeleteTask' },
      { serverErrorShare: 1, resumeOnFailedDeleteShare: 1 },
    );
    try {
      const res = await sms(`/v3/tasks/${task.id}`, { method: 'DELETE' });
      expect([500, 502, 503]).toContain(res.status);
      expect(res.json).toMatchObject({ error_code: expect.stringMatching(/^(SMS\.2007|APIG\.0201)$/) });
    } finally {
      emu.clearFaults();
    }
    const now = emu.tasks(SMS).find((t) => t.id === task.id);
    expect(now).toMatchObject({ state: 'RUNNING', sourceServer: { state: 'replicate', connected: false } });
    expect(emu.stateChanges().filter((c) => c.id === task.id)).toEqual([
      expect.objectContaining({
        from: 'MIGRATE_SUCCESS',
        to: 'RUNNING',
        cause: 'fault',
        fault: 'server-error',
      }),
    ]);
    // Disconnected: the API would now delete the running task; only a re-read can tell it resumed.
    expect((await sms(`/v3/tasks/${task.id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('answers injected 403s with SMS.9004 in the SMS shape', async () => {
    emu.setFaults({ service: 'sms' }, { forbiddenShare: 1 });
    try {
      const res = await sms('/v3/tasks');
      expect(res.status).toBe(403);
      expect(res.json).toMatchObject({
        error_code: 'SMS.9004',
        encoded_authorization_message: expect.any(String),
      });
    } finally {
      emu.clearFaults();
    }
  });

  it('applies paging quirks to its listing', async () => {
    emu.setFaults({ service: 'sms', operation: 'ListTasks' }, { pagingQuirk: 'count-mismatch' });
    try {
      expect((await sms('/v3/tasks?limit=1')).json.count).toBe(emu.tasks(SMS).length + 3);
    } finally {
      emu.clearFaults();
    }
  });
});

describe('SMS authentication', () => {
  // The signer dates its requests by the wall clock: this emulator keeps the real one.
  let live: Emulator;
  beforeAll(async () => {
    live = await startEmulator({ seed: 3, tasksPerService: { [SMS]: 12 } });
  });
  afterAll(async () => {
    await live.close();
  });

  function signed(path: string, headers: Record<string, string>): Promise<Response> {
    const credentials = new BasicCredentials().withAk(live.account.accessKey).withSk(live.account.secretKey);
    const request = { endpoint: `${live.urls.sms}${path}`, method: 'GET', headers, queryParams: {} };
    const { host: _host, ...wire } = AKSKSigner.sign(request, credentials) as Record<string, string>;
    return fetch(`${live.urls.sms}${path}`, { headers: wire });
  }

  it('accepts a project-scoped token and refuses a domain-scoped one', async () => {
    const projectToken = await getToken(live);
    expect((await call(live, 'sms', projectToken, '/v3/tasks?limit=1')).status).toBe(200);
    const domainToken = await getToken(live, { domain: { name: live.account.domainName } });
    const res = await call(live, 'sms', domainToken, '/v3/tasks?limit=1');
    expect(res.status).toBe(401);
    expect(res.json.error_code).toBe('APIG.0301');
    expect((await fetch(`${live.urls.sms}/v3/tasks`)).status).toBe(401);
  });

  it('accepts AK/SK with the project in X-Project-Id, and refuses it without or with another one', async () => {
    const res = await signed('/v3/tasks', { 'X-Project-Id': live.account.projectId });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { count: number }).count).toBe(12);
    expect((await signed('/v3/tasks', {})).status).toBe(401);
    expect((await signed('/v3/tasks', { 'X-Project-Id': 'ffffffffffffffffffffffffffffffff' })).status).toBe(
      401,
    );
  });
});

describe('SMS in the emulator', () => {
  it('has its own host, endpoint variable and operations', () => {
    expect(emu.endpointEnv().TASK_JANITOR_ENDPOINT_SMS).toBe(emu.urls.sms);
    expect(new Set(Object.values(emu.urls)).size).toBe(Object.keys(emu.urls).length);
    expect(EMULATOR_OPERATIONS.sms).toEqual(['ListTasks', 'ShowTask', 'DeleteTask']);
  });

  it('generates a tenth of `tasks` for SMS without changing any other task API', async () => {
    const others = [
      'dcs-center-tasks',
      'dcs-background-tasks',
      'modelarts-processor-tasks',
      'oms-migration-tasks',
      'dis-dump-tasks',
    ] as const;
    const without = await startEmulator({
      seed: 5,
      tasks: 400,
      tasksPerService: { [SMS]: 0 },
      nowMs: () => NOW_MS,
    });
    const withSms = await startEmulator({ seed: 5, tasks: 400, nowMs: () => NOW_MS });
    try {
      expect(without.tasks(SMS)).toEqual([]);
      expect(withSms.tasks(SMS)).toHaveLength(40);
      for (const service of others) expect(withSms.tasks(service)).toEqual(without.tasks(service));
      // Tasks added afterwards draw the same ids too.
      expect(withSms.addTask({ service: 'dcs-center-tasks' }).id).toBe(
        without.addTask({ service: 'dcs-center-tasks' }).id,
      );
    } finally {
      await Promise.all([without.close(), withSms.close()]);
    }
  });
});
