/**
 * The emulator of several regions and projects, over real loopback HTTP: each region's own hosts, each project's
 * own tasks, IAM's project list and project-scoped tokens, the gateway's refusal of another region's project,
 * faults per region, and the account of one project unchanged when `regions` is not given.
 */
import { AKSKSigner } from '@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCOUNT } from '../../emulator/account';
import { EmulatorOptionsError } from '../../emulator/errors';
import { startEmulator } from '../../emulator/index';
import type { Emulator, EmulatorOptions, EmulatorProject } from '../../emulator/types';
import { requestPasswordToken } from '../support/iam-token';

const REGIONS = ['cn-north-4', 'ap-southeast-3', 'cn-east-3'] as const;
const NOW_MS = Date.UTC(2025, 0, 1);
const OPTIONS: EmulatorOptions = {
  seed: 9,
  tasks: 30,
  regions: [
    { id: 'cn-north-4', projects: [{ name: 'cn-north-4' }, { name: 'cn-north-4_dev', tasks: 5 }] },
    { id: 'ap-southeast-3', projects: [{ name: 'ap-southeast-3', id: 'a0000000000000000000000000000003' }] },
    { id: 'cn-east-3', projects: [{ name: 'cn-east-3' }, { name: 'cn-east-3_off', enabled: false }] },
  ],
};

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator(OPTIONS);
});
afterAll(async () => {
  await emu.close();
});

const project = (name: string): EmulatorProject => {
  const found = emu.projects.find((p) => p.name === name);
  if (!found) throw new Error(`no project ${name}`);
  return found;
};

async function tokenFor(scope: { id: string } | { name: string }, region = 'cn-north-4'): Promise<string> {
  const response = await requestPasswordToken(emu.regionUrls(region).iam, emu.account, scope);
  expect(response.status).toBe(201);
  return response.headers.get('x-subject-token') ?? '';
}

async function get(
  url: string,
  headers: Record<string, string>,
  // biome-ignore lint/suspicious/noExplicitAny: test payloads are inspected structurally
): Promise<{ status: number; json: any }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
}

function signed(url: string, projectId: string | undefined): Promise<Response> {
  const headers: Record<string, string> = projectId === undefined ? {} : { 'X-Project-Id': projectId };
  const credentials = new BasicCredentials().withAk(emu.account.accessKey).withSk(emu.account.secretKey);
  const parsed = new URL(url);
  const sent = AKSKSigner.sign(
    { endpoint: `${parsed.origin}${parsed.pathname}`, method: 'GET', headers, queryParams: {} },
    credentials,
  ) as Record<string, string>;
  const { host: _host, ...wire } = sent;
  return fetch(url, { headers: wire });
}

describe('regions and projects', () => {
  it('gives each region its own listener per host, SMS one host for the account, and the endpoint variables of each', () => {
    const urls = REGIONS.map((region) => emu.regionUrls(region));
    for (const host of ['iam', 'dcs', 'modelarts', 'oms', 'dis'] as const) {
      expect(new Set(urls.map((u) => u[host])).size).toBe(REGIONS.length);
    }
    expect(new Set(urls.map((u) => u.sms)).size).toBe(1);
    expect(emu.urls).toEqual(urls[0]);
    const env = emu.endpointEnv();
    expect(env.TASK_JANITOR_ENDPOINT_DCS).toBe(urls[0]?.dcs);
    expect(env.TASK_JANITOR_ENDPOINT_DCS_AP_SOUTHEAST_3).toBe(urls[1]?.dcs);
    expect(env.TASK_JANITOR_ENDPOINT_IAM_CN_EAST_3).toBe(urls[2]?.iam);
    expect(env.TASK_JANITOR_ENDPOINT_SMS_CN_EAST_3).toBe(urls[0]?.sms);
    expect(env.TASK_JANITOR_REGION).toBe('cn-north-4');
    expect(env.TASK_JANITOR_PROJECT_ID).toBe(project('cn-north-4').id);
    expect(emu.account).toMatchObject({ region: 'cn-north-4', projectName: 'cn-north-4' });
    expect(emu.projects.map((p) => [p.region, p.name, p.enabled])).toEqual([
      ['cn-north-4', 'cn-north-4', true],
      ['cn-north-4', 'cn-north-4_dev', true],
      ['ap-southeast-3', 'ap-southeast-3', true],
      ['cn-east-3', 'cn-east-3', true],
      ['cn-east-3', 'cn-east-3_off', false],
    ]);
    expect(project('ap-southeast-3').id).toBe('a0000000000000000000000000000003');
    expect(project('cn-north-4').id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('IAM in every region lists every project of the account (and MOS), by name and page by page', async () => {
    const token = await tokenFor({ name: 'ap-southeast-3' }, 'cn-east-3');
    for (const region of REGIONS) {
      const all = await get(`${emu.regionUrls(region).iam}/v3/projects`, { 'X-Auth-Token': token });
      expect(all.status).toBe(200);
      expect(all.json.projects.map((p: { name: string; enabled: boolean }) => [p.name, p.enabled])).toEqual([
        ['cn-north-4', true],
        ['cn-north-4_dev', true],
        ['ap-southeast-3', true],
        ['cn-east-3', true],
        ['cn-east-3_off', false],
        ['MOS', true],
      ]);
    }
    const iam = emu.urls.iam;
    const named = await get(`${iam}/v3/projects?name=cn-north-4_dev`, { 'X-Auth-Token': token });
    expect(named.json.projects.map((p: { id: string }) => p.id)).toEqual([project('cn-north-4_dev').id]);
    const pages = await Promise.all(
      [1, 2, 3, 4].map((page) =>
        get(`${iam}/v3/projects?page=${page}&per_page=2`, { 'X-Auth-Token': token }),
      ),
    );
    expect(pages.map((p) => p.json.projects.length)).toEqual([2, 2, 2, 0]);
    expect(pages[0]?.json.links.next).toBe('/v3/projects?page=2&per_page=2');
    expect(pages[2]?.json.links.next).toBeNull();
    for (const bad of [
      'page=1&per_page=0',
      'page=1&per_page=5001',
      'page=0&per_page=2',
      'page=x&per_page=2',
      'page=2',
      'per_page=2',
    ]) {
      expect((await get(`${iam}/v3/projects?${bad}`, { 'X-Auth-Token': token })).status).toBe(400);
    }
  });

  it('mints a token for any enabled project, by id or name, from any region; never for a disabled one', async () => {
    const byId = await requestPasswordToken(emu.regionUrls('cn-east-3').iam, emu.account, {
      id: project('cn-north-4_dev').id,
    });
    expect(byId.status).toBe(201);
    expect(((await byId.json()) as { token: { project: unknown } }).token.project).toMatchObject({
      id: project('cn-north-4_dev').id,
      name: 'cn-north-4_dev',
    });
    const off = await requestPasswordToken(emu.urls.iam, emu.account, { name: 'cn-east-3_off' });
    expect(off.status).toBe(401);
    const none = await requestPasswordToken(emu.urls.iam, emu.account, { name: 'cn-north-4_nope' });
    expect(none.status).toBe(401);
  });

  it("refuses a token of one project on another's path, and any project on a region that does not hold it", async () => {
    const dev = project('cn-north-4_dev');
    const home = project('cn-north-4');
    const ap = project('ap-southeast-3');
    const devToken = await tokenFor({ id: dev.id });
    const ok = await get(`${emu.urls.oms}/v2/${dev.id}/tasks`, { 'X-Auth-Token': devToken });
    expect(ok.status).toBe(200);
    const otherProject = await get(`${emu.urls.dcs}/v2/${home.id}/tasks`, { 'X-Auth-Token': devToken });
    expect([otherProject.status, otherProject.json.error_code]).toEqual([401, 'DCS.1004']);
    const apToken = await tokenFor({ id: ap.id }, 'ap-southeast-3');
    const wrongRegion = await get(`${emu.urls.oms}/v2/${ap.id}/tasks`, { 'X-Auth-Token': apToken });
    expect([wrongRegion.status, wrongRegion.json.error_code]).toEqual([403, 'APIG.0302']);
    const rightRegion = await get(`${emu.regionUrls('ap-southeast-3').oms}/v2/${ap.id}/tasks`, {
      'X-Auth-Token': apToken,
    });
    expect(rightRegion.status).toBe(200);
    const off = project('cn-east-3_off');
    const disabled = await signed(`${emu.regionUrls('cn-east-3').dcs}/v2/${off.id}/tasks`, off.id);
    expect(disabled.status).toBe(403);
  });

  it("AK/SK: X-Project-Id must be the path's project, one of the account's; another region's is refused", async () => {
    const dev = project('cn-north-4_dev');
    const home = project('cn-north-4');
    const ap = project('ap-southeast-3');
    expect((await signed(`${emu.urls.oms}/v2/${dev.id}/tasks`, dev.id)).status).toBe(200);
    expect((await signed(`${emu.urls.oms}/v2/${dev.id}/tasks`, home.id)).status).toBe(401);
    expect((await signed(`${emu.urls.oms}/v2/${dev.id}/tasks`, 'f'.repeat(32))).status).toBe(401);
    expect((await signed(`${emu.urls.oms}/v2/${ap.id}/tasks`, ap.id)).status).toBe(403);
    const sms = await signed(`${emu.urls.sms}/v3/tasks`, ap.id);
    expect(sms.status).toBe(200);
  });

  it('keeps each project its own tasks; a delete in one touches no other, and every record names its place', async () => {
    const dev = project('cn-north-4_dev');
    const home = project('cn-north-4');
    expect(emu.tasks('oms-migration-tasks', 'cn-north-4_dev')).toHaveLength(Math.round(5 * 0.3));
    expect(emu.tasks('oms-migration-tasks')).toHaveLength(Math.round(30 * 0.3));
    expect(emu.tasks('oms-migration-tasks', 'cn-east-3')).toHaveLength(Math.round(30 * 0.3));
    // SMS is the account's, seeded once.
    expect(emu.tasks('sms-migration-tasks', 'cn-east-3')).toEqual(emu.tasks('sms-migration-tasks'));
    const added = emu.addTask({
      service: 'modelarts-processor-tasks',
      project: dev.id,
      ageMs: 90 * 86_400_000,
    });
    expect(added).toMatchObject({ region: 'cn-north-4', projectId: dev.id });
    const before = emu.tasks('modelarts-processor-tasks', home.id);
    expect(before.map((t) => t.id)).not.toContain(added.id);
    emu.clearRequestLog();
    const token = await tokenFor({ id: dev.id });
    const url = `${emu.urls.modelarts}/v2/${dev.id}/processor-tasks/${added.id}`;
    expect((await fetch(url, { method: 'DELETE', headers: { 'X-Auth-Token': token } })).status).toBe(200);
    expect(emu.tasks('modelarts-processor-tasks', dev.id).map((t) => t.id)).not.toContain(added.id);
    expect(emu.tasks('modelarts-processor-tasks', home.id)).toEqual(before);
    expect(emu.deletions().at(-1)).toMatchObject({ id: added.id, region: 'cn-north-4', projectId: dev.id });
    const entry = emu.requestLog().find((e) => e.operation === 'DeleteProcessorTask');
    expect(entry).toMatchObject({ region: 'cn-north-4', projectId: dev.id, status: 200 });
    expect(() => emu.tasks('oms-migration-tasks', 'nowhere')).toThrow(RangeError);
  });

  it("SMS: one host for the account; the request log names the credentials' project and no region", async () => {
    emu.clearRequestLog();
    const token = await tokenFor({ name: 'cn-east-3' }, 'cn-east-3');
    const list = await get(`${emu.regionUrls('cn-east-3').sms}/v3/tasks?limit=200`, {
      'X-Auth-Token': token,
    });
    expect(list.status).toBe(200);
    expect(list.json.count).toBe(emu.tasks('sms-migration-tasks').length);
    const entry = emu.requestLog().find((e) => e.service === 'sms');
    expect(entry?.projectId).toBe(project('cn-east-3').id);
    expect(entry?.region).toBeUndefined();
  });
});

describe('a project the credentials have no permission in', () => {
  it('is listed by IAM, but gets no token and no request of its is served, on its host or SMS', async () => {
    const local = await startEmulator({
      tasks: 10,
      regions: [
        {
          id: 'cn-north-4',
          projects: [{ name: 'cn-north-4' }, { name: 'cn-north-4_ro', accessDenied: true }],
        },
      ],
    });
    try {
      const [home, denied] = local.projects;
      if (!home || !denied) throw new Error('two projects expected');
      expect(denied.accessDenied).toBe(true);
      const token = await requestPasswordToken(local.urls.iam, local.account, { id: home.id });
      const listed = await fetch(`${local.urls.iam}/v3/projects`, {
        headers: { 'X-Auth-Token': token.headers.get('x-subject-token') ?? '' },
      });
      const names = ((await listed.json()) as { projects: { name: string }[] }).projects.map((p) => p.name);
      expect(names).toContain('cn-north-4_ro');
      expect((await requestPasswordToken(local.urls.iam, local.account, { id: denied.id })).status).toBe(401);
      const credentials = new BasicCredentials()
        .withAk(local.account.accessKey)
        .withSk(local.account.secretKey);
      for (const url of [`${local.urls.oms}/v2/${denied.id}/tasks`, `${local.urls.sms}/v3/tasks`]) {
        const parsed = new URL(url);
        const sent = AKSKSigner.sign(
          {
            endpoint: `${parsed.origin}${parsed.pathname}`,
            method: 'GET',
            headers: { 'X-Project-Id': denied.id },
            queryParams: {},
          },
          credentials,
        ) as Record<string, string>;
        const { host: _host, ...wire } = sent;
        const response = await fetch(url, { headers: wire });
        expect([response.status, ((await response.json()) as { error_code: string }).error_code]).toEqual([
          403,
          'APIG.0302',
        ]);
      }
    } finally {
      await local.close();
    }
  });
});

describe('faults per region', () => {
  it("an outage of one region answers 503 there only; a region-less rate limit counts in each region's host", async () => {
    const local = await startEmulator({
      tasks: 10,
      regions: [{ id: 'cn-north-4' }, { id: 'ap-southeast-3' }],
      faults: [{ service: 'oms', rateLimitPerSecond: 0.5 }],
    });
    try {
      local.setFaults({ service: '*', region: 'ap-southeast-3' }, { outage: true });
      const [north, south] = local.projects;
      const get = async (region: string, id: string | undefined) => {
        const response = await requestPasswordToken(local.regionUrls('cn-north-4').iam, local.account, {
          id: id ?? '',
        });
        const token = response.headers.get('x-subject-token') ?? '';
        return (
          await fetch(`${local.regionUrls(region).oms}/v2/${id}/tasks`, {
            headers: { 'X-Auth-Token': token },
          })
        ).status;
      };
      expect(await get('ap-southeast-3', south?.id)).toBe(503);
      expect(await get('cn-north-4', north?.id)).toBe(200);
      expect(await get('cn-north-4', north?.id)).toBe(429);
      local.setFaults({ service: '*', region: 'ap-southeast-3' }, {});
      // Its own bucket: the north host's spent token does not count here.
      expect(await get('ap-southeast-3', south?.id)).toBe(200);
      expect(local.requestLog().map((e) => [e.region, e.service, e.status])).toContainEqual([
        'ap-southeast-3',
        'oms',
        503,
      ]);
      expect(() => local.setFaults({ service: 'dcs', region: 'eu-de' }, { outage: true })).toThrow(
        EmulatorOptionsError,
      );
    } finally {
      await local.close();
    }
  });
});

describe('options', () => {
  it('without regions: one region and project, the fixed id, no regional variables', async () => {
    const one = await startEmulator({ seed: 9, tasks: 30, nowMs: () => NOW_MS });
    const many = await startEmulator({ ...OPTIONS, nowMs: () => NOW_MS });
    try {
      expect(one.projects).toEqual([
        {
          id: ACCOUNT.projectId,
          name: 'cn-north-4',
          region: 'cn-north-4',
          enabled: true,
          accessDenied: false,
        },
      ]);
      expect(Object.keys(one.endpointEnv()).filter((k) => k.endsWith('_CN_NORTH_4'))).toEqual([]);
      // The first project of an account of many draws the same tasks as the account of one.
      const strip = (tasks: ReturnType<Emulator['tasks']>) =>
        tasks.map(({ region: _r, projectId: _p, ...rest }) => rest);
      for (const api of [
        'dcs-center-tasks',
        'oms-migration-tasks',
        'dis-dump-tasks',
        'sms-migration-tasks',
      ] as const) {
        expect(strip(many.tasks(api))).toEqual(strip(one.tasks(api)));
      }
    } finally {
      await one.close();
      await many.close();
    }
  });

  it('the same options give the same projects and tasks', async () => {
    const fixed = { ...OPTIONS, nowMs: () => NOW_MS };
    const again = await startEmulator(fixed);
    try {
      expect(again.projects).toEqual(emu.projects);
      expect(again.tasks('dcs-center-tasks', 'cn-east-3')).toEqual(
        await startEmulator(fixed).then(async (third) => {
          const tasks = third.tasks('dcs-center-tasks', 'cn-east-3');
          await third.close();
          return tasks;
        }),
      );
      expect(again.tasks('dcs-center-tasks', 'cn-east-3')).not.toEqual(again.tasks('dcs-center-tasks'));
    } finally {
      await again.close();
    }
  });

  it('refuses bad regions and projects with its own error, naming every field', async () => {
    const error: unknown = await startEmulator({
      regions: [
        { id: 'North' },
        {
          id: 'cn-north-4',
          projects: [{ name: 'ap-southeast-3_x' }, { name: 'cn-north-4_a' }, { name: 'cn-north-4_a' }],
        },
      ],
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmulatorOptionsError);
    const problems = error instanceof EmulatorOptionsError ? error.problems : [];
    expect(problems).toEqual([expect.stringMatching(/^regions\.0\.id: /)]);
    const second: unknown = await startEmulator({
      regions: [
        {
          id: 'cn-north-4',
          projects: [{ name: 'ap-southeast-3_x' }, { name: 'cn-north-4_a' }, { name: 'cn-north-4_a' }],
        },
      ],
      faults: [{ service: 'dcs', region: 'eu-de', outage: true }],
    }).catch((e: unknown) => e);
    const more = second instanceof EmulatorOptionsError ? second.problems : [];
    expect(more).toEqual([
      expect.stringMatching(/^regions\.0\.projects\.0\.name: /),
      expect.stringMatching(/project name "cn-north-4_a" given twice/),
      // Named alike, they get the same derived id.
      expect.stringMatching(/project id "[0-9a-f]{32}" given twice/),
      expect.stringMatching(/^faults\.0\.region: "eu-de" is not one of the regions/),
    ]);
  });
});
