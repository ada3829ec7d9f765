import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config';
import { readEndpoints } from '../lib/endpoints';
import { prepareInvocation } from '../lib/prepare';
import { problemsOf } from './support/config-error';

const AKSK = { HUAWEICLOUD_SDK_AK: 'AKEXAMPLE', HUAWEICLOUD_SDK_SK: 'sk-very-secret-value' };
const PASSWORD = { OS_USERNAME: 'janitor', OS_PASSWORD: 'pw-very-secret', OS_DOMAIN_NAME: 'acme' };

function makeEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { TASK_JANITOR_REGION: 'eu-de', ...AKSK, ...extra };
}

function configProblems(env: Record<string, string | undefined>): readonly string[] {
  return problemsOf(() => loadConfig(env));
}

describe('loadConfig', () => {
  it('applies defaults and builds Huawei Cloud endpoints from the region', () => {
    const config = loadConfig(makeEnv());
    expect(config).toMatchObject({
      cloud: 'huaweicloud',
      region: 'eu-de',
      projectId: undefined,
      logLevel: 'info',
      requestTimeoutMs: 30_000,
      concurrencyPerHost: 16,
      maxAttempts: 5,
      maxRetryTimeMs: 60_000,
    });
    expect(config.endpoints).toEqual({
      iam: 'https://iam.eu-de.myhuaweicloud.com',
      dcs: 'https://dcs.eu-de.myhuaweicloud.com',
      modelarts: 'https://modelarts.eu-de.myhuaweicloud.com',
      oms: 'https://oms.eu-de.myhuaweicloud.com',
      dis: 'https://dis.eu-de.myhuaweicloud.com',
      // SMS is global: the international site's host, whatever the region.
      sms: 'https://sms.ap-southeast-3.myhuaweicloud.com',
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.endpoints)).toBe(true);
  });

  it('builds OTC endpoints and accepts overrides, loopback http and a trailing slash', () => {
    const config = loadConfig(
      makeEnv({
        TASK_JANITOR_CLOUD: 'otc',
        TASK_JANITOR_ENDPOINT_DCS: 'http://127.0.0.1:8080/',
        TASK_JANITOR_ENDPOINT_DIS: 'http://localhost:9000',
        TASK_JANITOR_ENDPOINT_OMS: 'http://[::1]:9001/prefix/',
      }),
    );
    expect(config.endpoints.iam).toBe('https://iam.eu-de.otc.t-systems.com');
    expect(config.endpoints.modelarts).toBe('https://modelarts.eu-de.otc.t-systems.com');
    expect(config.endpoints.dcs).toBe('http://127.0.0.1:8080');
    expect(config.endpoints.dis).toBe('http://localhost:9000');
    expect(config.endpoints.oms).toBe('http://[::1]:9001/prefix');
  });

  it.each([
    ['aksk', AKSK],
    ['aksk', { OS_ACCESS_KEY: 'AK', OS_SECRET_KEY: 'SK' }],
    ['password', PASSWORD],
    ['token', { TASK_JANITOR_AUTH_TOKEN: 'tok' }],
  ])('accepts %s credentials', (kind, creds) => {
    const config = loadConfig({ TASK_JANITOR_REGION: 'cn-north-4', ...creds });
    expect(config.credentials.kind).toBe(kind);
  });

  it('never prints secrets, whichever way the config is serialized', () => {
    const secrets = ['sk-very-secret-value', 'temp-token-secret'];
    const config = loadConfig(makeEnv({ HUAWEICLOUD_SDK_SECURITY_TOKEN: 'temp-token-secret' }));
    const renderings = [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      String(config.credentials),
      `${JSON.stringify(config.credentials)}`,
    ];
    for (const text of renderings) for (const secret of secrets) expect(text).not.toContain(secret);
    expect(config.credentials.kind === 'aksk' && config.credentials.secretKey.reveal()).toBe(
      'sk-very-secret-value',
    );

    const pw = loadConfig({ TASK_JANITOR_REGION: 'eu-de', ...PASSWORD });
    expect(JSON.stringify(pw) + inspect(pw, { depth: 10 })).not.toContain('pw-very-secret');
  });

  it('reports every problem at once, naming each variable', () => {
    const problems = configProblems({
      TASK_JANITOR_CLOUD: 'aws',
      HUAWEICLOUD_SDK_AK: 'AK',
      OS_USERNAME: 'janitor',
      TASK_JANITOR_ENDPOINT_DCS: 'http://dcs.example.com',
      TASK_JANITOR_ENDPOINT_DIS: 'not a url',
      TASK_JANITOR_LOG_LEVEL: 'verbose',
      TASK_JANITOR_CONCURRENCY: 'abc',
      TASK_JANITOR_REQUEST_TIMEOUT_MS: '-5',
    });
    const text = problems.join('\n');
    expect(problems.length).toBe(9);
    for (const name of [
      'TASK_JANITOR_CLOUD',
      'TASK_JANITOR_REGION',
      'HUAWEICLOUD_SDK_SK',
      'OS_PASSWORD',
      'OS_DOMAIN_NAME',
      'TASK_JANITOR_ENDPOINT_DCS',
      'TASK_JANITOR_ENDPOINT_DIS',
      'TASK_JANITOR_LOG_LEVEL',
      'TASK_JANITOR_CONCURRENCY',
      'TASK_JANITOR_REQUEST_TIMEOUT_MS',
    ]) {
      expect(text).toContain(name);
    }
  });

  it('takes a password of spaces only as unset: the password credentials are incomplete', () => {
    const problems = configProblems(makeEnv({ ...PASSWORD, OS_PASSWORD: '   ' }));
    expect(problems).toEqual([
      expect.stringMatching(/password credentials are incomplete: missing OS_PASSWORD/),
    ]);
  });

  it('rejects several complete credential kinds, saying which', () => {
    const problems = configProblems(makeEnv({ ...PASSWORD, TASK_JANITOR_AUTH_TOKEN: 't' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/AK\/SK.*password.*token/);
  });

  it('rejects missing credentials, and a security token without AK/SK', () => {
    expect(configProblems({ TASK_JANITOR_REGION: 'eu-de' })[0]).toMatch(/no credentials/);
    expect(configProblems({ TASK_JANITOR_REGION: 'eu-de', HUAWEICLOUD_SDK_SECURITY_TOKEN: 'x' })[0]).toMatch(
      /HUAWEICLOUD_SDK_AK.*HUAWEICLOUD_SDK_SK/,
    );
  });

  it.each([
    ['TASK_JANITOR_ENDPOINT_IAM', 'ftp://127.0.0.1'],
    ['TASK_JANITOR_ENDPOINT_IAM', 'http://128.0.0.1'],
    ['TASK_JANITOR_ENDPOINT_IAM', 'http://localhost.evil.com'],
    ['TASK_JANITOR_ENDPOINT_IAM', 'https://iam.example.com/?x=1'],
    ['TASK_JANITOR_ENDPOINT_IAM', 'https://user:pw@iam.example.com'],
    ['TASK_JANITOR_ENDPOINT_IAM', '//iam.example.com'],
    ['TASK_JANITOR_REGION', 'eu_de'],
    ['TASK_JANITOR_REGION', 'eu-de.evil.com/'],
    ['TASK_JANITOR_PROJECT_ID', 'a/b'],
    ['TASK_JANITOR_MAX_ATTEMPTS', '1.5'],
    ['TASK_JANITOR_MAX_ATTEMPTS', '0'],
    ['TASK_JANITOR_MAX_RETRY_TIME_MS', 'NaN'],
  ])('refuses %s=%s', (name, value) => {
    const problems = configProblems(makeEnv({ [name]: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(name);
  });

  it.each([
    'http://janitor:pw-in-url@dcs.example.com',
    'ftp://janitor:pw-in-url@127.0.0.1',
    'https://janitor:pw-in-url@dcs.example.com/?x=1',
  ])('never echoes credentials embedded in an endpoint URL (%s)', (value) => {
    const problems = configProblems(makeEnv({ TASK_JANITOR_ENDPOINT_DCS: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('TASK_JANITOR_ENDPOINT_DCS');
    expect(problems.join('\n')).not.toContain('pw-in-url');
  });

  it('rejects an AK given under both names with different values', () => {
    expect(configProblems(makeEnv({ OS_ACCESS_KEY: 'OTHER' }))[0]).toMatch(
      /HUAWEICLOUD_SDK_AK and OS_ACCESS_KEY/,
    );
  });
});

describe('endpoint overrides in the regions of targets', () => {
  const SMS = 'https://sms.example.com';
  const DCS = 'https://dcs.example.com';

  it("the unsuffixed SMS variable sets the account's SMS host in every region; other hosts' only in TASK_JANITOR_REGION", () => {
    const env = { TASK_JANITOR_ENDPOINT_SMS: SMS, TASK_JANITOR_ENDPOINT_DCS: DCS };
    const problems: string[] = [];

    const other = readEndpoints(env, 'huaweicloud', 'cn-east-3', { configured: false }, problems);

    expect(problems).toEqual([]);
    expect(other.sms).toBe(SMS);
    expect(other.dcs).toBe('https://dcs.cn-east-3.myhuaweicloud.com');
  });

  it('a suffixed SMS variable still wins for its region', () => {
    const env = {
      TASK_JANITOR_ENDPOINT_SMS: SMS,
      TASK_JANITOR_ENDPOINT_SMS_CN_EAST_3: 'https://sms-cn.example.com',
    };
    const problems: string[] = [];
    expect(readEndpoints(env, 'huaweicloud', 'cn-east-3', { configured: false }, problems).sms).toBe(
      'https://sms-cn.example.com',
    );
    expect(readEndpoints(env, 'huaweicloud', 'ap-southeast-3', { configured: false }, problems).sms).toBe(
      SMS,
    );
    expect(problems).toEqual([]);
  });

  it('a run whose SMS lister is not in TASK_JANITOR_REGION gets TASK_JANITOR_ENDPOINT_SMS for its SMS host', async () => {
    // The lister is the first target by region and project name: ap-southeast-3, not the configured cn-north-4.
    const policy = {
      version: 1,
      targets: [{ regions: ['cn-north-4', 'ap-southeast-3'], projects: ['*'] }],
      services: { 'sms-migration-tasks': { olderThan: '30d' }, 'dcs-center-tasks': { olderThan: '30d' } },
    };
    const env: Record<string, string | undefined> = {
      ...makeEnv({ TASK_JANITOR_REGION: 'cn-north-4', TASK_JANITOR_POLICY: JSON.stringify(policy) }),
      TASK_JANITOR_ENDPOINT_SMS: SMS,
      TASK_JANITOR_ENDPOINT_DCS: DCS,
    };

    const prepared = await prepareInvocation({ env: (key) => env[key] });

    expect(prepared.regionEndpoints.get('ap-southeast-3')?.sms).toBe(SMS);
    expect(prepared.regionEndpoints.get('cn-north-4')?.sms).toBe(SMS);
    expect(prepared.regionEndpoints.get('ap-southeast-3')?.dcs).toBe(
      'https://dcs.ap-southeast-3.myhuaweicloud.com',
    );
  });
});
