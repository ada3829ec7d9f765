import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { createHandler, type LambdaContextLike } from '../../handlers/aws/purge';
import { parseSsmParameters, resolveSsmSecrets } from '../../handlers/aws/secrets';
import type { BuildDeps } from '../../lib/invocation';
import { buildDepsInto } from '../support/deps';
import { reportOf } from '../support/function-result';
import { captureLog, type LogCapture } from '../support/log-capture';
import {
  FAKE_SSM_ACCOUNT as ACCOUNT,
  type FakeSsm,
  FAKE_SSM_REGION as REGION,
  startFakeSsm,
} from './fake-ssm';

const AK_PARAMETER = '/task-janitor/test/access-key';
const SK_PARAMETER = '/task-janitor/test/secret-key';
const SSM_SETTING = `HUAWEICLOUD_SDK_AK=${AK_PARAMETER},HUAWEICLOUD_SDK_SK=${SK_PARAMETER}`;
const MANUAL_EVENT = Object.freeze({
  dryRun: false,
  services: ['oms-migration-tasks'],
  olderThan: '7d',
  maxDeletesPerRun: 5,
});
const POLICY = JSON.stringify({
  version: 1,
  dryRun: true,
  services: { 'oms-migration-tasks': { olderThan: '30d' } },
});

function makeContext(): LambdaContextLike {
  return Object.freeze({
    awsRequestId: '7f0e1d2c-0000-4000-8000-000000000001',
    functionName: 'task-janitor-test-purge',
    getRemainingTimeInMillis: () => 900_000,
  });
}

let emulator: Emulator;
let ssm: FakeSsm;
let log: LogCapture;
/** The handler's real deps (jitter included), but for the log, which is kept. */
let captureDeps: BuildDeps;
const logged = () => log.records<{ level: string; msg?: string; problems?: string[] }>();

beforeEach(async () => {
  log = captureLog();
  captureDeps = buildDepsInto(log, { random: Math.random });
  emulator = await startEmulator({ seed: 21, tasksPerService: { 'oms-migration-tasks': 40 } });
  ssm = await startFakeSsm();
  const { account } = emulator;
  ssm.parameters.set(AK_PARAMETER, { type: 'SecureString', value: account.accessKey });
  ssm.parameters.set(SK_PARAMETER, { type: 'SecureString', value: account.secretKey });
  // Only endpoints, region and project from the emulator: no credential is in the environment.
  for (const [key, value] of Object.entries(emulator.endpointEnv())) {
    if (key.startsWith('TASK_JANITOR_')) vi.stubEnv(key, value);
  }
  for (const key of [
    'HUAWEICLOUD_SDK_AK',
    'HUAWEICLOUD_SDK_SK',
    'OS_USERNAME',
    'OS_PASSWORD',
    'OS_DOMAIN_NAME',
  ]) {
    vi.stubEnv(key, undefined);
  }
  vi.stubEnv('TASK_JANITOR_POLICY', POLICY);
  vi.stubEnv('TASK_JANITOR_SSM_PARAMETERS', SSM_SETTING);
  // What the Lambda runtime provides (region, the role's credentials), pointed at the fake SSM.
  vi.stubEnv('AWS_REGION', REGION);
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDFAKESSMTEST');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'fake-role-secret');
  vi.stubEnv('AWS_SESSION_TOKEN', undefined);
  vi.stubEnv('AWS_PROFILE', undefined);
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/aws-credentials');
  vi.stubEnv('AWS_ENDPOINT_URL_SSM', ssm.url);
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all([emulator.close(), ssm.close()]);
});

function expectNoSecretLogged(...secrets: string[]): void {
  const all = log.lines.join('\n');
  for (const secret of secrets) expect(all).not.toContain(secret);
}

describe('handlers/purge with credentials from SSM Parameter Store', () => {
  it('reads the AK/SK SecureStrings once, decrypted, then purges the emulator signed with them', async () => {
    const handler = createHandler(captureDeps);

    const report = reportOf(await handler(MANUAL_EVENT, makeContext()));

    expect(ssm.requests).toHaveLength(1);
    expect(ssm.requests[0]).toMatchObject({
      target: 'AmazonSSM.GetParameters',
      contentType: 'application/x-amz-json-1.1',
      body: { Names: [AK_PARAMETER, SK_PARAMETER], WithDecryption: true },
    });
    expect(ssm.requests[0]?.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDFAKESSMTEST/\\d{8}/${REGION}/ssm/aws4_request`),
    );
    expect(report.totals.deleted).toBe(5);
    expect(emulator.deletions()).toHaveLength(5);
    const omsRequests = emulator.requestLog().filter((r) => r.service === 'oms');
    expect(omsRequests.length).toBeGreaterThan(5);
    expect(omsRequests.every((r) => r.auth === 'aksk')).toBe(true);
    expect(logged().some((l) => l.msg === 'purge report')).toBe(true);
    expectNoSecretLogged(emulator.account.accessKey, emulator.account.secretKey);
  });

  it('refuses to run when a parameter is missing: a ConfigError naming it, nothing sent to the cloud', async () => {
    ssm.parameters.delete(SK_PARAMETER);
    const handler = createHandler(captureDeps);

    const run = handler(MANUAL_EVENT, makeContext());

    await expect(run).rejects.toMatchObject({ name: 'ConfigError' });
    await expect(run).rejects.toThrow(`SSM parameter "${SK_PARAMETER}" (HUAWEICLOUD_SDK_SK) does not exist`);
    expect(emulator.requestLog()).toEqual([]);
    const errorLine = logged().find((l) => l.level === 'error');
    expect(errorLine?.msg).toBe('invalid input, nothing sent');
    expect(errorLine?.problems).toEqual([expect.stringContaining(SK_PARAMETER)]);
    expectNoSecretLogged(emulator.account.accessKey, emulator.account.secretKey);
  });

  it('turns an access denial into a ConfigError naming the parameters and the SSM error, nothing sent', async () => {
    ssm.fail = {
      type: 'AccessDeniedException',
      status: 400,
      message: `User: arn:aws:sts::${ACCOUNT}:assumed-role/task-janitor-test/fn is not authorized to perform: ssm:GetParameters`,
    };
    const handler = createHandler(captureDeps);

    const run = handler(MANUAL_EVENT, makeContext());

    await expect(run).rejects.toMatchObject({
      name: 'ConfigError',
      problems: [
        expect.stringMatching(/access-key.*secret-key.*AccessDeniedException: User: .*not authorized/),
      ],
    });
    expect(ssm.requests).toHaveLength(1);
    expect(emulator.requestLog()).toEqual([]);
    expect(logged().some((l) => l.level === 'error' && l.msg === 'invalid input, nothing sent')).toBe(true);
  });

  it('refuses a parameter that is not a SecureString, without logging its value', async () => {
    ssm.parameters.set(SK_PARAMETER, { type: 'String', value: emulator.account.secretKey });
    const handler = createHandler(captureDeps);

    await expect(handler(MANUAL_EVENT, makeContext())).rejects.toThrow(
      `SSM parameter "${SK_PARAMETER}" (HUAWEICLOUD_SDK_SK) is of type String: store credentials as SecureString`,
    );

    expect(emulator.requestLog()).toEqual([]);
    expectNoSecretLogged(emulator.account.accessKey, emulator.account.secretKey);
  });

  it('reports an SSM server failure (after the SDK retries) as such, not as invalid input, nothing sent', async () => {
    ssm.fail = { type: 'InternalServerError', status: 500, message: 'try again later' };
    const handler = createHandler(captureDeps);

    const run = handler(MANUAL_EVENT, makeContext());

    await expect(run).rejects.toMatchObject({
      name: 'JanitorError',
      message: /InternalServerError: try again later/,
    });
    expect(ssm.requests.length).toBeGreaterThan(1);
    expect(emulator.requestLog()).toEqual([]);
    expect(logged().some((l) => l.msg === 'credentials could not be read from SSM, nothing sent')).toBe(true);
  });

  it('lets credentials set directly win (invoke local, tests): no SSM call, one warn line naming them', async () => {
    vi.stubEnv('HUAWEICLOUD_SDK_AK', emulator.account.accessKey);
    vi.stubEnv('HUAWEICLOUD_SDK_SK', emulator.account.secretKey);
    const handler = createHandler(captureDeps);

    const report = reportOf(await handler(MANUAL_EVENT, makeContext()));

    expect(report.totals.deleted).toBe(5);
    expect(ssm.requests).toEqual([]);
    const warn = logged().find((l) => l.level === 'warn');
    expect(warn).toMatchObject({
      msg: 'credentials set directly win over their SSM parameters, which are not read',
      variables: ['HUAWEICLOUD_SDK_AK', 'HUAWEICLOUD_SDK_SK'],
    });
    expectNoSecretLogged(emulator.account.secretKey);
  });

  it('does not call SSM when TASK_JANITOR_SSM_PARAMETERS is unset', async () => {
    vi.stubEnv('TASK_JANITOR_SSM_PARAMETERS', undefined);
    vi.stubEnv('HUAWEICLOUD_SDK_AK', emulator.account.accessKey);
    vi.stubEnv('HUAWEICLOUD_SDK_SK', emulator.account.secretKey);
    const handler = createHandler(captureDeps);

    await handler(MANUAL_EVENT, makeContext());

    expect(ssm.requests).toEqual([]);
    expect(logged().some((l) => l.level === 'warn')).toBe(false);
  });
});

describe('resolveSsmSecrets', () => {
  it('gives up after timeoutMs with a ConfigError naming the parameters when SSM never answers', async () => {
    ssm.hang = true;
    const env = (key: string) => process.env[key];

    const read = resolveSsmSecrets(env, { timeoutMs: 300 });

    await expect(read).rejects.toMatchObject({
      name: 'ConfigError',
      problems: [expect.stringMatching(/access-key.*secret-key.*no answer from SSM within 300 ms/)],
    });
  });

  it('reads one parameter named for two variables once and answers other keys from env', async () => {
    ssm.parameters.set('/shared/token', { type: 'SecureString', value: 'tok-123' });
    const env = (key: string) =>
      ({
        TASK_JANITOR_SSM_PARAMETERS: 'TASK_JANITOR_AUTH_TOKEN=/shared/token OS_PASSWORD=/shared/token',
        TASK_JANITOR_REGION: 'eu-de',
      })[key];

    const resolved = await resolveSsmSecrets(env);

    expect(ssm.requests.map((r) => r.body.Names)).toEqual([['/shared/token']]);
    expect(resolved('TASK_JANITOR_AUTH_TOKEN')).toBe('tok-123');
    expect(resolved('OS_PASSWORD')).toBe('tok-123');
    expect(resolved('TASK_JANITOR_REGION')).toBe('eu-de');
  });
});

describe('parseSsmParameters', () => {
  it('accepts pairs separated by commas, spaces or newlines', () => {
    expect(parseSsmParameters(' HUAWEICLOUD_SDK_AK=/a/ak ,\nHUAWEICLOUD_SDK_SK=/a/sk ')).toEqual([
      { variable: 'HUAWEICLOUD_SDK_AK', parameter: '/a/ak' },
      { variable: 'HUAWEICLOUD_SDK_SK', parameter: '/a/sk' },
    ]);
  });

  it('lists every problem at once: malformed, not a secret variable, repeated', () => {
    const parse = () =>
      parseSsmParameters('HUAWEICLOUD_SDK_AK,TASK_JANITOR_REGION=/r,OS_PASSWORD=/p,OS_PASSWORD=/q,=/x');

    expect(parse).toThrow(
      expect.objectContaining({
        name: 'ConfigError',
        problems: [
          'TASK_JANITOR_SSM_PARAMETERS: expected VARIABLE=parameter-name, got "HUAWEICLOUD_SDK_AK"',
          expect.stringMatching(/^TASK_JANITOR_SSM_PARAMETERS: TASK_JANITOR_REGION cannot come from SSM/),
          'TASK_JANITOR_SSM_PARAMETERS: OS_PASSWORD is named twice',
          'TASK_JANITOR_SSM_PARAMETERS: expected VARIABLE=parameter-name, got "=/x"',
        ],
      }),
    );
  });

  it('refuses a setting that names nothing', () => {
    expect(() => parseSsmParameters(' , ')).toThrow(/names no parameter/);
  });
});
