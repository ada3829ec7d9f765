/**
 * Every local check runs before the first request, and every problem is reported at once; the message says
 * what was sent (nothing, or only IAM to resolve the project id). The real CLI against the emulator, whose
 * request log must stay empty wherever nothing may be sent.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import { runCli } from './run-cli';

const POLICY = `version: 1
dryRun: false
services:
  oms-migration-tasks: { olderThan: 30d }
  dis-dump-tasks: { olderThan: 30d }
`;

let emulator: Emulator;
let dir: string;
let policyPath: string;

function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...emulator.endpointEnv(), TASK_JANITOR_POLICY: policyPath, ...extra };
}

/** AK/SK credentials and no project id: the project id is asked from IAM (`GET /v3/projects?name=…`). */
function akskEnvWithoutProject(extra: Record<string, string> = {}): Record<string, string> {
  const {
    TASK_JANITOR_PROJECT_ID: _project,
    OS_USERNAME: _user,
    OS_PASSWORD: _password,
    OS_DOMAIN_NAME: _domain,
    ...env
  } = cliEnv();
  return {
    ...env,
    HUAWEICLOUD_SDK_AK: emulator.account.accessKey,
    HUAWEICLOUD_SDK_SK: emulator.account.secretKey,
    ...extra,
  };
}

beforeEach(async () => {
  emulator = await startEmulator({ seed: 11, tasks: 120 });
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-checks-'));
  policyPath = join(dir, 'policy.yml');
  await writeFile(policyPath, POLICY);
});

afterEach(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

describe('output paths are checked before the first request', () => {
  it('--apply --report into a missing folder deletes nothing and sends nothing', async () => {
    const reportPath = join(dir, 'missing', 'r.json');

    const result = await runCli(['purge', '--apply', '--report', reportPath], cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `--report ${reportPath}: the folder ${join(dir, 'missing')} does not exist`,
    );
    expect(result.stderr).toContain('Nothing was sent to the cloud');
    expect(emulator.requestLog()).toEqual([]);
    expect(emulator.deletions()).toEqual([]);
  });

  it('--plan-out into a missing folder lists nothing', async () => {
    const planPath = join(dir, 'missing', 'p.json');

    const result = await runCli(['purge', '--plan-out', planPath], cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `--plan-out ${planPath}: the folder ${join(dir, 'missing')} does not exist`,
    );
    expect(emulator.requestLog()).toEqual([]);
  });

  it('a --report path that is a folder', async () => {
    const folder = join(dir, 'reports');
    await mkdir(folder);

    const result = await runCli(['purge', '--report', folder], cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--report ${folder}: is a folder; expected a file path`);
    expect(emulator.requestLog()).toEqual([]);
  });
});

describe('every problem at once', () => {
  it('flags, environment, plan file and output path in one message, before any request', async () => {
    const planPath = join(dir, 'plan.json');
    await writeFile(planPath, '{"version": 2}');
    const reportPath = join(dir, 'missing', 'r.json');
    const { TASK_JANITOR_REGION: _unset, ...env } = cliEnv({ TASK_JANITOR_CONCURRENCY: 'many' });

    const result = await runCli(
      ['purge', '--apply', '--plan', planPath, '--report', reportPath, '--max-deletes', 'x', '--frobnicate'],
      env,
    );

    expect(result.code).toBe(2);
    for (const problem of [
      'command line: unknown option "--frobnicate"',
      'command line: --max-deletes: expected a non-negative integer, got "x"',
      `--plan ${planPath}: account: is required`,
      'environment: TASK_JANITOR_REGION is required',
      'environment: TASK_JANITOR_CONCURRENCY must be an integer',
      `--report ${reportPath}: the folder`,
    ]) {
      expect(result.stderr).toContain(problem);
    }
    expect(emulator.requestLog()).toEqual([]);
  });
});

describe('a failure found after asking IAM says so', () => {
  it('a region without an IAM project (AK/SK): exit 2, only IAM was asked', async () => {
    const result = await runCli(
      ['purge', '--apply'],
      akskEnvWithoutProject({ TASK_JANITOR_REGION: 'eu-nl' }),
    );

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('IAM has no project named "eu-nl"');
    expect(result.stderr).toContain('Only IAM was asked for the project id; nothing was listed or deleted.');
    expect(result.stderr).not.toContain('Nothing was sent');
    const log = emulator.requestLog();
    expect(log.map((r) => r.operation)).toEqual(['ListProjects']);
    expect(emulator.deletions()).toEqual([]);
  });

  it('a region IAM refuses to scope a token to (password): exit 1, only IAM was asked', async () => {
    const { TASK_JANITOR_PROJECT_ID: _unset, ...env } = cliEnv({ TASK_JANITOR_REGION: 'eu-nl' });

    const result = await runCli(['purge', '--apply'], env);

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Only IAM was asked for the project id; nothing was listed or deleted.');
    expect(result.stderr).not.toContain('Nothing was sent');
    expect(emulator.requestLog().every((r) => r.service === 'iam')).toBe(true);
    expect(emulator.deletions()).toEqual([]);
  });
});
