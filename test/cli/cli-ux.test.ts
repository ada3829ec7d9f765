/**
 * What the CLI tells an operator, through the real process (stdout and stderr are pipes here): the target in
 * every output, the dry run's tasks and the command that applies them, messages that name the flags typed, every
 * problem at once, network errors that name the service and host, and a report object on stdout with `--json`
 * also when the run fails before listing.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import type { Report } from '../../lib/report';
import type { SavedPlan } from '../../lib/saved-plan';
import { parseLogText } from '../support/log-capture';
import { runCli } from './run-cli';

const POLICY = `version: 1
dryRun: false
maxDeletesPerRun: 1000
services:
  dcs-center-tasks: { olderThan: 30d }
  oms-migration-tasks: { olderThan: 30d, exclude: ["keep-*"] }
  dis-dump-tasks: { olderThan: 30d, streams: ["dis-*"], states: [ERROR] }
`;
/** A port nothing listens on: connections are refused at once. */
const CLOSED_ENDPOINT = 'http://127.0.0.1:9';

let emulator: Emulator;
let dir: string;
let policyPath: string;

function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...emulator.endpointEnv(), TASK_JANITOR_POLICY: policyPath, ...extra };
}

/** IAM unreachable and no project id configured: the run fails before anything is listed. */
function unreachableIamEnv(): Record<string, string> {
  const { TASK_JANITOR_PROJECT_ID: _resolved, ...env } = cliEnv({
    TASK_JANITOR_ENDPOINT_IAM: CLOSED_ENDPOINT,
    TASK_JANITOR_MAX_ATTEMPTS: '1',
  });
  return env;
}

beforeEach(async () => {
  emulator = await startEmulator({ seed: 7, tasks: 240 });
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-cli-ux-'));
  policyPath = join(dir, 'policy.yml');
  await writeFile(policyPath, POLICY);
});

afterEach(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

describe('every output names the target', () => {
  it('the table header: cloud, region, project, policy source and digest, tool version, dry run', async () => {
    const result = await runCli(['purge'], cliEnv());

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('DRY RUN: nothing was deleted');
    expect(lines[1]).toBe(
      `  target  huaweicloud ${emulator.account.region}, project ${emulator.account.projectId}`,
    );
    expect(lines[2]).toMatch(new RegExp(`^ {2}policy {2}${policyPath} \\(digest [0-9a-f]{12}\\)$`));
    expect(lines[4]).toMatch(/^ {2}run {5}\S+ → \S+, task-janitor \d+\.\d+\.\d+$/);
  });

  it('the plan file: account, policy source and digest, tool version, and that a dry run made it', async () => {
    const planPath = join(dir, 'plan.json');

    const result = await runCli(['purge', '--plan-out', planPath], cliEnv());

    expect(result.code).toBe(0);
    const plan = JSON.parse(await readFile(planPath, 'utf8')) as SavedPlan;
    expect(plan).toMatchObject({
      account: {
        cloud: 'huaweicloud',
        region: emulator.account.region,
        projectId: emulator.account.projectId,
      },
      policySource: policyPath,
      policyDigest: expect.stringMatching(/^[0-9a-f]{12}$/),
      tool: { name: 'task-janitor', version: expect.any(String) },
      dryRun: true,
    });
    // The printed command applies exactly that plan.
    expect(result.stdout).toMatch(
      new RegExp(
        `To delete these \\d+ tasks \\(exactly this plan\\): task-janitor purge --plan ${planPath} --apply\\n$`,
      ),
    );
    // And the plan still applies (the new fields are part of the format).
    const applied = await runCli(['purge', '--plan', planPath, '--apply', '--json'], cliEnv());
    expect(applied.code).toBe(0);
    expect(emulator.deletions()).toHaveLength(plan.tasks.length);
  });

  it('the report log line names cloud and region also when the project id could not be resolved', async () => {
    const result = await runCli(['purge', '--log-format', 'json'], {
      ...unreachableIamEnv(),
      TASK_JANITOR_LOG_LEVEL: 'info',
    });

    expect(result.code).toBe(1);
    const reportLine = parseLogText<{ msg?: string; report?: Report }>(result.stderr).find(
      (line) => line.msg === 'purge report',
    );
    expect(reportLine?.report).toMatchObject({
      dryRun: true,
      target: { cloud: 'huaweicloud', region: emulator.account.region },
      tool: { name: 'task-janitor' },
      policy: { source: policyPath },
    });
    expect(reportLine?.report?.target?.projectId).toBeUndefined();
  });
});

describe('a dry run shows the tasks', () => {
  it('the oldest per service with "… and N more", then the command that applies it (npm run purge in the repo)', async () => {
    const result = await runCli(
      ['purge', '--policy', policyPath, '--service', 'oms-migration-tasks', '--older-than', '7d'],
      cliEnv({ npm_lifecycle_event: 'purge' }),
    );

    expect(result.code).toBe(0);
    const report = result.stdout;
    expect(report).toMatch(/^oms-migration-tasks: \d+ tasks\n {2}id +name +state +age\n/m);
    expect(report).toMatch(/^ {2}… and \d+ more$/m);
    expect(report).toMatch(
      new RegExp(
        `To delete these \\d+ tasks: npm run purge -- --policy ${policyPath} --service oms-migration-tasks --older-than 7d --apply\\n$`,
      ),
    );
  });

  it('--list prints every task, oldest first', async () => {
    const result = await runCli(['purge', '--list', '--json', '--report', join(dir, 'r.json')], cliEnv());
    const listed = await runCli(['purge', '--list'], cliEnv());

    const report = JSON.parse(result.stdout) as Report;
    // Task rows end with the age.
    const rows = listed.stdout.split('\n').filter((line) => /^ {2}\S.* \d+[mhd]$/.test(line));
    expect(rows).toHaveLength(report.totals.wouldDelete);
    expect(listed.stdout).not.toContain('… and');
  });
});

describe('messages name what the operator typed, and every problem is reported at once', () => {
  it.each([
    [
      'a cap above the policy',
      ['--max-deletes', '5000'],
      "command line: --max-deletes: 5000 is above the policy's cap of 1000 (--max-deletes can only lower it)",
    ],
    [
      'a service the policy does not enable',
      ['--service', 'dcs-background-tasks'],
      'command line: --service: dcs-background-tasks is not enabled in the policy (--service can only narrow it)',
    ],
    ['a malformed age', ['--older-than', '30 days'], 'command line: --older-than: expected a duration'],
  ])('%s', async (_label, flags, message) => {
    const result = await runCli(['purge', ...flags], cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/overrides|maxDeletesPerRun|olderThan/);
    expect(emulator.requestLog()).toEqual([]);
  });

  it('repeated single-value flags are refused, together with the policy and environment problems', async () => {
    await writeFile(policyPath, 'version: 1\nservices:\n  oms-migration-tasks: { olderThan: 30 days }\n');
    const { TASK_JANITOR_REGION: _unset, ...env } = cliEnv();

    const other = join(dir, 'other.yml');
    const result = await runCli(
      [
        'purge',
        '--plan',
        other,
        '--plan',
        policyPath,
        '--report',
        'a.json',
        '--report',
        'b.json',
        '--policy',
        policyPath,
      ],
      env,
    );

    expect(result.code).toBe(2);
    for (const problem of [
      `command line: --plan: given 2 times (--plan ${other}, --plan ${policyPath}); give it once`,
      'command line: --report: given 2 times (--report a.json, --report b.json); give it once',
      'environment: TASK_JANITOR_REGION is required',
      `--policy ${policyPath}: services.oms-migration-tasks.olderThan: expected a duration`,
    ]) {
      expect(result.stderr).toContain(problem);
    }
    expect(emulator.requestLog()).toEqual([]);
  });

  it.each([
    ['--log-format', ['--log-format', 'yaml'], '--log-format: expected text or json, got "yaml"'],
    ['--yes without --apply', ['--yes'], '--yes confirms deleting: it needs --apply'],
  ])('%s', async (_label, flags, message) => {
    const result = await runCli(['purge', ...flags], cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('network errors name the service and host; --json always prints a report object', () => {
  it('IAM unreachable: the report on stdout carries the error, stderr names IAM and its host', async () => {
    const result = await runCli(['purge', '--apply', '--json'], unreachableIamEnv());

    expect(result.code).toBe(1);
    expect(result.stderr).toContain('to IAM (127.0.0.1:9): network error ECONNREFUSED');
    expect(result.stderr).toContain('Only IAM was asked for the project id');
    const report = JSON.parse(result.stdout) as Report & {
      error?: { name: string; message: string; sent: string };
    };
    expect(report.dryRun).toBe(false);
    expect(report.totals.failedServices).toBe(3);
    expect(report.error).toMatchObject({ name: 'NetworkError', sent: 'iam' });
    expect(report.error?.message).toContain('IAM (127.0.0.1:9)');
    expect(report.services['oms-migration-tasks']?.error?.message).toContain('IAM (127.0.0.1:9)');
  });

  it('a service endpoint unreachable: its listing error names the service and host', async () => {
    const result = await runCli(
      ['purge', '--json'],
      cliEnv({ TASK_JANITOR_ENDPOINT_DIS: CLOSED_ENDPOINT, TASK_JANITOR_MAX_ATTEMPTS: '1' }),
    );

    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.services['dis-dump-tasks']?.error?.message).toContain(
      'to DIS (127.0.0.1:9): network error',
    );
  });

  it('invalid input: an object with the problems, and that nothing was sent', async () => {
    const result = await runCli(['purge', '--json', '--max-deletes', 'x'], cliEnv());

    expect(result.code).toBe(2);
    const printed = JSON.parse(result.stdout) as {
      error: { problems: string[]; sent: string };
      tool: object;
    };
    expect(printed.tool).toMatchObject({ name: 'task-janitor' });
    expect(printed.error.sent).toBe('nothing');
    expect(printed.error.problems).toContain(
      'command line: --max-deletes: expected a non-negative integer, got "x"',
    );
  });
});

describe('validate says what a policy selects, and never that the CLI deletes without --apply', () => {
  it.each([
    ['dryRun: true', 'true', 'a dry run everywhere'],
    ['dryRun: false', 'false', 'only lists and plans (a dry run) unless it is given --apply'],
  ])('%s', async (_label, dryRun, mode) => {
    await writeFile(policyPath, POLICY.replace('dryRun: false', `dryRun: ${dryRun}`));

    const result = await runCli(['validate', policyPath]);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain(mode);
    expect(result.stdout).not.toMatch(/\bdeletes\b/i);
    expect(result.stdout).toContain(
      '  oms-migration-tasks: older than 30d (age from the end time)\n' +
        '    states: paused, failed, succeeded (every deletable state)\n' +
        '    names: any, except keep-*\n',
    );
    expect(result.stdout).toContain(
      '  dis-dump-tasks: older than 30d (age from the last transfer, else creation)\n' +
        '    states: ERROR (of ERROR, ABNORMAL, PAUSED)\n' +
        '    names: any\n' +
        '    streams: dis-*\n',
    );
    expect(result.stdout).toContain(
      'not in the policy, never touched: dcs-background-tasks, modelarts-processor-tasks',
    );
  });
});
