import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../emulator/index';
import type { Emulator } from '../emulator/types';
import { loadConfig } from '../lib/config';
import { describeUnknownRegion, isKnownRegion, REGIONS, regionEndpoint } from '../lib/regions';
import { runCli } from './cli/run-cli';
import { parseLogText } from './support/log-capture';

describe('the region table', () => {
  it.each([
    ['huaweicloud', 'cn-north-4', true],
    ['huaweicloud', 'ap-southeast-3', true],
    ['huaweicloud', 'eu-west-101', true],
    ['huaweicloud', 'eu-de', false],
    ['otc', 'eu-de', true],
    ['otc', 'eu-nl', true],
    ['otc', 'eu-ch2', true],
    ['otc', 'cn-north-4', false],
  ] as const)('%s knows %s: %s', (cloud, region, known) => {
    expect(isKnownRegion(cloud, region)).toBe(known);
  });

  it('lists every region once, each a region id', () => {
    for (const { regions } of Object.values(REGIONS)) {
      const ids = regions.map((r) => r.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of ids) expect(id).toMatch(/^[a-z]{2,}(?:-[a-z0-9]+)+$/);
    }
  });

  it.each([
    ['huaweicloud', 'cn-north-4', 'dcs', 'https://dcs.cn-north-4.myhuaweicloud.com'],
    ['huaweicloud', 'eu-west-101', 'iam', 'https://iam.eu-west-101.myhuaweicloud.eu'],
    ['huaweicloud', 'eu-west-101', 'dcs', 'https://dcs.eu-west-101.myhuaweicloud.com'],
    ['huaweicloud', 'xx-new-1', 'oms', 'https://oms.xx-new-1.myhuaweicloud.com'],
    ['otc', 'eu-de', 'modelarts', 'https://modelarts.eu-de.otc.t-systems.com'],
    ['otc', 'eu-ch2', 'iam', 'https://iam-pub.eu-ch2.sc.otc.t-systems.com'],
    ['otc', 'eu-ch2', 'dis', 'https://dis.eu-ch2.sc.otc.t-systems.com'],
  ] as const)('%s %s: the %s endpoint is %s', (cloud, region, service, url) => {
    expect(regionEndpoint(cloud, region, service)).toBe(url);
  });

  it('gives the default endpoints of a run (TASK_JANITOR_ENDPOINT_* unset)', () => {
    const config = loadConfig({
      TASK_JANITOR_CLOUD: 'otc',
      TASK_JANITOR_REGION: 'eu-ch2',
      TASK_JANITOR_AUTH_TOKEN: 'token',
    });

    // OTC offers no SMS (a policy naming it is refused): no default of its is checked here.
    const { sms: _none, ...regional } = config.endpoints;
    expect(regional).toEqual({
      iam: 'https://iam-pub.eu-ch2.sc.otc.t-systems.com',
      dcs: 'https://dcs.eu-ch2.sc.otc.t-systems.com',
      modelarts: 'https://modelarts.eu-ch2.sc.otc.t-systems.com',
      oms: 'https://oms.eu-ch2.sc.otc.t-systems.com',
      dis: 'https://dis.eu-ch2.sc.otc.t-systems.com',
    });
  });

  it.each([
    [
      'huaweicloud',
      'eu-de',
      'TASK_JANITOR_REGION "eu-de" is not a documented Huawei Cloud region (it is a region of Open Telekom Cloud: set TASK_JANITOR_CLOUD=otc); going on with endpoints like https://iam.eu-de.myhuaweicloud.com',
    ],
    [
      'otc',
      'cn-north-4',
      'TASK_JANITOR_REGION "cn-north-4" is not a documented Open Telekom Cloud region (it is a region of Huawei Cloud: set TASK_JANITOR_CLOUD=huaweicloud); going on with endpoints like https://iam.cn-north-4.otc.t-systems.com',
    ],
    [
      'otc',
      'eu-fr9',
      'TASK_JANITOR_REGION "eu-fr9" is not a documented Open Telekom Cloud region (known regions: eu-de, eu-nl, eu-ch2); going on with endpoints like https://iam.eu-fr9.otc.t-systems.com',
    ],
    ['huaweicloud', 'cn-north-4', undefined],
    ['otc', 'eu-nl', undefined],
  ] as const)('%s %s warns: %s', (cloud, region, warning) => {
    expect(describeUnknownRegion(cloud, region)).toBe(warning);
  });
});

describe('a run in a region its cloud does not document', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ seed: 3, tasksPerService: { 'oms-migration-tasks': 40 } });
  });
  afterAll(async () => {
    await emulator.close();
  });

  function env(extra: Record<string, string>): Record<string, string> {
    const { OS_USERNAME: _u, OS_PASSWORD: _p, OS_DOMAIN_NAME: _d, ...endpoints } = emulator.endpointEnv();
    return {
      ...endpoints,
      HUAWEICLOUD_SDK_AK: emulator.account.accessKey,
      HUAWEICLOUD_SDK_SK: emulator.account.secretKey,
      TASK_JANITOR_POLICY: 'version: 1\nservices: { oms-migration-tasks: { olderThan: 30d } }',
      ...extra,
    };
  }

  it('warns on the CLI stderr and in a warn log line at the start, and runs', async () => {
    const result = await runCli(['purge', '--json'], env({ TASK_JANITOR_REGION: 'eu-de' }));

    expect(result.code, result.stderr).toBe(0);
    const message =
      'TASK_JANITOR_REGION "eu-de" is not a documented Huawei Cloud region (it is a region of Open Telekom Cloud: set TASK_JANITOR_CLOUD=otc)';
    expect(result.stderr.split('\n')[0]).toContain(`task-janitor: warning: ${message}`);
    const logLines = parseLogText(result.stderr);
    expect(logLines[0]).toMatchObject({ level: 'warn', cloud: 'huaweicloud', region: 'eu-de' });
    expect(String(logLines[0]?.msg)).toContain(message);
    expect(JSON.parse(result.stdout)).toMatchObject({ target: { region: 'eu-de' } });
  });

  it('says nothing about a documented region', async () => {
    const result = await runCli(['purge', '--json'], env({}));

    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/not a documented|warning/);
  });
});
