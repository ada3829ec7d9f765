/**
 * The facts the emulator gives tests about each task API (`TASK_APIS`) hold for the emulator itself, over raw
 * HTTP: its hosts and operations address a task, its ended and running states behave as documented on its
 * delete, and `addTask({ ageMs })` writes time fields that tell that age.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import { EMULATOR_OPERATIONS, type Emulator, TASK_APIS, type TaskApiId } from '../../emulator/types';
import { SERVICE_IDS } from '../../lib/types';
import { taskPath, wireEndedAtMs } from '../support/task-apis';
import { call, getToken } from './helpers';

const NOW_MS = Date.UTC(2026, 5, 1);
const DAY_MS = 86_400_000;
const APIS = Object.keys(TASK_APIS) as TaskApiId[];

let emu: Emulator;
let token: string;
beforeAll(async () => {
  emu = await startEmulator({ seed: 4, tasks: 0, nowMs: () => NOW_MS });
  token = await getToken(emu);
});
afterAll(async () => {
  await emu?.close();
});

const send = (service: TaskApiId, method: 'GET' | 'DELETE', path: string) =>
  call(emu, TASK_APIS[service].host, token, path, { method });

describe('TASK_APIS', () => {
  it('names the task APIs task-janitor knows, each on a host the emulator serves, with its own operations', () => {
    expect([...APIS].sort()).toEqual([...SERVICE_IDS].sort());
    for (const api of APIS) {
      const { host, delete: del, read, states } = TASK_APIS[api];
      const operations: readonly string[] = EMULATOR_OPERATIONS[host];
      expect(operations).toContain(del.operation);
      if (read) expect(operations).toContain(read.operation);
      expect(states.running).toContain(states.resumed);
      const all = [...states.ended, ...states.running, ...states.other];
      expect(new Set(all).size, api).toBe(all.length);
    }
  });

  it.each(APIS)('%s: addTask({ ageMs }) writes times that tell the end, and null writes none', (api) => {
    const [ended] = TASK_APIS[api].states.ended;
    const aged = emu.addTask({ service: api, state: ended, ageMs: 40 * DAY_MS });
    expect(wireEndedAtMs(aged)).toBe(NOW_MS - 40 * DAY_MS);
    const listed = emu.tasks(api).find((t) => t.id === aged.id && t.parentId === aged.parentId);
    expect(listed && wireEndedAtMs(listed)).toBe(NOW_MS - 40 * DAY_MS);
    expect(wireEndedAtMs(emu.addTask({ service: api, state: ended, ageMs: null }))).toBeUndefined();
  });

  it.each(APIS)('%s: the read and delete paths address the task; an ended task is deleted', async (api) => {
    const { read, delete: del, states } = TASK_APIS[api];
    const task = emu.addTask({ service: api, state: states.ended[0], ageMs: DAY_MS });
    if (read) expect((await send(api, 'GET', taskPath(read, task, emu.account.projectId))).status).toBe(200);
    const answer = await send(api, 'DELETE', taskPath(del, task, emu.account.projectId));
    expect(answer.status).toBeLessThan(300);
    expect(emu.deletions().at(-1)).toMatchObject({ service: api, id: task.id });
  });

  it.each(APIS)('%s: a running task is refused, unless the API deletes running tasks', async (api) => {
    const { delete: del, states, deletesRunningTasks, sourceServerStates } = TASK_APIS[api];
    const task = emu.addTask({ service: api, state: states.resumed, ageMs: DAY_MS });
    const answer = await send(api, 'DELETE', taskPath(del, task, emu.account.projectId));
    const still = emu.tasks(api).some((t) => t.id === task.id && t.parentId === task.parentId);
    expect(answer.status >= 400, api).toBe(!deletesRunningTasks);
    expect(still).toBe(!deletesRunningTasks);
    if (!sourceServerStates) return;
    // SMS refuses only while the agent is connected and the source server works.
    const busy = emu.addTask({
      service: api,
      sourceServer: { state: sourceServerStates.running[0], connected: true },
    });
    expect((await send(api, 'DELETE', taskPath(del, busy, emu.account.projectId))).status).toBe(400);
  });

  it('DIS: a dump task added without a stream goes to the first stream with room', () => {
    const fresh = Array.from({ length: 7 }, () => emu.addTask({ service: 'dis-dump-tasks' }));
    const perStream = new Map<string, number>();
    for (const task of emu.tasks('dis-dump-tasks'))
      perStream.set(task.parentId ?? '', (perStream.get(task.parentId ?? '') ?? 0) + 1);
    expect(Math.max(...perStream.values())).toBeLessThanOrEqual(5);
    expect(new Set(fresh.map((t) => t.parentId)).size).toBeGreaterThan(1);
  });
});
