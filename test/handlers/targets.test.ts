/**
 * The Lambda handler over many projects and regions (AK/SK credentials: one signature, `X-Project-Id` per
 * target), against the emulator serving three regions of two projects each: a scheduled run deletes exactly
 * what a dry run plans in each target; a region that answers only 503 is reported failed while the others
 * delete exactly their selection; `{"enumerate": true}` lists nothing; `{"target": …}` purges that one only; a
 * scheduled event of either platform (EventBridge, FunctionGraph TIMER) carrying both `target` and `targets` is
 * refused before any request.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator, EmulatorOptions } from '../../emulator/types';
import { createHandler, type LambdaContextLike } from '../../handlers/aws/purge';
import {
  createHandler as createFunctionGraphHandler,
  type FunctionGraphContextLike,
} from '../../handlers/functiongraph/index';
import { createDefaultDeps, nodeFetchLike } from '../../lib/default-deps';
import type { FetchLike } from '../../lib/deps';
import { isLoopbackHost } from '../../lib/endpoints';
import type { BuildDeps } from '../../lib/invocation';
import {
  accountOptions,
  firstByRegionAndName,
  keysOfDeletions,
  policyOver,
  REGIONS,
  removeBorderlineTasks,
  SERVICES,
  sectionOf,
  selectedIn,
  selectedKeys,
} from '../e2e/targets-fixture';
import { buildDepsInto } from '../support/deps';
import { reportOf } from '../support/function-result';
import { captureLog } from '../support/log-capture';
import { EVENTBRIDGE_SCHEDULED_EVENT, FUNCTIONGRAPH_TIMER_EXAMPLE } from '../support/platform-events';

const SCHEDULED_EVENT = Object.freeze({
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2025-01-01T03:00:00Z',
  region: 'eu-central-1',
  resources: ['arn:aws:events:eu-central-1:123456789012:rule/task-janitor-dev-purge'],
  detail: {},
});

const context: LambdaContextLike = Object.freeze({
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  functionName: 'task-janitor-dev-purge',
  getRemainingTimeInMillis: () => 900_000,
});

let emulator: Emulator;
const quiet: BuildDeps = (options) =>
  createDefaultDeps({ ...options, destination: { write: () => undefined } });

async function startAccount(options: EmulatorOptions = accountOptions()): Promise<void> {
  emulator = await startEmulator(options);
  removeBorderlineTasks(emulator);
  const { OS_USERNAME: _u, OS_PASSWORD: _p, OS_DOMAIN_NAME: _d, ...endpoints } = emulator.endpointEnv();
  for (const [key, value] of Object.entries(endpoints)) vi.stubEnv(key, value);
  vi.stubEnv('HUAWEICLOUD_SDK_AK', emulator.account.accessKey);
  vi.stubEnv('HUAWEICLOUD_SDK_SK', emulator.account.secretKey);
  vi.stubEnv('TASK_JANITOR_MAX_ATTEMPTS', '2');
  vi.stubEnv('TASK_JANITOR_POLICY', JSON.stringify(policyOver()));
}

beforeEach(() => {
  // The handler reads process.env: nothing of this machine's may leak into the runs.
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('TASK_JANITOR_') || key.startsWith('OS_') || key.startsWith('HUAWEICLOUD_')) {
      vi.stubEnv(key, '');
    }
  }
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await emulator?.close();
});

const project = (name: string) => {
  const found = emulator.projects.find((p) => p.name === name);
  if (!found) throw new Error(`no project ${name}`);
  return found;
};

describe('the Lambda handler over three regions of two projects', () => {
  it('a scheduled run deletes in each target exactly what a dry run planned there', async () => {
    await startAccount();
    const expected = selectedKeys(emulator);
    const perProject = new Map(emulator.projects.map((p) => [p.id, selectedIn(emulator, p.id)]));
    const handler = createHandler(quiet);

    const dry = reportOf(await handler({ dryRun: true }, context));
    expect(emulator.deletions()).toEqual([]);
    const applied = reportOf(await handler(SCHEDULED_EVENT, context));

    expect(keysOfDeletions(emulator.deletions())).toEqual(expected);
    expect(applied.targets).toHaveLength(6);
    for (const p of emulator.projects) {
      const planned = sectionOf(dry, p.id).totals.wouldDelete;
      expect(sectionOf(applied, p.id)).toMatchObject({ status: 'done', totals: { deleted: planned } });
      expect(emulator.deletions().filter((d) => d.projectId === p.id)).toHaveLength(
        perProject.get(p.id) ?? -1,
      );
    }
    // AK/SK: every request of a target named its project; none was refused.
    expect(emulator.requestLog().filter((e) => e.status === 401 || e.status === 403)).toEqual([]);
  }, 60_000);

  it('a region whose hosts all answer 503 is reported failed; the others delete exactly their selection', async () => {
    await startAccount(
      accountOptions({ faults: [{ service: '*', region: 'ap-southeast-3', outage: true }] }),
    );
    const down = emulator.projects.filter((p) => p.region === 'ap-southeast-3').map((p) => p.id);
    const up = emulator.projects.filter((p) => p.region !== 'ap-southeast-3').map((p) => p.id);
    const expected = selectedKeys(emulator, { projects: up });
    const handler = createHandler(quiet);

    const report = reportOf(await handler(SCHEDULED_EVENT, context));

    for (const id of down) {
      const section = sectionOf(report, id);
      const regional = Object.entries(section.services).filter(
        ([service]) => service !== 'sms-migration-tasks',
      );
      expect(regional.map(([, s]) => s?.error?.status)).toEqual(regional.map(() => 503));
      // Failed: nothing could be listed; partial for the target that lists SMS, whose host is the account's.
      const listsSms = section.services['sms-migration-tasks'] !== undefined;
      expect(section.status).toBe(listsSms ? 'partial' : 'failed');
    }
    for (const id of up) expect(sectionOf(report, id).status).toBe('done');
    expect(keysOfDeletions(emulator.deletions())).toEqual(expected);
    expect(emulator.deletions().some((d) => d.region === 'ap-southeast-3')).toBe(false);
  }, 60_000);

  it.each<[string, NonNullable<EmulatorOptions['faults']>, Record<string, number>]>([
    [
      'a region whose hosts are down (two targets)',
      [{ service: '*', region: 'ap-southeast-3', outage: true }],
      Object.fromEntries(SERVICES.map((s) => [s, s === 'sms-migration-tasks' ? 0 : 1])),
    ],
    [
      "the account's SMS host down (listed by one target only)",
      [{ service: 'sms', outage: true }],
      Object.fromEntries(SERVICES.map((s) => [s, s === 'sms-migration-tasks' ? 1 : 0])),
    ],
  ])(
    '%s: ListingFailed of the run counts every service that failed in a target',
    async (_label, faults, expected) => {
      await startAccount(accountOptions({ faults }));
      const log = captureLog();
      const handler = createHandler(buildDepsInto(log));

      const report = reportOf(await handler(SCHEDULED_EVENT, context));

      const failing = Object.values(expected).reduce((sum, n) => sum + n, 0);
      expect(report.totals.failedServices).toBe(failing);
      const metrics = log
        .records<{ msg?: string; Service?: string; Target?: string; ListingFailed?: number }>()
        .filter((line) => line.msg === 'purge metrics' && line.Target === undefined);
      expect(Object.fromEntries(metrics.map((line) => [line.Service, line.ListingFailed]))).toEqual({
        ...expected,
        ALL: failing,
      });
    },
    60_000,
  );

  it("TASK_JANITOR_ENDPOINT_SMS alone: the target that lists SMS, in another region, uses it (the account's one host)", async () => {
    await startAccount();
    // The emulator's SMS is one host for the account: keep only its unsuffixed variable.
    for (const region of REGIONS) {
      vi.stubEnv(`TASK_JANITOR_ENDPOINT_SMS_${region.toUpperCase().replace(/-/g, '_')}`, '');
    }
    const lister = emulator.projects.find((p) => p.id === firstByRegionAndName(emulator));
    expect(lister?.region).not.toBe(process.env.TASK_JANITOR_REGION);
    const expected = selectedKeys(emulator).filter((key) => key.startsWith('account|'));
    // Nothing may leave this machine: a request to any other host (the SMS default) fails.
    const loopbackOnly: FetchLike = (url, init) =>
      isLoopbackHost(new URL(url).hostname)
        ? nodeFetchLike(url, init)
        : Promise.reject(new Error(`not loopback: ${new URL(url).host}`));
    const handler = createHandler(buildDepsInto(captureLog(), { fetch: loopbackOnly }));

    const report = reportOf(await handler(SCHEDULED_EVENT, context));

    expect(report.services['sms-migration-tasks']?.error).toBeUndefined();
    expect(expected.length).toBeGreaterThan(0);
    expect(keysOfDeletions(emulator.deletions()).filter((key) => key.startsWith('account|'))).toEqual(
      expected,
    );
  }, 60_000);

  it('targets not started before the deadline are reported skipped, stoppedBy deadline, and nothing is sent for them', async () => {
    // Every answer takes 200 ms, one target at a time, and the run's deadline 1.5 s after its start (the
    // remaining time minus the 10 s margin): the first target is still running at the deadline.
    await startAccount(accountOptions({ faults: [{ service: '*', latencyMs: 200 }] }));
    vi.stubEnv('TASK_JANITOR_TARGET_CONCURRENCY', '1');
    const handler = createHandler(quiet);

    const report = reportOf(
      await handler(SCHEDULED_EVENT, { ...context, getRemainingTimeInMillis: () => 11_500 }),
    );

    const sections = report.targets ?? [];
    expect(sections).toHaveLength(6);
    expect(report.stoppedBy).toBe('deadline');
    expect(sections[0]?.status).not.toBe('skipped');
    const firstSkipped = sections.findIndex((t) => t.status === 'skipped');
    expect(firstSkipped).toBeGreaterThan(0);
    // In the order they start: once one is skipped, every later one is.
    const skipped = sections.slice(firstSkipped);
    expect(skipped.map((t) => [t.status, t.stoppedBy])).toEqual(skipped.map(() => ['skipped', 'deadline']));
    for (const section of skipped) {
      expect(section.totals).toMatchObject({ listed: 0, deleted: 0, failedServices: 0 });
      expect(emulator.requestLog().filter((e) => e.projectId === section.projectId)).toEqual([]);
    }
  }, 60_000);

  it('{"enumerate": true} returns the targets and lists nothing', async () => {
    await startAccount();
    const handler = createHandler(quiet);

    const result = await handler({ enumerate: true }, context);

    expect('targets' in result && !('services' in result)).toBe(true);
    const targets = 'targets' in result ? result.targets : [];
    expect([...targets].map((t) => `${t.region}/${t.projectName}`).sort()).toEqual(
      REGIONS.flatMap((r) => [`${r}/${r}`, `${r}/${r}_dev`]).sort(),
    );
    expect(
      targets.every((t) => t.cloud === 'huaweicloud' && t.projectId === project(t.projectName ?? '').id),
    ).toBe(true);
    expect(emulator.requestLog().every((e) => e.service === 'iam')).toBe(true);
    expect(emulator.requestLog().map((e) => e.operation)).toContain('ListProjects');
    expect(emulator.deletions()).toEqual([]);
  }, 60_000);

  it("one-target events list the account-wide SMS once between them: only the policy's first target lists it", async () => {
    await startAccount();
    const handler = createHandler(quiet);
    const lister = firstByRegionAndName(emulator);
    const other = emulator.projects.find((p) => p.id !== lister);
    if (other === undefined) throw new Error('the account has one project');
    const listerProject = emulator.projects.find((p) => p.id === lister);

    for (const p of [other, listerProject]) {
      if (p === undefined) continue;
      emulator.clearRequestLog();
      const report = reportOf(await handler({ target: { region: p.region, projectId: p.id } }, context));
      const listed = Object.keys(report.targets?.[0]?.services ?? {}).includes('sms-migration-tasks');
      const smsLists = emulator.requestLog().filter((e) => e.service === 'sms');
      expect([p.name, listed, smsLists.length > 0]).toEqual([p.name, p.id === lister, p.id === lister]);
    }
  }, 60_000);

  it('one-target invocations of every target (a fan-out) delete at most the cap between them: each its share', async () => {
    await startAccount();
    vi.stubEnv('TASK_JANITOR_POLICY', JSON.stringify(policyOver({ maxDeletesPerRun: 10 })));
    const handler = createHandler(quiet);
    const listed = await handler({ enumerate: true }, context);
    const targets = 'targets' in listed ? listed.targets : [];
    expect(targets).toHaveLength(6);

    // As the fan-out's Map invokes the function: one item at a time, in the order enumerate listed them.
    for (const target of targets) reportOf(await handler({ target }, context));

    expect(emulator.deletions()).toHaveLength(10);
    // 10 over 6 targets by region and project name: 2 each to the first four, 1 each to the last two; the first
    // also lists SMS (the account's), within its share.
    const sorted = [...emulator.projects].sort(
      (a, b) => a.region.localeCompare(b.region) || a.name.localeCompare(b.name),
    );
    const deletedIn = (id: string) =>
      emulator
        .deletions()
        .filter((d) => d.projectId === id || (d.projectId === undefined && id === sorted[0]?.id)).length;
    for (const p of sorted) expect(selectedIn(emulator, p.id)).toBeGreaterThanOrEqual(2);
    expect(sorted.map((p) => deletedIn(p.id))).toEqual([2, 2, 2, 2, 1, 1]);
  }, 60_000);

  it("the manual event's targets narrow the run, and the cap is the narrowed run's", async () => {
    await startAccount();
    vi.stubEnv('TASK_JANITOR_POLICY', JSON.stringify(policyOver({ maxDeletesPerRun: 10 })));
    const handler = createHandler(quiet);

    const report = reportOf(
      await handler({ targets: [{ regions: ['cn-east-3'], projects: ['*'] }] }, context),
    );

    expect(report.targets?.map((t) => [t.projectName, t.totals.deleted])).toEqual(
      expect.arrayContaining([
        ['cn-east-3', 5],
        ['cn-east-3_dev', 5],
      ]),
    );
    expect(emulator.deletions()).toHaveLength(10);
  }, 60_000);

  it('{"target": …} purges exactly that one target', async () => {
    await startAccount();
    // Without the account-wide SMS: what one target's run does with it is not this test's question.
    const services = SERVICES.filter((s) => s !== 'sms-migration-tasks');
    vi.stubEnv(
      'TASK_JANITOR_POLICY',
      JSON.stringify(
        policyOver({ services: Object.fromEntries(services.map((s) => [s, { olderThan: '30d' }])) }),
      ),
    );
    const one = project('cn-east-3_dev');
    const expected = selectedKeys(emulator, { projects: [one.id], sms: false });
    const handler = createHandler(quiet);

    const report = reportOf(
      await handler({ target: { region: 'cn-east-3', projectId: one.id }, dryRun: false }, context),
    );

    expect(report.targets?.map((t) => t.projectId)).toEqual([one.id]);
    expect(keysOfDeletions(emulator.deletions())).toEqual(expected);
    const asked = emulator.requestLog().filter((e) => e.service !== 'iam');
    expect(new Set(asked.map((e) => e.projectId))).toEqual(new Set([one.id]));
  }, 60_000);
});

describe('scheduled events of both platforms over the same account', () => {
  it.each<[string, (event: unknown) => Promise<unknown>, Record<string, unknown>]>([
    [
      'an EventBridge scheduled event',
      (event) => createHandler(quiet)(event, context),
      EVENTBRIDGE_SCHEDULED_EVENT,
    ],
    [
      'a FunctionGraph TIMER event',
      (event) =>
        createFunctionGraphHandler({ logDestination: { write: () => undefined } })(event, fgContext()),
      { ...FUNCTIONGRAPH_TIMER_EXAMPLE, user_event: '' },
    ],
  ])(
    '%s carrying both target and targets is refused before any request, naming the keys',
    async (_label, invoke, scheduled) => {
      await startAccount();
      const one = project('cn-east-3_dev');
      const event = {
        ...scheduled,
        dryRun: false,
        target: { region: 'cn-east-3', projectId: one.id },
        targets: [{ regions: [...REGIONS], projects: ['*'] }],
      };

      const run = invoke(event);

      await expect(run).rejects.toMatchObject({
        name: 'ConfigError',
        problems: ['event: targets: target and targets exclude one another: give one of them'],
      });
      expect(emulator.requestLog()).toEqual([]);
      expect(emulator.deletions()).toEqual([]);
    },
  );
});

/** FunctionGraph's context: the settings the Lambda tests stub into process.env, as user data. */
function fgContext(): FunctionGraphContextLike {
  return {
    getRequestID: () => 'fg-request-1',
    getRemainingTimeInMilliSeconds: () => 900_000,
    getUserData: (key: string) => process.env[key],
    getToken: () => '',
    getSecurityAccessKey: () => '',
    getSecuritySecretKey: () => '',
    getSecurityToken: () => '',
  };
}
