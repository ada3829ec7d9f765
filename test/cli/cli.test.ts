import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../emulator/index';
import type { Emulator } from '../../emulator/types';
import type { Report } from '../../lib/report';
import type { SavedPlan } from '../../lib/saved-plan';
import { LEAKY_ENDPOINTS, leakedSecrets } from '../support/secret-forms';
import { runCli } from './run-cli';

const POLICY = `version: 1
dryRun: false
maxDeletesPerRun: 1000
services:
  dcs-center-tasks: { olderThan: 30d }
  oms-migration-tasks: { olderThan: 30d }
  dis-dump-tasks: { olderThan: 30d }
`;
const OMS_DELETABLE = new Set(['3', '4', '5']);

let emulator: Emulator;
let dir: string;
let policyPath: string;

function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ...emulator.endpointEnv(), TASK_JANITOR_POLICY: policyPath, ...extra };
}

beforeEach(async () => {
  emulator = await startEmulator({ seed: 7, tasks: 240 });
  dir = await mkdtemp(join(tmpdir(), 'task-janitor-cli-'));
  policyPath = join(dir, 'policy.yml');
  await writeFile(policyPath, POLICY);
});

afterEach(async () => {
  await emulator.close();
  await rm(dir, { recursive: true, force: true });
});

describe('task-janitor purge', () => {
  it('runs a dry run by default, even when the policy says dryRun: false, and prints the summary table', async () => {
    const result = await runCli(['purge'], cliEnv());

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('DRY RUN: nothing was deleted');
    expect(result.stdout).toMatch(/oms-migration-tasks\s+\d+/);
    expect(result.stderr).toContain('plan:');
    expect(emulator.requestLog().length).toBeGreaterThan(0);
    expect(emulator.deletions()).toEqual([]);
  });

  it('deletes with --apply exactly what the dry run planned, never an in-progress OMS task', async () => {
    const dry = await runCli(['purge', '--json'], cliEnv());
    const planned = (JSON.parse(dry.stdout) as Report).totals.wouldDelete;

    const applied = await runCli(['purge', '--apply', '--json'], cliEnv());

    expect(applied.code).toBe(0);
    const report = JSON.parse(applied.stdout) as Report;
    expect(report.dryRun).toBe(false);
    expect(planned).toBeGreaterThan(0);
    expect(report.totals.deleted).toBe(planned);
    expect(emulator.deletions()).toHaveLength(planned);
    const omsDeleted = emulator.deletions().filter((d) => d.service === 'oms-migration-tasks');
    expect(omsDeleted.length).toBeGreaterThan(0);
    expect(omsDeleted.every((d) => OMS_DELETABLE.has(String(d.state)))).toBe(true);
  });

  it('prints the JSON report with --json and writes the same report with --report FILE', async () => {
    const reportPath = join(dir, 'report.json');

    const result = await runCli(
      ['purge', '--json', '--report', reportPath, '--service', 'oms-migration-tasks'],
      cliEnv(),
    );

    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as Report;
    const written = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    expect(written).toEqual(printed);
    expect(Object.keys(printed.services)).toEqual(['oms-migration-tasks']);
    expect(printed.services['oms-migration-tasks']?.listed).toBeGreaterThan(0);
  });

  it('writes a plan with --plan-out and deletes exactly that list with --plan --apply', async () => {
    const planPath = join(dir, 'plan.json');
    const planned = await runCli(
      ['purge', '--plan-out', planPath, '--service', 'oms-migration-tasks'],
      cliEnv(),
    );
    expect(planned.code).toBe(0);
    const plan = JSON.parse(await readFile(planPath, 'utf8')) as SavedPlan;
    expect(plan.tasks.length).toBeGreaterThan(1);
    expect(emulator.deletions()).toEqual([]);
    // A stale task added after the plan was written is not in it, so it must survive the apply.
    const late = emulator.addTask({ service: 'oms-migration-tasks', name: 'added-after-plan', state: 5 });

    const applied = await runCli(['purge', '--plan', planPath, '--apply', '--json'], cliEnv());

    expect(applied.code).toBe(0);
    const deletedIds = emulator.deletions().map((d) => d.id);
    expect(new Set(deletedIds)).toEqual(new Set(plan.tasks.map((t) => t.id)));
    expect(deletedIds).not.toContain(late.id);
  });

  it('exits 1 when some deletes fail', async () => {
    emulator.setFaults({ service: 'oms', operation: 'DeleteMigrationTask' }, { serverErrorShare: 1 });

    const result = await runCli(
      ['purge', '--apply', '--json', '--service', 'oms-migration-tasks', '--service', 'dcs-center-tasks'],
      cliEnv({ TASK_JANITOR_MAX_ATTEMPTS: '1' }),
    );

    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.services['oms-migration-tasks']?.failed).toBeGreaterThan(0);
    expect(report.services['dcs-center-tasks']?.deleted).toBeGreaterThan(0);
  });
});

describe('task-janitor: invalid input exits 2 before any request', () => {
  it.each([
    ['an unknown flag', ['purge', '--force'], /unknown option "--force"/],
    ['a flag missing its value', ['purge', '--older-than'], /--older-than: expected a value/],
    ['a bad duration', ['purge', '--older-than', '30 days'], /--older-than: expected a duration/],
    ['an unknown service', ['purge', '--service', 'sms-tasks'], /unknown service "sms-tasks"/],
    ['a negative cap', ['purge', '--max-deletes', '-1'], /--max-deletes: expected a non-negative integer/],
    ['a cap above the policy', ['purge', '--max-deletes', '5000'], /above the policy's cap of 1000/],
    [
      '--plan-out with --apply',
      ['purge', '--apply', '--plan-out', 'x.json'],
      /cannot be combined with --apply/,
    ],
    ['an unknown command', ['nuke'], /unknown command "nuke"/],
  ])('refuses %s', async (_label, args, message) => {
    const result = await runCli(args, cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Nothing was sent to the cloud');
    expect(emulator.requestLog()).toEqual([]);
  });

  it('refuses a malformed policy, naming every problem', async () => {
    await writeFile(
      policyPath,
      'version: 1\nservices:\n  oms-migration-tasks: { olderThan: 30 days, states: [executing] }\n  smss: {}\n',
    );

    const result = await runCli(['purge', '--apply'], cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('services.oms-migration-tasks.olderThan');
    expect(result.stderr).toContain('executing');
    expect(result.stderr).toContain('smss');
    expect(emulator.requestLog()).toEqual([]);
  });

  it('refuses a missing policy with a clear message', async () => {
    const { TASK_JANITOR_POLICY: _unused, ...env } = cliEnv();

    const result = await runCli(['purge'], env);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TASK_JANITOR_POLICY');
    expect(emulator.requestLog()).toEqual([]);
  });

  it('refuses a configuration without region or credentials, listing both', async () => {
    const result = await runCli(['purge', '--policy', policyPath], {});

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TASK_JANITOR_REGION is required');
    expect(result.stderr).toContain('no credentials');
    expect(emulator.requestLog()).toEqual([]);
  });

  it('refuses a corrupt plan file', async () => {
    const planPath = join(dir, 'plan.json');
    await writeFile(planPath, '{"version": 2, "tasks": [{"service": "oms-migration-tasks"}]}');

    const result = await runCli(['purge', '--plan', planPath, '--apply'], cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--plan ${planPath}: tasks[0].id: is required`);
    expect(result.stderr).toContain(`--plan ${planPath}: account: is required`);
    expect(emulator.requestLog()).toEqual([]);
  });
});

describe('task-janitor: a key given twice is refused, never resolved to the last one', () => {
  it('validate refuses a .json policy with its path, line and column', async () => {
    const jsonPath = join(dir, 'policy.json');
    await writeFile(
      jsonPath,
      '{"version": 1, "dryRun": true,\n "services": {"oms-migration-tasks": {"olderThan": "30d"}},\n "dryRun": false}\n',
    );

    const result = await runCli(['validate', jsonPath]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`dryRun: duplicate key (line 3, column 2 of ${jsonPath})`);
    expect(result.stdout).toBe('');
  });

  it('purge refuses a plan file with a key given twice, before any request', async () => {
    const planPath = join(dir, 'plan.json');
    const task =
      '{"service": "oms-migration-tasks", "id": "1", "id": "2", "name": "n", "state": "failed", "endedAtMs": 1}';
    await writeFile(
      planPath,
      `{"version": 1, "createdAt": "2025-01-01T00:00:00.000Z", "policyDigest": "x", "tasks": [\n${task}\n]}\n`,
    );

    const result = await runCli(['purge', '--plan', planPath, '--apply'], cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('tasks[0].id: duplicate key (line 2, column 47)');
    expect(emulator.requestLog()).toEqual([]);
  });
});

describe('task-janitor: no secret of a URL reaches stdout or stderr', () => {
  it.each(LEAKY_ENDPOINTS)('an endpoint with $label', async ({ value, secrets }) => {
    const result = await runCli(['purge'], cliEnv({ TASK_JANITOR_ENDPOINT_OMS: value }));

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TASK_JANITOR_ENDPOINT_OMS');
    expect(leakedSecrets(`${result.stdout}\n${result.stderr}`, secrets)).toEqual([]);
    expect(emulator.requestLog()).toEqual([]);
  });

  it.each([
    ['--policy', ['purge', '--policy'], 'cannot read the policy file'],
    ['--plan', ['purge', '--apply', '--plan'], 'cannot read the plan file'],
    ['validate', ['validate'], 'cannot read the policy file'],
  ])('a presigned URL given as the %s path', async (_label, args, message) => {
    const url =
      'https://bucket.example.com/task-janitor/file.json?X-Amz-Signature=sig-S3CRET-0a1b#frag-S3CRET';

    const result = await runCli([...args, url], cliEnv());

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('https://bucket.example.com/task-janitor/file.json');
    expect(leakedSecrets(`${result.stdout}\n${result.stderr}`, ['sig-S3CRET-0a1b', 'frag-S3CRET'])).toEqual(
      [],
    );
    expect(emulator.requestLog()).toEqual([]);
  });
});

describe('task-janitor validate', () => {
  it('says what a valid policy selects per service, and that the CLI only plans without --apply', async () => {
    const result = await runCli(['validate', policyPath]);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^policy OK: ${policyPath} \\(digest [0-9a-f]+\\)`));
    expect(result.stdout).toContain(
      '`task-janitor purge` only lists and plans (a dry run) unless it is given --apply',
    );
    expect(result.stdout).toContain('  dcs-center-tasks: older than 30d');
    expect(result.stdout).not.toMatch(/\bdeletes\b/);
  });

  it('prints every problem of an invalid policy and exits 2', async () => {
    await writeFile(policyPath, '{"version": 2, "dryRun": "yes"}');

    const result = await runCli(['validate', policyPath]);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain('version');
    expect(result.stderr).toContain('dryRun');
  });

  it('prints the usage with --help', async () => {
    const result = await runCli(['--help']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('task-janitor purge [options]');
  });
});
